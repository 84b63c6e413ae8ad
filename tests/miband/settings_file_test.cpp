// The settings file (TOML): what each key becomes, and every kind of
// mistake reported with its key, its range or allowed values, and its
// place in the file, before anything could be written to a band.
#include "miband/settings_file.hpp"

#include <doctest/doctest.h>

#include <string>

using namespace bandwire::miband;

namespace {

// Every key of README "Settings file", with CAP-A's values where it has them.
const char* full_file = R"(# a headless Pi's band
[user]
birth_date = 1986-01-01
gender = "male"
height_cm = 183
weight_kg = 94
user_id = 1628424087

[goal]
steps = 8000
notification = false

[wear]
location = "wrist"
side = "right"

[display]
items = ["steps", "heart_rate", "battery"]
time_format = "12h"
distance_unit = "metric"
date = "date_time"
raise_to_wake = true
rotate_to_switch = false

[do_not_disturb]
mode = "scheduled"
start = "00:00"
end = 10:00:00
lift_to_wake = false

[inactivity]
enabled = true
threshold_minutes = 60
windows = ["11:00-21:00"]

[connection]
discoverable = false
disconnect_notification = true
disconnect_window = "08:00-22:30"

[heart_rate]
interval_minutes = 0
sleep_assistance = false
)";

std::vector<settings_problem> parse(const std::string& text, band_settings& s) { return parse_settings_file(text, s); }

// The single problem `text` has, as format_problem prints it without a file name.
std::string only_problem(const std::string& text) {
  band_settings s;
  const auto p = parse(text, s);
  REQUIRE_MESSAGE(p.size() == 1, text);
  CHECK(s.empty());
  return format_problem(p[0], "");
}

}  // namespace

TEST_CASE("settings file: every key becomes its setting") {
  band_settings s;
  const auto problems = parse(full_file, s);
  for (const auto& p : problems) MESSAGE(format_problem(p, "full"));
  REQUIRE(problems.empty());
  CHECK(s.user == user_info{1986, 1, 1, gender::male, 183, 18800, 1628424087});
  CHECK(s.step_goal == std::uint16_t{8000});
  CHECK(s.goal_notification == false);
  CHECK(s.wear == wear_location{wear_place::wrist, true});
  CHECK(s.display_items == screen_list{screen::steps, screen::heart_rate, screen::battery});
  CHECK(s.time_format == time_format::h12);
  CHECK(s.distance_unit == distance_unit::metric);
  CHECK(s.date_display == date_display::date_time);
  CHECK(s.raise_to_wake == true);
  CHECK(s.rotate_to_switch == false);
  CHECK(s.dnd == do_not_disturb{dnd_mode::scheduled, {{0, 0}, {10, 0}}, false});
  CHECK(s.inactivity == inactivity_warnings{true, 60, {{{11, 0}, {21, 0}}}});
  CHECK(s.discoverable == false);
  CHECK(s.disconnect == disconnect_notification{true, time_window{{8, 0}, {22, 30}}});
  CHECK(s.hr_interval_minutes == std::uint8_t{0});
  CHECK(s.sleep_assistance == false);
}

TEST_CASE("settings file: only what the file sets is set") {
  band_settings s;
  REQUIRE(parse("[display]\ntime_format = \"24h\"\n", s).empty());
  band_settings want;
  want.time_format = time_format::h24;
  CHECK(s == want);
  REQUIRE(parse("display.raise_to_wake = true\nheart_rate.interval_minutes = 30\n", s).empty());  // dotted keys
  CHECK(s.raise_to_wake == true);
  CHECK(s.hr_interval_minutes == std::uint8_t{30});
  CHECK_FALSE(s.time_format);
  REQUIRE(parse("", s).empty());
  CHECK(s.empty());
  // Defaults inside a table that is one frame: the wear location, the inactivity threshold and window.
  REQUIRE(parse("[wear]\nside = \"left\"\n[inactivity]\nenabled = false\n", s).empty());
  CHECK(s.wear == wear_location{wear_place::wrist, false});
  CHECK(s.inactivity == inactivity_warnings{false, 60, {{{11, 0}, {21, 0}}}});
  REQUIRE(parse("[user]\nbirth_date = 2000-02-29\ngender = \"female\"\nheight_cm = 160\nweight_kg = 55.5\nuser_id = 0\n", s).empty());
  CHECK(s.user->weight_5g == 11100);
  CHECK(s.user->birth_day == 29);
}

