// Error codes of the Mi Band layer (category "bandwire.miband").
//
// These are local conditions: a reply the band sent that says "no", a reply
// that does not decode, or a step that never got an answer. They never carry
// an ATT error code; an ATT Error Response from the band stays in
// att::error_category() (see att/error.hpp).
#pragma once

#include <type_traits>

#include <boost/system/error_code.hpp>

namespace bandwire::miband {

enum class errc {
  // ---- authentication (fact sheet §4) ----
  key_rejected = 1,      ///< `10 03 xx`, xx != 01: the band did not accept AES(key, random)
  bind_refused,          ///< `10 01 xx`, xx != 01: the band refused the new key
  bind_timed_out,        ///< no answer to `01 ...`: nobody tapped the band to confirm the key
  challenge_refused,     ///< `10 02 xx`, xx != 01: the band would not hand out a random number
  no_answer,             ///< the band did not reply within the step's deadline
  malformed_reply,       ///< a `10 <cmd> <status>` reply that does not decode
  unexpected_auth_step,  ///< a reply to an auth step that was not the one awaited
  bind_not_supported,    ///< binding a key on a band with crypt flags (Mi Band 4 style, §18)
  invalid_key,           ///< key text or bytes are not exactly 16 bytes / 32 hex digits
  // ---- values and commands ----
  malformed_value,       ///< a characteristic value or notification with a bad length or field
  unknown_packet_type,   ///< a raw sensor packet whose type byte is neither 0x01 nor 0x02 (§6.3)
  command_failed,        ///< `10 <cmd> xx`, xx != 01: the band refused a command
  unexpected_reply,      ///< a `10 <cmd> ...` reply for a command other than the one sent
  measurement_failed,    ///< heart rate `00 00`: the band could not measure (§5.1, §22.11)
  invalid_argument,      ///< a local argument or call that is not valid here
  // ---- the session (miband/session.hpp) ----
  no_key,                ///< no key given and none stored for this device: pair first
  key_already_stored,    ///< pair without force while a key is stored
  state_error,           ///< the key store or GATT cache could not be read or written
  transport_failed,      ///< the link could not be opened (details in session::last_message())
  // ---- what the device lacks (miband/capabilities.hpp) ----
  heart_rate_service_missing,  ///< no Heart Rate service 0x180D (e.g. a Mi Band HRX)
  miband_service_missing,      ///< no Mi Band service FEE0 (e.g. a heart-rate strap)
  auth_service_missing,        ///< no Mi Band auth service FEE1 (nothing to pair with)
  raw_sensor_missing,          ///< FEE0 without the raw sensor characteristics 00000001/00000002
  alert_service_missing,       ///< no Immediate Alert 0x1802 / Alert Notification 0x1811
  device_information_missing,  ///< no Device Information service 0x180A
  key_file_exposed,      ///< a key file group or others may access (details in session::last_message())
};

const boost::system::error_category& errc_category() noexcept;

inline boost::system::error_code make_error_code(errc e) noexcept {
  return {static_cast<int>(e), errc_category()};
}

/// One of the errors naming what the device lacks (heart_rate_service_missing
/// … device_information_missing): it stays missing however often the link
/// is made again.
inline bool is_missing_service(const boost::system::error_code& ec) noexcept {
  return ec.category() == errc_category() && ec.value() >= static_cast<int>(errc::heart_rate_service_missing) &&
         ec.value() <= static_cast<int>(errc::device_information_missing);
}
}  // namespace bandwire::miband

namespace boost::system {
template <> struct is_error_code_enum<bandwire::miband::errc> : std::true_type {};
}  // namespace boost::system
