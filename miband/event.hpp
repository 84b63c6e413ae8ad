// Device events, FEE0 characteristic 00000010, notify (fact sheet §15):
// one event code byte, optionally followed by parameters (GB-EVT,
// GB-SUP handleDeviceEvent). Only `04` (button pressed) is confirmed on MB2
// (VS-JS; GB issue #1299); the others are generic Huami codes, kept so a
// sibling band's events decode too.
#pragma once

#include <cstdint>
#include <optional>

#include <boost/system/error_code.hpp>

#include "common/bytes.hpp"
#include "miband/error.hpp"
#include "miband/frame.hpp"

namespace bandwire::miband {

enum class event_code : std::uint8_t {
  fell_asleep = 0x01,
  woke_up = 0x02,
  step_goal_reached = 0x03,
  button_pressed = 0x04,  ///< confirmed on MB2
  non_wear_started = 0x06,
  call_rejected = 0x07,
  find_phone_start = 0x08,
  call_ignored = 0x09,
  alarm_toggled = 0x0a,
  button_long_press = 0x0b,
  tick_30_min = 0x0e,  ///< GB: "unsure"
  find_phone_stop = 0x0f,
  silent_mode = 0x10,    ///< `10 vv`
  workout_start = 0x14,  ///< `14 needs_gps type …`
  mtu = 0x16,            ///< `16 lo hi`: the band announces its MTU (newer devices)
  alarm_changed = 0x1a,
  music_control = 0xfe,  ///< `fe xx` (MB3/MB4/Bip)
};

/// "button_pressed", or nullptr for a code not listed above.
const char* to_string(event_code c) noexcept;

struct device_event {
  event_code code = event_code::button_pressed;  ///< may hold an unlisted value
  bytes_view params;  ///< bytes after the code; a view into the decoded buffer

  /// `16 lo hi` → the MTU.
  std::optional<std::uint16_t> mtu() const noexcept;
  /// `10 vv` → silent mode on (vv != 0).
  std::optional<bool> silent_mode() const noexcept;
  /// `fe xx` → xx: 00 play, 01 pause, 03 next, 04 previous, 05 volume up,
  /// 06 volume down, e0 app opened, e1 app closed.
  std::optional<std::uint8_t> music_action() const noexcept;
};

/// Decodes 00000010. errc::malformed_value when empty, or when a code with
/// required parameters (10, 16, fe) lacks them; unlisted codes decode with
/// their parameters left uninterpreted.
boost::system::error_code decode_device_event(bytes_view in, device_event& out) noexcept;

/// A single-byte event for the virtual band, e.g. make_event(button_pressed).
constexpr frame make_event(event_code c) { return frame{static_cast<std::uint8_t>(c)}; }

}  // namespace bandwire::miband
