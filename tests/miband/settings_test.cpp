// The settings and alarm codec byte for byte against the fact sheet: the
// CAP-A frames of §12, §13, §20.3, §20.6 and Appendix A, the reply matcher
// of §13.1, and the decoders the virtual band uses.
#include "miband/settings.hpp"

#include <doctest/doctest.h>

#include "miband/error.hpp"
#include "miband/uuids.hpp"
#include "miband/virtual_settings.hpp"
#include "tests/miband/hex.hpp"

using namespace bandwire;
using namespace bandwire::miband;
using miband_test::compact;
using miband_test::hex_of;
using miband_test::hx;

namespace {

// The settings Mi Fit wrote in CAP-A (Appendix A), as band_settings.
band_settings cap_a_settings() {
  band_settings s;
  s.step_goal = 8000;
  s.sleep_assistance = false;
  s.hr_interval_minutes = 0;
  s.wear = wear_location{wear_place::wrist, true};
  s.discoverable = false;
  s.user = user_info{1986, 1, 1, gender::male, 183, 18800, 1628424087};
  s.display_items = screen_list{screen::steps, screen::heart_rate, screen::battery};
  s.inactivity = inactivity_warnings{true, 60, {{{11, 0}, {21, 0}}}};
  s.dnd = do_not_disturb{dnd_mode::scheduled, {{0, 0}, {10, 0}}, false};
  s.distance_unit = distance_unit::metric;
  s.time_format = time_format::h12;
  s.date_display = date_display::date_time;
  s.raise_to_wake = true;
  s.goal_notification = false;
  s.rotate_to_switch = false;
  return s;
}

}  // namespace

TEST_CASE("settings: user settings frames are CAP-A's (fact sheet 12, 20.3)") {
  // 1986-01-01, male, 183 cm, 18800/200 = 94 kg, id 1628424087.
  CHECK(hex_of(encode_user_info(user_info{1986, 1, 1, gender::male, 183, 18800, 1628424087})) ==
        compact("4f 00 00 c2 07 01 01 00 b7 00 70 49 97 c7 0f 61"));
  CHECK(hex_of(encode_step_goal(8000)) == compact("10 00 00 40 1f 00 00"));
  CHECK(hex_of(encode_wear_location({wear_place::wrist, true})) == compact("20 00 00 82"));
  CHECK(hex_of(encode_wear_location({wear_place::wrist, false})) == compact("20 00 00 02"));  // GB-HS left wrist
  CHECK(hex_of(encode_wear_location({wear_place::foot, true})) == compact("20 00 00 87"));
  CHECK(hex_of(encode_step_goal(65535)) == compact("10 00 00 ff ff 00 00"));
}

TEST_CASE("settings: configuration frames are CAP-A's (fact sheet 13, Appendix A)") {
  CHECK(hex_of(encode_setting(setting_id::discoverable, 0)) == compact("06 01 00 00"));
  CHECK(hex_of(encode_setting(setting_id::time_format, 0)) == compact("06 02 00 00"));
  CHECK(hex_of(encode_setting(setting_id::distance_unit, 0)) == compact("06 03 00 00"));
  CHECK(hex_of(encode_setting(setting_id::raise_to_wake, 1)) == compact("06 05 00 01"));
  CHECK(hex_of(encode_setting(setting_id::goal_notification, 0)) == compact("06 06 00 00"));
  CHECK(hex_of(encode_setting(setting_id::date_display, 3)) == compact("06 0a 00 03"));
  CHECK(hex_of(encode_setting(setting_id::rotate_to_switch, 0)) == compact("06 0d 00 00"));
  CHECK(hex_of(encode_display_items(0x33)) == compact("0a 33 00 00 01 02 03 04 05"));
  CHECK(hex_of(encode_display_items(0x00)) == compact("0a 01 00 00 01 02 03 04 05"));  // the clock always
  CHECK(hex_of(encode_inactivity({true, 60, {{{11, 0}, {21, 0}}}})) ==
        compact("08 01 3c 00 0b 00 15 00 00 00 00 00"));
  CHECK(hex_of(encode_inactivity({false, 45, {{{8, 0}, {12, 30}}, {{13, 30}, {20, 0}}}})) ==
        compact("08 00 2d 00 08 00 0c 1e 0d 1e 14 00"));
  CHECK(hex_of(encode_do_not_disturb({dnd_mode::scheduled, {{0, 0}, {10, 0}}, false})) == compact("09 81 00 00 0a 00"));
  CHECK(hex_of(encode_do_not_disturb({dnd_mode::scheduled, {{22, 30}, {7, 0}}, true})) == compact("09 01 16 1e 07 00"));
  CHECK(hex_of(encode_do_not_disturb({dnd_mode::off, {}, false})) == compact("09 82"));
  CHECK(hex_of(encode_do_not_disturb({dnd_mode::off, {}, true})) == compact("09 82"));  // no lift bit when off
  CHECK(hex_of(encode_do_not_disturb({dnd_mode::automatic, {}, false})) == compact("09 83"));
  CHECK(hex_of(encode_do_not_disturb({dnd_mode::automatic, {}, true})) == compact("09 03"));
  CHECK(hex_of(encode_disconnect_notification({false, std::nullopt})) == compact("06 0c 00 00 00 00 00 00"));
  CHECK(hex_of(encode_disconnect_notification({true, std::nullopt})) == compact("06 0c 00 01 00 00 00 00"));
  CHECK(hex_of(encode_disconnect_notification({true, time_window{{8, 0}, {22, 15}}})) ==
        compact("06 0c 00 01 08 00 16 0f"));
}

