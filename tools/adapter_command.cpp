// `bandwire adapters` and `bandwire adapter up|reset`: the kernel's view of
// the local controllers (HCIGETDEVLIST/HCIGETDEVINFO) and the two actions a
// user may need (HCIDEVUP, HCIDEVRESET). A reset is refused while the adapter
// has connections, unless forced (raw-socket-peers.md lesson 9: never reset a
// shared controller behind the user's back).
#include <cerrno>
#include <cstdio>
#include <string>
#include <vector>

#include "hci/hci_socket.hpp"
#include "tools/commands.hpp"
#include "tools/hci_commands.hpp"
#include "tools/option_set.hpp"
#include "tools/output.hpp"

namespace bandwire::tools {

namespace {

std::string features(const hci::adapter_info& a) {
  std::string s;
  if (a.le) s += "LE";
  if (a.bredr) s += s.empty() ? "BR/EDR" : " BR/EDR";
  return s.empty() ? "-" : s;
}

}  // namespace

void declare_adapters(option_set& o) {
  o.usage("adapters [--json]")
      .description("List the local Bluetooth adapters: index, address, up or down, LE and BR/EDR\n"
                   "support, bus. Exit status 3 when the kernel has no Bluetooth.")
      .flag("--json", "one JSON object per adapter");
}

int run_adapters(const args& a) {
  std::vector<hci::adapter_info> list;
  std::string message;
  if (hci::list_adapters(list, message)) {
    std::fprintf(stderr, "bandwire: %s\n", message.c_str());
    return exit_connect;
  }
  if (list.empty()) std::fputs("bandwire: no Bluetooth adapters (plugged in? see: bandwire doctor)\n", stderr);
  for (const auto& ad : list) {
    if (a.has("--json")) {
      emit(json_object()
               .add("index", ad.index)
               .add("name", ad.name)
               .add("address", ad.addr.to_string())
               .add("up", ad.up)
               .add("le", ad.le)
               .add("bredr", ad.bredr)
               .add("bus", hci::bus_name(ad.bus))
               .str());
    } else {
      char line[128];
      std::snprintf(line, sizeof line, "%-6s %s  %-4s  %-9s %s", ad.name.c_str(), ad.addr.to_string().c_str(),
                    ad.up ? "up" : "down", features(ad).c_str(), hci::bus_name(ad.bus).c_str());
      emit(line);
    }
  }
  return exit_ok;
}

void declare_adapter(option_set& o) {
  o.usage("adapter up|reset [--adapter hciN] [--force]")
      .description("  up      bring the adapter up (HCIDEVUP); needs CAP_NET_ADMIN\n"
                   "  reset   reset the controller (HCIDEVRESET); needs CAP_NET_ADMIN. Refused while\n"
                   "          the adapter has open connections, unless --force.")
      .positionals()
      .value("--adapter", "hciN", "the adapter (default hci0)")
      .flag("--force", "reset even while the adapter has connections")
      .footer("Exit status: 0 done, 1 refused or failed, 2 bad usage, 3 no kernel Bluetooth,\n"
              "no such adapter, or no permission.");
}

int run_adapter(const args& a) {
  if (a.positional().size() != 1 || (a.positional()[0] != "up" && a.positional()[0] != "reset")) {
    std::fprintf(stderr, "bandwire adapter: expected `up` or `reset` (see bandwire adapter --help)\n");
    return exit_usage;
  }
  int index = 0;
  if (auto name = a.get("--adapter")) {
    auto i = hci::parse_adapter_name(*name);
    if (!i) {
      std::fprintf(stderr, "bandwire adapter: --adapter wants hciN, not '%s'\n", name->c_str());
      return exit_usage;
    }
    index = *i;
  }
  const std::string name = "hci" + std::to_string(index);
  std::string message;
  // Fail fast (no kernel Bluetooth, no such adapter) before any action.
  hci::adapter_info info;
  if (hci::get_adapter(index, info, message)) {
    std::fprintf(stderr, "bandwire: %s\n", message.c_str());
    return exit_connect;
  }
  if (a.positional()[0] == "up") {
    bool was_up = false;
    if (auto ec = hci::adapter_up(index, was_up, message)) {
      std::fprintf(stderr, "bandwire: %s\n", message.c_str());
      return ec.value() == EPERM || ec.value() == EACCES || ec.value() == ENODEV ? exit_connect : exit_failed;
    }
    emit(name + (was_up ? " was already up" : " is up"));
    return exit_ok;
  }
  if (!info.up) {
    std::fprintf(stderr, "bandwire: %s is down; a reset needs it up (try: bandwire adapter up --adapter %s)\n",
                 name.c_str(), name.c_str());
    return exit_failed;
  }
  std::size_t connections = 0;
  if (!hci::adapter_connections(index, connections, message) && connections > 0 && !a.has("--force")) {
    std::fprintf(stderr,
                 "bandwire: %s has %zu open connection(s); a reset would drop them. Disconnect first, or use --force\n",
                 name.c_str(), connections);
    return exit_failed;
  }
  if (auto ec = hci::adapter_reset(index, message)) {
    std::fprintf(stderr, "bandwire: %s\n", message.c_str());
    return ec.value() == EPERM || ec.value() == EACCES ? exit_connect : exit_failed;
  }
  emit(name + " reset" + (connections > 0 ? " (" + std::to_string(connections) + " connection(s) dropped)" : ""));
  return exit_ok;
}

}  // namespace bandwire::tools
