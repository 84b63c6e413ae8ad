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
#include "tools/args.hpp"
#include "tools/commands.hpp"
#include "tools/sim_adapter.hpp"
#include "miband/state_store.hpp"

namespace bandwire::tools {

namespace {

constexpr const char* sim_help = R"(usage: bandwire sim --listen unix:/path [options]
       bandwire sim --adapter hciN [options]

Runs a virtual Mi Band 2: the real band's GATT database (handle for handle), its
auth, heart-rate timings and raw sensor streaming, with realistic signals. Any
bandwire command (or any ATT client) connects to it with --device unix:/path,
one connection after another, until Ctrl-C, SIGTERM or --duration.

  --listen unix:/path    where to serve (a SOCK_SEQPACKET socket; replaced if stale)
  --adapter hciN         serve over this Bluetooth adapter as the real band does:
                         LE only, a static random address, the band's advertising
                         data and scan response ("MI Band 2"), connectable, and
                         Just Works pairing accepted; clients connect with
                         --device ADDRESS --addr-type random. Takes the adapter
                         over (powers it off and on); needs CAP_NET_ADMIN
  --address ADDR         the band's address (default FA:8E:E3:12:B4:A9, the real
                         band of the fact sheet); with --adapter a static random
                         address (top two bits set)
  --key-file FILE        the key the band already holds (32 hex digits); without
                         it the band is new and must be paired (bandwire pair)
  --tap T                accept (default), refuse or none: what the simulated user
                         does when the band asks for a tap to bind a key
  --replay FILE          stream the raw sensor and heart-rate notifications
                         recorded in this btsnoop capture instead of synthetic data
  --speed N              run all band timings N times faster
  --drop-after-pdus N    drop each link after N PDUs from the client
  --drop-after S         drop each link after S seconds
  --seed N               signal generator seed (default 1)
  --duration S           stop after S seconds
)";

}  // namespace

// Reads the capture given with --replay into the band's options (in
// sim_replay.cpp). Returns an exit code on failure, -1 on success.
int load_replay_file(const std::string& path, miband::sim_options& so);