TEST_CASE("settings: alarm frames are CAP-A's (fact sheet 13.3)") {
  // Mi Fit's slots in CAP-A: all disabled, all with 0x40 (snooze disabled).
  CHECK(hex_of(encode_alarm({0, {7, 0}, 0, false, false})) == compact("02 40 07 00 80"));  // once
  CHECK(hex_of(encode_alarm({1, {9, 23}, alarm_day::monday | alarm_day::wednesday | alarm_day::friday, false, false})) ==
        compact("02 41 09 17 15"));
  CHECK(hex_of(encode_alarm({2, {11, 40}, alarm_day::every_day, false, false})) == compact("02 42 0b 28 7f"));
  CHECK(hex_of(encode_alarm({9, {6, 30}, alarm_day::weekdays, true, true})) == compact("02 89 06 1e 1f"));
  CHECK(hex_of(encode_alarm({3, {6, 30}, alarm_day::weekend, true, false})) == compact("02 c3 06 1e 60"));
  CHECK(hex_of(encode_alarm_clear(4)) == compact("02 04 00 00 00"));
}

TEST_CASE("settings: the plan for CAP-A's settings is Mi Fit's writes, in Mi Fit's order (Appendix A)") {
  const auto plan = plan_writes(cap_a_settings());
  struct expected {
    setting_channel ch;
    const char* key;
    const char* hex;
  };
  using ch = setting_channel;
  // Appendix A, t = 7.53 .. 15.15 s, without the alarms and the `06 07` / `06 10` writes bandwire does not make.
  const expected want[] = {
      {ch::user_settings, "goal.steps", "10 00 00 40 1f 00 00"},
      {ch::heart_rate, "heart_rate.sleep_assistance", "15 00 00"},
      {ch::heart_rate, "heart_rate.interval_minutes", "14 00"},
      {ch::user_settings, "wear", "20 00 00 82"},
      {ch::config, "connection.discoverable", "06 01 00 00"},
      {ch::user_settings, "user", "4f 00 00 c2 07 01 01 00 b7 00 70 49 97 c7 0f 61"},
      {ch::config, "display.items", "0a 33 00 00 01 02 03 04 05"},
      {ch::config, "inactivity", "08 01 3c 00 0b 00 15 00 00 00 00 00"},
      {ch::config, "do_not_disturb", "09 81 00 00 0a 00"},
      {ch::config, "display.distance_unit", "06 03 00 00"},
      {ch::config, "display.time_format", "06 02 00 00"},
      {ch::config, "display.date", "06 0a 00 03"},
      {ch::config, "display.raise_to_wake", "06 05 00 01"},
      {ch::config, "goal.notification", "06 06 00 00"},
      {ch::config, "display.rotate_to_switch", "06 0d 00 00"},
  };
  REQUIRE(plan.size() == std::size(want));
  band_settings carried;
  for (std::size_t i = 0; i < plan.size(); ++i) {
    CAPTURE(i);
    CHECK(plan[i].channel == want[i].ch);
    CHECK(plan[i].key == want[i].key);
    CHECK(hex_of(plan[i].value) == compact(want[i].hex));
    CHECK_FALSE(plan[i].carries.empty());
    carried.merge(plan[i].carries);
  }
  CHECK(carried == cap_a_settings());  // every write carries its own part, together the whole
  CHECK(plan_writes(band_settings{}).empty());
}

