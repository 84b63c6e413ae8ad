// The Mi Band 2's settings and alarms as values, and their exact frames
// (the display items also in the Mi Band 3 / 4 layout of fact sheet §18,
// chosen from the band's capabilities):
// user settings on FEE0 0008 (Write Request, fact sheet §12), configuration
// commands on FEE0 0003 (Write Command answered by a notification, §13), and
// the heart-rate settings on 2A39 (§5.2). Pure and synchronous: encoders,
// the decoders a virtual band needs, and the matcher for 0003's replies.
//
// A band_settings holds only what was set: every field is optional, so the
// same value is a parsed settings file (miband/settings_file.hpp), what
// bandwire last applied (miband/settings_store.hpp) and what a virtual band
// holds (miband/virtual_settings.hpp).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/system/error_code.hpp>

#include "common/bytes.hpp"
#include "miband/capabilities.hpp"
#include "miband/frame.hpp"

namespace bandwire::miband {

/// A time of day as the band takes it: one byte of hours, one of minutes.
struct clock_time {
  std::uint8_t hour = 0;    ///< 0..23
  std::uint8_t minute = 0;  ///< 0..59
  bool operator==(const clock_time&) const = default;
};

/// A window of the day, `start` to `end`; it may wrap past midnight.
struct time_window {
  clock_time start, end;
  bool operator==(const time_window&) const = default;
};

// ---- user settings, 0008 (fact sheet §12) ----

enum class gender : std::uint8_t { male = 0, female = 1, other = 2 };

/// The user-info frame, mask 0x004F: birth date, gender, height, weight and
/// user id always together (GB-SUP setUserInfo; CAP-A's only form).
struct user_info {
  std::uint16_t birth_year = 1990;
  std::uint8_t birth_month = 1;  ///< 1..12
  std::uint8_t birth_day = 1;    ///< 1..31
  miband::gender gender = gender::male;
  std::uint16_t height_cm = 170;
  std::uint16_t weight_5g = 14000;  ///< weight in units of 5 g, i.e. kg × 200 (§12, §22.14)
  std::uint32_t user_id = 0;        ///< Mi Fit sends the account id, Gadgetbridge a hash of the alias
  bool operator==(const user_info&) const = default;
};

/// Where the band is worn: the low 7 bits of the wear byte (HMK's list, §12).
enum class wear_place : std::uint8_t { other = 0, chest = 1, wrist = 2, finger = 3, hand = 4, ear_lobe = 5, foot = 7 };

struct wear_location {
  wear_place place = wear_place::wrist;
  bool right = false;  ///< bit 7 of the wear byte
  bool operator==(const wear_location&) const = default;
};

// ---- configuration, 0003 (fact sheet §13) ----

enum class time_format : std::uint8_t { h12 = 0, h24 = 1 };          ///< `06 02 00 0v`
enum class distance_unit : std::uint8_t { metric = 0, imperial = 1 }; ///< `06 03 00 0v`
enum class date_display : std::uint8_t { time = 0, date_time = 3 };  ///< clock screen, `06 0a 00 0v`

/// The screens a band can show after its clock (the clock is always shown
/// first and is not listed): the Mi Band 2's (§13.3) and the Mi Band 3's
/// (also the Mi Band 4's, §18). heart_rate is the only screen both have.
enum class screen : std::uint8_t {
  // Mi Band 2 (§13.3)
  steps, distance, calories, heart_rate, battery,
  // Mi Band 3 / 4 (§18, GB-SUP setDisplayItemsOld, GB-SIB MiBand3Support keyPosMap)
  notifications, weather, activity, more, status, timer, nfc,
};
/// Screens in the order the band shows them after the clock.
using screen_list = std::vector<screen>;

/// "steps", "heart_rate", "nfc", …: the settings file's names.
const char* to_string(screen s) noexcept;
std::optional<screen> parse_screen(std::string_view name) noexcept;
/// Every screen name, "steps, distance, …, nfc", for messages.
std::string screen_names();
/// The screens a display-items layout has, in id order (empty for none and
/// the Amazfit Bip's, which bandwire does not encode).
screen_list screens_of(display_items_layout l);
/// The layout whose screens include all of `s` (heart_rate alone fits both:
/// the Mi Band 2's then); nullopt when `s` mixes screens of different bands.
std::optional<display_items_layout> layout_of(const screen_list& s);
/// "Mi Band 2", "Mi Band 3 / Mi Band 4", …: who uses a layout, for messages.
const char* describe(display_items_layout l) noexcept;

/// Screens of the Mi Band 2's `0a` command (§13.3): one bit each; the clock is always shown.
namespace display_item {
inline constexpr std::uint8_t clock = 0x01;
inline constexpr std::uint8_t steps = 0x02;
inline constexpr std::uint8_t distance = 0x04;
inline constexpr std::uint8_t calories = 0x08;
inline constexpr std::uint8_t heart_rate = 0x10;
inline constexpr std::uint8_t battery = 0x20;
inline constexpr std::uint8_t all = 0x3f;
}  // namespace display_item

enum class dnd_mode : std::uint8_t { off, scheduled, automatic };

/// Do not disturb (§13.3 `09`): `09 82` off, `09 83` automatic, `09 81 sh
/// sm eh em` scheduled; bit 0x80 cleared lets a wrist lift light the screen
/// during DND (scheduled and automatic only).
struct do_not_disturb {
  dnd_mode mode = dnd_mode::off;
  time_window window{{22, 0}, {7, 0}};  ///< scheduled only
  bool lift_wakes = false;
  bool operator==(const do_not_disturb&) const = default;
};

/// Inactivity ("idle") warnings (§13.3 `08`): a threshold and one or two
/// windows of the day when they may fire (the second one lets a client cut
/// out a gap, e.g. lunch).
struct inactivity_warnings {
  bool enabled = false;
  std::uint8_t threshold_minutes = 60;
  std::vector<time_window> windows{{{11, 0}, {21, 0}}};  ///< 1 or 2; CAP-A's default 11:00-21:00
  bool operator==(const inactivity_warnings&) const = default;
};

/// Vibrate when the phone link is lost (§13.2 `06 0c`), optionally only
/// within a window of the day.
struct disconnect_notification {
  bool enabled = false;
  std::optional<time_window> window;
  bool operator==(const disconnect_notification&) const = default;
};

/// Ids of the `06` family this codec writes (§13.2).
enum class setting_id : std::uint16_t {
  discoverable = 0x0001,            ///< keep advertising while connected
  time_format = 0x0002,
  distance_unit = 0x0003,
  raise_to_wake = 0x0005,
  goal_notification = 0x0006,
  date_display = 0x000a,
  disconnect_notification = 0x000c,
  rotate_to_switch = 0x000d,
};

/// Every setting the Mi Band 2 takes; unset fields are not written.
struct band_settings {
  std::optional<user_info> user;
  std::optional<std::uint16_t> step_goal;
  std::optional<bool> goal_notification;
  std::optional<wear_location> wear;
  std::optional<miband::time_format> time_format;
  std::optional<miband::distance_unit> distance_unit;
  std::optional<miband::date_display> date_display;
  std::optional<screen_list> display_items;  ///< after the clock, in the order shown (§13.3, §18)
  std::optional<bool> raise_to_wake;
  std::optional<bool> rotate_to_switch;
  std::optional<do_not_disturb> dnd;
  std::optional<inactivity_warnings> inactivity;
  std::optional<bool> discoverable;
  std::optional<disconnect_notification> disconnect;
  std::optional<std::uint8_t> hr_interval_minutes;  ///< 2A39 `14 NN`, 0 = off
  std::optional<bool> sleep_assistance;             ///< 2A39 `15 00 0v`

