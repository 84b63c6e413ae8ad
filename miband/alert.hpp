// Alerts: Immediate Alert 2A06 (vibration, find device) and Alert
// Notification New Alert 2A46 (icon + text) (fact sheet §11).
#pragma once

#include <chrono>
#include <cstdint>
#include <string_view>
#include <vector>

#include <boost/system/error_code.hpp>

#include "common/bytes.hpp"
#include "miband/error.hpp"
#include "miband/frame.hpp"

namespace bandwire::miband {

// ---- Immediate Alert 1802 / 2A06, Write Command (§11.1) ----

enum class alert_level : std::uint8_t {
  none = 0x00,          ///< stop any alert
  message = 0x01,       ///< icon + vibration (GB-HS ALERT_LEVEL_MESSAGE)
  phone_call = 0x02,    ///< vibrates until `00` is written
  vibrate_only = 0x03,  ///< vibration only, even in DND; what "find device" sends (GB-SUP)
};

constexpr frame make_alert(alert_level level) { return frame{static_cast<std::uint8_t>(level)}; }
/// Find the band: vibrate-only alert `03` (GB-SUP sendFindDeviceCommand,
/// HMK deviceShock). Stop it with make_alert(alert_level::none).
inline constexpr frame find_device{0x03};

/// `ff on_lo on_hi off_lo off_hi count`: vibrate on_ms, pause off_ms, repeat
/// `count` times (GB-N2 Mi2NotificationStrategy). Its effect on a real MB2 is
/// unverified (§11.1, §22.12).
frame make_custom_vibration(std::uint16_t on_ms, std::uint16_t off_ms, std::uint8_t count);

/// A 2A06 write as the band sees it.
struct alert_request {
  std::uint8_t level = 0;  ///< 0x00..0x03 (alert_level), 0xfe "focus message" [?] (CR), or 0xff custom
  std::uint16_t on_ms = 0, off_ms = 0;  ///< 0xff only
  std::uint8_t count = 0;               ///< 0xff only
};
/// For the virtual band: one byte, or 6 bytes starting with 0xff.
/// errc::malformed_value otherwise.
boost::system::error_code decode_alert_request(bytes_view in, alert_request& out) noexcept;

// ---- Alert Notification 1811 / New Alert 2A46, Write Request (§11.2) ----

/// Categories (GB-ANP AlertCategory; Bluetooth Alert Notification Service).
enum class alert_category : std::uint8_t {
  simple = 0x00,
  email = 0x01,
  news = 0x02,
  incoming_call = 0x03,
  missed_call = 0x04,
  sms = 0x05,
  voicemail = 0x06,
  schedule = 0x07,
  high_priority = 0x08,
  instant_message = 0x09,
  huami_icon = 0xfa,  ///< Huami extension: an icon byte follows the count
  custom = 0xff,
};

/// Some icon ids for alert_category::huami_icon (GB-ANP HuamiIcon).
namespace huami_icon {
inline constexpr std::uint8_t wechat = 0, qq = 1, facebook = 3, twitter = 4, snapchat = 6, whatsapp = 7,
                              alarm_clock = 10, instagram = 12, calendar = 21, messenger = 22, viber = 23,
                              line = 24, telegram = 25, kakaotalk = 26, skype = 27, vk = 28, pokemon_go = 29,
                              hangouts = 30, email = 34, weather = 35, heart_rate_warning = 36;
}

/// `category count [icon] text…`
struct new_alert {
  alert_category category = alert_category::sms;
  std::uint8_t count = 1;
  std::uint8_t icon = 0;   ///< sent only with alert_category::huami_icon
  std::string_view text;   ///< UTF-8; decode_new_alert() makes it a view into its input
};

/// One New Alert write. Text that does not fit in 20 bytes is cut at a
/// UTF-8 character boundary (MB2 shows at most 18 bytes of text per write,
/// GB-N2 "Mi2-ism"); `consumed`, if given, receives the number of text
/// bytes that went in. Only SMS and incoming call show text on MB2, and text
/// needs fw ≥ 1.0.1.28 with fonts installed (§11.2).
frame encode_new_alert(const new_alert& a, std::size_t* consumed = nullptr);

/// The whole text as writes with the same header, each cut at a character
/// boundary (GB's MAKE_MULTIPLE overflow strategy, §11.2). Always at least
/// one frame. On a Mi Band 2 each write is an alert of its own (it vibrates
/// again and replaces the text shown), so the parts are separate alerts:
/// send them new_alert_spacing apart, never back to back.
std::vector<frame> encode_new_alert_parts(const new_alert& a);

/// The gap between two alerts: GB waits ≥ 4 s after a notification before
/// the next (GB-N2, fact sheet §11.1).
inline constexpr std::chrono::milliseconds new_alert_spacing{4000};

/// Whether a Mi Band 2 shows the text of a New Alert of this category: only
/// SMS and incoming call do (GB-N2, §11.2 [S]); the others show an icon only.
constexpr bool miband2_shows_text(alert_category c) noexcept {
  return c == alert_category::sms || c == alert_category::incoming_call;
}

/// Stop a ringing incoming-call alert: `03 00` to 2A46 (GB-N2, GB-ANP).
inline constexpr frame new_alert_stop_call{0x03, 0x00};

/// For the virtual band. errc::malformed_value below 2 bytes, or for
/// huami_icon without its icon byte. The text views `in`.
boost::system::error_code decode_new_alert(bytes_view in, new_alert& out) noexcept;

}  // namespace bandwire::miband
