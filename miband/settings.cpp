#include "miband/settings.hpp"

#include <cstdio>

#include "miband/error.hpp"
#include "miband/heart_rate.hpp"
#include "miband/reply.hpp"

namespace bandwire::miband {

namespace {

constexpr std::uint8_t cmd_alarm = 0x02;
constexpr std::uint8_t cmd_setting = 0x06;
constexpr std::uint8_t cmd_inactivity = 0x08;
constexpr std::uint8_t cmd_dnd = 0x09;
constexpr std::uint8_t cmd_display_items = 0x0a;

// 0008 masks (§12, HMK SettingService): which fields a user-settings frame sets.
constexpr std::uint16_t mask_user_info = 0x004f;  // birth | gender | height | weight | user id
constexpr std::uint16_t mask_goal = 0x0010;
constexpr std::uint16_t mask_wear = 0x0020;

constexpr std::uint8_t dnd_scheduled = 0x81, dnd_off = 0x82, dnd_automatic = 0x83;
constexpr std::uint8_t dnd_no_lift = 0x80;  // cleared: a wrist lift lights the screen during DND

constexpr std::uint8_t alarm_enabled = 0x80, alarm_no_snooze = 0x40;
constexpr std::uint8_t alarm_once = 0x80;

bool valid_time(std::uint8_t h, std::uint8_t m) { return h <= 23 && m <= 59; }

void put_time(frame& f, clock_time t) {
  f.push_back(t.hour);
  f.push_back(t.minute);
}

constexpr const char* day_names[] = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};

}  // namespace

void band_settings::merge(const band_settings& n) {
  auto take = [](auto& mine, const auto& theirs) {
    if (theirs) mine = theirs;
  };
  take(user, n.user);
  take(step_goal, n.step_goal);
  take(goal_notification, n.goal_notification);
  take(wear, n.wear);
  take(time_format, n.time_format);
  take(distance_unit, n.distance_unit);
  take(date_display, n.date_display);
  take(display_items, n.display_items);
  take(raise_to_wake, n.raise_to_wake);
  take(rotate_to_switch, n.rotate_to_switch);
  take(dnd, n.dnd);
  take(inactivity, n.inactivity);
  take(discoverable, n.discoverable);
  take(disconnect, n.disconnect);
  take(hr_interval_minutes, n.hr_interval_minutes);
  take(sleep_assistance, n.sleep_assistance);
}

// ---- text forms ----

std::optional<std::uint8_t> parse_alarm_days(std::string_view text) {
  if (text == "once") return std::uint8_t{0};
  if (text == "daily") return alarm_day::every_day;
  if (text == "weekdays") return alarm_day::weekdays;
  if (text == "weekend") return alarm_day::weekend;
  std::uint8_t mask = 0;
  while (!text.empty()) {
    const auto comma = text.find(',');
    const auto name = text.substr(0, comma);
    std::uint8_t bit = 0;
    for (std::size_t i = 0; i < 7; ++i)
      if (name == day_names[i]) bit = static_cast<std::uint8_t>(1u << i);
    if (!bit || (mask & bit)) return std::nullopt;  // unknown or repeated day
    mask |= bit;
    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 1);
    if (text.empty()) return std::nullopt;  // trailing comma
  }
  if (!mask) return std::nullopt;
  return mask;
}

std::string format_alarm_days(std::uint8_t days) {
  days &= alarm_day::every_day;
  if (days == 0) return "once";
  if (days == alarm_day::every_day) return "daily";
  if (days == alarm_day::weekdays) return "weekdays";
  if (days == alarm_day::weekend) return "weekend";
  std::string s;
  for (std::size_t i = 0; i < 7; ++i) {
    if (!(days & (1u << i))) continue;
    if (!s.empty()) s += ',';
    s += day_names[i];
  }
  return s;
}