  bool empty() const noexcept { return *this == band_settings{}; }
  /// Takes every field `newer` sets.
  void merge(const band_settings& newer);
  bool operator==(const band_settings&) const = default;
};

// ---- alarms, 0003 `02` (fact sheet §13.3) ----

inline constexpr std::size_t alarm_slots = 10;  ///< GB HuamiCoordinator getAlarmSlotCount; CAP-A wrote 0..9

/// Day mask bits: bit0 Monday ... bit6 Sunday.
namespace alarm_day {
inline constexpr std::uint8_t monday = 0x01, tuesday = 0x02, wednesday = 0x04, thursday = 0x08, friday = 0x10,
                              saturday = 0x20, sunday = 0x40;
inline constexpr std::uint8_t weekdays = 0x1f, weekend = 0x60, every_day = 0x7f;
}  // namespace alarm_day

struct band_alarm {
  std::uint8_t slot = 0;  ///< 0..9
  clock_time time;
  std::uint8_t days = 0;  ///< alarm_day bits; 0 = once (sent as 0x80)
  bool enabled = true;
  bool snooze = true;  ///< false sets 0x40 ("snooze disabled")
  bool operator==(const band_alarm&) const = default;
};

/// What the band holds per slot: empty when unused (or cleared).
using alarm_table = std::array<std::optional<band_alarm>, alarm_slots>;

/// "mon,wed,fri", "weekdays", "weekend", "daily", "once" (and unique
/// prefixes of nothing else) → day mask (0 for once). Empty when invalid.
std::optional<std::uint8_t> parse_alarm_days(std::string_view text);
/// The canonical text of a day mask: "once", "daily", "weekdays", "weekend"
/// or "mon,tue,...".
std::string format_alarm_days(std::uint8_t days);
/// "07:30" → {7, 30}; exactly HH:MM with 00..23 and 00..59.
std::optional<clock_time> parse_clock_time(std::string_view text);
std::string format_clock_time(clock_time t);

// ---- frames ----

/// `4f 00 00 YY YY MM DD G HH HH WW WW U0 U1 U2 U3` (§12, CAP-A vector §20.3).
frame encode_user_info(const user_info& u);
/// `10 00 00 SS SS 00 00` (§12).
frame encode_step_goal(std::uint16_t steps);
/// `20 00 00 LL` (§12).
frame encode_wear_location(const wear_location& w);
/// `06 id_lo id_hi v` (§13.2, the 4-byte form).
frame encode_setting(setting_id id, std::uint8_t value);
/// `06 0c 00 0v 00 00 00 00`, or `06 0c 00 01 sh sm eh em` with a window (§13.2).
frame encode_disconnect_notification(const disconnect_notification& d);
/// `0a MASK 00 00 01 02 03 04 05` (§13.3), the clock bit always set.
frame encode_display_items(std::uint8_t mask);
/// The display-items command for a layout (fact sheet §13.3, §18):
///   mi_band_2  `0a MASK 00 00 01 02 03 04 05`, MASK bits display_item (order
///              is not the Mi Band 2's to choose);
///   mi_band_3  `0a mask_lo mask_hi 00 p1 p2 … p8` (12 bytes): mask bit 0 the
///              clock (always), bit N the screen with Mi Band 3 id N
///              (notifications 1, weather 2, activity 3, more 4, status 5,
///              heart_rate 6, timer 7, nfc 8); pN the position of screen N:
///              the clock 0, the shown screens 1.. in the order listed, then
///              the hidden ones in id order (GB-SUP setDisplayItemsOld).
/// errc::invalid_argument when a screen has no id in `l` (the message names
/// it: check_support), a screen is listed twice, or `l` is none or the Bip's.
boost::system::error_code encode_display_items(display_items_layout l, const screen_list& s, frame& out);
/// The screens a display-items command shows, as encode_display_items
/// writes them for `l`; errc::malformed_value for any other frame (the Mi
/// Band 2's frame on a Mi Band 3 and the reverse included).
boost::system::error_code decode_display_items(display_items_layout l, bytes_view in, screen_list& out) noexcept;
/// `09 82`, `09 83`, `09 81 sh sm eh em`; 0x80 cleared for lift_wakes (§13.3).
frame encode_do_not_disturb(const do_not_disturb& d);
/// `08 EN TH 00 sh sm eh em s2h s2m e2h e2m` (§13.3).
frame encode_inactivity(const inactivity_warnings& i);
/// `02 FL hh mm DD` (§13.3): FL = slot | 0x80 enabled | 0x40 no snooze;
/// DD = day mask, 0x80 once.
frame encode_alarm(const band_alarm& a);
/// `02 0N 00 00 00`: slot N disabled and unused (day mask 00, §13.3).
frame encode_alarm_clear(std::uint8_t slot);

/// Which characteristic a setting goes to, and so how its write completes.
enum class setting_channel : std::uint8_t {
  user_settings,  ///< 0008, Write Request: done on the Write Response (no reply observed, §12)
  config,         ///< 0003, Write Command: done on the band's `10 ...` notification (§13.1)
  heart_rate,     ///< 2A39, Write Request: done on the Write Response (§5.2)
};

/// One write of a settings run.
struct setting_write {
  std::string key;  ///< the settings-file key it comes from, for messages ("display.time_format")
  setting_channel channel = setting_channel::config;
  frame value;
  band_settings carries;  ///< the fields this write sets (merged into the applied state on success)
};

/// The writes for `s`, in Mi Fit's order (fact sheet Appendix A): goal,
/// heart-rate settings, wear location, `06 01`, user info, display items,
/// inactivity, DND, the `06` settings; then the disconnect notification.
/// Display items are encoded for `layout` (the band's, from its
/// capabilities: device_capabilities::display_items) and left out when they
/// do not fit it (check_support says why). For the Mi Band 2 the write
/// carries the screens in the band's order (a mask has none).
std::vector<setting_write> plan_writes(const band_settings& s,
                                       display_items_layout layout = display_items_layout::mi_band_2);

/// A setting a device cannot take.
struct unsupported_setting {
  std::string key;      ///< "display.items", "heart_rate.interval_minutes"
  std::string message;  ///< what is missing, naming the family: "the Mi Band 3 has no \"steps\" screen (…)"
  /// errc::heart_rate_service_missing, errc::miband_service_missing (the
  /// service the key's characteristic lives in is absent) or
  /// errc::invalid_argument (the family has no such screen).
  boost::system::error_code ec;
};
/// Every key of `s` a device with `caps` cannot take, before anything is
/// written (`config apply` is all or nothing): a user or configuration
/// setting without FEE0 (a heart-rate strap), a heart-rate setting without
/// 2A39 (a Mi Band HRX), a display-items screen the family has no id for.
std::vector<unsupported_setting> check_support(const band_settings& s, const device_capabilities& caps);
/// The writes of `w` whose characteristic the device lacks (alarms too).
std::vector<unsupported_setting> check_support(const std::vector<setting_write>& w, const device_capabilities& caps);
/// The characteristic a write of `channel` goes to (0008, 0003 or 2A39).
att::uuid characteristic_of(setting_channel channel);
/// The write for one alarm, or a cleared slot.
setting_write plan_alarm(const band_alarm& a);
setting_write plan_alarm_clear(std::uint8_t slot);

// ---- replies on 0003 (fact sheet §13.1) ----

/// "06 02 00 01": bytes as the fact sheet writes them, for messages and logs.
std::string hex_bytes(bytes_view b);

/// Checks the band's notification against the command sent: `10 <cmd> 01`,
/// or `10 06 id_lo id_hi 01` for the `06` family. errc::malformed_reply when
/// it is not a `10 ...` reply, errc::unexpected_reply for another command or
/// setting id, errc::command_failed for any other status (e.g. `10 06 06`, what
/// a band answers to a setting it does not support, §13.1, §22.13).
boost::system::error_code match_config_reply(bytes_view sent, bytes_view reply) noexcept;

// ---- the band's side (virtual band) ----

/// A decoded 0008 write. errc::malformed_value for an unknown mask, a wrong
/// length or a field out of its range.
struct user_settings_write {
  std::optional<user_info> user;
  std::optional<std::uint16_t> step_goal;
  std::optional<wear_location> wear;
};
boost::system::error_code decode_user_settings(bytes_view in, user_settings_write& out) noexcept;

/// A decoded 0003 alarm write: the slot, and the alarm it now holds (empty
/// for day mask 00, an unused slot). errc::malformed_value for a slot over
/// 9, an hour over 23, a minute over 59 or a length other than 5.
struct alarm_write {
  std::uint8_t slot = 0;
  std::optional<band_alarm> value;
};
boost::system::error_code decode_alarm(bytes_view in, alarm_write& out) noexcept;

/// Decodes one 0003 setting command (`06 ...`, `0a`, `09`, `08`) into the
/// fields it sets; `0a` in the band's `layout` (decode_display_items).
/// errc::malformed_value when it is not one of those, or a length or value
/// does not fit (a value the band could not hold); errc::invalid_argument
/// for a `06` id this codec does not know.
boost::system::error_code decode_config_setting(bytes_view in, band_settings& out,
                                                display_items_layout layout = display_items_layout::mi_band_2) noexcept;

}  // namespace bandwire::miband
