// Error codes of the ATT layer, in two categories that are never mixed:
//
//  * att::error — the peer's ATT Error Response code (Core 5.4 Vol 3 Part F
//    §3.4.1.1, Table 3.4). ec.value() is the code on the wire.
//  * att::errc — local conditions of the bearer and codec (timeout, closed,
//    malformed PDU from the peer...). These never carry an ATT code.
#pragma once

#include <cstdint>
#include <string>
#include <type_traits>

#include <boost/system/error_code.hpp>

namespace bandwire::att {

/// Peer ATT error codes (Core 5.4 Vol 3 Part F Table 3.4, Vol 3 Part G for
/// 0xFC..0xFF common profile errors).
enum class error : std::uint8_t {
  invalid_handle = 0x01,
  read_not_permitted = 0x02,
  write_not_permitted = 0x03,
  invalid_pdu = 0x04,
  insufficient_authentication = 0x05,
  request_not_supported = 0x06,
  invalid_offset = 0x07,
  insufficient_authorization = 0x08,
  prepare_queue_full = 0x09,
  attribute_not_found = 0x0a,
  attribute_not_long = 0x0b,
  encryption_key_size_too_short = 0x0c,
  invalid_attribute_value_length = 0x0d,
  unlikely_error = 0x0e,
  insufficient_encryption = 0x0f,
  unsupported_group_type = 0x10,
  insufficient_resources = 0x11,
  database_out_of_sync = 0x12,
  value_not_allowed = 0x13,
  write_request_rejected = 0xfc,
  cccd_improperly_configured = 0xfd,
  procedure_already_in_progress = 0xfe,
  out_of_range = 0xff,
};

/// Local failures of the ATT layer.
enum class errc {
  timeout = 1,            ///< no response within 30 s (Vol 3 Part F §3.3.3); bearer closed
  closed,                 ///< the bearer is closed (disconnect, earlier fatal error, or close())
  malformed_pdu,          ///< the peer sent a PDU that does not decode
  unexpected_pdu,         ///< a response/confirmation with nothing pending; bearer closed
  mismatched_response,    ///< a response whose opcode does not answer the pending request
  value_too_long,         ///< a local value that cannot fit the negotiated ATT_MTU
  invalid_argument,       ///< bad local input (e.g. empty handle list)
  security_failed,        ///< raising the link's security level failed
  reliable_write_mismatch,///< a Prepare Write Response did not echo the request
  cancelled,              ///< operation cancelled locally
};

const boost::system::error_category& error_category() noexcept;
const boost::system::error_category& errc_category() noexcept;

inline boost::system::error_code make_error_code(error e) noexcept {
  return {static_cast<int>(e), error_category()};
}
inline boost::system::error_code make_error_code(errc e) noexcept {
  return {static_cast<int>(e), errc_category()};
}
/// A peer error code from the wire, kept in the peer category.
inline boost::system::error_code make_peer_error(std::uint8_t code) noexcept {
  return {code, error_category()};
}
/// True when ec is an ATT error response from the peer.
inline bool is_peer_error(const boost::system::error_code& ec) noexcept {
  return &ec.category() == &error_category();
}
/// "Invalid Handle" etc., or "Reserved"/"Application Error" for other codes.
const char* error_name(std::uint8_t code) noexcept;
/// "0x01 Invalid Handle": the form the CLI prints.
std::string describe_peer_error(std::uint8_t code);

}  // namespace bandwire::att

namespace boost::system {
template <> struct is_error_code_enum<bandwire::att::error> : std::true_type {};
template <> struct is_error_code_enum<bandwire::att::errc> : std::true_type {};
}  // namespace boost::system
