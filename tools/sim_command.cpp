// `bandwire sim`: the virtual Mi Band 2 served on a unix socket or over a
// Bluetooth adapter (tools/sim_adapter.hpp), one connection after another,
// until Ctrl-C, SIGTERM or --duration.
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <cstring>
#include <functional>
#include <memory>
#include <optional>

#include "hci/btsnoop.hpp"
#include "miband/virtual_band.hpp"
#include "miband/virtual_models.hpp"
#include "miband/virtual_strap.hpp"
#include "miband/state_store.hpp"
#include "tools/commands.hpp"
#include "tools/option_set.hpp"
#include "tools/sim_adapter.hpp"
#include "tools/wait.hpp"

namespace bandwire::tools {

// Reads the capture given with --replay into the band's options (in
// sim_replay.cpp). Returns an exit code on failure, -1 on success.
int load_replay_file(const std::string& path, miband::sim_options& so);

namespace {

// The command line, checked before serving.
struct sim_plan {
  std::string path;                          ///< --listen unix:PATH
  std::optional<std::uint16_t> adapter;      ///< --adapter hciN
  double speed = 1, duration = 0;
  miband::sim_model model = miband::sim_model::mb2;
  miband::sim_options so;
};

// Where to serve: --listen or --adapter. Returns a usage error or "".
std::string plan_endpoint(const args& a, sim_plan& p) {
  const std::string listen = a.get("--listen").value_or("");
  const std::string adapter = a.get("--adapter").value_or("");
  if (!listen.empty() && !adapter.empty()) return "use either --listen or --adapter";
  if (auto m = a.get("--model")) {
    auto model = miband::parse_sim_model(*m);
    if (!model) return "--model must be one of " + std::string(miband::sim_model_names());
    // Over the air the band advertises as the Mi Band 2 does (§2.1).
    if (!adapter.empty() && *model != miband::sim_model::mb2) return "--model other than mb2 works with --listen only";
    p.model = *model;
    miband::apply_model(p.model, p.so);
  }
  if (!adapter.empty()) {
    std::optional<unsigned long> index;
    if (adapter.rfind("hci", 0) == 0) index = parse_number(adapter.substr(3), 255);
    if (!index) return "--adapter must look like hci0";
    p.adapter = static_cast<std::uint16_t>(*index);
  } else if (listen.rfind("unix:", 0) != 0) {
    return "--listen unix:/path or --adapter hciN is required";
  }
  p.path = p.adapter ? std::string() : listen.substr(5);
  sockaddr_un sa{};
  if (!p.adapter && (p.path.empty() || p.path.size() >= sizeof sa.sun_path)) return "socket path empty or too long";
  if (auto v = a.get("--address")) {
    auto addr = hci::address::parse(*v);
    if (!addr) return "--address must look like FA:8E:E3:12:B4:A9";
    // Static random (Vol 6 Part B §1.3.2.1), as the real band's (§2.1).
    if (p.adapter && (addr->b[0] & 0xc0) != 0xc0)
      return "--address must be a static random address (first octet C0..FF) with --adapter";
    p.so.address = addr->to_string();
  }
  return {};
}

// The band's behaviour: timings, drops, signals, tap, key. Returns a usage
// error or "".
std::string plan_band(const args& a, sim_plan& p) {
  auto& so = p.so;
  try {
    if (auto v = a.get("--speed")) p.speed = std::stod(*v);
    if (auto v = a.get("--duration")) p.duration = std::stod(*v);
    if (auto v = a.get("--drop-after")) so.drop_after = std::chrono::milliseconds(static_cast<long long>(std::stod(*v) * 1000));
  } catch (...) {
    return "--speed, --duration and --drop-after take numbers";
  }
  if (!(p.speed >= 0.1 && p.speed <= 10000)) return "--speed must be in [0.1, 10000]";
  if (auto v = a.get("--drop-after-pdus")) {
    auto n = parse_number(*v, 1000000);
    if (!n || *n == 0) return "--drop-after-pdus must be a positive count";
    so.drop_after_pdus = *n;
  }
  if (auto v = a.get("--seed")) {
    auto n = parse_number(*v, 0xffffffff);
    if (!n) return "--seed must be a number";
    so.seed = static_cast<std::uint32_t>(*n);
  }
  if (auto v = a.get("--interval")) {
    // A real adapter's link has connection events of its own.
    if (p.adapter) return "--interval models a link: not with --adapter, whose link is real";
    auto ms = parse_number(*v, 4000);
    if (!ms || *ms < 7) return "--interval must be 7..4000 ms (the connection interval)";
    so.link = miband::link_timing{std::chrono::milliseconds(*ms)};
  }
  if (auto t = a.get("--tap")) {
    if (*t == "accept") so.tap = miband::tap_behaviour::accept;
    else if (*t == "refuse") so.tap = miband::tap_behaviour::refuse;
    else if (*t == "none") so.tap = miband::tap_behaviour::none;
    else return "--tap must be accept, refuse or none";
  }
  for (const auto& id : a.all("--refuse-setting")) {
    auto n = parse_number(id, 0xffff);
    if (!n) return "--refuse-setting takes a setting id of the 06 family, e.g. 0x0d";
    so.unsupported_settings.push_back(static_cast<std::uint16_t>(*n));
  }
  if (auto kf = a.get("--key-file")) {
    std::string err;
    so.key = miband::key_from_user(*kf, err);
    if (!err.empty()) return err;
  }
  return {};
}

// Serves the band on a listening AF_UNIX socket, one connection after
// another. SOCK_SEQPACKET keeps ATT PDU boundaries, as L2CAP does.
class unix_server {
 public:
  unix_server(asio::io_context& io, miband::virtual_band& band) : io_(io), band_(band) {}

