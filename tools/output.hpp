// Output for the CLI: human lines or one JSON object per line, flushed per
// record so a killed process loses nothing already printed.
#pragma once

#include <cstdio>
#include <string>
#include <string_view>

namespace bandwire::miband {
struct battery_info;
struct current_time;
struct date_time;
struct device_event;
struct device_information;
struct heart_rate_measurement;
struct realtime_steps;
}  // namespace bandwire::miband

namespace bandwire::tools {

std::string json_string(std::string_view s);
/// The same, appended to `o` (no temporary string).
void append_json_string(std::string& o, std::string_view s);

/// Builds one JSON object: json_object().add("handle", 3).add("uuid", "...").str()
class json_object {
 public:
  json_object& add(std::string_view key, std::string_view v);
  json_object& add(std::string_view key, const char* v) { return add(key, std::string_view(v)); }
  json_object& add(std::string_view key, long long v);
  json_object& add(std::string_view key, unsigned long long v) { return add(key, static_cast<long long>(v)); }
  json_object& add(std::string_view key, int v) { return add(key, static_cast<long long>(v)); }
  json_object& add(std::string_view key, unsigned v) { return add(key, static_cast<long long>(v)); }
  json_object& add(std::string_view key, double v);
  json_object& add(std::string_view key, bool v);
  json_object& add_raw(std::string_view key, std::string_view json);
  std::string str() const { return body_ + "}"; }

 private:
  void key(std::string_view k);
  std::string body_ = "{";
};

/// Writes a line to stdout and flushes it.
void emit(const std::string& line);
/// "0x%04x"
std::string hex16(unsigned v);
/// "0x%02x"
std::string hex8(unsigned v);

// The band commands' lines: human text, or with `json` one object each
// (kind "info", "battery", "time", "steps", "hr", "gap", "event").

/// "2024-05-01 12:00:00"
std::string date_text(const miband::date_time& d);
/// A UTC offset in quarter hours as "+02:00".
std::string tz_text(int quarters);
void print_device_information(const miband::device_information& info, bool json);
void print_battery(const miband::battery_info& bat, bool json);
void print_time(const miband::current_time& t, bool json);
void print_steps(const miband::realtime_steps& st, bool json);
/// A one-shot or continuous heart rate (RR intervals in JSON).
/// An RR interval of `ticks` 1/1024 s in seconds, exactly: every such value
/// has at most 10 decimals ("0.8203125", "1"); no rounding.
std::string rr_seconds_text(std::uint16_t ticks);
/// One measurement: bpm, and where the sensor sends them the RR intervals
/// (exact seconds), the energy expended (kJ) and the sensor contact.
void print_heart_rate(const miband::heart_rate_measurement& m, bool json);
/// Heart-rate values stopped coming for `seconds`.
void print_heart_rate_stall(double seconds, bool json);
void print_event(const miband::device_event& e, bool json);

}  // namespace bandwire::tools
