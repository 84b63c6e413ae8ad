// `bandwire COMMAND --help`: CLI11's help laid out as bandwire's always was:
// "usage: bandwire COMMAND ..." first, the description, each option group
// under its heading with descriptions in one column, then the closing
// paragraph.
#pragma once

#include <string>
#include <vector>

#include <CLI/CLI.hpp>

namespace bandwire::tools {

class help_formatter : public CLI::Formatter {
 public:
  /// Column of option descriptions (as the hand-written help texts had).
  static constexpr std::size_t description_column = 25;

  void add_usage(std::string line) { usage_.push_back(std::move(line)); }
  std::string make_help(const CLI::App* app, std::string name, CLI::AppFormatMode mode) const override;
  std::string make_option(const CLI::Option* opt, bool is_positional) const override;

 private:
  std::vector<std::string> usage_;
};

}  // namespace bandwire::tools
