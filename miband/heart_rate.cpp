#include "miband/heart_rate.hpp"

namespace bandwire::miband {

namespace {
constexpr std::uint8_t flag_u16 = 0x01;
constexpr std::uint8_t flag_contact_detected = 0x02;
constexpr std::uint8_t flag_contact_supported = 0x04;
constexpr std::uint8_t flag_energy = 0x08;
constexpr std::uint8_t flag_rr = 0x10;
}  // namespace

boost::system::error_code decode_heart_rate_measurement(bytes_view in, heart_rate_measurement& out) noexcept {
  if (in.empty()) return errc::malformed_value;
  const std::uint8_t flags = in[0];
  std::size_t pos = 1;
  heart_rate_measurement m;
  m.value_is_u16 = (flags & flag_u16) != 0;
  if (m.value_is_u16) {
    if (in.size() < pos + 2) return errc::malformed_value;
    m.bpm = get_le16(&in[pos]);
    pos += 2;
  } else {
    if (in.size() < pos + 1) return errc::malformed_value;
    m.bpm = in[pos];
    pos += 1;
  }
  if (flags & flag_contact_supported)
    m.contact = (flags & flag_contact_detected) ? sensor_contact::detected : sensor_contact::not_detected;
  if (flags & flag_energy) {
    if (in.size() < pos + 2) return errc::malformed_value;
    m.energy_expended_kj = get_le16(&in[pos]);
    pos += 2;
  }
  const bytes_view rest = in.subspan(pos);
  if (flags & flag_rr) {
    if (rest.size() % 2 != 0) return errc::malformed_value;
    m.rr_present = true;
    m.rr_raw = rest;
  } else if (!rest.empty()) {
    // Nothing may follow the fields the flags announce.
    return errc::malformed_value;
  }
  out = m;
  return {};
}

std::size_t encode_heart_rate_measurement(const heart_rate_measurement& m, bytes_span out) noexcept {
  if (!m.value_is_u16 && m.bpm > 0xff) return 0;
  if (m.rr_raw.size() % 2 != 0) return 0;
  if (!m.rr_present && !m.rr_raw.empty()) return 0;
  const std::size_t need = 1 + (m.value_is_u16 ? 2u : 1u) + (m.energy_expended_kj ? 2u : 0u) + m.rr_raw.size();
  if (out.size() < need) return 0;
  std::uint8_t flags = 0;
  if (m.value_is_u16) flags |= flag_u16;
  if (m.contact != sensor_contact::not_supported) flags |= flag_contact_supported;
  if (m.contact == sensor_contact::detected) flags |= flag_contact_detected;
  if (m.energy_expended_kj) flags |= flag_energy;
  if (m.rr_present) flags |= flag_rr;
  std::size_t pos = 0;
  out[pos++] = flags;
  if (m.value_is_u16) {
    put_le16(&out[pos], m.bpm);
    pos += 2;
  } else {
    out[pos++] = static_cast<std::uint8_t>(m.bpm);
  }
  if (m.energy_expended_kj) {
    put_le16(&out[pos], *m.energy_expended_kj);
    pos += 2;
  }
  for (std::uint8_t b : m.rr_raw) out[pos++] = b;
  return pos;
}

boost::system::error_code check_reading(const heart_rate_measurement& m) noexcept {
  if (m.bpm == 0) return errc::measurement_failed;
  return {};
}

boost::system::error_code decode_hr_command(bytes_view in, hr_command& out) noexcept {
  if (in.empty()) return errc::malformed_value;
  hr_command c;
  switch (in[0]) {
    case hr_cmd_set_mode:
      if (in.size() != 3 || in[1] > 0x02 || in[2] > 0x01) return errc::malformed_value;
      c.what = hr_command::kind::set_mode;
      c.mode = static_cast<hr_mode>(in[1]);
      c.enable = in[2] == 0x01;
      break;
    case hr_cmd_periodic:
      if (in.size() != 2) return errc::malformed_value;
      c.what = hr_command::kind::periodic;
      c.minutes = in[1];
      break;
    case hr_cmd_keep_alive:
      if (in.size() != 1) return errc::malformed_value;
      c.what = hr_command::kind::keep_alive;
      break;
    default: return errc::malformed_value;
  }
  out = c;
  return {};
}

}  // namespace bandwire::miband
