// Bluetooth device addresses (Core 5.4 Vol 2 Part B §1.2; LE address types
// Vol 6 Part B §1.3). Held as printed: "AA:BB:CC:DD:EE:FF"; the kernel's
// bdaddr_t is the reverse (least significant octet first).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace bandwire::hci {

struct address {
  std::array<std::uint8_t, 6> b{};  ///< as printed, most significant first
  static std::optional<address> parse(std::string_view text) noexcept;
  std::string to_string() const;
  /// Little-endian order, as in bdaddr_t and on the air.
  std::array<std::uint8_t, 6> le() const noexcept { return {b[5], b[4], b[3], b[2], b[1], b[0]}; }
  static address from_le(const std::uint8_t* p) noexcept { return {{p[5], p[4], p[3], p[2], p[1], p[0]}}; }
  friend bool operator==(const address&, const address&) = default;
};

/// LE address types as the kernel's sockaddr_l2 names them.
enum class address_type : std::uint8_t { bredr = 0, le_public = 1, le_random = 2 };

}  // namespace bandwire::hci
