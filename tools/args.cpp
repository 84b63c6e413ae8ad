#include "tools/args.hpp"

#include <cerrno>
#include <cstdlib>

namespace bandwire::tools {

void args::add(const std::string& opt, std::vector<std::string> values) {
  given_.insert(opt);
  if (!values.empty()) values_[opt] = std::move(values);
}

std::optional<std::string> args::get(const std::string& opt) const {
  auto it = values_.find(opt);
  if (it == values_.end() || it->second.empty()) return std::nullopt;
  return it->second.back();
}

std::vector<std::string> args::all(const std::string& opt) const {
  auto it = values_.find(opt);
  return it == values_.end() ? std::vector<std::string>{} : it->second;
}

std::optional<unsigned long> parse_number(const std::string& s, unsigned long max) {
  if (s.empty() || s[0] == '-' || s[0] == '+') return std::nullopt;
  errno = 0;
  char* end = nullptr;
  const unsigned long v = std::strtoul(s.c_str(), &end, 0);
  if (errno != 0 || end == s.c_str() || *end != '\0' || v > max) return std::nullopt;
  return v;
}

std::optional<double> parse_seconds(const std::string& s, double max) {
  char* end = nullptr;
  const double v = std::strtod(s.c_str(), &end);
  // !(v > 0) also rejects NaN; v <= max rejects infinity.
  if (s.empty() || end == s.c_str() || *end != '\0' || !(v > 0) || !(v <= max)) return std::nullopt;
  return v;
}

}  // namespace bandwire::tools
