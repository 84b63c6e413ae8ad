// A small command-line parser: options with or without a value, the rest
// positional. Unknown options are errors, never ignored.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace bandwire::tools {

class args {
 public:
  /// `with_value`: options that take a value ("--device X" or "--device=X");
  /// `flags`: options without one. Repeated value options accumulate.
  args(std::vector<std::string> argv, std::set<std::string> with_value, std::set<std::string> flags);

  bool ok() const { return error_.empty(); }
  const std::string& error() const { return error_; }
  bool has(const std::string& opt) const { return values_.count(opt) || flags_set_.count(opt); }
  std::optional<std::string> get(const std::string& opt) const;
  std::vector<std::string> all(const std::string& opt) const;
  const std::vector<std::string>& positional() const { return positional_; }

 private:
  std::map<std::string, std::vector<std::string>> values_;
  std::set<std::string> flags_set_;
  std::vector<std::string> positional_;
  std::string error_;
};

/// "0x001f", "31" -> 31; fails outside [0, max].
std::optional<unsigned long> parse_number(const std::string& s, unsigned long max);

}  // namespace bandwire::tools