TEST_CASE("settings file: unknown keys and tables are errors naming them and what is allowed") {
  CHECK(only_problem("[display]\ncolour = \"red\"\n") ==
        "2:1: display.colour: unknown key (display takes items, time_format, distance_unit, date, raise_to_wake, "
        "rotate_to_switch)");
  CHECK(only_problem("[alarms]\nx = 1\n") ==
        "1:2: alarms: unknown key (a settings file has the tables user, goal, wear, display, do_not_disturb, "
        "inactivity, connection, heart_rate)");
  CHECK(only_problem("steps = 8000\n") ==
        "1:1: steps: unknown key (a settings file has the tables user, goal, wear, display, do_not_disturb, "
        "inactivity, connection, heart_rate)");
  CHECK(only_problem("goal = 8000\n") == "1:8: goal: must be a table ([goal]), not an integer");
}

TEST_CASE("settings file: values out of range name the key and the range") {
  CHECK(only_problem("[goal]\nsteps = 70000\n") == "2:9: goal.steps: 70000 is out of range 1..65535");
  CHECK(only_problem("[goal]\nsteps = 0\n") == "2:9: goal.steps: 0 is out of range 1..65535");
  CHECK(only_problem("[heart_rate]\ninterval_minutes = 121\n") ==
        "2:20: heart_rate.interval_minutes: 121 is out of range 0..120 minutes");
  CHECK(only_problem("[inactivity]\nenabled = true\nthreshold_minutes = 256\n") ==
        "3:21: inactivity.threshold_minutes: 256 is out of range 1..255 minutes");
  CHECK(only_problem("[user]\nbirth_date = 1986-01-01\ngender = \"male\"\nheight_cm = 20\nweight_kg = 94\nuser_id = 1\n") ==
        "4:13: user.height_cm: 20 is out of range 50..250 cm");
  CHECK(only_problem("[user]\nbirth_date = 1986-01-01\ngender = \"male\"\nheight_cm = 183\nweight_kg = 400.5\nuser_id = 1\n") ==
        "5:13: user.weight_kg: 400.5 is out of range 1..327 kg");
  CHECK(only_problem("[user]\nbirth_date = 1986-01-01\ngender = \"male\"\nheight_cm = 183\nweight_kg = nan\nuser_id = 1\n") ==
        "5:13: user.weight_kg: nan is out of range 1..327 kg");
  CHECK(only_problem("[user]\nbirth_date = 1986-01-01\ngender = \"male\"\nheight_cm = 183\nweight_kg = 80\nuser_id = -1\n") ==
        "6:11: user.user_id: -1 is out of range 0..4294967295");
  CHECK(only_problem("[user]\nbirth_date = 1800-01-01\ngender = \"male\"\nheight_cm = 183\nweight_kg = 80\nuser_id = 1\n") ==
        "2:14: user.birth_date: must be a date 1900-01-01..2100-12-31, written without quotes (1986-01-01)");
  CHECK(only_problem("[display]\ntime_format = \"25h\"\n") == "2:15: display.time_format: \"25h\" is not one of 12h, 24h");
  CHECK(only_problem("[display]\nitems = [\"steps\", \"sunshine\"]\n") ==
        "2:19: display.items[1]: \"sunshine\" is not one of clock, steps, distance, calories, heart_rate, battery, "
        "notifications, weather, activity, more, status, timer, nfc");
  CHECK(only_problem("[display]\nitems = [\"steps\", \"weather\", \"heart_rate\", \"nfc\", \"battery\"]\n") ==
        "2:9: display.items: mixes screens of different bands: \"steps\", \"battery\" (Mi Band 2) and \"weather\", "
        "\"nfc\" (Mi Band 3 / 4); heart_rate is the only screen both have");
  CHECK(only_problem("[display]\nitems = [\"steps\", \"steps\"]\n") == "2:19: display.items[1]: \"steps\" is listed twice");
  CHECK(only_problem("[do_not_disturb]\nmode = \"scheduled\"\nstart = \"24:00\"\nend = \"07:00\"\n") ==
        "3:9: do_not_disturb.start: must be a time of day \"HH:MM\" in 00:00..23:59");
  CHECK(only_problem("[do_not_disturb]\nmode = \"scheduled\"\nstart = 22:00:30\nend = \"07:00\"\n") ==
        "3:9: do_not_disturb.start: must be a time of day \"HH:MM\" in 00:00..23:59");
  CHECK(only_problem("[inactivity]\nenabled = true\nwindows = [\"08:00-12:00\", \"13:00-18:00\", \"19:00-20:00\"]\n") ==
        "3:11: inactivity.windows: must be an array of one or two \"HH:MM-HH:MM\" windows");
  CHECK(only_problem("[inactivity]\nenabled = true\nwindows = [\"8:00-12:00\"]\n") ==
        "3:12: inactivity.windows[0]: must be a window of the day \"HH:MM-HH:MM\" (times in 00:00..23:59)");
}

