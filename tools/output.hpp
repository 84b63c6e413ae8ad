// Output for the CLI: human lines or one JSON object per line, flushed per
// record so a killed process loses nothing already printed.
#pragma once

#include <cstdio>
#include <string>
#include <string_view>

namespace bandwire::tools {

std::string json_string(std::string_view s);

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

}  // namespace bandwire::tools