std::optional<clock_time> parse_clock_time(std::string_view t) {
  auto digit = [](char c) { return c >= '0' && c <= '9'; };
  if (t.size() != 5 || t[2] != ':' || !digit(t[0]) || !digit(t[1]) || !digit(t[3]) || !digit(t[4]))
    return std::nullopt;
  const int h = (t[0] - '0') * 10 + (t[1] - '0');
  const int m = (t[3] - '0') * 10 + (t[4] - '0');
  if (h > 23 || m > 59) return std::nullopt;
  return clock_time{static_cast<std::uint8_t>(h), static_cast<std::uint8_t>(m)};
}

std::string format_clock_time(clock_time t) {
  char b[8];
  std::snprintf(b, sizeof b, "%02u:%02u", unsigned(t.hour % 100), unsigned(t.minute % 100));
  return b;
}

// ---- frames ----

frame encode_user_info(const user_info& u) {
  frame f{static_cast<std::uint8_t>(mask_user_info), static_cast<std::uint8_t>(mask_user_info >> 8), 0x00};
  std::uint8_t b[13];
  put_le16(b, u.birth_year);
  b[2] = u.birth_month;
  b[3] = u.birth_day;
  b[4] = static_cast<std::uint8_t>(u.gender);
  put_le16(b + 5, u.height_cm);
  put_le16(b + 7, u.weight_5g);
  put_le32(b + 9, u.user_id);
  f.append(b);
  return f;
}

frame encode_step_goal(std::uint16_t steps) {
  // u16 steps then two zero bytes (equivalently a u32, §12).
  return frame{static_cast<std::uint8_t>(mask_goal), 0x00, 0x00, static_cast<std::uint8_t>(steps),
               static_cast<std::uint8_t>(steps >> 8), 0x00, 0x00};
}

frame encode_wear_location(const wear_location& w) {
  const auto b = static_cast<std::uint8_t>(static_cast<std::uint8_t>(w.place) | (w.right ? 0x80 : 0x00));
  return frame{static_cast<std::uint8_t>(mask_wear), 0x00, 0x00, b};
}

frame encode_setting(setting_id id, std::uint8_t value) {
  const auto v = static_cast<std::uint16_t>(id);
  return frame{cmd_setting, static_cast<std::uint8_t>(v), static_cast<std::uint8_t>(v >> 8), value};
}

frame encode_disconnect_notification(const disconnect_notification& d) {
  frame f = encode_setting(setting_id::disconnect_notification, d.enabled ? 1 : 0);
  const time_window w = d.enabled && d.window ? *d.window : time_window{};
  put_time(f, w.start);
  put_time(f, w.end);
  return f;
}

frame encode_display_items(std::uint8_t mask) {
  return frame{cmd_display_items, static_cast<std::uint8_t>((mask & display_item::all) | display_item::clock),
               0x00, 0x00, 0x01, 0x02, 0x03, 0x04, 0x05};
}

frame encode_do_not_disturb(const do_not_disturb& d) {
  std::uint8_t mode = d.mode == dnd_mode::off ? dnd_off : d.mode == dnd_mode::automatic ? dnd_automatic : dnd_scheduled;
  if (d.lift_wakes && d.mode != dnd_mode::off) mode &= static_cast<std::uint8_t>(~dnd_no_lift);
  frame f{cmd_dnd, mode};
  if (d.mode == dnd_mode::scheduled) {
    put_time(f, d.window.start);
    put_time(f, d.window.end);
  }
  return f;
}

frame encode_inactivity(const inactivity_warnings& i) {
  frame f{cmd_inactivity, static_cast<std::uint8_t>(i.enabled ? 1 : 0), i.threshold_minutes, 0x00};
  for (std::size_t k = 0; k < 2; ++k) {
    const time_window w = k < i.windows.size() ? i.windows[k] : time_window{};
    put_time(f, w.start);
    put_time(f, w.end);
  }
  return f;
}

frame encode_alarm(const band_alarm& a) {
  std::uint8_t flags = a.slot & 0x0f;
  if (a.enabled) flags |= alarm_enabled;
  if (!a.snooze) flags |= alarm_no_snooze;
  const std::uint8_t days = (a.days & alarm_day::every_day) ? (a.days & alarm_day::every_day) : alarm_once;
  return frame{cmd_alarm, flags, a.time.hour, a.time.minute, days};
}