TEST_CASE("settings file: wrong types, missing and contradictory keys") {
  CHECK(only_problem("[goal]\nsteps = \"8000\"\n") == "2:9: goal.steps: must be an integer in 1..65535, not a string");
  CHECK(only_problem("[goal]\nsteps = 8000.0\n") == "2:9: goal.steps: must be an integer in 1..65535, not a float");
  CHECK(only_problem("[display]\nraise_to_wake = \"yes\"\n") == "2:17: display.raise_to_wake: must be true or false, not a string");
  CHECK(only_problem("[display]\ntime_format = 24\n") ==
        "2:15: display.time_format: must be one of 12h, 24h (a string), not an integer");
  CHECK(only_problem("[display]\nitems = \"steps\"\n") ==
        "2:9: display.items: must be an array of clock, steps, distance, calories, heart_rate, battery, notifications, "
        "weather, activity, more, status, timer, nfc, not a string");
  CHECK(only_problem("[wear]\nlocation = \"wrist\"\n") ==
        "1:1: wear.side: missing (left or right: location and side are one byte, fact sheet §12)");
  CHECK(only_problem("[do_not_disturb]\nmode = \"scheduled\"\nstart = \"22:00\"\n") ==
        "1:1: do_not_disturb.end: missing (mode = \"scheduled\" needs start and end)");
  CHECK(only_problem("[do_not_disturb]\nmode = \"automatic\"\nstart = \"22:00\"\n") ==
        "3:9: do_not_disturb.start: only with mode = \"scheduled\"");
  CHECK(only_problem("[do_not_disturb]\nmode = \"off\"\nlift_to_wake = true\n") ==
        "3:16: do_not_disturb.lift_to_wake: only with mode = \"scheduled\" or \"automatic\"");
  CHECK(only_problem("[connection]\ndisconnect_window = \"08:00-20:00\"\n") ==
        "2:21: connection.disconnect_window: only with disconnect_notification = true");
  CHECK(only_problem("[inactivity]\nthreshold_minutes = 30\n") == "1:1: inactivity.enabled: missing (true or false)");
  CHECK(only_problem("[user]\nbirth_date = \"1986-01-01\"\ngender = \"male\"\nheight_cm = 183\nweight_kg = 80\nuser_id = 1\n") ==
        "2:14: user.birth_date: must be a date 1900-01-01..2100-12-31, written without quotes (1986-01-01)");
  CHECK(only_problem("[user]\nbirth_date = 1986-01-01\ngender = \"male\"\nheight_cm = 183\nweight_kg = 80\n") ==
        "1:1: user.user_id: missing (the band takes birth_date, gender, height_cm, weight_kg and user_id in one "
        "frame, fact sheet §12)");
  // A TOML syntax error is one problem, with its place.
  band_settings s;
  auto p = parse("[goal]\nsteps = = 3\n", s);
  REQUIRE(p.size() == 1);
  CHECK(p[0].key.empty());
  CHECK(p[0].line == 2);
  CHECK(format_problem(p[0], "band.toml").rfind("band.toml:2:", 0) == 0);
  CHECK(format_problem(p[0], "band.toml").find("TOML syntax") != std::string::npos);
}