TEST_CASE("settings: 0003 replies are matched to the command sent (fact sheet 13.1, 20.6)") {
  auto match = [](const char* sent, const char* reply) { return match_config_reply(hx(sent), hx(reply)); };
  CHECK_FALSE(match("06 0a 00 03", "10 06 0a 00 01"));
  CHECK_FALSE(match("0a 33 00 00 01 02 03 04 05", "10 0a 01"));
  CHECK_FALSE(match("02 41 09 17 15", "10 02 01"));
  CHECK_FALSE(match("08 01 3c 00 0b 00 15 00 00 00 00 00", "10 08 01"));
  CHECK_FALSE(match("09 81 00 00 0a 00", "10 09 01"));
  CHECK_FALSE(match("06 06 00 00", "10 06 06 00 01"));  // goal notification's success, id 06
  // The language a Mi Band 2 does not support: the short form (CAP-A).
  CHECK(match("06 17 00 65 6e 5f 55 53", "10 06 06") == errc::command_failed);
  CHECK(match("06 06 00 00", "10 06 06") == errc::command_failed);  // not a success for id 06 either
  CHECK(match("06 0a 00 03", "10 06 0a 00 04") == errc::command_failed);
  CHECK(match("06 0a 00 03", "10 06 02 00 01") == errc::unexpected_reply);  // another setting's reply
  CHECK(match("02 41 09 17 15", "10 02 04") == errc::command_failed);
  CHECK(match("02 41 09 17 15", "10 08 01") == errc::unexpected_reply);
  CHECK(match("09 82", "10 09 01 00") == errc::malformed_reply);  // trailing bytes
  CHECK(match("09 82", "11 09 01") == errc::malformed_reply);
  CHECK(match("09 82", "10 09") == errc::malformed_reply);
  CHECK(match("09 82", "") == errc::malformed_reply);
}

TEST_CASE("settings: alarm days and clock times in text") {
  CHECK(parse_alarm_days("once") == std::uint8_t{0});
  CHECK(parse_alarm_days("daily") == alarm_day::every_day);
  CHECK(parse_alarm_days("weekdays") == alarm_day::weekdays);
  CHECK(parse_alarm_days("weekend") == alarm_day::weekend);
  CHECK(parse_alarm_days("mon,wed,fri") == std::uint8_t{0x15});
  CHECK(parse_alarm_days("sun") == std::uint8_t{0x40});
  for (const char* bad : {"", "mon,", ",mon", "mon,mon", "monday", "Mon", "mon wed", "weekends"}) {
    CAPTURE(bad);
    CHECK_FALSE(parse_alarm_days(bad).has_value());
  }
  CHECK(format_alarm_days(0x15) == "mon,wed,fri");
  CHECK(format_alarm_days(0x00) == "once");
  CHECK(format_alarm_days(0x7f) == "daily");
  CHECK(format_alarm_days(0x1f) == "weekdays");
  CHECK(format_alarm_days(0x60) == "weekend");
  CHECK(format_alarm_days(0x41) == "mon,sun");
  for (unsigned d = 0; d < 0x80; ++d) CHECK(parse_alarm_days(format_alarm_days(static_cast<std::uint8_t>(d))) == d);
  CHECK(parse_clock_time("07:05") == clock_time{7, 5});
  CHECK(parse_clock_time("23:59") == clock_time{23, 59});
  for (const char* bad : {"24:00", "7:05", "07:60", "07-05", "07:05:00", "", "ab:cd"}) CHECK_FALSE(parse_clock_time(bad));
  CHECK(format_clock_time({7, 5}) == "07:05");
  CHECK(hex_bytes(hx("06 17 00")) == "06 17 00");
}