frame encode_alarm_clear(std::uint8_t slot) { return frame{cmd_alarm, static_cast<std::uint8_t>(slot & 0x0f), 0, 0, 0}; }

// ---- the plan ----

namespace {

struct planner {
  std::vector<setting_write> out;
  void add(std::string key, setting_channel ch, frame f, band_settings carries) {
    out.push_back(setting_write{std::move(key), ch, f, std::move(carries)});
  }
  template <class T>
  void flag(const std::optional<T>& v, std::optional<T> band_settings::*member, const char* key, setting_id id,
            std::uint8_t value) {
    if (!v) return;
    band_settings c;
    c.*member = v;
    add(key, setting_channel::config, encode_setting(id, value), c);
  }
};

}  // namespace

std::vector<setting_write> plan_writes(const band_settings& s, display_items_layout layout) {
  planner p;
  band_settings c;
  using ch = setting_channel;
  if (s.step_goal) {
    c = {}, c.step_goal = s.step_goal;
    p.add("goal.steps", ch::user_settings, encode_step_goal(*s.step_goal), c);
  }
  if (s.sleep_assistance) {
    c = {}, c.sleep_assistance = s.sleep_assistance;
    p.add("heart_rate.sleep_assistance", ch::heart_rate, make_hr_mode(hr_mode::sleep, *s.sleep_assistance), c);
  }
  if (s.hr_interval_minutes) {
    c = {}, c.hr_interval_minutes = s.hr_interval_minutes;
    p.add("heart_rate.interval_minutes", ch::heart_rate, make_hr_periodic(*s.hr_interval_minutes), c);
  }
  if (s.wear) {
    c = {}, c.wear = s.wear;
    p.add("wear", ch::user_settings, encode_wear_location(*s.wear), c);
  }
  p.flag(s.discoverable, &band_settings::discoverable, "connection.discoverable", setting_id::discoverable,
         s.discoverable.value_or(false) ? 1 : 0);
  if (s.user) {
    c = {}, c.user = s.user;
    p.add("user", ch::user_settings, encode_user_info(*s.user), c);
  }
  if (frame f; s.display_items && !encode_display_items(layout, *s.display_items, f)) {
    // What the band holds: a Mi Band 2's mask has no order, so its order is the band's.
    c = {}, c.display_items = s.display_items;
    decode_display_items(layout, f.bytes(), *c.display_items);
    p.add("display.items", ch::config, f, c);
  }
  if (s.inactivity) {
    c = {}, c.inactivity = s.inactivity;
    p.add("inactivity", ch::config, encode_inactivity(*s.inactivity), c);
  }
  if (s.dnd) {
    c = {}, c.dnd = s.dnd;
    p.add("do_not_disturb", ch::config, encode_do_not_disturb(*s.dnd), c);
  }
  p.flag(s.distance_unit, &band_settings::distance_unit, "display.distance_unit", setting_id::distance_unit,
         static_cast<std::uint8_t>(s.distance_unit.value_or(distance_unit::metric)));
  p.flag(s.time_format, &band_settings::time_format, "display.time_format", setting_id::time_format,
         static_cast<std::uint8_t>(s.time_format.value_or(time_format::h24)));
  p.flag(s.date_display, &band_settings::date_display, "display.date", setting_id::date_display,
         static_cast<std::uint8_t>(s.date_display.value_or(date_display::time)));
  p.flag(s.raise_to_wake, &band_settings::raise_to_wake, "display.raise_to_wake", setting_id::raise_to_wake,
         s.raise_to_wake.value_or(false) ? 1 : 0);
  p.flag(s.goal_notification, &band_settings::goal_notification, "goal.notification", setting_id::goal_notification,
         s.goal_notification.value_or(false) ? 1 : 0);
  p.flag(s.rotate_to_switch, &band_settings::rotate_to_switch, "display.rotate_to_switch",
         setting_id::rotate_to_switch, s.rotate_to_switch.value_or(false) ? 1 : 0);
  if (s.disconnect) {
    c = {}, c.disconnect = s.disconnect;
    p.add("connection.disconnect_notification", ch::config, encode_disconnect_notification(*s.disconnect), c);
  }
  return std::move(p.out);
}

