#include "tools/band_session.hpp"

#include <chrono>
#include <cstdlib>

#include "gatt/error.hpp"
#include "miband/error.hpp"
#include "miband/uuids.hpp"
#include "miband/virtual_models.hpp"
#include "tools/await.hpp"
#include "tools/commands.hpp"
#include "tools/option_set.hpp"

namespace bandwire::tools {

using namespace std::chrono_literals;

void declare_band_options(option_set& o) {
  o.group("DEVICE OPTIONS (every band command)");
  declare_target_options(o, "sim (an in-process virtual Mi Band 2), sim:MODEL (a virtual\n"
                            "mb2, mb3, mb4, hrx or hrs: Mi Band 2/3/4, HRX, or a standard\n"
                            "heart-rate strap), unix:/path (a band served by `bandwire sim\n"
                            "--listen unix:/path`), or the address AA:BB:CC:DD:EE:FF (random\n"
                            "address type by default; a Mi Band 4 needs --addr-type public).\n"
                            "The family is told from the device's database and name");
  o.value("--state-dir", "DIR", "keys and GATT cache (default $XDG_STATE_HOME/bandwire,\n"
                                "else ~/.local/state/bandwire)")
      .value("--key-file", "FILE", "the band's key, 32 hex digits (else $BANDWIRE_KEY, else the\n"
                                   "key `bandwire pair` stored for this device); a key file\n"
                                   "group or others may access is refused (exit 2, with the\n"
                                   "chmod 600 that fixes it)")
      .value("--auth-flag", "0|8", "the auth flag byte: 0 as Mi Fit, 8 as Gadgetbridge (default:\n"
                                   "the family's, 8 on an Amazfit Bip, else 0)")
      .flag("--refresh", "ignore the cached GATT database and rediscover")
      .value("--btsnoop", "FILE", "record the session's ATT traffic as a btsnoop file\n"
                                  "(Wireshark/tshark open it); the bound key is masked")
      .flag("--show-secrets", "do not mask the key in recordings")
      .flag("--json", "one JSON object per output line")
      .value("--speed", "N", "with --device sim only: run all protocol timings N times faster")
      .value("--sim-tap", "T", "with --device sim only: accept (default), refuse or none,\n"
                               "what the simulated user does when asked to tap the band")
      .value("--sim-drop-after", "S", "with --device sim only: the band drops each link after S\n"
                                      "seconds (band time), to watch reconnection")
      .value("--sim-interval", "MS", "with --device sim only: model the link's connection\n"
                                     "events, one request/response per MS milliseconds\n"
                                     "(CAP-A's interval is 50)");
}

namespace {

// What each command uses of the band: its session discovers only that
// (README "Keys and the GATT cache"). A command not listed gets everything.
miband::feature_set features_of(std::string_view command) {
  namespace f = miband::feature;
  struct row {
    std::string_view command;
    miband::feature_set uses;
  };
  static constexpr row rows[] = {
      {"pair", f::none},
      {"info", f::device_info | f::battery | f::time},
      {"battery", f::battery},
      {"time", f::time},
      {"steps", f::steps},
      {"heart", f::heart_rate},
      {"stream", f::heart_rate | f::sensors},
      {"activity", f::history},
      {"alert", f::alerts},
      {"vibrate", f::alerts},
      {"events", f::events},
      {"config", f::configuration | f::user_settings | f::heart_rate},
      {"alarm", f::configuration},
  };
  for (const auto& r : rows)
    if (r.command == command) return r.uses;
  return f::all;
}

// The in-process band's options (--sim-*): an exit code, or -1 to go on.
int read_sim_options(const args& a, const char* command, bool sim, miband::sim_options& so) {
  if ((a.has("--sim-tap") || a.has("--sim-drop-after") || a.has("--sim-interval")) && !sim) {
    std::fprintf(stderr, "bandwire %s: --sim-tap, --sim-drop-after and --sim-interval work only with --device sim\n",
                 command);
    return exit_usage;
  }
  if (auto v = a.get("--sim-interval")) {
    auto ms = parse_number(*v, 4000);
    if (!ms || *ms < 7) {
      std::fprintf(stderr, "bandwire %s: --sim-interval must be 7..4000 ms\n", command);
      return exit_usage;
    }
    so.link = miband::link_timing{std::chrono::milliseconds(*ms)};
  }
  if (auto d = a.get("--sim-drop-after")) {
    double v = -1;
    try {
      v = std::stod(*d);
    } catch (...) {
    }
    if (!(v > 0)) {
      std::fprintf(stderr, "bandwire: --sim-drop-after must be positive seconds\n");
      return exit_usage;
    }
    so.drop_after = std::chrono::milliseconds(static_cast<long long>(v * 1000));
  }
  if (auto t = a.get("--sim-tap")) {
    if (*t == "refuse") so.tap = miband::tap_behaviour::refuse;
    else if (*t == "none") so.tap = miband::tap_behaviour::none;
    else if (*t != "accept") {
      std::fprintf(stderr, "bandwire: --sim-tap must be accept, refuse or none\n");
      return exit_usage;
    }
  }
  return -1;
}

}  // namespace

band_session::band_session(const args& args_) : a(args_) {}

band_session::~band_session() { session.reset(); }

int band_session::configure(const char* command) {
  std::string err;
  opts_.transport = read_target_options(a, err);
  if (!err.empty()) {
    std::fprintf(stderr, "bandwire %s: %s\n", command, err.c_str());
    return exit_usage;
  }
  json = a.has("--json");
  opts_.refresh = a.has("--refresh");
  opts_.show_secrets = a.has("--show-secrets");
  opts_.store = std::make_shared<miband::state_store>(a.get("--state-dir").value_or(""));
  if (auto f = a.get("--auth-flag")) {
    auto v = parse_number(*f, 255);
    if (!v || (*v != 0 && *v != 8)) {
      std::fprintf(stderr, "bandwire %s: --auth-flag must be 0 or 8\n", command);
      return exit_usage;
    }
    opts_.auth.auth_flag = static_cast<std::uint8_t>(*v);
    opts_.auth_flag_fixed = true;
  }
  const bool sim = miband::is_sim_device(opts_.transport.device);
  if (auto sp = a.get("--speed")) {
    double v = 0;
    try {
      v = std::stod(*sp);
    } catch (...) {
    }
    if (!(v >= 0.1 && v <= 10000)) {
      std::fprintf(stderr, "bandwire %s: --speed must be in [0.1, 10000]\n", command);
      return exit_usage;
    }
    if (!sim) {
      std::fprintf(stderr, "bandwire %s: --speed works only with --device sim\n", command);
      return exit_usage;
    }
    clock = scaled_clock(v);
  }
  if (int rc = read_sim_options(a, command, sim, opts_.sim); rc >= 0) return rc;
  // Key precedence: --key-file, then BANDWIRE_KEY, then the stored key.
  opts_.key = miband::key_from_user(a.get("--key-file").value_or(""), err);
  if (!err.empty()) {
    std::fprintf(stderr, "bandwire: %s\n", err.c_str());
    return exit_usage;
  }
  if (auto f = a.get("--btsnoop")) opts_.btsnoop_path = *f;
  opts_.features = features_of(command);
  opts_.reconnect.enabled = reconnect;
  if (customize) customize(opts_);
  session = std::make_unique<miband::session>(io, clock, opts_);
  return -1;
}

int band_session::fail(const std::string& what, const error_code& ec) {
  std::string why = ec.message();
  const auto& device = opts_.transport.device;
  if (ec == miband::errc::key_rejected)
    why += ". bandwire does not re-bind on its own: run `bandwire pair --device " + device +
           " --force` to bind a new key (you will tap the band)";
  else if (ec == gatt::errc::not_in_cache)
    why += " (is this a Mi Band or a heart-rate sensor? try --refresh)";
  else if (ec == miband::errc::bind_not_supported)
    why = "a " + family() + " takes only the key its vendor app made when it was paired; bandwire "
          "cannot bind one: give that key with --key-file FILE";
  else if (miband::is_missing_service(ec))
    why += " (this device is a " + family() + ")";
  std::fprintf(stderr, "bandwire: %s failed: %s\n", what.c_str(), why.c_str());
  return exit_failed;
}

asio::awaitable<int> band_session::connect(bool authenticate) {
  error_code ec;
  co_await session->async_connect(authenticate, asio::redirect_error(asio::use_awaitable, ec));
  if (!ec) co_return -1;
  const auto& device = opts_.transport.device;
  if (ec == miband::errc::transport_failed) {
    std::fprintf(stderr, "bandwire: %s\n", session->last_message().c_str());
    co_return exit_connect;
  }
  if (ec == miband::errc::no_key && session->band() && !session->band()->capabilities().can_bind_key) {
    std::fprintf(stderr,
                 "bandwire: no key for %s: a %s takes only the key its vendor app made when it was paired "
                 "(bandwire cannot bind one); give it with --key-file FILE\n",
                 device.c_str(), family().c_str());
    co_return exit_failed;
  }
  if (ec == miband::errc::no_key) {
    std::fprintf(stderr, "bandwire: no key for %s: pair first (bandwire pair --device %s) or give --key-file\n",
                 device.c_str(), device.c_str());
    co_return exit_failed;
  }
  if (ec == miband::errc::state_error) {
    std::fprintf(stderr, "bandwire: %s\n", session->last_message().c_str());
    co_return exit_failed;
  }
  if (ec == miband::errc::key_file_exposed) {
    std::fprintf(stderr, "bandwire: %s\n", session->last_message().c_str());
    co_return exit_usage;
  }
  co_return fail(authenticate && session->band() && session->client() && !session->client()->services().empty()
                     ? "authentication"
                     : "discovery",
                 ec);
}

asio::awaitable<int> band_session::pair(bool force) {
  const auto& store = *opts_.store;
  const auto id = session->device_id();
  if (!force) {
    if (std::string p = store.key_mode_problem(id); !p.empty()) {
      std::fprintf(stderr, "bandwire: %s\n", p.c_str());
      co_return exit_usage;
    }
    std::string err;
    if (store.load_key(id, err)) {
      std::fprintf(stderr,
                   "bandwire: a key for %s is already stored in %s; pairing again replaces it on the band: "
                   "add --force to do so\n",
                   opts_.transport.device == "sim" ? "sim" : opts_.transport.device.c_str(), store.key_path(id).c_str());
      co_return exit_usage;
    }
  }
  if (const auto& caps = session->band()->capabilities(); !caps.needs_auth() || !caps.can_bind_key)
    co_return fail("pairing", make_error_code(caps.needs_auth() ? miband::errc::bind_not_supported
                                                                 : miband::errc::auth_service_missing));
  std::fprintf(stderr, "Tap the band to confirm pairing (waiting up to %lld s)...\n",
               static_cast<long long>(opts_.auth.bind_timeout.count() / 1000));
  error_code ec;
  auto key = co_await session->async_pair(true, asio::redirect_error(asio::use_awaitable, ec));
  if (ec == miband::errc::state_error) {
    std::fprintf(stderr, "bandwire: %s\n", session->last_message().c_str());
    co_return exit_failed;
  }
  if (ec) co_return fail("pairing", ec);
  std::fprintf(stderr, "Paired. Key %s saved to %s (mode 0600).\n",
               opts_.show_secrets ? to_hex(key->secret_bytes()).c_str() : miband::masked(*key).c_str(),
               store.key_path(id).c_str());
  co_return exit_ok;
}

std::string band_session::family() const {
  if (!session || !session->band()) return "device";
  return miband::to_string(session->band()->capabilities().family);
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
    if (session) session->close();
    io.stop();
  });
  io.run();
  return done ? result : exit_failed;
}

int run_on_band(const args& a, const char* command, band_body body) {
  band_session s(a);
  if (int rc = s.configure(command); rc >= 0) return rc;
  return s.run([&]() -> asio::awaitable<int> {
    if (int c = co_await s.connect(true); c >= 0) co_return c;
    co_return co_await body(s, s.band());
  });
}

std::optional<double> duration_option(const args& a, const char* command) {
  auto d = a.get("--duration");
  if (!d) return 0.0;
  auto v = parse_seconds(*d);
  if (!v) std::fprintf(stderr, "bandwire %s: --duration must be a positive number of seconds\n", command);
  return v;
}

}  // namespace bandwire::tools
