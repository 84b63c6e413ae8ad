#include "tools/band_session.hpp"

#include <sys/socket.h>

#include <chrono>
#include <cstdlib>
#include <random>

#include "gatt/error.hpp"
#include "miband/error.hpp"
#include "miband/uuids.hpp"
#include "tools/await.hpp"
#include "tools/commands.hpp"

namespace bandwire::tools {

using namespace std::chrono_literals;

std::set<std::string> band_value_options() {
  auto s = target_value_options;
  s.insert({"--state-dir", "--key-file", "--auth-flag", "--speed", "--btsnoop", "--sim-tap", "--sim-drop-after"});
  return s;
}
std::set<std::string> band_flags() { return {"--json", "--help", "--refresh", "--show-secrets"}; }

const char* band_common_help = R"(DEVICE OPTIONS (every band command):
  --device TARGET        sim (an in-process virtual Mi Band 2), unix:/path (a band
                         served by `bandwire sim --listen unix:/path`), or the band's
                         address AA:BB:CC:DD:EE:FF (random address type by default)
  --addr-type T          random (default) or public
  --adapter hciN         local adapter for a Bluetooth address
  --timeout S            connect timeout in seconds (default 10)
  --state-dir DIR        keys and GATT cache (default $XDG_STATE_HOME/bandwire,
                         else ~/.local/state/bandwire)
  --key-file FILE        the band's key, 32 hex digits (else $BANDWIRE_KEY, else the
                         key `bandwire pair` stored for this device)
  --auth-flag 0|8        the auth flag byte: 0 as Mi Fit (default), 8 as Gadgetbridge
  --refresh              ignore the cached GATT database and rediscover
  --btsnoop FILE         record the session's ATT traffic as a btsnoop file
                         (Wireshark/tshark open it); the bound key is masked
  --show-secrets         do not mask the key in recordings
  --json                 one JSON object per output line
  --speed N              with --device sim only: run all protocol timings N times faster
  --sim-tap T            with --device sim only: accept (default), refuse or none,
                         what the simulated user does when asked to tap the band
  --sim-drop-after S     with --device sim only: the band drops each link after S
                         seconds (band time), to watch reconnection
)";

band_session::band_session(const args& args_) : a(args_) {}

band_session::~band_session() {
  band.reset();
  client.reset();
}

int band_session::configure(const char* command) {
  if (!a.ok()) {
    std::fprintf(stderr, "bandwire %s: %s (see bandwire %s --help)\n", command, a.error().c_str(), command);
    return exit_usage;
  }
  std::string err;
  topts_ = read_target_options(a, err);
  if (!err.empty()) {
    std::fprintf(stderr, "bandwire %s: %s\n", command, err.c_str());
    return exit_usage;
  }
  json = a.has("--json");
  refresh_ = a.has("--refresh");
  show_secrets_ = a.has("--show-secrets");
  store_ = state_store(a.get("--state-dir").value_or(""));
  key_file_ = a.get("--key-file").value_or("");
  if (auto f = a.get("--auth-flag")) {
    auto v = parse_number(*f, 255);
    if (!v || (*v != 0 && *v != 8)) {
      std::fprintf(stderr, "bandwire %s: --auth-flag must be 0 or 8\n", command);
      return exit_usage;
    }
    auth_opts_.auth_flag = static_cast<std::uint8_t>(*v);
  }
  if (auto s = a.get("--speed")) {
    double v = 0;
    try {
      v = std::stod(*s);
    } catch (...) {
    }
    if (!(v >= 0.1 && v <= 10000)) {
      std::fprintf(stderr, "bandwire %s: --speed must be in [0.1, 10000]\n", command);
      return exit_usage;
    }
    if (topts_.device != "sim") {
      std::fprintf(stderr, "bandwire %s: --speed works only with --device sim\n", command);
      return exit_usage;
    }
    clock = scaled_clock(v);
  }
  if ((a.has("--sim-tap") || a.has("--sim-drop-after")) && topts_.device != "sim") {
    std::fprintf(stderr, "bandwire %s: --sim-tap and --sim-drop-after work only with --device sim\n", command);
    return exit_usage;
  }
  device_id = state_store::device_id(topts_.device.rfind("unix:", 0) == 0 ? topts_.device : topts_.device);
  return -1;
}

