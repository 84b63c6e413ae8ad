// HCI commands and events for LE scanning and advertising: a pure codec, no
// sockets, no clock. The I/O shell (hci/hci_socket.hpp), the CLI, the tests and
// the fuzzers all use it.
//
// Packets here carry no H4 packet indicator (Core 5.4 Vol 4 Part A §2): the
// raw HCI socket and btsnoop add it.
//
//   command  | opcode (2, LE) = OGF << 10 | OCF | parameter total length (1) | parameters |
//            (Core 5.4 Vol 4 Part E §5.4.1)
//   event    | event code (1) | parameter total length (1) | parameters |
//            (Core 5.4 Vol 4 Part E §5.4.4)
//
// Decoding rules, the same for every event:
//  * the packet must be exactly 2 + parameter total length bytes
//    (truncated_packet if shorter, trailing_bytes if longer);
//  * a field that runs past the parameters is truncated_parameters;
//  * parameters left over after the last field of a fixed-layout event are
//    ignored (as Linux does), so parameters a later spec version appends do
//    not break decoding;
//  * a value the specification forbids (zero reports, a legacy report with
//    more than 31 data bytes) is invalid_field.
//
// Views: every bytes_view in a decoded struct points into the packet given to
// the decoder and is valid as long as that buffer is.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <variant>
#include <vector>

#include <boost/system/error_code.hpp>

#include "common/bytes.hpp"
#include "hci/address.hpp"
#include "hci/error.hpp"
#include "hci/status.hpp"