  /// Prints what failed; returns an exit code, or -1 when listening.
  int start(const sim_plan& p) {
    int lfd = ::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
    if (lfd < 0) {
      std::fprintf(stderr, "bandwire sim: socket: %s (see bandwire sim --help)\n", std::strerror(errno));
      return exit_usage;
    }
    sockaddr_un sa{};
    sa.sun_family = AF_UNIX;
    std::memcpy(sa.sun_path, p.path.data(), p.path.size());
    ::unlink(p.path.c_str());  // a stale socket from an earlier run
    if (::bind(lfd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) < 0 || ::listen(lfd, 4) < 0) {
      std::fprintf(stderr, "bandwire sim: cannot listen on %s: %s\n", p.path.c_str(), std::strerror(errno));
      ::close(lfd);
      return exit_failed;
    }
    acceptor_.emplace(io_, asio::generic::seq_packet_protocol(AF_UNIX, 0), lfd);
    const char* state = p.model == miband::sim_model::hrs ? " (no pairing needed)"
                        : p.so.key                        ? " (already paired)"
                        : p.so.can_bind                   ? " (new band: pair it first)"
                                                          : " (holds a key nobody knows: give one with --key-file)";
    std::fprintf(stderr, "bandwire sim: virtual %s %s listening on unix:%s%s\n", miband::describe(p.model),
                 p.so.address.c_str(), p.path.c_str(), state);
    accept_next();
    return -1;
  }
  void stop() {
    error_code ignored;
    if (acceptor_) acceptor_->close(ignored);
  }

 private:
  void accept_next() {
    acceptor_->async_accept([this](error_code ec, seqpacket_socket s) {
      if (ec == asio::error::operation_aborted) return;
      if (!ec) {
        if (band_.serve(std::move(s)))
          std::fprintf(stderr, "bandwire sim: connected\n");
        else
          std::fprintf(stderr, "bandwire sim: refused a second connection (one at a time, as the band)\n");
      }
      accept_next();
    });
  }