TEST_CASE("settings: the band's decoders invert the encoders and refuse what does not fit") {
  user_settings_write u;
  REQUIRE_FALSE(decode_user_settings(hx("4f 00 00 c2 07 01 01 00 b7 00 70 49 97 c7 0f 61"), u));
  CHECK(u.user == user_info{1986, 1, 1, gender::male, 183, 18800, 1628424087});
  REQUIRE_FALSE(decode_user_settings(hx("10 00 00 40 1f 00 00"), u));
  CHECK(u.step_goal == std::uint16_t{8000});
  CHECK_FALSE(u.user);
  REQUIRE_FALSE(decode_user_settings(hx("20 00 00 82"), u));
  CHECK(u.wear == wear_location{wear_place::wrist, true});
  for (const char* bad : {"", "20 00", "20 00 00", "20 00 00 06", "20 00 01 82", "10 00 00 40 1f 01 00",
                          "4f 00 00 c2 07 0d 01 00 b7 00 70 49 97 c7 0f 61", "4f 00 00 c2 07 01 01 03 b7 00 70 49 97 c7 0f 61",
                          "4f 00 00 c2 07 01 01 00 b7 00 70 49 97 c7 0f", "08 00 00 01"}) {
    CAPTURE(bad);
    CHECK(decode_user_settings(hx(bad), u) == errc::malformed_value);
  }

  alarm_write a;
  REQUIRE_FALSE(decode_alarm(hx("02 41 09 17 15"), a));
  CHECK(a.slot == 1);
  CHECK(a.value == band_alarm{1, {9, 23}, 0x15, false, false});
  REQUIRE_FALSE(decode_alarm(hx("02 40 07 00 80"), a));
  CHECK(a.value == band_alarm{0, {7, 0}, 0, false, false});
  REQUIRE_FALSE(decode_alarm(hx("02 43 14 26 00"), a));
  CHECK(a.slot == 3);
  CHECK_FALSE(a.value.has_value());  // day mask 00: unused
  for (const char* bad : {"02 4a 07 00 80", "02 40 18 00 80", "02 40 07 3c 80", "02 40 07 00 81", "02 40 07 00",
                          "02 50 07 00 80", "03 40 07 00 80"}) {
    CAPTURE(bad);
    CHECK(decode_alarm(hx(bad), a) == errc::malformed_value);
  }
  for (unsigned slot = 0; slot < alarm_slots; ++slot) {
    const band_alarm al{static_cast<std::uint8_t>(slot), {static_cast<std::uint8_t>(slot * 2), 59},
                   static_cast<std::uint8_t>(slot * 11), slot % 2 == 0, slot % 3 == 0};
    REQUIRE_FALSE(decode_alarm(encode_alarm(al).bytes(), a));
    CHECK(a.value == al);
  }

  // Every 0003 setting of the plan decodes back to what it carries.
  band_settings s = [] {
    band_settings x;
    x.display_items = screen_list{screen::steps, screen::distance, screen::calories, screen::heart_rate, screen::battery};
    x.dnd = do_not_disturb{dnd_mode::automatic, {{22, 0}, {7, 0}}, true};
    x.inactivity = inactivity_warnings{true, 90, {{{8, 0}, {12, 0}}, {{13, 0}, {19, 45}}}};
    x.time_format = time_format::h24;
    x.distance_unit = distance_unit::imperial;
    x.date_display = date_display::time;
    x.raise_to_wake = false;
    x.rotate_to_switch = true;
    x.goal_notification = true;
    x.discoverable = true;
    x.disconnect = disconnect_notification{true, time_window{{9, 0}, {17, 0}}};
    return x;
  }();
  for (const auto& w : plan_writes(s)) {
    CAPTURE(w.key);
    band_settings back;
    REQUIRE_FALSE(decode_config_setting(w.value.bytes(), back));
    band_settings want = w.carries;
    if (want.dnd && want.dnd->mode != dnd_mode::scheduled) back.dnd->window = want.dnd->window;  // not on the wire
    CHECK(back == want);
  }
  band_settings out;
  CHECK(decode_config_setting(hx("06 17 00 65 6e"), out) == errc::invalid_argument);  // an id this codec does not know
  for (const char* bad : {"", "06 02 00", "06 02 00 02", "06 02 00 01 00", "06 0a 00 01", "06 0c 00 01 18 00 00 00",
                          "09 81 00 00 0a", "09 82 00", "09 02", "09 84", "08 01 3c 00 0b 00 15 00 00 00 00",
                          "08 02 3c 00 0b 00 15 00 00 00 00 00", "0a 33 00 00 01 02 03 04", "0a 32 00 00 01 02 03 04 05",
                          "0a 73 00 00 01 02 03 04 05", "02 41 09 17 15"}) {
    CAPTURE(bad);
    CHECK(decode_config_setting(hx(bad), out) == errc::malformed_value);
  }
  CHECK(out.empty());  // a refused frame changes nothing
}

