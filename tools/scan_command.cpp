// `bandwire scan`: LE scanning over a raw HCI socket (hci::le_scanner), one
// line per device at the end, the Mi Band 2 marked. Legacy or extended
// scanning is chosen from the controller's supported commands; scanning that
// was already on is listened to and left on; Ctrl-C ends the scan early and
// still restores the controller.
#include <sys/signalfd.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "hci/adv_data.hpp"
#include "hci/hci_socket.hpp"
#include "tools/args.hpp"
#include "tools/commands.hpp"
#include "tools/hci_commands.hpp"
#include "tools/option_set.hpp"
#include "tools/output.hpp"

namespace bandwire::tools {

namespace {

struct device {
  hci::address addr{};
  std::uint8_t address_type = 0;
  std::int8_t rssi = hci::rssi_unavailable;  ///< the strongest seen
  std::size_t reports = 0;
  bool connectable = false;
  std::set<std::vector<std::uint8_t>> payloads;  ///< distinct AD payloads (adv + scan response)
};

std::string type_name(std::uint8_t t) {
  switch (t) {
    case hci::report_address::public_device: return "public";
    case hci::report_address::random_device: return "random";
    case hci::report_address::public_identity: return "public-id";
    case hci::report_address::random_identity: return "random-id";
    case hci::report_address::anonymous: return "anonymous";
    default: return "type" + std::to_string(t);
  }
}

// Blocks SIGINT/SIGTERM and turns them into a readable descriptor, restored
// on destruction.
class signal_fd {
 public:
  signal_fd() {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    if (::sigprocmask(SIG_BLOCK, &set, &old_) == 0) {
      blocked_ = true;
      fd_ = ::signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
    }
  }
  ~signal_fd() {
    if (fd_ >= 0) ::close(fd_);
    if (blocked_) ::sigprocmask(SIG_SETMASK, &old_, nullptr);
  }
  signal_fd(const signal_fd&) = delete;
  signal_fd& operator=(const signal_fd&) = delete;
  int fd() const noexcept { return fd_; }

