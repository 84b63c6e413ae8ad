// `bandwire scan`: LE scanning over a raw HCI channel (hci::le_scanner) on an
// io_context, one line per device at the end, the Mi Band 2 marked. Legacy
// or extended scanning is chosen from the controller's supported commands;
// scanning that was already on is listened to and left on; Ctrl-C or SIGTERM
// (an asio::signal_set on the same loop) ends the scan early and still
// restores the controller.
#include <signal.h>

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
#include "hci/hci_channel.hpp"
#include "hci/hci_socket.hpp"
#include "hci/le_scanner.hpp"
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

// One device: a JSON object, or a line "ADDR (type) RSSI  "name"  [kind]".
void print_device(const args& a, const device* d, const hci::advertising_data& ad, hci::miband_match match,
                  std::size_t malformed) {
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

// Prints the devices, strongest first; returns how many are Mi Band 2s.
std::size_t print_devices(const args& a, const std::map<std::string, device>& devices) {
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
    print_device(a, d, ad, match, malformed);
  }
  return bands;
}

// Scans on the loop until the duration ends or Ctrl-C/SIGTERM (the scanner
// restores the controller either way). Returns an exit code, or -1 when the
// scan ran (its outcome is in scan_ec and result).
int scan_devices(const args& a, int index, double duration, std::map<std::string, device>& devices,
                 error_code& scan_ec, hci::scan_result& result) {
  std::string message;
  asio::io_context io;
  hci::hci_channel channel(io);
  if (channel.open(index, message)) {
    std::fprintf(stderr, "bandwire: %s\n", message.c_str());
    return exit_connect;
  }

  hci::scan_options o;
  o.params.type = a.has("--passive") ? hci::scan_type::passive : hci::scan_type::active;
  o.mode = a.has("--legacy") ? hci::scan_mode::legacy : a.has("--extended") ? hci::scan_mode::extended
                                                                             : hci::scan_mode::automatic;
  o.on_started = [&](const hci::scan_state& st) {
    std::fprintf(stderr, "bandwire: scanning on hci%d for %.1f s (%s; %s)\n", index, duration,
                 a.has("--passive") ? "passive" : "active", st.note.c_str());
  };
  auto on_report = [&](const hci::adv_report& r) {
    device& d = devices[r.addr.to_string() + "/" + std::to_string(r.address_type)];
    d.addr = r.addr;
    d.address_type = r.address_type;
    ++d.reports;
    if (r.rssi != hci::rssi_unavailable && (d.rssi == hci::rssi_unavailable || r.rssi > d.rssi)) d.rssi = r.rssi;
    if (r.connectable()) d.connectable = true;
    if (!r.data.empty() && d.payloads.size() < 16) d.payloads.emplace(r.data.begin(), r.data.end());
  };

  hci::le_scanner scanner(channel);
  asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](error_code ec, int) {
    if (!ec) scanner.cancel();  // the scanner still restores the controller
  });
  scanner.async_scan(std::move(o), std::chrono::milliseconds(static_cast<long long>(std::llround(duration * 1000))),
                     on_report, [&](error_code ec, hci::scan_result r) {
                       scan_ec = ec;
                       result = std::move(r);
                       signals.cancel();
                     });
  io.run();
  return -1;
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

  std::map<std::string, device> devices;
  error_code scan_ec;
  hci::scan_result result;
  if (int rc = scan_devices(a, index, duration, devices, scan_ec, result); rc >= 0) return rc;

  const bool interrupted = scan_ec == asio::error::operation_aborted;
  if (!result.started) {
    if (interrupted) {
      std::fprintf(stderr, "bandwire: hci%d: interrupted before scanning started\n", index);
      return exit_failed;
    }
    std::fprintf(stderr, "bandwire: hci%d: %s\n", index, result.message.c_str());
    const bool access = scan_ec.category() == boost::system::system_category() &&
                        (scan_ec.value() == EPERM || scan_ec.value() == EACCES || scan_ec.value() == ENETDOWN);
    return access ? exit_connect : exit_failed;
  }

  const std::size_t bands = print_devices(a, devices);
  std::fprintf(stderr, "bandwire: %zu device(s), %zu Mi Band 2%s%s\n", devices.size(), bands,
               interrupted ? " (interrupted)" : "", result.malformed ? " (some events were malformed)" : "");
  if (result.stop_error)
    std::fprintf(stderr, "bandwire: could not stop the scan: %s\n", result.stop_message.c_str());
  if (scan_ec && !interrupted) {
    std::fprintf(stderr, "bandwire: scan ended early: %s\n", result.message.c_str());
    return exit_failed;
  }
  return result.stop_error ? exit_failed : exit_ok;
}

}  // namespace bandwire::tools
