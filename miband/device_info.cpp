#include "miband/device_info.hpp"

namespace bandwire::miband {

std::string decode_info_string(bytes_view value) {
  std::size_t n = value.size();
  while (n > 0 && value[n - 1] == 0) --n;
  std::string s;
  s.reserve(n);
  for (std::size_t i = 0; i < n; ++i) s.push_back(static_cast<char>(value[i]));
  return s;
}

std::optional<firmware_version> parse_firmware_version(std::string_view text) noexcept {
  if (!text.empty() && (text.front() == 'V' || text.front() == 'v')) text.remove_prefix(1);
  std::uint16_t parts[4] = {0, 0, 0, 0};
  std::size_t count = 0;
  std::size_t i = 0;
  while (true) {
    if (count == 4) return std::nullopt;
    std::uint32_t v = 0;
    std::size_t digits = 0;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
      v = v * 10 + static_cast<std::uint32_t>(text[i] - '0');
      if (v > 0xffff) return std::nullopt;
      ++i;
      ++digits;
    }
    if (digits == 0) return std::nullopt;
    parts[count++] = static_cast<std::uint16_t>(v);
    if (i == text.size()) break;
    if (text[i] != '.') return std::nullopt;
    ++i;
  }
  return firmware_version{parts[0], parts[1], parts[2], parts[3]};
}

std::string to_string(const firmware_version& v) {
  return std::to_string(v.major) + "." + std::to_string(v.minor) + "." + std::to_string(v.patch) + "." +
         std::to_string(v.build);
}

std::optional<std::array<std::uint8_t, 6>> mac_from_system_id(bytes_view value) noexcept {
  if (value.size() != 8 || value[3] != 0xff || value[4] != 0xfe) return std::nullopt;
  return std::array<std::uint8_t, 6>{value[0], value[1], value[2], value[5], value[6], value[7]};
}

boost::system::error_code decode_pnp_id(bytes_view in, pnp_id& out) noexcept {
  if (in.size() != 7) return errc::malformed_value;
  out.vendor_id_source = in[0];
  out.vendor_id = get_le16(&in[1]);
  out.product_id = get_le16(&in[3]);
  out.product_version = get_le16(&in[5]);
  return {};
}

}  // namespace bandwire::miband
