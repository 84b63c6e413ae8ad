#include "miband/event.hpp"

namespace bandwire::miband {

const char* to_string(event_code c) noexcept {
  switch (c) {
    case event_code::fell_asleep: return "fell_asleep";
    case event_code::woke_up: return "woke_up";
    case event_code::step_goal_reached: return "step_goal_reached";
    case event_code::button_pressed: return "button_pressed";
    case event_code::non_wear_started: return "non_wear_started";
    case event_code::call_rejected: return "call_rejected";
    case event_code::find_phone_start: return "find_phone_start";
    case event_code::call_ignored: return "call_ignored";
    case event_code::alarm_toggled: return "alarm_toggled";
    case event_code::button_long_press: return "button_long_press";
    case event_code::tick_30_min: return "tick_30_min";
    case event_code::find_phone_stop: return "find_phone_stop";
    case event_code::silent_mode: return "silent_mode";
    case event_code::workout_start: return "workout_start";
    case event_code::mtu: return "mtu";
    case event_code::alarm_changed: return "alarm_changed";
    case event_code::music_control: return "music_control";
  }
  return nullptr;
}

std::optional<std::uint16_t> device_event::mtu() const noexcept {
  if (code != event_code::mtu || params.size() < 2) return std::nullopt;
  return get_le16(params.data());
}

std::optional<bool> device_event::silent_mode() const noexcept {
  if (code != event_code::silent_mode || params.empty()) return std::nullopt;
  return params[0] != 0;
}

std::optional<std::uint8_t> device_event::music_action() const noexcept {
  if (code != event_code::music_control || params.empty()) return std::nullopt;
  return params[0];
}

boost::system::error_code decode_device_event(bytes_view in, device_event& out) noexcept {
  if (in.empty()) return errc::malformed_value;
  device_event e;
  e.code = static_cast<event_code>(in[0]);
  e.params = in.subspan(1);
  std::size_t need = 0;
  switch (e.code) {
    case event_code::silent_mode:
    case event_code::music_control: need = 1; break;
    case event_code::mtu: need = 2; break;
    default: break;
  }
  if (e.params.size() < need) return errc::malformed_value;
  out = e;
  return {};
}

}  // namespace bandwire::miband