int band_session::fail(const std::string& what, const error_code& ec) {
  std::string why = ec.message();
  if (ec == miband::errc::key_rejected)
    why += ". bandwire does not re-bind on its own: run `bandwire pair --device " + topts_.device +
           " --force` to bind a new key (you will tap the band)";
  else if (ec == gatt::errc::not_in_cache)
    why += " (is this a Mi Band 2? try --refresh)";
  std::fprintf(stderr, "bandwire: %s failed: %s\n", what.c_str(), why.c_str());
  return exit_failed;
}

void band_session::start_recording(const std::string& path) {
  if (!recorder_.open(path)) return;
  // Mask the key of a bind write `01 <flag> <key16>` (fact sheet §4.1).
  recorder_.mask = [this](std::vector<std::uint8_t>& pdu, bool sent) {
    if (show_secrets_ || !sent || !client || pdu.size() != 21 || (pdu[0] != 0x52 && pdu[0] != 0x12) || pdu[3] != 0x01)
      return;
    const auto* auth = client->find_characteristic(miband::uuids::auth());
    if (auth && get_le16(&pdu[1]) == auth->value_handle) std::fill(pdu.begin() + 5, pdu.end(), 0x00);
  };
  recorder_.attach(*conn.bearer);
}

namespace {
std::array<std::uint8_t, 16> random_key_bytes() {
  std::random_device rd;  // /dev/urandom on Linux
  std::array<std::uint8_t, 16> k{};
  for (auto& b : k) b = static_cast<std::uint8_t>(rd());
  return k;
}
}  // namespace

asio::awaitable<int> band_session::connect(bool authenticate) {
  std::string message;
  // A reconnect starts from nothing but the virtual band itself, which
  // keeps its state (key, clock) like a real band.
  band.reset();
  client.reset();
  conn = connection{};
  if (topts_.device == "sim") {
    miband::sim_options so;
    if (authenticate) {
      // The in-process band is one this host has already paired with: it
      // holds the key stored for "sim" (made on first use).
      std::string err;
      auto k = store_.load_key(device_id, err);
      if (!k) {
        k = miband::auth_key(random_key_bytes());
        if (auto e = store_.save_key(device_id, *k); !e.empty()) std::fprintf(stderr, "bandwire: %s\n", e.c_str());
      }
      if (auto user = key_from_user(key_file_, err)) k = user;
      so.key = k;
    }
    if (auto d = a.get("--sim-drop-after")) {
      double v = -1;
      try {
        v = std::stod(*d);
      } catch (...) {
      }
      if (!(v > 0)) {
        std::fprintf(stderr, "bandwire: --sim-drop-after must be positive seconds\n");
        co_return exit_usage;
      }
      so.drop_after = std::chrono::milliseconds(static_cast<long long>(v * 1000));
    }
    if (auto t = a.get("--sim-tap")) {
      if (*t == "refuse") so.tap = miband::tap_behaviour::refuse;
      else if (*t == "none") so.tap = miband::tap_behaviour::none;
      else if (*t != "accept") {
        std::fprintf(stderr, "bandwire: --sim-tap must be accept, refuse or none\n");
        co_return exit_usage;
      }
    }
    if (!sim) sim = std::make_unique<miband::virtual_band>(io.get_executor(), clock, std::move(so));
    int fds[2];
    if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, fds) < 0) co_return exit_connect;
    sim->serve(seqpacket_socket(io, asio::generic::seq_packet_protocol(AF_UNIX, 0), fds[1]));
    att::bearer::options bo;
    bo.timeout = clock.real(30s);
    conn.security = std::make_unique<att::scripted_security>(att::security_level::low, false);
    conn.bearer = std::make_unique<att::bearer>(seqpacket_socket(io, asio::generic::seq_packet_protocol(AF_UNIX, 0), fds[0]), bo);
    conn.bearer->set_security(conn.security.get());
    conn.description = "sim";
  } else if (open_target(io, topts_, conn, message)) {
    std::fprintf(stderr, "bandwire: %s\n", message.c_str());
    co_return exit_connect;
  }
  if (auto f = a.get("--btsnoop")) start_recording(*f);
  conn.bearer->start();
  client = std::make_unique<gatt::client>(*conn.bearer);
  band = std::make_unique<miband::band>(*client, clock);

  // Discovery, or the cached database of this device (no discovery on reconnect).
  std::vector<gatt::service> cached;
  bool from_cache = false;
  if (!refresh_ && store_.load_cache(device_id, cached)) {
    client->set_services(std::move(cached));
    from_cache = !band->resolve();
  }
  if (!from_cache) {
    error_code ec = co_await await_done([this](auto d) { band->discover(std::move(d)); });
    if (ec) co_return fail("discovery", ec);
    store_.save_cache(device_id, client->services());
  }
  watch_service_changed();

  if (authenticate) {
    std::string err;
    auto key = key_from_user(key_file_, err);
    if (!err.empty()) {
      std::fprintf(stderr, "bandwire: %s\n", err.c_str());
      co_return exit_usage;
    }
    if (!key) key = store_.load_key(device_id, err);
    if (!err.empty()) {
      std::fprintf(stderr, "bandwire: %s\n", err.c_str());
      co_return exit_failed;
    }
    if (!key) {
      std::fprintf(stderr, "bandwire: no key for %s: pair first (bandwire pair --device %s) or give --key-file\n",
                   topts_.device.c_str(), topts_.device.c_str());
      co_return exit_failed;
    }
    auto opts = auth_opts_;
    opts.bind_new_key = false;
    error_code ec = co_await await_done([&](auto d) { band->authenticate(*key, opts, std::move(d)); });
    if (ec) co_return fail("authentication", ec);
  }
  co_return -1;
}