setting_write plan_alarm(const band_alarm& a) {
  return setting_write{"alarm " + std::to_string(a.slot), setting_channel::config, encode_alarm(a), {}};
}

setting_write plan_alarm_clear(std::uint8_t slot) {
  return setting_write{"alarm " + std::to_string(slot), setting_channel::config, encode_alarm_clear(slot), {}};
}

// ---- replies ----

std::string hex_bytes(bytes_view b) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string s;
  for (std::uint8_t x : b) {
    if (!s.empty()) s += ' ';
    s += digits[x >> 4];
    s += digits[x & 0x0f];
  }
  return s;
}

boost::system::error_code match_config_reply(bytes_view sent, bytes_view in) noexcept {
  reply r;
  if (auto ec = decode_reply(in, r)) return ec;
  if (sent.empty()) return errc::unexpected_reply;
  if (sent[0] == cmd_setting) {
    if (sent.size() < 3) return errc::unexpected_reply;
    return check_setting_reply(r, static_cast<std::uint16_t>(sent[1] | (sent[2] << 8)));
  }
  if (auto ec = check_reply(r, sent[0])) return ec;
  // `10 <cmd> 01` and nothing more for the commands bandwire sends (Appendix A).
  if (!r.payload.empty()) return errc::malformed_reply;
  return {};
}

// ---- the band's side ----

boost::system::error_code decode_user_settings(bytes_view in, user_settings_write& out) noexcept {
  if (in.size() < 3 || in[2] != 0x00) return errc::malformed_value;  // user index 0 (§12)
  const std::uint16_t mask = get_le16(in.data());
  user_settings_write w;
  if (mask == mask_user_info && in.size() == 16) {
    user_info u;
    u.birth_year = get_le16(&in[3]);
    u.birth_month = in[5];
    u.birth_day = in[6];
    if (in[7] > 2) return errc::malformed_value;
    u.gender = static_cast<gender>(in[7]);
    u.height_cm = get_le16(&in[8]);
    u.weight_5g = get_le16(&in[10]);
    u.user_id = get_le32(&in[12]);
    if (u.birth_month < 1 || u.birth_month > 12 || u.birth_day < 1 || u.birth_day > 31) return errc::malformed_value;
    w.user = u;
  } else if (mask == mask_goal && in.size() == 7) {
    if (in[5] != 0 || in[6] != 0) return errc::malformed_value;  // over 65535 steps: not a goal bandwire sends
    w.step_goal = get_le16(&in[3]);
  } else if (mask == mask_wear && in.size() == 4) {
    const std::uint8_t place = in[3] & 0x7f;
    if (place == 6 || place > 7) return errc::malformed_value;  // HMK lists 0-5 and 7
    w.wear = wear_location{static_cast<wear_place>(place), (in[3] & 0x80) != 0};
  } else {
    return errc::malformed_value;
  }
  out = w;
  return {};
}

boost::system::error_code decode_alarm(bytes_view in, alarm_write& out) noexcept {
  if (in.size() != 5 || in[0] != cmd_alarm) return errc::malformed_value;
  const std::uint8_t slot = in[1] & 0x0f;
  if (slot >= alarm_slots || (in[1] & 0x30) || !valid_time(in[2], in[3])) return errc::malformed_value;
  alarm_write w;
  w.slot = slot;
  const std::uint8_t days = in[4];
  if (days != 0) {
    if ((days & alarm_once) && days != alarm_once) return errc::malformed_value;  // once and days together
    band_alarm a;
    a.slot = slot;
    a.time = {in[2], in[3]};
    a.days = days == alarm_once ? 0 : days;
    a.enabled = (in[1] & alarm_enabled) != 0;
    a.snooze = (in[1] & alarm_no_snooze) == 0;
    w.value = a;
  }
  out = w;
  return {};
}

