// Little-endian wire helpers. Wire fields are read and written byte by byte,
// never through a cast, so unaligned fields are safe on armhf and arm64.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace bandwire {

using bytes_view = std::span<const std::uint8_t>;
using bytes_span = std::span<std::uint8_t>;

inline std::uint16_t get_le16(const std::uint8_t* p) noexcept {
  return static_cast<std::uint16_t>(p[0] | (p[1] << 8));
}
inline std::uint32_t get_le32(const std::uint8_t* p) noexcept {
  return static_cast<std::uint32_t>(p[0]) | (static_cast<std::uint32_t>(p[1]) << 8) |
         (static_cast<std::uint32_t>(p[2]) << 16) | (static_cast<std::uint32_t>(p[3]) << 24);
}
inline std::int16_t get_le16s(const std::uint8_t* p) noexcept {
  return static_cast<std::int16_t>(get_le16(p));
}
inline void put_le16(std::uint8_t* p, std::uint16_t v) noexcept {
  p[0] = static_cast<std::uint8_t>(v);
  p[1] = static_cast<std::uint8_t>(v >> 8);
}
inline void put_le32(std::uint8_t* p, std::uint32_t v) noexcept {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<std::uint8_t>(v >> (8 * i));
}

/// Lower-case hex of a byte range ("0a1b"), no separators.
std::string to_hex(bytes_view data);
/// Parses hex digits, allowing ':' ' ' '-' separators and an optional 0x
/// prefix. Returns false (and leaves out untouched) on odd digit counts or
/// non-hex characters.
bool from_hex(std::string_view text, std::vector<std::uint8_t>& out);

}  // namespace bandwire
