// The band's settings as a TOML file (README "Settings file"), and the
// alarms bandwire last set, in the same syntax. Parsing validates
// everything before anything reaches a band: each problem names the key,
// what it must be (the allowed range or values) and where it is in the
// file. toml++ stays inside settings_file.cpp (header-only there), so this
// header and the installed library need nothing of it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "miband/settings.hpp"

namespace bandwire::miband {

/// One thing wrong with a file.
struct settings_problem {
  std::string key;      ///< dotted key ("display.time_format"); empty for a TOML syntax error
  std::string message;  ///< what is wrong and what is allowed
  std::uint32_t line = 0, column = 0;  ///< 1-based; 0 when unknown
};

/// "FILE:LINE:COLUMN: KEY: MESSAGE" (parts that are unknown are left out).
std::string format_problem(const settings_problem& p, std::string_view file_name);

/// Parses a settings file into `out` (only what the file sets). Returns
/// every problem found; `out` is meaningful only when there is none.
std::vector<settings_problem> parse_settings_file(std::string_view text, band_settings& out);

/// A settings file holding exactly what `s` sets, in a fixed order; it
/// parses back to `s`.
std::string format_settings_file(const band_settings& s);

/// What `s` sets as dotted TOML lines ("display.time_format = \"24h\""),
/// one per key, for logs.
std::vector<std::string> describe_settings(const band_settings& s);

/// The malformed TOML forms that break toml++ 3.3.0's internal guards
/// (see miband/settings_file.cpp), found with their place before toml++
/// sees them; any other TOML file gets nullopt. Every parser of TOML text in
/// bandwire calls this first.
std::optional<settings_problem> check_toml_guards(std::string_view text);

/// The alarms file (`[[alarm]]` tables: slot, time, days, enabled, snooze).
std::vector<settings_problem> parse_alarms_file(std::string_view text, alarm_table& out);
std::string format_alarms_file(const alarm_table& alarms);
/// One line for an alarm: "2 07:30 weekdays enabled snooze".
std::string describe_alarm(const band_alarm& a);

}  // namespace bandwire::miband
