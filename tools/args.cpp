#include "tools/args.hpp"

#include <cerrno>
#include <cstdlib>

namespace bandwire::tools {

args::args(std::vector<std::string> argv, std::set<std::string> with_value, std::set<std::string> flags) {
  bool only_positional = false;
  for (std::size_t i = 0; i < argv.size(); ++i) {
    std::string a = argv[i];
    if (only_positional || a.size() < 2 || a[0] != '-' || (a[1] != '-' && a != "-h")) {
      positional_.push_back(a);
      continue;
    }
    if (a == "--") {
      only_positional = true;
      continue;
    }
    if (a == "-h") a = "--help";
    std::string name = a, value;
    bool inline_value = false;
    if (auto eq = a.find('='); eq != std::string::npos) {
      name = a.substr(0, eq);
      value = a.substr(eq + 1);
      inline_value = true;
    }
    if (with_value.count(name)) {
      if (!inline_value) {
        if (i + 1 >= argv.size()) {
          error_ = "option " + name + " needs a value";
          return;
        }
        value = argv[++i];
      }
      values_[name].push_back(value);
    } else if (flags.count(name) && !inline_value) {
      flags_set_.insert(name);
    } else {
      error_ = "unknown option " + name;
      return;
    }
  }
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

}  // namespace bandwire::tools