// ---- the Mi Band 3's display items (fact sheet §18) and what a family can take ----

TEST_CASE("settings: display items are encoded in the band's layout: the Mi Band 2's mask, the Mi Band 3's order "
          "(fact sheet 13.3, 18)") {
  using L = display_items_layout;
  frame f;
  // Mi Band 2: CAP-A's frame; a mask has no order.
  REQUIRE_FALSE(encode_display_items(L::mi_band_2, {screen::steps, screen::heart_rate, screen::battery}, f));
  CHECK(hex_of(f) == compact("0a 33 00 00 01 02 03 04 05"));
  REQUIRE_FALSE(encode_display_items(L::mi_band_2, {screen::battery, screen::heart_rate, screen::steps}, f));
  CHECK(hex_of(f) == compact("0a 33 00 00 01 02 03 04 05"));
  REQUIRE_FALSE(encode_display_items(L::mi_band_2, {}, f));
  CHECK(hex_of(f) == compact("0a 01 00 00 01 02 03 04 05"));
  // Mi Band 3: `0a mask_lo mask_hi 00 p1..p8`; mask bit N = id N shown (notifications 1, weather 2,
  // activity 3, more 4, status 5, heart_rate 6, timer 7, nfc 8); the shown ones first, in order.
  REQUIRE_FALSE(encode_display_items(L::mi_band_3, {screen::notifications, screen::heart_rate, screen::weather}, f));
  CHECK(hex_of(f) == compact("0a 47 00 00 01 03 04 05 06 02 07 08"));
  REQUIRE_FALSE(encode_display_items(L::mi_band_3,
                                     {screen::notifications, screen::weather, screen::activity, screen::more,
                                      screen::status, screen::heart_rate, screen::timer, screen::nfc},
                                     f));
  CHECK(hex_of(f) == compact("0a ff 01 00 01 02 03 04 05 06 07 08"));
  REQUIRE_FALSE(encode_display_items(L::mi_band_3, {screen::nfc, screen::status}, f));
  CHECK(hex_of(f) == compact("0a 21 01 00 03 04 05 06 02 07 08 01"));
  REQUIRE_FALSE(encode_display_items(L::mi_band_3, {}, f));
  CHECK(hex_of(f) == compact("0a 01 00 00 01 02 03 04 05 06 07 08"));
  // A screen the layout has no id for, twice the same screen, a layout bandwire does not encode.
  CHECK(encode_display_items(L::mi_band_3, {screen::steps}, f) == errc::invalid_argument);
  CHECK(encode_display_items(L::mi_band_2, {screen::weather}, f) == errc::invalid_argument);
  CHECK(encode_display_items(L::mi_band_3, {screen::timer, screen::timer}, f) == errc::invalid_argument);
  CHECK(encode_display_items(L::amazfit_bip, {}, f) == errc::invalid_argument);
  CHECK(encode_display_items(L::none, {}, f) == errc::invalid_argument);

  CHECK(layout_of({screen::steps, screen::heart_rate}) == L::mi_band_2);
  CHECK(layout_of({screen::heart_rate}) == L::mi_band_2);  // both have it: the Mi Band 2's
  CHECK(layout_of({screen::nfc, screen::heart_rate}) == L::mi_band_3);
  CHECK_FALSE(layout_of({screen::steps, screen::weather}));
  CHECK(screens_of(L::mi_band_3) == screen_list{screen::notifications, screen::weather, screen::activity, screen::more,
                                                screen::status, screen::heart_rate, screen::timer, screen::nfc});
  CHECK(screens_of(L::mi_band_2) ==
        screen_list{screen::steps, screen::distance, screen::calories, screen::heart_rate, screen::battery});
}

