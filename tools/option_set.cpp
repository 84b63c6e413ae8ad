#include "tools/option_set.hpp"

#include "tools/help_formatter.hpp"

namespace bandwire::tools {

namespace {
help_formatter& formatter_of(CLI::App& app) {
  auto f = std::dynamic_pointer_cast<help_formatter>(app.get_formatter());
  if (!f) throw std::logic_error("option_set: the App has no tools::help_formatter");
  return *f;
}
}  // namespace

option_set::option_set(CLI::App& app) : app_(app), help_(formatter_of(app)) {}

option_set& option_set::usage(const std::string& line) {
  help_.add_usage(line);
  return *this;
}

option_set& option_set::description(const std::string& text) {
  app_.description(text);
  return *this;
}

option_set& option_set::footer(const std::string& text) {
  app_.footer(text);
  return *this;
}

option_set& option_set::group(const std::string& heading) {
  group_ = heading;
  return *this;
}

option_set& option_set::value(const std::string& name, const std::string& value_name, const std::string& help) {
  app_.add_option(name, CLI::callback_t{}, help)
      ->type_name(value_name)
      ->expected(1)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll)
      ->group(group_);
  return *this;
}

option_set& option_set::flag(const std::string& name, const std::string& help) {
  app_.add_flag(name, help)->disable_flag_override()->group(group_);
  return *this;
}

option_set& option_set::positionals() {
  app_.add_option("args", CLI::callback_t{}, "")->expected(1, -1)->allow_extra_args()->group("");
  return *this;
}

}  // namespace bandwire::tools
