#include "hci/address.hpp"

#include <cstdio>

namespace bandwire::hci {

std::optional<address> address::parse(std::string_view s) noexcept {
  if (s.size() != 17) return std::nullopt;
  address a;
  for (std::size_t i = 0; i < 6; ++i) {
    if (i > 0 && s[3 * i - 1] != ':') return std::nullopt;
    int v = 0;
    for (std::size_t k = 0; k < 2; ++k) {
      const char c = s[3 * i + k];
      const int d = (c >= '0' && c <= '9') ? c - '0' : (c >= 'a' && c <= 'f') ? c - 'a' + 10
                  : (c >= 'A' && c <= 'F') ? c - 'A' + 10 : -1;
      if (d < 0) return std::nullopt;
      v = v * 16 + d;
    }
    a.b[i] = static_cast<std::uint8_t>(v);
  }
  return a;
}

std::string address::to_string() const {
  char buf[18];
  std::snprintf(buf, sizeof buf, "%02X:%02X:%02X:%02X:%02X:%02X", b[0], b[1], b[2], b[3], b[4], b[5]);
  return buf;
}

}  // namespace bandwire::hci
