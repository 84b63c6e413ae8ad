#include "tools/help_formatter.hpp"

#include <algorithm>

namespace bandwire::tools {

namespace {

// Text that ends with exactly one newline (empty stays empty).
std::string paragraph(std::string text) {
  while (!text.empty() && text.back() == '\n') text.pop_back();
  return text.empty() ? text : text + "\n";
}

}  // namespace

std::string help_formatter::make_option(const CLI::Option* opt, bool) const {
  std::string left = "  --" + opt->get_lnames().front();
  if (!opt->get_type_name().empty()) left += " " + opt->get_type_name();
  const std::string indent(description_column, ' ');
  // A name too long for the column puts the description on the next line.
  std::string out = left.size() < description_column ? left + std::string(description_column - left.size(), ' ')
                                                     : left + "\n" + indent;
  const std::string& d = opt->get_description();
  for (std::size_t start = 0; start <= d.size();) {
    const std::size_t nl = std::min(d.find('\n', start), d.size());
    out += (start ? indent : "") + d.substr(start, nl - start) + "\n";
    start = nl + 1;
  }
  return out;
}

std::string help_formatter::make_help(const CLI::App* app, std::string name, CLI::AppFormatMode) const {
  std::string out;
  for (std::size_t i = 0; i < usage_.size(); ++i) out += (i ? "       bandwire " : "usage: bandwire ") + usage_[i] + "\n";
  if (usage_.empty()) out += "usage: bandwire " + name + " [options]\n";
  if (auto d = paragraph(app->get_description()); !d.empty()) out += "\n" + d;
  // Groups in the order their first option was declared; "" is hidden.
  std::vector<std::string> groups;
  for (const CLI::Option* o : app->get_options())
    if (!o->get_group().empty() && std::find(groups.begin(), groups.end(), o->get_group()) == groups.end())
      groups.push_back(o->get_group());
  for (const auto& g : groups) {
    out += "\n" + g + ":\n";
    for (const CLI::Option* o : app->get_options([&](const CLI::Option* o) { return o->get_group() == g; }))
      if (o->nonpositional()) out += make_option(o, false);
  }
  if (auto f = paragraph(app->get_footer()); !f.empty()) out += "\n" + f;
  return out;
}

}  // namespace bandwire::tools