namespace bandwire::hci {

/// Opcode from Opcode Group Field and Opcode Command Field (Vol 4 Part E §5.4.1).
constexpr std::uint16_t make_opcode(std::uint8_t ogf, std::uint16_t ocf) noexcept {
  return static_cast<std::uint16_t>((ogf << 10) | (ocf & 0x03ff));
}

/// Opcodes of the commands bandwire sends (Core 5.4 Vol 4 Part E §7).
namespace opcode {
inline constexpr std::uint16_t reset = make_opcode(0x03, 0x0003);                          // §7.3.2
inline constexpr std::uint16_t read_local_supported_commands = make_opcode(0x04, 0x0002);  // §7.4.2
inline constexpr std::uint16_t le_read_local_supported_features = make_opcode(0x08, 0x0003);  // §7.8.3
inline constexpr std::uint16_t le_set_random_address = make_opcode(0x08, 0x0005);          // §7.8.4
inline constexpr std::uint16_t le_set_advertising_parameters = make_opcode(0x08, 0x0006);  // §7.8.5
inline constexpr std::uint16_t le_set_advertising_data = make_opcode(0x08, 0x0008);        // §7.8.7
inline constexpr std::uint16_t le_set_scan_response_data = make_opcode(0x08, 0x0009);      // §7.8.8
inline constexpr std::uint16_t le_set_advertising_enable = make_opcode(0x08, 0x000a);      // §7.8.9
inline constexpr std::uint16_t le_set_scan_parameters = make_opcode(0x08, 0x000b);         // §7.8.10
inline constexpr std::uint16_t le_set_scan_enable = make_opcode(0x08, 0x000c);             // §7.8.11
inline constexpr std::uint16_t le_set_extended_scan_parameters = make_opcode(0x08, 0x0041);  // §7.8.64
inline constexpr std::uint16_t le_set_extended_scan_enable = make_opcode(0x08, 0x0042);    // §7.8.65
}  // namespace opcode

/// Event codes (Core 5.4 Vol 4 Part E §7.7).
namespace event_code {
inline constexpr std::uint8_t disconnection_complete = 0x05;  // §7.7.5
inline constexpr std::uint8_t command_complete = 0x0e;        // §7.7.14
inline constexpr std::uint8_t command_status = 0x0f;          // §7.7.15
inline constexpr std::uint8_t le_meta = 0x3e;                 // §7.7.65
}  // namespace event_code

/// LE Meta subevent codes (Core 5.4 Vol 4 Part E §7.7.65).
namespace le_subevent {
inline constexpr std::uint8_t connection_complete = 0x01;           // §7.7.65.1
inline constexpr std::uint8_t advertising_report = 0x02;            // §7.7.65.2
inline constexpr std::uint8_t enhanced_connection_complete = 0x0a;  // §7.7.65.10
inline constexpr std::uint8_t extended_advertising_report = 0x0d;   // §7.7.65.13
}  // namespace le_subevent

inline constexpr std::size_t command_header_size = 3;
inline constexpr std::size_t event_header_size = 2;
inline constexpr std::size_t max_parameter_length = 255;
/// Largest legacy advertising or scan response payload (Vol 4 Part E §7.8.7).
inline constexpr std::size_t max_legacy_adv_data = 31;

// ---------------------------------------------------------------- commands --
//
// Each encoder returns the whole command packet (header + parameters).
// Encoders that take values with a spec range check them and fail with
// invalid_argument, leaving `out` unchanged.

/// Own_Address_Type of scan and advertising parameters (Vol 4 Part E §7.8.5).
enum class own_address : std::uint8_t {
  public_address = 0x00,
  random_address = 0x01,
  rpa_or_public = 0x02,
  rpa_or_random = 0x03,
};

/// LE_Scan_Type (Vol 4 Part E §7.8.10): passive listens only; active also
/// sends SCAN_REQ and so receives scan responses (the Mi Band's name).
enum class scan_type : std::uint8_t { passive = 0x00, active = 0x01 };

/// LE Set Scan Parameters / one PHY of LE Set Extended Scan Parameters.
/// Interval and window count 0.625 ms units (Vol 4 Part E §7.8.10).
struct scan_parameters {
  scan_type type = scan_type::active;
  std::uint16_t interval = 0x0060;  ///< 60 ms; legacy range 0x0004-0x4000, extended 0x0004-0xFFFF
  std::uint16_t window = 0x0030;    ///< 30 ms; 0x0004..interval
  own_address own = own_address::public_address;
  std::uint8_t filter_policy = 0x00;  ///< 0 = accept all advertisements (0x00-0x03)
};

/// Scanning_PHYs bits of LE Set Extended Scan Parameters (§7.8.64).
inline constexpr std::uint8_t phy_1m = 0x01;
inline constexpr std::uint8_t phy_coded = 0x04;

/// Filter_Duplicates of LE Set Extended Scan Enable (§7.8.65).
enum class duplicates : std::uint8_t { report_all = 0x00, filter = 0x01, filter_per_period = 0x02 };

std::vector<std::uint8_t> encode_reset();
std::vector<std::uint8_t> encode_read_local_supported_commands();
std::vector<std::uint8_t> encode_le_read_local_supported_features();

/// LE Set Scan Parameters (§7.8.10): 7 parameter bytes.
boost::system::error_code encode_le_set_scan_parameters(const scan_parameters& p, std::vector<std::uint8_t>& out);
/// LE Set Scan Enable (§7.8.11).
std::vector<std::uint8_t> encode_le_set_scan_enable(bool enable, bool filter_duplicates);
/// LE Set Extended Scan Parameters (§7.8.64). `phys` is a Scanning_PHYs mask
/// of phy_1m and/or phy_coded; each PHY present gets the same type, interval
/// and window.
boost::system::error_code encode_le_set_extended_scan_parameters(const scan_parameters& p, std::uint8_t phys,
                                                                 std::vector<std::uint8_t>& out);
/// LE Set Extended Scan Enable (§7.8.65). Duration counts 10 ms and period
/// 1.28 s units; 0 for both scans until disabled.
std::vector<std::uint8_t> encode_le_set_extended_scan_enable(bool enable, duplicates filter,
                                                             std::uint16_t duration = 0, std::uint16_t period = 0);

/// Advertising_Type of LE Set Advertising Parameters (§7.8.5).
enum class advertising_type : std::uint8_t {
  adv_ind = 0x00,                  ///< connectable and scannable undirected (the Mi Band)
  adv_direct_ind_high = 0x01,
  adv_scan_ind = 0x02,
  adv_nonconn_ind = 0x03,
  adv_direct_ind_low = 0x04,
};

/// LE Set Advertising Parameters (§7.8.5). Intervals count 0.625 ms units.
struct advertising_parameters {
  std::uint16_t interval_min = 0x0800;  ///< 1.28 s, the Mi Band's interval (miband2-protocol.md §2.1)
  std::uint16_t interval_max = 0x0800;
  advertising_type type = advertising_type::adv_ind;
  own_address own = own_address::random_address;  ///< the band advertises a static random address
  std::uint8_t peer_address_type = 0x00;          ///< directed advertising only
  address peer{};
  std::uint8_t channel_map = 0x07;                ///< channels 37, 38 and 39
  std::uint8_t filter_policy = 0x00;
};

boost::system::error_code encode_le_set_advertising_parameters(const advertising_parameters& p,
                                                               std::vector<std::uint8_t>& out);
/// LE Set Advertising Data (§7.8.7): length byte + 31 bytes, zero padded.
/// Fails with invalid_argument when `data` exceeds 31 bytes.
boost::system::error_code encode_le_set_advertising_data(bytes_view data, std::vector<std::uint8_t>& out);
/// LE Set Scan Response Data (§7.8.8): same layout as advertising data.
boost::system::error_code encode_le_set_scan_response_data(bytes_view data, std::vector<std::uint8_t>& out);
/// LE Set Advertising Enable (§7.8.9).
std::vector<std::uint8_t> encode_le_set_advertising_enable(bool enable);
/// LE Set Random Address (§7.8.4).
std::vector<std::uint8_t> encode_le_set_random_address(const address& a);

/// Decodes a command packet's header, for tests and scripted controllers.
/// `params` views into `packet`. Errors as for events.
boost::system::error_code decode_command(bytes_view packet, std::uint16_t& opcode, bytes_view& params) noexcept;

// ------------------------------------------------------------------ events --

/// An event packet split into its header and parameters.
struct event_packet {
  std::uint8_t code = 0;
  bytes_view params;
};
/// Checks the header and the parameter total length (see the rules above).
boost::system::error_code decode_event_packet(bytes_view packet, event_packet& out) noexcept;

/// Command Complete (§7.7.14). For every command bandwire sends the first
/// return parameter is the Status; `status()` reads it.
struct command_complete {
  std::uint8_t num_hci_command_packets = 0;
  std::uint16_t opcode = 0;
  bytes_view return_params;
  /// Status octet, or nullopt when there are no return parameters (a NOP
  /// Command Complete with opcode 0x0000 has none).
  std::optional<std::uint8_t> status() const noexcept {
    if (return_params.empty()) return std::nullopt;
    return return_params[0];
  }
};

/// Command Status (§7.7.15).
struct command_status {
  std::uint8_t status = 0;
  std::uint8_t num_hci_command_packets = 0;
  std::uint16_t opcode = 0;
};

/// Disconnection Complete (§7.7.5).
struct disconnection_complete {
  std::uint8_t status = 0;
  std::uint16_t handle = 0;  ///< 12 bits
  std::uint8_t reason = 0;   ///< a Vol 1 Part F code: 0x13 remote user terminated...
};

/// LE Connection Complete (§7.7.65.1) or LE Enhanced Connection Complete
/// (§7.7.65.10); the enhanced one also carries the resolvable private
/// addresses.
struct le_connection_complete {
  bool enhanced = false;
  std::uint8_t status = 0;
  std::uint16_t handle = 0;
  std::uint8_t role = 0;               ///< 0 central, 1 peripheral
  std::uint8_t peer_address_type = 0;  ///< 0 public, 1 random (+2: identity, enhanced only)
  address peer{};
  address local_rpa{};                 ///< enhanced only; 00:... when unused
  address peer_rpa{};                  ///< enhanced only
  std::uint16_t interval = 0;          ///< 1.25 ms units
  std::uint16_t latency = 0;
  std::uint16_t supervision_timeout = 0;  ///< 10 ms units
  std::uint8_t clock_accuracy = 0;
};

/// Which event format a report came from.
enum class report_format : std::uint8_t { legacy, extended };

/// Legacy Event_Type values (§7.7.65.2).
namespace legacy_event {
inline constexpr std::uint8_t adv_ind = 0x00;
inline constexpr std::uint8_t adv_direct_ind = 0x01;
inline constexpr std::uint8_t adv_scan_ind = 0x02;
inline constexpr std::uint8_t adv_nonconn_ind = 0x03;
inline constexpr std::uint8_t scan_rsp = 0x04;
}  // namespace legacy_event

/// Extended Event_Type bits (§7.7.65.13).
namespace ext_event {
inline constexpr std::uint16_t connectable = 0x0001;
inline constexpr std::uint16_t scannable = 0x0002;
inline constexpr std::uint16_t directed = 0x0004;
inline constexpr std::uint16_t scan_response = 0x0008;
inline constexpr std::uint16_t legacy_pdu = 0x0010;
inline constexpr std::uint16_t data_status_mask = 0x0060;  ///< 0 complete, 1 more to come, 2 truncated
}  // namespace ext_event

/// Address_Type of advertising reports (§7.7.65.2, §7.7.65.13).
namespace report_address {
inline constexpr std::uint8_t public_device = 0x00;
inline constexpr std::uint8_t random_device = 0x01;
inline constexpr std::uint8_t public_identity = 0x02;
inline constexpr std::uint8_t random_identity = 0x03;
inline constexpr std::uint8_t anonymous = 0xff;  ///< extended reports only
}  // namespace report_address

/// RSSI value meaning "not available" (§7.7.65.2, §7.7.65.13).
inline constexpr std::int8_t rssi_unavailable = 127;

/// One advertising report, legacy or extended.
struct adv_report {
  report_format format = report_format::legacy;
  std::uint16_t event_type = 0;  ///< raw: a legacy_event value, or ext_event bits
  std::uint8_t address_type = 0;
  address addr{};
  std::int8_t rssi = rssi_unavailable;
  bytes_view data;  ///< AD structures (Core Supplement Part A §1)
  // Extended reports only (§7.7.65.13); legacy reports leave the defaults.
  std::uint8_t primary_phy = 1;
  std::uint8_t secondary_phy = 0;
  std::uint8_t sid = 0xff;
  std::int8_t tx_power = 127;  ///< 127: not available
  std::uint16_t periodic_interval = 0;
  std::uint8_t direct_address_type = 0;
  address direct_address{};

