// `bandwire agent`: a Just Works pairing agent for hosts without bluetoothd.
// The kernel asks user space to confirm LE Just Works pairing and stalls
// after the Pairing Response when nobody answers (kernel-test-recipe.md
// pitfall 6), so `--security medium` needs this (or bluetoothd) running.
#include <csignal>
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include "hci/pairing_agent.hpp"
#include "tools/wait.hpp"
#include "tools/commands.hpp"
#include "tools/option_set.hpp"

namespace bandwire::tools {

void declare_agent(option_set& o) {
  o.usage("agent [options]")
      .description("Answers the kernel's pairing confirmations so that LE pairing (Just Works,\n"
                   "e.g. `bandwire info --device ADDRESS --security medium`) works without\n"
                   "bluetoothd. Numeric comparison requests are refused unless --accept-numeric.\n"
                   "Runs until Ctrl-C, SIGTERM or --duration; needs CAP_NET_ADMIN.")
      .value("--adapter", "hciN", "answer only for this adapter (default: every adapter)")
      .flag("--accept-numeric", "also accept numeric comparison (hint 0) without showing it")
      .value("--duration", "S", "stop after S seconds");
}

int run_agent(const args& a) {
  auto usage = [](const std::string& m) {
    std::fprintf(stderr, "bandwire agent: %s (see bandwire agent --help)\n", m.c_str());
    return exit_usage;
  };
  if (!a.positional().empty()) return usage("unexpected argument '" + a.positional()[0] + "'");
  std::optional<std::uint16_t> index;
  if (auto ad = a.get("--adapter")) {
    std::optional<unsigned long> n;
    if (ad->rfind("hci", 0) == 0) n = parse_number(ad->substr(3), 255);
    if (!n) return usage("--adapter must look like hci0");
    index = static_cast<std::uint16_t>(*n);
  }
  double duration = 0;
  if (auto d = a.get("--duration")) {
    try {
      duration = std::stod(*d);
    } catch (...) {
      duration = -1;
    }
    if (!(duration > 0)) return usage("--duration must be positive seconds");
  }

  hci::mgmt::socket s;
  std::string message;
  if (hci::mgmt::socket::open(s, message)) {
    std::fprintf(stderr, "bandwire agent: %s\n", message.c_str());
    return exit_connect;
  }
  asio::io_context io;
  hci::pairing_agent agent(io, std::move(s), index, a.has("--accept-numeric"));
  agent.on_decision([](const hci::pairing_agent::decision& d) {
    const std::string how =
        d.request.confirm_hint == 1 ? "Just Works" : "numeric comparison " + std::to_string(d.request.value);
    std::printf("hci%u %s pairing with %s (%s)\n", d.index, d.accepted ? "accepted" : "refused",
                d.request.addr.to_string().c_str(), how.c_str());
    std::fflush(stdout);
  });
  agent.start();
  std::fprintf(stderr, "bandwire agent: answering pairing confirmations on %s\n",
               index ? ("hci" + std::to_string(*index)).c_str() : "every adapter");

  stop_wait wait(io, duration);
  wait.async_wait([&] { agent.stop(); });
  io.run();
  return exit_ok;
}

}  // namespace bandwire::tools
