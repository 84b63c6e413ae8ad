#include "att/uuid.hpp"

#include <algorithm>

namespace bandwire::att {

namespace {
// Core 5.4 Vol 3 Part B §2.5.1: Bluetooth Base UUID, canonical order.
constexpr uuid::bytes_type base = {0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10, 0x00,
                                   0x80, 0x00, 0x00, 0x80, 0x5f, 0x9b, 0x34, 0xfb};
int hexv(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}
}  // namespace

uuid uuid::from32(std::uint32_t v) noexcept {
  uuid u;
  u.b_ = base;
  u.b_[0] = static_cast<std::uint8_t>(v >> 24);
  u.b_[1] = static_cast<std::uint8_t>(v >> 16);
  u.b_[2] = static_cast<std::uint8_t>(v >> 8);
  u.b_[3] = static_cast<std::uint8_t>(v);
  return u;
}

std::optional<uuid> uuid::from_le(bytes_view wire) noexcept {
  if (wire.size() == 2) return from16(get_le16(wire.data()));
  if (wire.size() == 4) return from32(get_le32(wire.data()));
  if (wire.size() == 16) {
    uuid u;
    std::reverse_copy(wire.begin(), wire.end(), u.b_.begin());
    return u;
  }
  return std::nullopt;
}

bool uuid::is32() const noexcept { return std::equal(b_.begin() + 4, b_.end(), base.begin() + 4); }
bool uuid::is16() const noexcept { return is32() && b_[0] == 0 && b_[1] == 0; }

std::size_t uuid::write_le(std::uint8_t* out) const noexcept {
  if (is16()) {
    put_le16(out, as16());
    return 2;
  }
  std::reverse_copy(b_.begin(), b_.end(), out);
  return 16;
}

std::optional<uuid> uuid::parse(std::string_view s) noexcept {
  if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) s.remove_prefix(2);
  if (s.size() == 4 || s.size() == 8) {
    std::uint32_t v = 0;
    for (char c : s) {
      int d = hexv(c);
      if (d < 0) return std::nullopt;
      v = (v << 4) | static_cast<std::uint32_t>(d);
    }
    return from32(v);
  }
  if (s.size() != 36) return std::nullopt;
  uuid u;
  std::size_t j = 0;
  for (std::size_t i = 0; i < s.size();) {
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (s[i] != '-') return std::nullopt;
      ++i;
      continue;
    }
    int hi = hexv(s[i]), lo = hexv(s[i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    u.b_[j++] = static_cast<std::uint8_t>((hi << 4) | lo);
    i += 2;
  }
  return u;
}

std::string uuid::to_string() const {
  static constexpr char d[] = "0123456789abcdef";
  std::string s;
  s.reserve(36);
  for (std::size_t i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) s.push_back('-');
    s.push_back(d[b_[i] >> 4]);
    s.push_back(d[b_[i] & 15]);
  }
  return s;
}

}  // namespace bandwire::att
