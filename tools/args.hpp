// What a command's handler reads: the values of its options and its
// positional arguments after CLI11 has parsed the command line
// (tools/option_set.hpp declares them, tools/cli.cpp parses). Kept free of
// CLI11's headers so a handler's file compiles without them.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace bandwire::tools {

class args {
 public:
  /// One option's values (every occurrence, in order), or a flag when empty.
  void add(const std::string& opt, std::vector<std::string> values);
  void add_positional(std::string value) { positional_.push_back(std::move(value)); }

  bool has(const std::string& opt) const { return given_.count(opt) != 0; }
  /// The last value given (a repeated option's last occurrence wins).
  std::optional<std::string> get(const std::string& opt) const;
  /// Every value given, for options that accumulate (gatt --subscribe).
  std::vector<std::string> all(const std::string& opt) const;
  const std::vector<std::string>& positional() const { return positional_; }

 private:
  std::map<std::string, std::vector<std::string>> values_;
  std::set<std::string> given_;
  std::vector<std::string> positional_;
};

/// "0x001f", "31" -> 31; fails outside [0, max].
std::optional<unsigned long> parse_number(const std::string& s, unsigned long max);

/// "2.5" -> 2.5 seconds: the whole text a finite number in (0, max].
std::optional<double> parse_seconds(const std::string& s, double max = 86400);

}  // namespace bandwire::tools
