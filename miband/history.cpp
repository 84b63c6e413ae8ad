#include "miband/history.hpp"

#include "miband/reply.hpp"

namespace bandwire::miband {

namespace chr = std::chrono;

chr::minutes host_utc_offset(chr::sys_seconds t) noexcept {
  // time_t is 32 bits on some armhf systems: out-of-range instants are
  // clamped rather than wrapped into another year's DST rule.
  const long long s = t.time_since_epoch().count();
  std::time_t tt;
  if constexpr (sizeof(std::time_t) < 8) {
    tt = static_cast<std::time_t>(s > 0x7fffffffLL ? 0x7fffffffLL : s < -0x80000000LL ? -0x80000000LL : s);
  } else {
    tt = static_cast<std::time_t>(s);
  }
  std::tm local{};
  if (!::localtime_r(&tt, &local)) return chr::minutes{0};
  return chr::duration_cast<chr::minutes>(chr::seconds{local.tm_gmtoff});
}

zoned_date make_fetch_start(chr::sys_seconds start, chr::minutes utc_offset) noexcept {
  zoned_date z;
  z.local = to_local(chr::floor<chr::minutes>(start), utc_offset);
  z.tz_quarters = to_tz_quarters(utc_offset);
  return z;
}

frame make_fetch_request(std::uint8_t type, const zoned_date& start) {
  std::uint8_t b[fetch_request_size];
  b[0] = fetch_cmd_start;
  b[1] = type;
  write_date_time(b + 2, start.local);
  b[9] = static_cast<std::uint8_t>(start.tz_quarters);
  frame f;
  f.append(bytes_view(b, sizeof b));
  return f;
}

boost::system::error_code decode_fetch_request(bytes_view in, fetch_request& out) noexcept {
  if (in.empty()) return history_errc::malformed_reply;
  fetch_request r;
  r.command = in[0];
  switch (in[0]) {
    case fetch_cmd_start:
      if (in.size() != fetch_request_size) return history_errc::malformed_reply;
      r.type = in[1];
      r.start.local = read_date_time(in.data() + 2);
      r.start.tz_quarters = static_cast<std::int8_t>(in[9]);
      break;
    case fetch_cmd_transfer:
    case fetch_cmd_ack:
      if (in.size() != 1) return history_errc::malformed_reply;
      break;
    default: return history_errc::malformed_reply;
  }
  out = r;
  return {};
}

boost::system::error_code decode_fetch_start_reply(bytes_view in, fetch_start_reply& out) noexcept {
  reply r;
  if (decode_reply(in, r) || r.command != fetch_cmd_start) return history_errc::malformed_reply;
  if (!r.ok()) return history_errc::fetch_refused;
  if (in.size() < fetch_start_reply_size) return history_errc::malformed_reply;
  fetch_start_reply s;
  s.count = get_le32(in.data() + 3);
  s.start.local = read_date_time(in.data() + 7);
  s.start.tz_quarters = static_cast<std::int8_t>(in[14]);
  out = s;
  return {};
}

frame make_fetch_start_reply(std::uint32_t count, const zoned_date& start) {
  std::uint8_t b[fetch_start_reply_size];
  b[0] = reply_marker;
  b[1] = fetch_cmd_start;
  b[2] = status_success;
  put_le32(b + 3, count);
  write_date_time(b + 7, start.local);
  b[14] = static_cast<std::uint8_t>(start.tz_quarters);
  frame f;
  f.append(bytes_view(b, sizeof b));
  return f;
}

history_sample history_packet::sample(std::size_t i) const noexcept {
  const std::uint8_t* p = records.data() + i * history_record_size;
  return {p[0], p[1], p[2], p[3]};
}

boost::system::error_code decode_history_packet(bytes_view in, history_packet& out) noexcept {
  if (in.empty() || (in.size() - 1) % history_record_size != 0) return history_errc::bad_packet_length;
  out.counter = in[0];
  out.records = in.subspan(1);
  return {};
}

frame make_history_packet(std::uint8_t counter, std::span<const history_sample> samples) {
  frame f{counter};
  for (std::size_t i = 0; i < samples.size() && i < history_records_per_packet; ++i) {
    const auto& s = samples[i];
    f.push_back(s.kind);
    f.push_back(s.intensity);
    f.push_back(s.steps);
    f.push_back(s.heart_rate);
  }
  return f;
}

boost::system::error_code packet_counter::check(std::uint8_t counter) noexcept {
  if (counter == expected_) {
    ++expected_;  // uint8_t: 255 wraps to 0 (§14.2)
    ++accepted_;
    return {};
  }
  // Only "the previous one again" is a repeat; before the first packet
  // there is no previous one.
  if (accepted_ > 0 && counter == static_cast<std::uint8_t>(expected_ - 1)) return history_errc::packet_repeated;
  return history_errc::packet_gap;
}

activity_category categorize(std::uint8_t raw_kind) noexcept {
  const std::uint8_t k = raw_kind & 0x0f;
  switch (k) {
    case 0: case 1: case 2: case 3: case 4: case 6: case 9: case 10: case 11: case 12:
      return static_cast<activity_category>(k);
    default: return activity_category::unknown;
  }
}

const char* to_string(activity_category c) noexcept {
  switch (c) {
    case activity_category::no_change: return "no_change";
    case activity_category::activity: return "activity";
    case activity_category::running: return "running";
    case activity_category::not_worn: return "not_worn";
    case activity_category::cycling: return "cycling";
    case activity_category::charging: return "charging";
    case activity_category::light_sleep: return "light_sleep";
    case activity_category::ignore: return "ignore";
    case activity_category::deep_sleep: return "deep_sleep";
    case activity_category::wake_up: return "wake_up";
    case activity_category::unknown: return "unknown";
  }
  return "unknown";
}

minute_record make_minute_record(chr::sys_seconds time, std::int8_t tz_quarters, const history_sample& s) noexcept {
  minute_record m;
  m.time = time;
  m.tz_quarters = tz_quarters;
  m.raw_kind = s.kind;
  m.category = categorize(s.kind);
  m.intensity = s.intensity;
  m.steps = s.steps;
  if (s.heart_rate != heart_rate_not_measured) m.heart_rate = s.heart_rate;
  return m;
}

}  // namespace bandwire::miband