 private:
  sigset_t old_{};
  bool blocked_ = false;
  int fd_ = -1;
};

int choose_adapter(const args& a, int& index, std::string& error) {
  if (auto name = a.get("--adapter")) {
    auto i = hci::parse_adapter_name(*name);
    if (!i) {
      error = "--adapter wants hciN, not '" + *name + "'";
      return exit_usage;
    }
    index = *i;
    return exit_ok;
  }
  std::vector<hci::adapter_info> list;
  if (hci::list_adapters(list, error)) return exit_connect;
  for (const auto& ad : list)
    if (ad.up && ad.le) {
      index = ad.index;
      return exit_ok;
    }
  error = list.empty() ? "no Bluetooth adapter found (see: bandwire doctor)"
                       : "no adapter is up with LE support (try: bandwire adapter up; see: bandwire adapters)";
  return exit_connect;
}

}  // namespace

void declare_scan(option_set& o) {
  o.usage("scan [--duration S] [--json] [--adapter hciN] [--passive]\n"
          "                     [--legacy | --extended]")
      .description("Scan for Bluetooth LE devices and list each once: address and type, RSSI,\n"
                   "name, and whether it is a Mi Band 2.")
      .value("--duration", "S", "seconds to scan (default 5; Ctrl-C stops early)")
      .flag("--json", "one JSON object per device")
      .value("--adapter", "hciN", "the adapter (default: the first one that is up and has LE)")
      .flag("--passive", "do not send scan requests: no scan responses, so no names\n"
                         "(a Mi Band 2 is still recognised by its manufacturer data)")
      .flag("--legacy", "force the legacy LE scan commands")
      .flag("--extended", "force the extended LE scan commands (Bluetooth 5)")
      .footer("Needs CAP_NET_RAW (root, or `setcap cap_net_raw+ep`). Exit status: 0 done,\n"
              "1 the scan failed, 2 bad usage, 3 no kernel Bluetooth, no usable adapter or\n"
              "no permission.");
}

int run_scan(const args& a) {
  if (a.has("--legacy") && a.has("--extended")) {
    std::fprintf(stderr, "bandwire scan: --legacy and --extended exclude each other (see bandwire scan --help)\n");
    return exit_usage;
  }
  double duration = 5.0;
  if (auto d = a.get("--duration")) {
    char* end = nullptr;
    duration = std::strtod(d->c_str(), &end);
    if (end == d->c_str() || *end != '\0' || !(duration > 0) || duration > 86400) {
      std::fprintf(stderr, "bandwire scan: --duration must be a positive number of seconds\n");
      return exit_usage;
    }
  }
  int index = 0;
  std::string message;
  if (int rc = choose_adapter(a, index, message); rc != exit_ok) {
    std::fprintf(stderr, rc == exit_usage ? "bandwire scan: %s\n" : "bandwire: %s\n", message.c_str());
    return rc;
  }

  hci::hci_socket sock;
  if (hci::hci_socket::open(index, sock, message)) {
    std::fprintf(stderr, "bandwire: %s\n", message.c_str());
    return exit_connect;
  }
  signal_fd signals;
  sock.set_cancel_fd(signals.fd());

  hci::scan_options o;
  o.params.type = a.has("--passive") ? hci::scan_type::passive : hci::scan_type::active;
  o.mode = a.has("--legacy") ? hci::scan_mode::legacy : a.has("--extended") ? hci::scan_mode::extended
                                                                             : hci::scan_mode::automatic;
  hci::le_scanner scanner(sock);
  if (auto ec = scanner.start(o, message)) {
    std::fprintf(stderr, "bandwire: hci%d: %s\n", index, message.c_str());
    const bool access = ec.category() == boost::system::system_category() &&
                        (ec.value() == EPERM || ec.value() == EACCES || ec.value() == ENETDOWN);
    return access ? exit_connect : exit_failed;
  }
  std::fprintf(stderr, "bandwire: scanning on hci%d for %.1f s (%s; %s)\n", index, duration,
               a.has("--passive") ? "passive" : "active", scanner.state().note.c_str());

  std::map<std::string, device> devices;
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(static_cast<long long>(std::llround(duration * 1000)));
  const auto run_ec = scanner.run(deadline, [&](const hci::adv_report& r) {
    device& d = devices[r.addr.to_string() + "/" + std::to_string(r.address_type)];
    d.addr = r.addr;
    d.address_type = r.address_type;
    ++d.reports;
    if (r.rssi != hci::rssi_unavailable && (d.rssi == hci::rssi_unavailable || r.rssi > d.rssi)) d.rssi = r.rssi;
    if (r.connectable()) d.connectable = true;
    if (!r.data.empty() && d.payloads.size() < 16) d.payloads.emplace(r.data.begin(), r.data.end());
  });
  std::string stop_message;
  const auto stop_ec = scanner.stop(stop_message);
  const bool interrupted = run_ec == boost::system::errc::operation_canceled;

  // Strongest first.
  std::vector<const device*> order;
  for (const auto& [key, d] : devices) order.push_back(&d);
  std::stable_sort(order.begin(), order.end(), [](const device* x, const device* y) { return x->rssi > y->rssi; });
  std::size_t bands = 0;
  for (const device* d : order) {
    hci::advertising_data ad;
    std::size_t malformed = 0;
    for (const auto& p : d->payloads)
      if (hci::parse_advertising_data(p, ad)) ++malformed;
    const auto match = hci::recognise_miband2(ad, &d->addr);
    if (match == hci::miband_match::miband2) ++bands;
    const std::string kind = match == hci::miband_match::miband2 ? "Mi Band 2"
                             : match == hci::miband_match::huami ? "Huami"
                                                                 : "";
    if (a.has("--json")) {
      json_object j;
      j.add("address", d->addr.to_string()).add("address_type", type_name(d->address_type));
      if (d->rssi != hci::rssi_unavailable) j.add("rssi", static_cast<int>(d->rssi));
      if (ad.name) j.add("name", *ad.name);
      j.add("miband2", match == hci::miband_match::miband2).add("huami", match != hci::miband_match::none);
      j.add("connectable", d->connectable).add("reports", static_cast<unsigned long long>(d->reports));
      if (ad.tx_power) j.add("tx_power", static_cast<int>(*ad.tx_power));
      std::string uuids = "[";
      for (const auto& u : ad.service_uuids) uuids += (uuids.size() > 1 ? "," : "") + json_string(u.to_string());
      j.add_raw("services", uuids + "]");
      std::string mfr = "[";
      for (const auto& m : ad.manufacturer)
        mfr += std::string(mfr.size() > 1 ? "," : "") + json_object().add("company", m.company).add("data", to_hex(m.data)).str();
      j.add_raw("manufacturer", mfr + "]");
      if (malformed) j.add("malformed_payloads", static_cast<unsigned long long>(malformed));
      emit(j.str());
    } else {
      char rssi[16];
      if (d->rssi == hci::rssi_unavailable)
        std::snprintf(rssi, sizeof rssi, "   ? dBm");
      else
        std::snprintf(rssi, sizeof rssi, "%4d dBm", d->rssi);
      std::string line = d->addr.to_string() + " (" + type_name(d->address_type) + ") " + rssi;
      if (ad.name) line += "  \"" + *ad.name + "\"";
      if (!kind.empty()) line += "  [" + kind + "]";
      emit(line);
    }
  }
  std::fprintf(stderr, "bandwire: %zu device(s), %zu Mi Band 2%s%s\n", devices.size(), bands,
               interrupted ? " (interrupted)" : "", scanner.malformed() ? " (some events were malformed)" : "");
  if (stop_ec) std::fprintf(stderr, "bandwire: could not stop the scan: %s\n", stop_message.c_str());
  if (run_ec && !interrupted) {
    const std::string why = run_ec.category() == boost::system::system_category()
                                ? hci::explain_errno(run_ec.value(), "read events")
                                : run_ec.message();
    std::fprintf(stderr, "bandwire: scan ended early: %s\n", why.c_str());
    return exit_failed;
  }
  return stop_ec ? exit_failed : exit_ok;
}

}  // namespace bandwire::tools
