// Bluetooth UUIDs (Core 5.4 Vol 3 Part B §2.5.1): 16-, 32- and 128-bit forms,
// all held as the full 128-bit value built on the Bluetooth Base UUID
// 00000000-0000-1000-8000-00805F9B34FB.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/bytes.hpp"

namespace bandwire::att {

class uuid {
 public:
  /// Bytes in canonical (big-endian, as printed) order.
  using bytes_type = std::array<std::uint8_t, 16>;

  constexpr uuid() = default;
  static uuid from16(std::uint16_t v) noexcept { return from32(v); }
  static uuid from32(std::uint32_t v) noexcept;
  static uuid from_canonical(const bytes_type& b) noexcept {
    uuid u;
    u.b_ = b;
    return u;
  }
  /// From the wire: 2, 4 or 16 little-endian bytes. Any other size fails.
  static std::optional<uuid> from_le(bytes_view wire) noexcept;
  /// Parses "180d", "0x180d", "0000fee1", or the 36-character canonical form.
  static std::optional<uuid> parse(std::string_view text) noexcept;

  /// True when the value lies on the Base UUID with a 16-bit alias.
  bool is16() const noexcept;
  bool is32() const noexcept;  ///< on the Base UUID (includes 16-bit ones)
  std::uint16_t as16() const noexcept { return static_cast<std::uint16_t>((b_[2] << 8) | b_[3]); }
  std::uint32_t as32() const noexcept {
    return (std::uint32_t{b_[0]} << 24) | (std::uint32_t{b_[1]} << 16) | (std::uint32_t{b_[2]} << 8) | b_[3];
  }
  /// Writes the shortest ATT form (2 bytes when 16-bit, else 16; ATT has no
  /// 32-bit form, Core Vol 3 Part F §3.2.1) little-endian; returns the size.
  std::size_t write_le(std::uint8_t* out) const noexcept;
  std::size_t wire_size() const noexcept { return is16() ? 2 : 16; }

  const bytes_type& canonical() const noexcept { return b_; }
  /// "0000180d-0000-1000-8000-00805f9b34fb"
  std::string to_string() const;

  friend bool operator==(const uuid&, const uuid&) = default;
  friend auto operator<=>(const uuid&, const uuid&) = default;

 private:
  bytes_type b_{};
};

}  // namespace bandwire::att