  asio::io_context& io_;
  miband::virtual_band& band_;
  std::optional<asio::basic_socket_acceptor<asio::generic::seq_packet_protocol>> acceptor_;
};

// Serves until Ctrl-C, SIGTERM or --duration.
int serve(const sim_plan& p) {
  asio::io_context io;
  scaled_clock clock(p.speed);
  miband::virtual_band band(io.get_executor(), clock, p.so);
  std::unique_ptr<sim_adapter> over_the_air;
  unix_server local(io, band);
  if (p.adapter) {
    over_the_air = std::make_unique<sim_adapter>(io, band, *p.adapter, *hci::address::parse(p.so.address));
    if (int rc = over_the_air->start(); rc >= 0) return rc;
    std::fprintf(stderr, "bandwire sim: %s\n", p.so.key ? "already paired" : "a new band: pair it first");
  } else if (int rc = local.start(p); rc >= 0) {
    return rc;
  }
  band.on_disconnect([&] {
    const auto& st = band.stats();
    if (const auto* strap = band.strap())
      std::fprintf(stderr, "bandwire sim: link closed (connections %u, heart rate notifications %u, control point writes %zu)\n",
                   strap->stats().connections, strap->stats().notifications, strap->stats().control_writes.size());
    else
      std::fprintf(stderr, "bandwire sim: link closed (connections %u, sensor packets %u, heart rate values %u)\n",
                   st.connections, st.sensor_packets, st.hr_values);
    if (over_the_air) over_the_air->link_closed();
  });
  // Each setting or alarm written to the band, as the band took or refused it.
  auto settings_log = band.settings().on_log([](const std::string& l) {
    std::fprintf(stderr, "bandwire sim: %s\n", l.c_str());
  });
  band.on_alert([](const miband::virtual_band::alert_write& w) {
    std::fprintf(stderr, "bandwire sim: %s %s at band time %.3f s\n", w.to_new_alert ? "new alert" : "alert level",
                 to_hex(w.value).c_str(), w.at);
  });
  stop_wait until(io, p.duration);
  until.async_wait([&] {
    local.stop();
    if (over_the_air) over_the_air->stop();
    band.drop_link();
    io.stop();
  });
  io.run();
  if (!p.path.empty()) ::unlink(p.path.c_str());
  return exit_ok;
}

}  // namespace

void declare_sim(option_set& o) {
  o.usage("sim --listen unix:/path [options]")
      .usage("sim --adapter hciN [options]")
      .description("Runs a virtual Mi Band 2: the real band's GATT database (handle for handle), its\n"
                   "auth, heart-rate timings and raw sensor streaming, with realistic signals. Any\n"
                   "bandwire command (or any ATT client) connects to it with --device unix:/path,\n"
                   "one connection after another, until Ctrl-C, SIGTERM or --duration. --model serves\n"
                   "another family's virtual device instead (unix sockets only).")
      .value("--listen", "unix:/path", "where to serve (a SOCK_SEQPACKET socket; replaced if stale)")
      .value("--model", "M", "the device: mb2 (default), mb3 (Mi Band 3), mb4 (Mi Band 4:\n"
                             "crypt-flag auth, no key bind, public address; give its key\n"
                             "with --key-file), hrx (Mi Band HRX: no heart-rate service),\n"
                             "hrs (a standard heart-rate strap sending RR intervals)")
      .value("--adapter", "hciN", "serve over this Bluetooth adapter as the real band does:\n"
                                  "LE only, a static random address, the band's advertising\n"
                                  "data and scan response (\"MI Band 2\"), connectable, and\n"
                                  "Just Works pairing accepted; clients connect with\n"
                                  "--device ADDRESS --addr-type random. Takes the adapter\n"
                                  "over (powers it off and on); needs CAP_NET_ADMIN")
      .value("--address", "ADDR", "the band's address (default FA:8E:E3:12:B4:A9, the real\n"
                                  "band of the fact sheet); with --adapter a static random\n"
                                  "address (top two bits set)")
      .value("--key-file", "FILE", "the key the band already holds (32 hex digits); without\n"
                                   "it the band is new and must be paired (bandwire pair)")
      .value("--tap", "T", "accept (default), refuse or none: what the simulated user\n"
                           "does when the band asks for a tap to bind a key")
      .value("--replay", "FILE", "stream the raw sensor and heart-rate notifications\n"
                                 "recorded in this btsnoop capture instead of synthetic data")
      .value("--speed", "N", "run all band timings N times faster")
      .value("--drop-after-pdus", "N", "drop each link after N PDUs from the client")
      .value("--drop-after", "S", "drop each link after S seconds")
      .value("--interval", "MS", "model the link's connection events: one request/response\n"
                                 "per MS milliseconds, several notifications per event\n"
                                 "(CAP-A's interval is 50); not with --adapter")
      .value("--seed", "N", "signal generator seed (default 1)")
      .value("--refuse-setting", "ID", "answer `10 06 06` (not supported) to this `06` setting id,\n"
                                      "e.g. 0x0d (repeatable); settings and alarms written to the\n"
                                      "band are logged on stderr")
      .value("--duration", "S", "stop after S seconds");
}

int run_sim(const args& a) {
  sim_plan p;
  std::string e = plan_endpoint(a, p);
  if (e.empty()) e = plan_band(a, p);
  if (!e.empty()) {
    std::fprintf(stderr, "bandwire sim: %s (see bandwire sim --help)\n", e.c_str());
    return exit_usage;
  }
  if (auto r = a.get("--replay")) {
    if (int rc = load_replay_file(*r, p.so); rc >= 0) return rc;
  }
  return serve(p);
}

}  // namespace bandwire::tools