// Service Changed (Vol 3 Part G §7.1) makes the cache stale, except the
// indication the band sends in answer to our own CCCD write (fact sheet §3.1).
void band_session::watch_service_changed() {
  const auto* sc = client->find_characteristic(att::uuid::from16(gatt::service_changed_type));
  if (!sc) return;
  // The echo comes at once; 10 s of band time leaves room for a stalled host.
  auto echo_until = std::make_shared<double>(clock.seconds() + 10.0);
  client->on_service_changed([this, echo_until](std::uint16_t start, std::uint16_t end) {
    if (clock.seconds() < *echo_until) {
      *echo_until = 0;  // that was the echo of our subscription
      return;
    }
    store_.drop_cache(device_id);
    std::fprintf(stderr, "bandwire: the band's database changed (0x%04x-0x%04x); cache dropped\n", start, end);
  });
  client->subscribe(sc->value_handle, [](std::uint16_t, bytes_view, bool) {}, [](error_code) {});
}

asio::awaitable<int> band_session::pair(bool force) {
  std::string err;
  if (store_.load_key(device_id, err) && !force) {
    std::fprintf(stderr,
                 "bandwire: a key for %s is already stored in %s; pairing again replaces it on the band: "
                 "add --force to do so\n",
                 conn.description.empty() ? device_id.c_str() : conn.description.c_str(), store_.key_path(device_id).c_str());
    co_return exit_usage;
  }
  const miband::auth_key key(random_key_bytes());
  auto opts = auth_opts_;
  opts.bind_new_key = true;
  std::fprintf(stderr, "Tap the band to confirm pairing (waiting up to %lld s)...\n",
               static_cast<long long>(opts.bind_timeout.count() / 1000));
  error_code ec = co_await await_done([&](auto d) { band->authenticate(key, opts, std::move(d)); });
  if (ec) co_return fail("pairing", ec);
  if (auto e = store_.save_key(device_id, key); !e.empty()) {
    std::fprintf(stderr, "bandwire: %s\n", e.c_str());
    co_return exit_failed;
  }
  std::fprintf(stderr, "Paired. Key %s saved to %s (mode 0600).\n",
               show_secrets_ ? to_hex(key.secret_bytes()).c_str() : miband::masked(key).c_str(),
               store_.key_path(device_id).c_str());
  co_return exit_ok;
}

int band_session::run(std::function<asio::awaitable<int>()> body) {
  int result = exit_failed;
  bool done = false;
  asio::co_spawn(io, body(), [&](std::exception_ptr e, int rc) {
    done = true;
    result = rc;
    if (e) {
      try {
        std::rethrow_exception(e);
      } catch (const std::exception& ex) {
        std::fprintf(stderr, "bandwire: %s\n", ex.what());
      }
      result = exit_failed;
    }
    if (conn.bearer) conn.bearer->close();
    io.stop();
  });
  io.run();
  return done ? result : exit_failed;
}

}  // namespace bandwire::tools