TEST_CASE("settings file: a table header toml++ 3.3.0 would abort on is a syntax error instead") {
  // marzer/tomlplusplus#301: a header key that does not start with a key character.
  for (const char* text : {"[!]\n", "[ ?]\n", "[[#]]\n", "[[[1]]]\n", "[[[]]\n", "[[=\n", "[\n", "  [\t%]\n", "\xEF\xBB\xBF[[!x]]\n"}) {
    CAPTURE(text);
    band_settings s;
    const auto p = parse(text, s);
    REQUIRE(p.size() == 1);
    CHECK(p[0].message == "TOML syntax: a table header must start with a key (a letter, digit, _, - or a quote)");
    CHECK(p[0].line == 1);
    alarm_table a{};
    CHECK(parse_alarms_file(text, a).size() == 1);
  }
  // An array with `}` where a value is due breaks another of its guards.
  CHECK(only_problem("[display]\nitems = [\"steps\", }\n") == "2:19: TOML syntax: expected a value in the array, saw '}'");
  CHECK(only_problem("[display]\nitems = [ # c\n }\n") == "3:2: TOML syntax: expected a value in the array, saw '}'");
  CHECK(only_problem("x = [[[[}}}]\n") == "1:9: TOML syntax: expected a value in the array, saw '}'");
  CHECK(only_problem("[goal]\nsteps = 1\n[ ! ]\n") ==
        "3:3: TOML syntax: a table header must start with a key (a letter, digit, _, - or a quote)");
  // `[` opening a line inside an array value, a string or a comment is no header.
  band_settings s;
  CHECK(parse("[display]\nitems = [\n\"steps\",\n]\n", s).empty());
  CHECK(s.display_items == screen_list{screen::steps});
  const auto p = parse("[goal] # [!\nsteps = 1\nx = \"\"\"\n[!]\n\"\"\"\ny = [\n[+1]]\n", s);
  REQUIRE(p.size() == 2);  // goal.x and goal.y are unknown keys: the file parsed
  CHECK(p[0].key == "goal.x");
  CHECK(p[1].key == "goal.y");
  CHECK(p[1].line == 6);
}

TEST_CASE("settings file: non-ASCII characters toml++ 3.3.0's tables miss are syntax errors, not undefined behaviour") {
  // U+03E9 and U+02F1 (found by fuzzing) fell into the "unreachable" default
  // of toml++'s generated whitespace table (miband/detail/toml.hpp).
  CHECK(only_problem("\xCF\xA9") ==
        "1:1: TOML syntax: Error while parsing root table: expected keys, tables, whitespace or comments, saw '\xCF\xA9'");
  CHECK(only_problem("\xCB\xB1\n") ==
        "1:1: TOML syntax: Error while parsing root table: expected keys, tables, whitespace or comments, saw '\xCB\xB1'");
  CHECK(only_problem("[goal]\nsteps = 1 \xCB\xB1\n") ==
        "2:11: TOML syntax: Error while parsing key-value pair: expected a comment or whitespace, saw '\xCB\xB1'");
  CHECK(only_problem("[goal]\xE3\x80\x80\nsteps = 1\n") ==
        "1:7: TOML syntax: Error while parsing table header: expected space or tab, saw '\\u3000'");
  // Outside of keys and whitespace, any UTF-8 is read as it is.
  band_settings s;
  CHECK(parse("# \xCF\xA9 \xCB\xB1 caf\xC3\xA9\n[goal] # \xE3\x80\x80\nsteps = 9000\n", s).empty());
  CHECK(s.step_goal == std::uint16_t{9000});
}

