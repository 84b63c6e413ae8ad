// The `bandwire` command line.
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "tools/commands.hpp"

namespace {
constexpr const char* main_help = R"(usage: bandwire COMMAND [options]

bandwire talks Bluetooth LE (ATT/GATT) from Linux without D-Bus or bluetoothd.

COMMANDS:
  gatt        explore any GATT server: discover, read, write, listen
  help        this text

Every command takes --device TARGET: unix:/path (an ATT peer on an AF_UNIX
SOCK_SEQPACKET socket), demo (an in-process GATT server) or a Bluetooth
address (AA:BB:CC:DD:EE:FF). Run `bandwire COMMAND --help` for details.
)";
}

int main(int argc, char** argv) {
  using namespace bandwire::tools;
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty() || args[0] == "help" || args[0] == "--help" || args[0] == "-h") {
    std::fputs(main_help, args.empty() ? stderr : stdout);
    return args.empty() ? exit_usage : exit_ok;
  }
  if (args[0] == "--version") {
    std::puts("bandwire 0.1.0");
    return exit_ok;
  }
  const std::string cmd = args[0];
  std::vector<std::string> rest(args.begin() + 1, args.end());
  if (cmd == "gatt") return run_gatt(rest);
  std::fprintf(stderr, "bandwire: unknown command '%s' (see bandwire --help)\n", cmd.c_str());
  return exit_usage;
}
