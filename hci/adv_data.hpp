// Advertising data and scan response data (Core 5.4 Vol 3 Part C §11; the
// data types are Core Specification Supplement Part A §1): a parser, an
// encoder, and the Mi Band 2's advertising (miband2-protocol.md §2.1).
//
//   AD structure | Length (1) | AD Type (1) | AD Data (Length - 1) |
//
// A structure of length 0 ends the significant part (Vol 3 Part C §11: the
// rest of a legacy 31-octet payload is zero padding); the parser stops there.
//
// Views: ad_structure::data, manufacturer_data::data and service_data::data
// point into the bytes given to the parser and are valid as long as they are.
// Names are copied.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <boost/system/error_code.hpp>

#include "att/uuid.hpp"
#include "common/bytes.hpp"
#include "hci/address.hpp"
#include "hci/error.hpp"

namespace bandwire::hci {

/// AD types bandwire understands (Assigned Numbers §2.3; formats in Core
/// Supplement Part A §1).
namespace ad_type {
inline constexpr std::uint8_t flags = 0x01;                    // CSS A §1.3
inline constexpr std::uint8_t uuid16_incomplete = 0x02;        // CSS A §1.1
inline constexpr std::uint8_t uuid16_complete = 0x03;
inline constexpr std::uint8_t uuid32_incomplete = 0x04;
inline constexpr std::uint8_t uuid32_complete = 0x05;
inline constexpr std::uint8_t uuid128_incomplete = 0x06;
inline constexpr std::uint8_t uuid128_complete = 0x07;
inline constexpr std::uint8_t short_name = 0x08;               // CSS A §1.2
inline constexpr std::uint8_t complete_name = 0x09;
inline constexpr std::uint8_t tx_power = 0x0a;                 // CSS A §1.5
inline constexpr std::uint8_t service_data16 = 0x16;           // CSS A §1.11
inline constexpr std::uint8_t appearance = 0x19;               // CSS A §1.12
inline constexpr std::uint8_t service_data32 = 0x20;
inline constexpr std::uint8_t service_data128 = 0x21;
inline constexpr std::uint8_t manufacturer_specific = 0xff;    // CSS A §1.4
}  // namespace ad_type

/// Flags bits (CSS A §1.3).
namespace ad_flags {
inline constexpr std::uint8_t le_limited_discoverable = 0x01;
inline constexpr std::uint8_t le_general_discoverable = 0x02;
inline constexpr std::uint8_t br_edr_not_supported = 0x04;
}  // namespace ad_flags

/// One AD structure as found.
struct ad_structure {
  std::uint8_t type = 0;
  bytes_view data;  ///< AD Data, without length and type
};

struct manufacturer_data {
  std::uint16_t company = 0;  ///< Company Identifier (Assigned Numbers), little-endian on the wire
  bytes_view data;            ///< the octets after the company identifier
};

struct service_data {
  att::uuid uuid;
  bytes_view data;  ///< the octets after the UUID
};

/// What a device advertises. Parsing an advertisement and then its scan
/// response into the same object merges them.
struct advertising_data {
  std::optional<std::uint8_t> flags;
  std::optional<std::string> name;
  bool name_complete = false;  ///< Complete (0x09) rather than Shortened (0x08) Local Name
  std::vector<att::uuid> service_uuids;
  bool service_uuids_complete = false;  ///< some list was marked complete
  std::optional<std::int8_t> tx_power;  ///< dBm
  std::optional<std::uint16_t> appearance;
  std::vector<manufacturer_data> manufacturer;
  std::vector<service_data> services;
  std::vector<ad_structure> other;  ///< structures of types not listed above

