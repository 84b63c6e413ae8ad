// The reply framing the band uses on every control characteristic it
// notifies: auth 0009, raw sensor control 0001, configuration 0003, activity
// fetch 0004 and firmware 1531 all answer `10 <cmd> <status> [payload]`
// (fact sheet §4.1, §6.1, §13.1, §14.1, §16). Status 0x01 is success; 0x04 is
// the documented failure; other non-01 values were seen (`10 06 06` §13.1,
// `10 03 08` in user-needs §3 A3) and are failures too.
#pragma once

#include <cstdint>

#include <boost/system/error_code.hpp>

#include "common/bytes.hpp"
#include "miband/error.hpp"
#include "miband/frame.hpp"

namespace bandwire::miband {

/// First byte of every reply ("response" marker, fact sheet §4.1).
inline constexpr std::uint8_t reply_marker = 0x10;
inline constexpr std::uint8_t status_success = 0x01;  ///< GB-HS AUTH_SUCCESS / every `10 xx 01`
inline constexpr std::uint8_t status_failure = 0x04;  ///< GB-HS AUTH_FAIL

/// `10 <command> <status> [payload]`.
struct reply {
  std::uint8_t command = 0;
  std::uint8_t status = 0;
  bytes_view payload;  ///< bytes after the status; a view into the decoded buffer
  bool ok() const noexcept { return status == status_success; }
};

/// Decodes a reply. errc::malformed_reply when shorter than 3 bytes or when
/// the first byte is not 0x10. The payload views `in`.
boost::system::error_code decode_reply(bytes_view in, reply& out) noexcept;

/// Checks a decoded reply against the command that was sent:
/// errc::unexpected_reply for another command, errc::command_failed for a
/// non-01 status, success otherwise.
boost::system::error_code check_reply(const reply& r, std::uint8_t command) noexcept;

/// The configuration `06` family (fact sheet §13.1) breaks the pattern: it
/// answers `10 06 id_lo id_hi 01`, so decode_reply() sees the setting id's
/// low byte as "status". This checks such a reply: errc::unexpected_reply
/// for another command or setting id, errc::command_failed for a non-01
/// final byte or for the short form `10 06 06` CAP-A got for an unsupported
/// setting.
boost::system::error_code check_setting_reply(const reply& r, std::uint16_t setting_id) noexcept;

/// `10 <command> <status>`, for the virtual band.
constexpr frame make_reply(std::uint8_t command, std::uint8_t status) {
  return frame{reply_marker, command, status};
}

}  // namespace bandwire::miband