TEST_CASE("settings: each layout decodes only its own display-items frame") {
  using L = display_items_layout;
  screen_list s;
  REQUIRE_FALSE(decode_display_items(L::mi_band_3, hx("0a 47 00 00 01 03 04 05 06 02 07 08"), s));
  CHECK(s == screen_list{screen::notifications, screen::heart_rate, screen::weather});
  REQUIRE_FALSE(decode_display_items(L::mi_band_3, hx("0a 21 01 00 03 04 05 06 02 07 08 01"), s));
  CHECK(s == screen_list{screen::nfc, screen::status});
  REQUIRE_FALSE(decode_display_items(L::mi_band_2, hx("0a 33 00 00 01 02 03 04 05"), s));
  CHECK(s == screen_list{screen::steps, screen::heart_rate, screen::battery});
  // The other family's frame, and frames that are no permutation or hide the clock.
  CHECK(decode_display_items(L::mi_band_3, hx("0a 13 00 00 01 02 03 04 05"), s) == errc::malformed_value);
  CHECK(decode_display_items(L::mi_band_2, hx("0a 47 00 00 01 03 04 05 06 02 07 08"), s) == errc::malformed_value);
  for (const char* bad : {"0a 46 00 00 01 03 04 05 06 02 07 08",   // no clock bit
                          "0a 01 02 00 01 02 03 04 05 06 07 08",   // bit 9: no such id
                          "0a 03 00 00 02 01 03 04 05 06 07 08",   // a hidden screen before the shown one
                          "0a 03 00 00 01 01 03 04 05 06 07 08",   // position 1 twice
                          "0a 03 00 00 01 02 03 04 05 06 07 09",   // position 9
                          "0a 03 00 01 01 02 03 04 05 06 07 08",   // the clock not at 0
                          "0a 03 00 00 01 02 03 04 05 06 07",      // short
                          "0b 03 00 00 01 02 03 04 05 06 07 08"}) {
    CAPTURE(bad);
    CHECK(decode_display_items(L::mi_band_3, hx(bad), s) == errc::malformed_value);
  }
  band_settings b;
  REQUIRE_FALSE(decode_config_setting(hx("0a 47 00 00 01 03 04 05 06 02 07 08"), b, L::mi_band_3));
  CHECK(b.display_items == screen_list{screen::notifications, screen::heart_rate, screen::weather});
  CHECK(decode_config_setting(hx("0a 47 00 00 01 03 04 05 06 02 07 08"), b) == errc::malformed_value);
}

TEST_CASE("settings: the plan encodes display items for the band's layout and carries what the band holds") {
  band_settings s;
  s.display_items = screen_list{screen::battery, screen::steps};
  auto p = plan_writes(s);  // a Mi Band 2 by default
  REQUIRE(p.size() == 1);
  CHECK(hex_of(p[0].value) == compact("0a 23 00 00 01 02 03 04 05"));
  CHECK(p[0].carries.display_items == screen_list{screen::steps, screen::battery});  // the band's order
  s.display_items = screen_list{screen::timer, screen::heart_rate};
  p = plan_writes(s, display_items_layout::mi_band_3);
  REQUIRE(p.size() == 1);
  CHECK(p[0].key == "display.items");
  CHECK(hex_of(p[0].value) == compact("0a c1 00 00 03 04 05 06 07 02 01 08"));
  CHECK(p[0].carries.display_items == s.display_items);
  CHECK(plan_writes(s, display_items_layout::mi_band_2).empty());  // timer: no Mi Band 2 id (check_support says so)
}