  bool has_service(const att::uuid& u) const noexcept;
  /// The first manufacturer data of `company`, or nullptr.
  const manufacturer_data* manufacturer_for(std::uint16_t company) const noexcept;
  /// The first service data for `u`, or nullptr.
  const service_data* service_data_for(const att::uuid& u) const noexcept;
};

/// Splits data into AD structures, stopping at a zero length. Fails with
/// ad_truncated when a structure's length runs past the end; `out` then holds
/// the structures before it.
boost::system::error_code split_ad(bytes_view data, std::vector<ad_structure>& out);

/// Parses data into `out`, adding to what it already holds. Fails with
/// ad_truncated (as split_ad) or ad_invalid_field when a known type has a
/// length its format forbids (flags of 0 octets, a 16-bit UUID list of odd
/// length, manufacturer data shorter than the company identifier...). The
/// structures before the bad one are kept in `out`.
boost::system::error_code parse_advertising_data(bytes_view data, advertising_data& out);

// ----------------------------------------------------------------- encoder --

/// Appends one AD structure. Fails with invalid_argument when `data` is
/// longer than 254 octets (the length byte counts the type too).
boost::system::error_code append_ad(std::vector<std::uint8_t>& out, std::uint8_t type, bytes_view data);
/// Appends Flags.
void append_ad_flags(std::vector<std::uint8_t>& out, std::uint8_t flags);
/// Appends a local name, complete (0x09) or shortened (0x08).
boost::system::error_code append_ad_name(std::vector<std::uint8_t>& out, std::string_view name, bool complete);
/// Appends a list of 16-bit service UUIDs, complete (0x03) or not (0x02).
boost::system::error_code append_ad_uuid16_list(std::vector<std::uint8_t>& out,
                                                std::span<const std::uint16_t> uuids, bool complete);
/// Appends Manufacturer Specific Data: company identifier then `data`.
boost::system::error_code append_ad_manufacturer(std::vector<std::uint8_t>& out, std::uint16_t company,
                                                 bytes_view data);
/// Appends Service Data for a 16-bit UUID.
boost::system::error_code append_ad_service_data16(std::vector<std::uint8_t>& out, std::uint16_t uuid,
                                                   bytes_view data);

// ------------------------------------------------------------ Mi Band 2 ----

/// Anhui Huami Information Technology (Assigned Numbers, company 0x0157).
inline constexpr std::uint16_t huami_company_id = 0x0157;
/// The Mi Band's own primary service, also listed in its scan response.
inline constexpr std::uint16_t miband_service_uuid16 = 0xfee0;
/// The Mi Band 2's Complete Local Name (miband2-protocol.md §2.1).
inline constexpr std::string_view miband2_name = "MI Band 2";

/// The 24 octets after the company identifier in the Mi Band 2's
/// manufacturer data (miband2-protocol.md §2.1 table; identical structure in
/// both captures). Only the address is understood.
struct miband2_manufacturer_data {
  std::uint8_t flag = 0;                 ///< offset 0: 0x00 on the MB2; 0x02 means "HR present" on newer bands [?]
  std::array<std::uint8_t, 16> opaque{};  ///< offsets 1-16: per-device, meaning unknown
  std::uint8_t device_type = 0x03;       ///< offset 17: 0x03 in both captures [?]
  address band{};                        ///< offsets 18-23: the band's BD_ADDR, most significant octet first

  friend bool operator==(const miband2_manufacturer_data&, const miband2_manufacturer_data&) = default;
};
inline constexpr std::size_t miband2_manufacturer_size = 24;

/// Decodes the octets after company 0x0157. Fails with ad_invalid_field
/// unless there are exactly 24.
boost::system::error_code decode_miband2_manufacturer_data(bytes_view data, miband2_manufacturer_data& out) noexcept;
/// The 24 octets back.
std::array<std::uint8_t, miband2_manufacturer_size> encode_miband2_manufacturer_data(
    const miband2_manufacturer_data& m) noexcept;

/// How sure a recognition is.
enum class miband_match : std::uint8_t {
  none,      ///< nothing Huami about it
  huami,     ///< Huami company data or the FEE0 service, but not the MB2's shape or name
  miband2,   ///< named "MI Band 2" (any case), or MB2-shaped Huami data naming the advertiser's address
};

/// Recognises a Mi Band 2 (miband2-protocol.md §2.1). The name is in the scan
/// response, so a passive scan sees only the manufacturer data: its shape
/// (24 octets) and the embedded address, compared with `advertiser` when
/// given, then decide.
miband_match recognise_miband2(const advertising_data& ad, const address* advertiser = nullptr);

/// The Mi Band 2's ADV_IND payload: Flags 0x06 + Huami manufacturer data
/// (31 octets; miband2-protocol.md §2.1, §20.8).
std::vector<std::uint8_t> miband2_advertising_data(const miband2_manufacturer_data& m);
/// The Mi Band 2's SCAN_RSP payload: Complete Local Name "MI Band 2" +
/// incomplete 16-bit UUID list {FEE0} (15 octets).
std::vector<std::uint8_t> miband2_scan_response_data();

}  // namespace bandwire::hci
