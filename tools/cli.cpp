// The `bandwire` command line: the main help from the command table, CLI11
// parsing into the chosen command's options, and usage errors as one line
// with exit status 2.
#include <algorithm>
#include <cstdio>

#include "tools/command_table.hpp"
#include "tools/commands.hpp"
#include "tools/help_formatter.hpp"
#include "tools/option_set.hpp"

namespace bandwire::tools {

namespace {

const char* heading(command_group g) {
  switch (g) {
    case command_group::mi_band: return "MI BAND COMMANDS";
    case command_group::gatt_and_capture: return "GATT AND CAPTURE COMMANDS";
    case command_group::bluetooth_setup: return "BLUETOOTH SETUP COMMANDS";
  }
  return "";
}

std::string main_help() {
  std::string h = "usage: bandwire COMMAND [options]\n\n"
                  "bandwire talks Bluetooth LE (ATT/GATT) from Linux without D-Bus or bluetoothd.\n";
  for (auto g : {command_group::mi_band, command_group::gatt_and_capture, command_group::bluetooth_setup}) {
    h += std::string("\n") + heading(g) + ":\n";
    for (const auto& c : command_table()) {
      if (c.group != g) continue;
      std::string name = c.name;
      name.resize(std::max<std::size_t>(name.size() + 1, 12), ' ');
      h += "  " + name + c.summary + "\n";
    }
  }
  return h + "\n  help        this text\n\n"
             "Every device command takes --device TARGET: sim (an in-process virtual Mi Band 2;\n"
             "sim:mb3, sim:mb4, sim:hrx, sim:hrs for a Mi Band 3, 4, HRX or a heart-rate strap),\n"
             "unix:/path (an ATT peer on an AF_UNIX SOCK_SEQPACKET socket, e.g. `bandwire sim`),\n"
             "demo (gatt only: an in-process GATT server) or a Bluetooth address\n"
             "(AA:BB:CC:DD:EE:FF). Run `bandwire COMMAND --help` for details.\n";
}

// The parsed values of `app`'s options, keyed by their long name.
args args_of(const CLI::App& app) {
  args a;
  for (const CLI::Option* o : app.get_options()) {
    if (o == app.get_help_ptr() || o->count() == 0) continue;
    if (!o->nonpositional()) {
      for (const auto& v : o->results()) a.add_positional(v);
    } else {
      const bool flag = o->get_type_name().empty() && o->get_expected_max() == 0;
      a.add("--" + o->get_lnames().front(), flag ? std::vector<std::string>{} : o->results());
    }
  }
  return a;
}

// One line, as every command always reported a bad command line.
std::string usage_message(const CLI::App& sub, const CLI::ParseError& e) {
  if (dynamic_cast<const CLI::ExtrasError*>(&e)) {
    const auto extra = sub.remaining();
    if (!extra.empty()) {
      const std::string& x = extra.front();
      if (x.size() > 1 && x[0] == '-') return "unknown option " + x.substr(0, x.find('='));
      return "unexpected argument '" + x + "'";
    }
  }
  std::string m = e.what();
  // "--device: 1 required TARGET missing"
  if (dynamic_cast<const CLI::ArgumentMismatch*>(&e) && m.rfind("--", 0) == 0 && m.find(':') != std::string::npos)
    return "option " + m.substr(0, m.find(':')) + " needs a value";
  for (auto& c : m)
    if (c == '\n') c = ' ';
  return m;
}

}  // namespace

int run_cli(const std::vector<std::string>& argv) {
  if (argv.empty() || argv[0] == "help" || argv[0] == "--help" || argv[0] == "-h") {
    std::fputs(main_help().c_str(), argv.empty() ? stderr : stdout);
    return argv.empty() ? exit_usage : exit_ok;
  }
  const command* cmd = find_command(argv[0]);
  if (!cmd) {
    std::fprintf(stderr, "bandwire: unknown command '%s' (see bandwire --help)\n", argv[0].c_str());
    return exit_usage;
  }
  CLI::App app("bandwire", "bandwire");
  app.set_help_flag();
  app.require_subcommand(1, 1);
  for (const auto& c : command_table()) {
    CLI::App* sub = app.add_subcommand(c.name, c.summary);
    sub->formatter(std::make_shared<help_formatter>());
    sub->set_help_flag("-h,--help", "this text")->group("");
    option_set declared(*sub);
    c.declare(declared);
  }
  CLI::App& sub = *app.get_subcommand(cmd->name);
  std::vector<std::string> reversed(argv.rbegin(), argv.rend());  // CLI11 parses from the back
  try {
    app.parse(reversed);
  } catch (const CLI::CallForHelp&) {
    std::fputs(sub.help().c_str(), stdout);
    return exit_ok;
  } catch (const CLI::ParseError& e) {
    std::fprintf(stderr, "bandwire %s: %s (see bandwire %s --help)\n", cmd->name, usage_message(sub, e).c_str(),
                 cmd->name);
    return exit_usage;
  }
  return cmd->run(args_of(sub));
}

}  // namespace bandwire::tools