int run_sim(const std::vector<std::string>& argv) {
  args a(argv, {"--listen", "--adapter", "--address", "--key-file", "--tap", "--replay", "--speed", "--drop-after-pdus",
                "--drop-after", "--seed", "--duration"},
         {"--help"});
  if (a.has("--help")) {
    std::fputs(sim_help, stdout);
    return exit_ok;
  }
  auto usage = [](const std::string& m) {
    std::fprintf(stderr, "bandwire sim: %s (see bandwire sim --help)\n", m.c_str());
    return exit_usage;
  };
  if (!a.ok()) return usage(a.error());
  if (!a.positional().empty()) return usage("unexpected argument '" + a.positional()[0] + "'");
  const std::string listen = a.get("--listen").value_or("");
  const std::string adapter = a.get("--adapter").value_or("");
  if (!listen.empty() && !adapter.empty()) return usage("use either --listen or --adapter");
  std::optional<unsigned long> adapter_index;
  if (!adapter.empty()) {
    if (adapter.rfind("hci", 0) == 0) adapter_index = parse_number(adapter.substr(3), 255);
    if (!adapter_index) return usage("--adapter must look like hci0");
  } else if (listen.rfind("unix:", 0) != 0) {
    return usage("--listen unix:/path or --adapter hciN is required");
  }
  const std::string path = adapter_index ? std::string() : listen.substr(5);
  sockaddr_un sa{};
  if (!adapter_index && (path.empty() || path.size() >= sizeof sa.sun_path))
    return usage("socket path empty or too long");

  miband::sim_options so;
  if (auto v = a.get("--address")) {
    auto addr = hci::address::parse(*v);
    if (!addr) return usage("--address must look like FA:8E:E3:12:B4:A9");
    // Static random (Vol 6 Part B §1.3.2.1), as the real band's (§2.1).
    if (adapter_index && (addr->b[0] & 0xc0) != 0xc0)
      return usage("--address must be a static random address (first octet C0..FF) with --adapter");
    so.address = addr->to_string();
  }
  double speed = 1, duration = 0;
  try {
    if (auto v = a.get("--speed")) speed = std::stod(*v);
    if (auto v = a.get("--duration")) duration = std::stod(*v);
    if (auto v = a.get("--drop-after")) so.drop_after = std::chrono::milliseconds(static_cast<long long>(std::stod(*v) * 1000));
  } catch (...) {
    return usage("--speed, --duration and --drop-after take numbers");
  }
  if (!(speed >= 0.1 && speed <= 10000)) return usage("--speed must be in [0.1, 10000]");
  if (auto v = a.get("--drop-after-pdus")) {
    auto n = parse_number(*v, 1000000);
    if (!n || *n == 0) return usage("--drop-after-pdus must be a positive count");
    so.drop_after_pdus = *n;
  }
  if (auto v = a.get("--seed")) {
    auto n = parse_number(*v, 0xffffffff);
    if (!n) return usage("--seed must be a number");
    so.seed = static_cast<std::uint32_t>(*n);
  }
  if (auto t = a.get("--tap")) {
    if (*t == "accept") so.tap = miband::tap_behaviour::accept;
    else if (*t == "refuse") so.tap = miband::tap_behaviour::refuse;
    else if (*t == "none") so.tap = miband::tap_behaviour::none;
    else return usage("--tap must be accept, refuse or none");
  }
  if (auto kf = a.get("--key-file")) {
    std::string err;
    so.key = miband::key_from_user(*kf, err);
    if (!err.empty()) return usage(err);
  }
  if (auto r = a.get("--replay")) {
    if (int rc = load_replay_file(*r, so); rc >= 0) return rc;
  }

  asio::io_context io;
  scaled_clock clock(speed);
  miband::virtual_band band(io.get_executor(), clock, so);

  std::unique_ptr<sim_adapter> over_the_air;
  std::optional<asio::basic_socket_acceptor<asio::generic::seq_packet_protocol>> acceptor;
  std::function<void()> accept_next;
  if (adapter_index) {
    over_the_air = std::make_unique<sim_adapter>(io, band, static_cast<std::uint16_t>(*adapter_index),
                                                 *hci::address::parse(so.address));
    if (int rc = over_the_air->start(); rc >= 0) return rc;
    std::fprintf(stderr, "bandwire sim: %s\n", so.key ? "already paired" : "a new band: pair it first");
  } else {
    // Listening socket: SOCK_SEQPACKET keeps ATT PDU boundaries, as L2CAP does.
    int lfd = ::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
    if (lfd < 0) return usage(std::string("socket: ") + std::strerror(errno));
    sa.sun_family = AF_UNIX;
    std::memcpy(sa.sun_path, path.data(), path.size());
    ::unlink(path.c_str());  // a stale socket from an earlier run
    if (::bind(lfd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) < 0 || ::listen(lfd, 4) < 0) {
      std::fprintf(stderr, "bandwire sim: cannot listen on %s: %s\n", path.c_str(), std::strerror(errno));
      ::close(lfd);
      return exit_failed;
    }
    asio::generic::seq_packet_protocol proto(AF_UNIX, 0);
    acceptor.emplace(io, proto, lfd);
    std::fprintf(stderr, "bandwire sim: virtual Mi Band 2 %s listening on unix:%s%s\n", so.address.c_str(),
                 path.c_str(), so.key ? " (already paired)" : " (new band: pair it first)");
    accept_next = [&] {
      acceptor->async_accept([&](error_code ec, seqpacket_socket s) {
        if (ec == asio::error::operation_aborted) return;
        if (!ec) {
          if (band.serve(std::move(s)))
            std::fprintf(stderr, "bandwire sim: connected\n");
          else
            std::fprintf(stderr, "bandwire sim: refused a second connection (one at a time, as the band)\n");
        }
        accept_next();
      });
    };
    accept_next();
  }

  band.on_disconnect([&] {
    const auto& st = band.stats();
    std::fprintf(stderr, "bandwire sim: link closed (connections %u, sensor packets %u, heart rate values %u)\n",
                 st.connections, st.sensor_packets, st.hr_values);
    if (over_the_air) over_the_air->link_closed();
  });

  asio::signal_set signals(io, SIGINT, SIGTERM);
  asio::steady_timer timer(io);
  auto stop = [&] {
    error_code ignored;
    if (acceptor) acceptor->close(ignored);
    if (over_the_air) over_the_air->stop();
    signals.cancel();
    timer.cancel();
    band.drop_link();
    io.stop();
  };
  signals.async_wait([&](error_code ec, int) {
    if (!ec) stop();
  });
  if (duration > 0) {
    timer.expires_after(std::chrono::microseconds(static_cast<long long>(duration * 1e6)));
    timer.async_wait([&](error_code ec) {
      if (!ec) stop();
    });
  }
  io.run();
  if (!path.empty()) ::unlink(path.c_str());
  return exit_ok;
}

}  // namespace bandwire::tools
