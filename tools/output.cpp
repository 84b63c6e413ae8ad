#include "tools/output.hpp"

#include <cmath>
#include <cstdio>

namespace bandwire::tools {

std::string json_string(std::string_view s) {
  std::string o = "\"";
  for (unsigned char c : s) {
    switch (c) {
      case '"': o += "\\\""; break;
      case '\\': o += "\\\\"; break;
      case '\n': o += "\\n"; break;
      case '\r': o += "\\r"; break;
      case '\t': o += "\\t"; break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          o += buf;
        } else {
          o.push_back(static_cast<char>(c));
        }
    }
  }
  return o + "\"";
}

void json_object::key(std::string_view k) {
  if (body_.size() > 1) body_ += ",";
  body_ += json_string(k) + ":";
}
json_object& json_object::add(std::string_view k, std::string_view v) {
  key(k);
  body_ += json_string(v);
  return *this;
}
json_object& json_object::add(std::string_view k, long long v) {
  key(k);
  body_ += std::to_string(v);
  return *this;
}
json_object& json_object::add(std::string_view k, double v) {
  key(k);
  if (!std::isfinite(v)) {
    body_ += "null";
    return *this;
  }
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.6f", v);
  body_ += buf;
  return *this;
}
json_object& json_object::add(std::string_view k, bool v) {
  key(k);
  body_ += v ? "true" : "false";
  return *this;
}
json_object& json_object::add_raw(std::string_view k, std::string_view json) {
  key(k);
  body_ += json;
  return *this;
}

void emit(const std::string& line) {
  std::fwrite(line.data(), 1, line.size(), stdout);
  std::fputc('\n', stdout);
  std::fflush(stdout);
}

std::string hex16(unsigned v) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "0x%04x", v & 0xffff);
  return buf;
}

}  // namespace bandwire::tools
