// Local error codes of the HCI layer (category "bandwire.hci"): failures to
// read or write btsnoop captures, and bad arguments to the HCI framing
// helpers. Controller status codes (Core 5.4 Vol 1 Part F) will get their own
// category; they are never mixed with these local conditions.
#pragma once

#include <type_traits>

#include <boost/system/error_code.hpp>

namespace bandwire::hci {

/// Local failures of the hci/ module.
enum class errc {
  not_btsnoop = 1,        ///< the file does not start with the btsnoop identification pattern
  truncated_header,       ///< fewer than 16 bytes: the file header is incomplete
  unsupported_version,    ///< a btsnoop version other than 1
  unsupported_datalink,   ///< a datalink other than 1002 (H4) or 2001 (Linux monitor)
  truncated_record,       ///< a record header or its included data runs past the end of the file
  invalid_record_length,  ///< included length larger than original length
  invalid_argument,       ///< bad local input (connection handle > 0x0EFF, ACL MTU of 0...)
  pdu_too_long,           ///< a PDU longer than an L2CAP basic frame can carry (65,535 bytes)
  // HCI packets, advertising data and mgmt packets (hci_codec, adv_data, mgmt):
  truncated_packet,       ///< shorter than its header, or than the parameter length it announces
  trailing_bytes,         ///< bytes after the end the packet's parameter length announces
  truncated_parameters,   ///< an event's fields (or one of its reports) run past its parameters
  invalid_field,          ///< a field holds a value the specification does not allow
  unexpected_event,       ///< not the event (or subevent) the decoder was asked to decode
  ad_truncated,           ///< an AD structure's length runs past the end of the data
  ad_invalid_field,       ///< a known AD type whose length its format does not allow
  command_timeout,        ///< no Command Complete/Status (or mgmt reply) within the timeout
};

const boost::system::error_category& errc_category() noexcept;

inline boost::system::error_code make_error_code(errc e) noexcept {
  return {static_cast<int>(e), errc_category()};
}

}  // namespace bandwire::hci

namespace boost::system {
template <> struct is_error_code_enum<bandwire::hci::errc> : std::true_type {};
}  // namespace boost::system
