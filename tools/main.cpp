// The `bandwire` command line.
#include <csignal>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "tools/commands.hpp"
#include "tools/hci_commands.hpp"

namespace bandwire::tools {
int run_agent(const std::vector<std::string>& argv);  // tools/agent_command.cpp
}  // namespace bandwire::tools

namespace {
constexpr const char* main_help = R"(usage: bandwire COMMAND [options]

bandwire talks Bluetooth LE (ATT/GATT) from Linux without D-Bus or bluetoothd.

MI BAND COMMANDS:
  stream      raw accelerometer + PPG + heart rate as JSONL/CSV records
  activity    the band's per-minute history (kind, steps, heart rate) as CSV/JSONL,
              resumable; the band may delete it once it is fsync'ed
  heart       heart rate: one measurement, or --continuous
  pair        bind a new key to the band (you tap the band to confirm)
  info        device information, battery and clock
  battery     battery level and charge dates
  time        the band's clock; --set writes this host's time
  steps       steps, distance and calories; --follow for updates
  alert       vibrate with an alert level, or show a text (--text)
  vibrate     find the band: vibrate it
  events      print button presses and other band events
  sim         run a virtual Mi Band 2 on a unix socket or a Bluetooth adapter

GATT AND CAPTURE COMMANDS:
  gatt        explore any GATT server: discover, read, write, listen
  decode      print every ATT PDU of a btsnoop capture, with Mi Band meanings

BLUETOOTH SETUP COMMANDS:
  scan        list nearby LE devices (RSSI, name); marks a Mi Band 2
  adapters    list the local Bluetooth adapters and their state
  adapter     bring an adapter up, or reset it: adapter up|reset [--adapter hciN]
  doctor      check kernel support, adapters, rfkill, bluetoothd, privileges
  agent       answer the kernel's Just Works pairing requests (no bluetoothd)

  help        this text

Every device command takes --device TARGET: sim (an in-process virtual Mi Band 2),
unix:/path (an ATT peer on an AF_UNIX SOCK_SEQPACKET socket, e.g. `bandwire sim`),
demo (gatt only: an in-process GATT server) or a Bluetooth address
(AA:BB:CC:DD:EE:FF). Run `bandwire COMMAND --help` for details.
)";
}

int main(int argc, char** argv) {
  using namespace bandwire::tools;
  // A closed output pipe must not kill us before the band's streams are
  // stopped: writes then fail with EPIPE and the command stops cleanly.
  std::signal(SIGPIPE, SIG_IGN);
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
  if (cmd == "stream") return run_stream(rest);
  if (cmd == "activity") return run_activity(rest);
  if (cmd == "sim") return run_sim(rest);
  if (cmd == "decode") return run_decode(rest);
  if (cmd == "scan") return run_scan(rest);
  if (cmd == "adapters") return run_adapters(rest);
  if (cmd == "adapter") return run_adapter(rest);
  if (cmd == "doctor") return run_doctor(rest);
  if (cmd == "agent") return run_agent(rest);
  for (const char* band_cmd : {"pair", "info", "battery", "time", "steps", "heart", "alert", "vibrate", "events"})
    if (cmd == band_cmd) return run_band(cmd, rest);
  std::fprintf(stderr, "bandwire: unknown command '%s' (see bandwire --help)\n", cmd.c_str());
  return exit_usage;
}