TEST_CASE("settings: check_support names the key, what is missing and the family, before anything is written") {
  device_capabilities mb3;
  mb3.family = device_family::mi_band_3;
  mb3.miband_auth = mb3.miband_service = mb3.heart_rate = mb3.heart_rate_control = true;
  mb3.display_items = display_items_layout::mi_band_3;
  band_settings s;
  s.step_goal = 9000;
  s.hr_interval_minutes = 10;
  s.display_items = screen_list{screen::steps, screen::heart_rate, screen::battery};
  auto u = check_support(s, mb3);
  REQUIRE(u.size() == 2);
  CHECK(u[0].key == "display.items");
  CHECK(u[0].ec == errc::invalid_argument);
  CHECK(u[0].message == "the Mi Band 3 has no \"steps\" screen (its screens after the clock: notifications, weather, "
                        "activity, more, status, heart_rate, timer, nfc; fact sheet §18)");
  CHECK(u[1].message.find("\"battery\"") != std::string::npos);
  s.display_items = screen_list{screen::heart_rate, screen::nfc};
  CHECK(check_support(s, mb3).empty());

  device_capabilities mb2 = mb3;
  mb2.family = device_family::mi_band_2;
  mb2.display_items = display_items_layout::mi_band_2;
  u = check_support(s, mb2);
  REQUIRE(u.size() == 1);
  CHECK(u[0].message.find("the Mi Band 2 has no \"nfc\" screen (its screens after the clock: steps, distance, "
                          "calories, heart_rate, battery; fact sheet §13.3)") == 0);

  // A Mi Band HRX has no 180D: the heart-rate settings are refused, the rest is fine.
  device_capabilities hrx = mb2;
  hrx.family = device_family::mi_band_hrx;
  hrx.heart_rate = hrx.heart_rate_control = false;
  s.display_items = screen_list{screen::heart_rate};
  s.sleep_assistance = true;
  u = check_support(s, hrx);
  REQUIRE(u.size() == 2);
  CHECK(u[0].key == "heart_rate.sleep_assistance");
  CHECK(u[1].key == "heart_rate.interval_minutes");
  CHECK(u[1].ec == errc::heart_rate_service_missing);
  CHECK(u[1].message == "needs the Heart Rate Control Point 2A39 (fact sheet §5.2), but the device has no Heart Rate "
                        "service (0x180D) (this device is a Mi Band HRX)");

  // A strap has no FEE0: every key is refused, naming the Mi Band service; alarms too.
  device_capabilities strap;
  strap.family = device_family::heart_rate_sensor;
  strap.heart_rate = strap.heart_rate_control = true;
  u = check_support(s, strap);
  REQUIRE(u.size() == 4);
  // 2A39 is there, but `14 NN` is a Mi Band command: never on a strap's control point.
  CHECK(u[1].key == "heart_rate.sleep_assistance");
  CHECK(u[1].ec == errc::miband_service_missing);
  CHECK(u[0].key == "goal.steps");
  CHECK(u[0].ec == errc::miband_service_missing);
  CHECK(u[0].message.find("0008 of FEE0") != std::string::npos);
  CHECK(u[0].message.find("(this device is a heart-rate sensor)") != std::string::npos);
  CHECK(u[3].key == "display.items");
  CHECK(u[3].ec == errc::miband_service_missing);
  u = check_support(std::vector<setting_write>{plan_alarm({2, {6, 45}, alarm_day::weekdays})}, strap);
  REQUIRE(u.size() == 1);
  CHECK(u[0].key == "alarm 2");
  CHECK(u[0].message.find("the configuration characteristic 0003 of FEE0") != std::string::npos);
  CHECK(characteristic_of(setting_channel::heart_rate) == uuids::heart_rate_control_point());
}

TEST_CASE("settings: a virtual Mi Band 3 takes its own display-items frame and refuses the Mi Band 2's") {
  virtual_settings mb3({}, display_items_layout::mi_band_3);
  CHECK(hex_of(mb3.on_config(hx("0a 13 00 00 01 02 03 04 05"))) == compact("10 0a 04"));
  CHECK_FALSE(mb3.settings().display_items);
  CHECK(mb3.log().back() ==
        "0003 0a 13 00 00 01 02 03 04 05 -> 10 0a 04: refused: not a display-items command of a Mi Band 3 / Mi Band 4");
  CHECK(hex_of(mb3.on_config(hx("0a 47 00 00 01 03 04 05 06 02 07 08"))) == compact("10 0a 01"));
  CHECK(mb3.settings().display_items == screen_list{screen::notifications, screen::heart_rate, screen::weather});
  CHECK(mb3.log().back() == "0003 0a 47 00 00 01 03 04 05 06 02 07 08 -> 10 0a 01: display.items = [\"clock\", "
                            "\"notifications\", \"heart_rate\", \"weather\"]");
  // Alarms are the Mi Band 2's (§13.3, GB's shared HuamiSupport).
  CHECK(hex_of(mb3.on_config(hx("02 82 06 2d 1f"))) == compact("10 02 01"));
  CHECK(mb3.alarms()[2].has_value());

  virtual_settings mb2;
  CHECK(hex_of(mb2.on_config(hx("0a 47 00 00 01 03 04 05 06 02 07 08"))) == compact("10 0a 04"));
  CHECK(hex_of(mb2.on_config(hx("0a 13 00 00 01 02 03 04 05"))) == compact("10 0a 01"));
  CHECK(mb2.settings().display_items == screen_list{screen::steps, screen::heart_rate});
}
