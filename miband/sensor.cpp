#include "miband/sensor.hpp"

namespace bandwire::miband {

boost::system::error_code decode_sensor_command(bytes_view in, sensor_command& out) noexcept {
  if (in.empty()) return errc::malformed_value;
  sensor_command c;
  c.command = in[0];
  switch (in[0]) {
    case sensor_cmd_configure:
      if (in.size() != 3) return errc::malformed_value;
      c.sensor_mask = in[1];
      c.rate_hz = in[2];
      break;
    case sensor_cmd_start:
    case sensor_cmd_stop:
    case sensor_cmd_keep_alive:
      if (in.size() != 1) return errc::malformed_value;
      break;
    default: return errc::malformed_value;
  }
  out = c;
  return {};
}

boost::system::error_code decode_sensor_packet(bytes_view in, sensor_packet& out) noexcept {
  if (in.size() < 2) return errc::malformed_value;
  const std::size_t payload = in.size() - 2;
  sensor_packet p;
  p.counter = in[1];
  switch (in[0]) {
    case 0x01:  // accelerometer: 8, 14 or 20 bytes (HRX README; CAP-A 572×20, 23×14, 58×8)
      if (payload == 0 || payload % 6 != 0 || payload / 6 > sensor_packet::max_accel_samples)
        return errc::malformed_value;
      p.type = sensor_packet_type::accelerometer;
      p.count = static_cast<std::uint8_t>(payload / 6);
      break;
    case 0x02:  // PPG: int16 samples, at most 9 (CAP-A lengths 12..20)
      if (payload == 0 || payload % 2 != 0 || payload / 2 > sensor_packet::max_ppg_samples)
        return errc::malformed_value;
      p.type = sensor_packet_type::ppg;
      p.count = static_cast<std::uint8_t>(payload / 2);
      break;
    default: return errc::unknown_packet_type;
  }
  // Signed (int16), not uint16 as CR reads it: CAP-A's PPG crosses zero
  // smoothly only when read signed (§6.3, §22.3).
  for (std::size_t i = 0; i < payload / 2; ++i) p.raw[i] = get_le16s(&in[2 + 2 * i]);
  out = p;
  return {};
}

boost::system::error_code encode_sensor_packet(const sensor_packet& p, frame& out) noexcept {
  std::size_t values = 0;
  switch (p.type) {
    case sensor_packet_type::accelerometer:
      if (p.count == 0 || p.count > sensor_packet::max_accel_samples) return errc::invalid_argument;
      values = 3u * p.count;
      break;
    case sensor_packet_type::ppg:
      if (p.count == 0 || p.count > sensor_packet::max_ppg_samples) return errc::invalid_argument;
      values = p.count;
      break;
    default: return errc::invalid_argument;
  }
  frame f{static_cast<std::uint8_t>(p.type), p.counter};
  for (std::size_t i = 0; i < values; ++i) {
    const auto v = static_cast<std::uint16_t>(p.raw[i]);
    f.push_back(static_cast<std::uint8_t>(v));
    f.push_back(static_cast<std::uint8_t>(v >> 8));
  }
  out = f;
  return {};
}

void counter_tracker::reset(std::optional<std::uint8_t> expected_first) noexcept {
  expected_first_ = expected_first;
  started_ = false;
  have_stray_ = false;
}

counter_tracker::result counter_tracker::observe(std::uint8_t counter) noexcept {
  ++received_;
  result r;
  if (!started_) {
    started_ = true;
    last_ = counter;
    r.what = kind::first;
    if (expected_first_) {
      r.missing = static_cast<std::uint8_t>(counter - *expected_first_);
      r.first_missing = *expected_first_;
      lost_ += r.missing;
    }
    return r;
  }
  const auto expected = static_cast<std::uint8_t>(last_ + 1);
  const auto delta = static_cast<std::uint8_t>(counter - expected);  // mod 256
  if (delta < 128) {
    have_stray_ = false;
    last_ = counter;
    if (delta == 0) {
      r.what = kind::in_order;
    } else {
      r.what = kind::gap;
      r.missing = delta;
      r.first_missing = expected;
      lost_ += delta;
    }
    return r;
  }
  if (counter == last_) {
    have_stray_ = false;
    ++duplicates_;
    r.what = kind::duplicate;
    return r;
  }
  // Behind the expected counter.
  if (have_stray_ && counter == static_cast<std::uint8_t>(stray_ + 1)) {
    // Two consecutive packets behind: the stream really moved there.
    have_stray_ = false;
    last_ = counter;
    ++resyncs_;
    r.what = kind::resync;
    return r;
  }
  have_stray_ = true;
  stray_ = counter;
  ++out_of_order_;
  r.what = kind::out_of_order;
  return r;
}

}  // namespace bandwire::miband
