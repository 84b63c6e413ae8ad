// Device Information (180A) and GAP name values of the Mi Band 2 (fact sheet
// §10, vectors §20.3).
//
//   2A00 device name      "MI Band 2"
//   2A25 serial number    "d55b5c5a1833" (12 ASCII characters on CAP-A)
//   2A27 hardware rev.    "V0.1.3.2"
//   2A28 software rev.    "V1.0.1.69" — GB strips the leading 'V'
//   2A23 system ID        fa 8e e3 ff fe 12 b4 a9 = MAC[0..2] ff fe MAC[3..5] [I]
//   2A50 PnP ID           01 57 01 04 00 00 01: source 1 (SIG), vendor 0x0157
//                         (Anhui Huami), product 0x0004, version 0x0100
#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <boost/system/error_code.hpp>

#include "common/bytes.hpp"
#include "miband/error.hpp"

namespace bandwire::miband {

/// A DIS / GAP string value (UTF-8, no terminator in the spec). Trailing NUL
/// bytes, which some firmware pads with, are dropped.
std::string decode_info_string(bytes_view value);

/// "V1.0.1.69" / "1.0.1.69" as numbers; comparable.
struct firmware_version {
  std::uint16_t major = 0, minor = 0, patch = 0, build = 0;
  friend auto operator<=>(const firmware_version&, const firmware_version&) = default;
};
/// Parses 1 to 4 dot-separated decimal numbers, each at most 65535, after an
/// optional leading 'V' or 'v'; missing parts are 0. nullopt otherwise.
std::optional<firmware_version> parse_firmware_version(std::string_view text) noexcept;
/// "1.0.1.69"
std::string to_string(const firmware_version& v);

/// Text in New Alert needs firmware 1.0.1.28 or later (GB MiBandConst; §10, §11.2).
inline constexpr firmware_version min_text_alert_version{1, 0, 1, 28};

/// The band's address from 2A23 when it has the EUI-64 shape
/// MAC[0..2] ff fe MAC[3..5] seen on CAP-A (§10 [I]); bytes in display order
/// (FA:8E:E3:12:B4:A9). nullopt for other shapes or lengths.
std::optional<std::array<std::uint8_t, 6>> mac_from_system_id(bytes_view value) noexcept;

/// PnP ID 2A50 (7 bytes).
struct pnp_id {
  std::uint8_t vendor_id_source = 0;  ///< 1 = Bluetooth SIG, 2 = USB-IF
  std::uint16_t vendor_id = 0;
  std::uint16_t product_id = 0;
  std::uint16_t product_version = 0;
  friend bool operator==(const pnp_id&, const pnp_id&) = default;
};
inline constexpr std::uint16_t huami_vendor_id = 0x0157;  ///< also the advertising company id (§2.1)
/// errc::malformed_value unless exactly 7 bytes.
boost::system::error_code decode_pnp_id(bytes_view in, pnp_id& out) noexcept;

}  // namespace bandwire::miband