TEST_CASE("settings file: every problem of a file is reported at once, and nothing is set") {
  band_settings s;
  const auto p = parse("[goal]\nsteps = -5\nnotification = 1\n[display]\nfoo = 1\ntime_format = \"24h\"\n[bar]\n", s);
  REQUIRE(p.size() == 4);
  CHECK(p[0].key == "goal.steps");
  CHECK(p[1].key == "goal.notification");
  CHECK(p[2].key == "display.foo");
  CHECK(p[3].key == "bar");
  CHECK(s.empty());
}

TEST_CASE("settings file: format_settings_file writes a file that parses back to the same settings") {
  band_settings s;
  REQUIRE(parse(full_file, s).empty());
  const std::string text = format_settings_file(s);
  band_settings back;
  const auto p = parse(text, back);
  for (const auto& x : p) MESSAGE(format_problem(x, "formatted"));
  REQUIRE(p.empty());
  CHECK(back == s);
  CHECK(text.rfind("[user]\nbirth_date = 1986-01-01\ngender = \"male\"\nheight_cm = 183\nweight_kg = 94.0\n", 0) == 0);
  CHECK(text.find("[display]\nitems = [\"clock\", \"steps\", \"heart_rate\", \"battery\"]\ntime_format = \"12h\"\n") !=
        std::string::npos);
  CHECK(text.find("end = \"10:00\"") != std::string::npos);
  CHECK(format_settings_file(band_settings{}).empty());
  band_settings w;
  w.user = user_info{1990, 12, 31, gender::other, 170, 14501, 7};
  REQUIRE(parse(format_settings_file(w), back).empty());
  CHECK(back == w);
  CHECK(format_settings_file(w).find("weight_kg = 72.505\n") != std::string::npos);
  const auto lines = describe_settings(w);
  REQUIRE(lines.size() == 5);
  CHECK(lines[0] == "user.birth_date = 1990-12-31");
  CHECK(lines[3] == "user.weight_kg = 72.505");
}

TEST_CASE("alarms file: parse, format and problems") {
  alarm_table t{};
  t[0] = band_alarm{0, {6, 45}, alarm_day::weekdays, true, true};
  t[7] = band_alarm{7, {9, 0}, 0, false, false};
  const std::string text = format_alarms_file(t);
  CHECK(text ==
        "[[alarm]]\nslot = 0\ntime = \"06:45\"\ndays = \"weekdays\"\nenabled = true\nsnooze = true\n\n"
        "[[alarm]]\nslot = 7\ntime = \"09:00\"\ndays = \"once\"\nenabled = false\nsnooze = false\n");
  alarm_table back{};
  REQUIRE(parse_alarms_file(text, back).empty());
  CHECK(back == t);
  REQUIRE(parse_alarms_file("", back).empty());
  CHECK(back == alarm_table{});
  auto problem = [](const std::string& s) {
    alarm_table x{};
    auto p = parse_alarms_file(s, x);
    REQUIRE(p.size() == 1);
    return format_problem(p[0], "");
  };
  CHECK(problem("[[alarm]]\nslot = 10\ntime = \"07:00\"\ndays = \"once\"\n") == "2:8: alarm[0].slot: 10 is out of range 0..9");
  CHECK(problem("[[alarm]]\nslot = 1\ntime = \"07:00\"\ndays = \"someday\"\n") ==
        "4:8: alarm[0].days: must be once, daily, weekdays, weekend or days like \"mon,wed,fri\"");
  CHECK(problem("[[alarm]]\nslot = 1\ntime = \"07:00\"\ndays = \"once\"\n[[alarm]]\nslot = 1\ntime = \"08:00\"\ndays = \"once\"\n") ==
        "6:8: alarm[1].slot: slot 1 is listed twice");
  CHECK(problem("[[alarm]]\nslot = 1\ndays = \"once\"\n") == "1:1: alarm[0].time: missing (an alarm has a slot, a time and days)");
  CHECK(describe_alarm(*t[0]) == "06:45 weekdays enabled");
  CHECK(describe_alarm(*t[7]) == "09:00 once disabled no-snooze");
}