namespace {

boost::system::error_code decode_06(bytes_view in, band_settings& s) noexcept {
  if (in.size() < 4) return errc::malformed_value;
  const std::uint16_t id = get_le16(&in[1]);
  const std::uint8_t v = in[3];
  auto onoff = [&](std::optional<bool>& field) -> boost::system::error_code {
    if (in.size() != 4 || v > 1) return errc::malformed_value;
    field = v == 1;
    return {};
  };
  switch (static_cast<setting_id>(id)) {
    case setting_id::discoverable: return onoff(s.discoverable);
    case setting_id::raise_to_wake:
      // MB3+ add a schedule `06 05 00 01 sh sm eh em` (§13.2); the MB2 takes the 4-byte form.
      return onoff(s.raise_to_wake);
    case setting_id::goal_notification: return onoff(s.goal_notification);
    case setting_id::rotate_to_switch: return onoff(s.rotate_to_switch);
    case setting_id::time_format:
      if (in.size() != 4 || v > 1) return errc::malformed_value;
      s.time_format = static_cast<time_format>(v);
      return {};
    case setting_id::distance_unit:
      if (in.size() != 4 || v > 1) return errc::malformed_value;
      s.distance_unit = static_cast<distance_unit>(v);
      return {};
    case setting_id::date_display:
      if (in.size() != 4 || (v != 0 && v != 3)) return errc::malformed_value;
      s.date_display = static_cast<date_display>(v);
      return {};
    case setting_id::disconnect_notification: {
      if (in.size() != 8 || v > 1 || !valid_time(in[4], in[5]) || !valid_time(in[6], in[7])) return errc::malformed_value;
      disconnect_notification d;
      d.enabled = v == 1;
      const time_window w{{in[4], in[5]}, {in[6], in[7]}};
      if (d.enabled && w != time_window{}) d.window = w;
      s.disconnect = d;
      return {};
    }
  }
  return errc::invalid_argument;
}

boost::system::error_code decode_dnd(bytes_view in, band_settings& s) noexcept {
  if (in.size() < 2) return errc::malformed_value;
  do_not_disturb d;
  const std::uint8_t mode = in[1] | dnd_no_lift;
  d.lift_wakes = (in[1] & dnd_no_lift) == 0;
  if (mode == dnd_off && in.size() == 2 && !d.lift_wakes) {
    d.mode = dnd_mode::off;
  } else if (mode == dnd_automatic && in.size() == 2) {
    d.mode = dnd_mode::automatic;
  } else if (mode == dnd_scheduled && in.size() == 6 && valid_time(in[2], in[3]) && valid_time(in[4], in[5])) {
    d.mode = dnd_mode::scheduled;
    d.window = {{in[2], in[3]}, {in[4], in[5]}};
  } else {
    return errc::malformed_value;
  }
  s.dnd = d;
  return {};
}

boost::system::error_code decode_inactivity(bytes_view in, band_settings& s) noexcept {
  if (in.size() != 12 || in[1] > 1 || in[3] != 0) return errc::malformed_value;
  inactivity_warnings i;
  i.enabled = in[1] == 1;
  i.threshold_minutes = in[2];
  i.windows.clear();
  for (std::size_t k = 0; k < 2; ++k) {
    const std::uint8_t* p = &in[4 + 4 * k];
    if (!valid_time(p[0], p[1]) || !valid_time(p[2], p[3])) return errc::malformed_value;
    const time_window w{{p[0], p[1]}, {p[2], p[3]}};
    // An all-zero second window is "none" (CAP-A's frame).
    if (k == 0 || w != time_window{}) i.windows.push_back(w);
  }
  s.inactivity = i;
  return {};
}

}  // namespace

boost::system::error_code decode_config_setting(bytes_view in, band_settings& out,
                                                display_items_layout layout) noexcept {
  if (in.empty()) return errc::malformed_value;
  band_settings s;
  boost::system::error_code ec;
  switch (in[0]) {
    case cmd_setting: ec = decode_06(in, s); break;
    case cmd_dnd: ec = decode_dnd(in, s); break;
    case cmd_inactivity: ec = decode_inactivity(in, s); break;
    case cmd_display_items: {
      screen_list items;
      ec = decode_display_items(layout, in, items);
      s.display_items = std::move(items);
      break;
    }
    default: return errc::malformed_value;
  }
  if (ec) return ec;
  out = s;
  return {};
}

}  // namespace bandwire::miband
