// How a command declares its command line on its CLI11 App: options with or
// without a value, positional arguments, and the help text around them
// (usage lines, description, option groups, a closing paragraph). The help
// is laid out by tools/help_formatter.hpp. Only option_set.cpp includes
// CLI11's headers (they are heavy; every command file includes this one).
#pragma once

#include <string>

namespace CLI {
class App;
}  // namespace CLI

namespace bandwire::tools {

class help_formatter;

class option_set {
 public:
  /// `app` must already use a tools::help_formatter (tools/cli.cpp sets it).
  explicit option_set(CLI::App& app);

  /// "stream --device TARGET [options]" (after "usage: bandwire "); call
  /// again for another form of the command.
  option_set& usage(const std::string& line);
  /// Paragraphs printed between the usage and the options.
  option_set& description(const std::string& text);
  /// Paragraphs printed after the options.
  option_set& footer(const std::string& text);
  /// Options declared from here on are listed under `heading` (default
  /// "OPTIONS").
  option_set& group(const std::string& heading);

  /// --name VALUE (or --name=VALUE). Repeating it keeps every value
  /// (args::all); args::get returns the last. `help` may span lines.
  option_set& value(const std::string& name, const std::string& value_name, const std::string& help);
  /// --name without a value.
  option_set& flag(const std::string& name, const std::string& help);
  /// Accepts positional arguments (args::positional); a command that does
  /// not call this rejects any as a usage error. Listed in the usage line
  /// and description, not among the options.
  option_set& positionals();

 private:
  CLI::App& app_;
  help_formatter& help_;
  std::string group_ = "OPTIONS";
};

}  // namespace bandwire::tools
