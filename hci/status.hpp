// Controller error codes (Core 5.4 Vol 1 Part F §1.3), the Status parameter
// of Command Complete, Command Status, LE Connection Complete and
// Disconnection Complete, and the Reason of Disconnection Complete. They get
// their own category ("bandwire.hci.status") so a controller's answer is never
// confused with a local failure (hci::errc) or an errno: ec.value() is the
// code the controller sent.
#pragma once

#include <cstdint>

#include <boost/system/error_code.hpp>

namespace bandwire::hci {

/// A few controller codes the host reacts to by name (Vol 1 Part F §1.3).
enum class status : std::uint8_t {
  success = 0x00,
  unknown_command = 0x01,            ///< the controller does not know the opcode
  unknown_connection_id = 0x02,
  hardware_failure = 0x03,
  authentication_failure = 0x05,
  pin_or_key_missing = 0x06,
  memory_capacity_exceeded = 0x07,
  connection_timeout = 0x08,
  command_disallowed = 0x0c,         ///< e.g. Set Scan Parameters while scanning (Vol 4 Part E §7.8.10)
  unsupported_feature = 0x11,
  invalid_parameters = 0x12,
  remote_user_terminated = 0x13,
  local_host_terminated = 0x16,
  unsupported_remote_feature = 0x1a,
  unspecified_error = 0x1f,
  controller_busy = 0x3a,
  unacceptable_connection_parameters = 0x3b,
  mic_failure = 0x3d,
  connection_failed_to_be_established = 0x3e,
};

/// Category "bandwire.hci.status"; message() names every code of Core 5.4.
const boost::system::error_category& status_category() noexcept;

inline boost::system::error_code make_error_code(status s) noexcept {
  return {static_cast<int>(s), status_category()};
}
/// A raw status octet as an error_code; 0x00 (success) gives an empty one.
inline boost::system::error_code status_error(std::uint8_t code) noexcept {
  if (code == 0) return {};
  return {static_cast<int>(code), status_category()};
}

}  // namespace bandwire::hci

namespace boost::system {
template <> struct is_error_code_enum<bandwire::hci::status> : std::true_type {};
}  // namespace boost::system