  bool connectable() const noexcept;
  bool scannable() const noexcept;
  bool directed() const noexcept;
  bool scan_response() const noexcept;
  /// 0 complete, 1 incomplete with more to come, 2 incomplete and truncated.
  std::uint8_t data_status() const noexcept;
  /// True when the address is a random one (random device or identity).
  bool random_address() const noexcept {
    return address_type == report_address::random_device || address_type == report_address::random_identity;
  }
};

/// Every report of an LE Advertising Report or LE Extended Advertising
/// Report event, in order.
struct le_advertising_reports {
  report_format format = report_format::legacy;
  std::vector<adv_report> reports;
};

/// LE Meta subevent that this codec does not decode.
struct le_meta_other {
  std::uint8_t subevent = 0;
  bytes_view params;  ///< after the subevent code
};
/// Any other event.
struct other_event {
  std::uint8_t code = 0;
  bytes_view params;
};

using event = std::variant<command_complete, command_status, disconnection_complete, le_connection_complete,
                           le_advertising_reports, le_meta_other, other_event>;

/// Decodes one event packet. On error `out` is unspecified.
boost::system::error_code decode_event(bytes_view packet, event& out);

// Per-event decoders over the parameters of an already split packet.
boost::system::error_code decode_command_complete(const event_packet& ev, command_complete& out) noexcept;
boost::system::error_code decode_command_status(const event_packet& ev, command_status& out) noexcept;
boost::system::error_code decode_disconnection_complete(const event_packet& ev,
                                                        disconnection_complete& out) noexcept;
/// Splits an LE Meta event into subevent code and the parameters after it.
boost::system::error_code decode_le_meta(const event_packet& ev, std::uint8_t& subevent,
                                         bytes_view& params) noexcept;
/// `params` follow the subevent code. Subevent 0x01 or 0x0a is told by `enhanced`.
boost::system::error_code decode_le_connection_complete(bytes_view params, bool enhanced,
                                                        le_connection_complete& out) noexcept;
/// LE Advertising Report (§7.7.65.2), `params` after the subevent code. Every
/// report is decoded. Arrayed parameters are ordered element by element
/// (Vol 4 Part E §5.2: A[0], B[0], A[1], B[1]...), so each report is
/// Event_Type, Address_Type, Address, Data_Length, Data, RSSI, and the next
/// report follows its RSSI. On error `out` holds the reports before the
/// malformed one.
boost::system::error_code decode_advertising_reports(bytes_view params, std::vector<adv_report>& out);
/// LE Extended Advertising Report (§7.7.65.13), `params` after the subevent
/// code: 24 fixed bytes + Data per report. Errors as above.
boost::system::error_code decode_extended_advertising_reports(bytes_view params, std::vector<adv_report>& out);

// ------------------------------------------------------- return parameters --

/// Supported_Commands of Read Local Supported Commands (§7.4.2; the bit
/// table is §6.27).
struct supported_commands {
  std::array<std::uint8_t, 64> octets{};
  bool has(std::size_t octet, unsigned bit) const noexcept {
    return octet < octets.size() && bit < 8 && (octets[octet] >> bit) & 1u;
  }
  /// Octet 26 bits 2-3: LE Set Scan Parameters / LE Set Scan Enable.
  bool legacy_scan() const noexcept { return has(26, 2) && has(26, 3); }
  /// Octet 37 bits 5-6: LE Set Extended Scan Parameters / Enable.
  bool extended_scan() const noexcept { return has(37, 5) && has(37, 6); }
};
/// Status + 64 octets. A non-zero status is returned as a status_category error.
boost::system::error_code decode_read_local_supported_commands(const command_complete& cc,
                                                               supported_commands& out) noexcept;

/// LE_Features of LE Read Local Supported Features (§7.8.3; bits in Vol 6
/// Part B §4.6).
struct le_features {
  std::array<std::uint8_t, 8> octets{};
  bool has(unsigned bit) const noexcept { return bit < 64 && (octets[bit / 8] >> (bit % 8)) & 1u; }
  bool extended_advertising() const noexcept { return has(12); }  ///< LE Extended Advertising
  bool coded_phy() const noexcept { return has(11); }             ///< LE Coded PHY
};
boost::system::error_code decode_le_read_local_supported_features(const command_complete& cc,
                                                                  le_features& out) noexcept;

/// The Status of a Command Complete: empty on success, a status_category
/// error for a controller error, truncated_parameters when it has none.
boost::system::error_code command_complete_status(const command_complete& cc) noexcept;

}  // namespace bandwire::hci
