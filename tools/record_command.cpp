// `bandwire record --config FILE`: the unattended recorder (record/recorder.hpp)
// on this process's event loop, with the signals of a service: SIGHUP
// reloads the config (an invalid one is rejected and the old one kept),
// SIGTERM and SIGINT stop cleanly (streams stopped on the bands, files
// closed). Status lines go to stderr: one per band on every change and
// every `status_seconds`, and one for the MQTT link (README "Publishing to
// MQTT") when the config has an [mqtt] table.
#include <csignal>
#include <cstdio>
#include <memory>

#include "build_info.hpp"
#include "miband/state_store.hpp"
#include "record/recorder.hpp"
#if BANDWIRE_MQTT
#include "record/mqtt_link.hpp"
#endif
#include "tools/band_session.hpp"
#include "tools/clocks.hpp"
#include "tools/commands.hpp"
#include "tools/option_set.hpp"

namespace bandwire::tools {

namespace {

struct record_run {
  asio::io_context io;
  scaled_clock clock{1.0};
  std::string path;
  record::recorder_config config;
  std::unique_ptr<record::recorder> rec;
  record::posix_file_system posix_fs;  // the MQTT spool's
#if BANDWIRE_MQTT
  std::unique_ptr<record::mqtt_link> mqtt;
#endif
  asio::signal_set signals{io, SIGINT, SIGTERM, SIGHUP};
  asio::steady_timer status_timer{io}, duration_timer{io};
  bool stopping = false;
  int rc = exit_ok;
};

void print_mqtt_status([[maybe_unused]] record_run& r) {
#if BANDWIRE_MQTT
  if (r.mqtt)
    std::fprintf(stderr, "bandwire record: %s\n", format_mqtt_status(*r.config.mqtt, r.mqtt->status()).c_str());
#endif
}

void print_status(record_run& r, const std::string& only = {}) {
  for (const auto& s : r.rec->status(only.empty()))
    if (only.empty() || s.alias == only) std::fprintf(stderr, "bandwire record: %s\n", format_status(s).c_str());
  if (only.empty()) print_mqtt_status(r);
}

// A config with [mqtt] in a build without MQTT is refused: the records would
// silently go nowhere. "" or the reason.
std::string mqtt_refusal(const record::recorder_config& c) {
  if (!c.mqtt || BANDWIRE_MQTT) return {};
  return std::string("the config has an [mqtt] table, but this bandwire was built without MQTT: ") +
         BANDWIRE_MQTT_LEFT_OUT + " (README \"Publishing to MQTT\"; `bandwire --version` says what is left out)";
}

void stop_all(record_run& r) {
  if (r.stopping) return;
  r.stopping = true;
  r.signals.cancel();
  r.status_timer.cancel();
  r.duration_timer.cancel();
  r.rec->stop([&r](error_code) {
#if BANDWIRE_MQTT
    if (r.mqtt) {
      r.mqtt->stop();
      print_mqtt_status(r);
    }
#endif
    r.io.stop();
  });
}

void reload(record_run& r) {
  std::string err;
  auto c = record::load_config(r.path, err);
  if (!c) {
    std::fprintf(stderr, "bandwire record: reload rejected, keeping the running config: %s\n", err.c_str());
    return;
  }
  if (c->mqtt != r.config.mqtt) {
    std::fprintf(stderr, "bandwire record: reload rejected, keeping the running config: the [mqtt] table changed; "
                         "restart bandwire record to apply it\n");
    return;
  }
#if BANDWIRE_MQTT
  if (r.mqtt) r.mqtt->set_bands(c->bands);
#endif
  for (const auto& p : r.rec->apply(*c)) std::fprintf(stderr, "bandwire record: band %s\n", p.c_str());
  r.config = *c;
  std::fprintf(stderr, "bandwire record: reloaded %s (%zu bands)\n", r.path.c_str(), c->bands.size());
}

void wait_signals(record_run& r) {
  r.signals.async_wait([&r](error_code ec, int sig) {
    if (ec) return;
    if (sig == SIGHUP) {
      reload(r);
      return wait_signals(r);
    }
    stop_all(r);
  });
}

void arm_status(record_run& r) {
  if (r.config.status_every.count() <= 0) return;
  r.status_timer.expires_after(r.config.status_every);
  r.status_timer.async_wait([&r](error_code ec) {
    if (ec) return;
    print_status(r);
    arm_status(r);
  });
}

// Reads --config, --speed and --duration; returns an exit code or -1.
int plan(const args& a, record_run& r, double& duration) {
  r.path = a.get("--config").value_or("");
  if (r.path.empty()) {
    std::fprintf(stderr, "bandwire record: --config FILE is required (see bandwire record --help)\n");
    return exit_usage;
  }
  std::string err;
  auto c = record::load_config(r.path, err);
  if (!c) {
    std::fprintf(stderr, "bandwire record: %s\n", err.c_str());
    return exit_usage;
  }
  if (auto why = mqtt_refusal(*c); !why.empty()) {
    std::fprintf(stderr, "bandwire record: %s: %s\n", r.path.c_str(), why.c_str());
    return exit_usage;
  }
  r.config = std::move(*c);
  if (auto d = duration_option(a, "record")) duration = *d;
  else return exit_usage;
  if (auto sp = a.get("--speed")) {
    auto v = parse_seconds(*sp, 10000);
    // Band time for virtual bands only: a real band keeps real time.
    bool all_virtual = true;
    for (const auto& b : r.config.bands)
      all_virtual = all_virtual && (b.device == "sim" || b.device.rfind("unix:", 0) == 0);
    if (!v || !all_virtual) {
      std::fprintf(stderr, "bandwire record: --speed takes a number and works only when every band is sim or "
                           "unix:\n");
      return exit_usage;
    }
    r.clock = scaled_clock(*v);
  }
  return -1;
}

// Starts the MQTT link of an [mqtt] table; false (with the reason printed) when it cannot run.
bool start_mqtt([[maybe_unused]] record_run& r) {
#if BANDWIRE_MQTT
  if (!r.config.mqtt) return true;
  const std::string state = r.config.state_dir.empty() ? miband::state_store().dir() : r.config.state_dir;
  r.mqtt = std::make_unique<record::mqtt_link>(r.io, *r.config.mqtt, r.posix_fs, state + "/mqtt-spool");
  r.mqtt->set_bands(r.config.bands);
  r.mqtt->on_change = [&r] {
    if (!r.stopping) print_mqtt_status(r);
  };
  r.rec->sink = r.mqtt.get();
  if (auto e = r.mqtt->start(); !e.empty()) {
    std::fprintf(stderr, "bandwire record: %s\n", e.c_str());
    return false;
  }
#endif
  return true;
}

// A band is online for MQTT while its link is up (README "Publishing to MQTT").
void band_changed(record_run& r, const std::string& alias) {
  if (r.stopping) return;
  print_status(r, alias);
#if BANDWIRE_MQTT
  if (r.mqtt)
    for (const auto& s : r.rec->status(false))
      if (s.alias == alias)
        r.mqtt->band_online(alias, s.link.state == record::link_state::running ||
                                       s.link.state == record::link_state::syncing);
#endif
}

}  // namespace

void declare_record(option_set& o) {
  o.usage("record --config FILE [--duration S]")
      .description("Records several bands unattended, as the TOML config FILE says (README\n"
                   "\"Unattended recording\"): one folder per band under `output`, one file per\n"
                   "kind of record, rotated daily and by size, every record numbered (`n`).\n"
                   "Lost links are reconnected with a back-off (a `gap` record each), connection\n"
                   "attempts take turns per adapter. SIGHUP reloads FILE (bands left unchanged\n"
                   "keep their links; an invalid file is rejected and the old one kept);\n"
                   "SIGTERM or Ctrl-C stops the bands' streams and closes the files. One status\n"
                   "line per band goes to stderr on each change and every status_seconds.\n"
                   "With an [mqtt] table every record is also published to PREFIX/ALIAS/KIND\n"
                   "(QoS 1, its JSON line), through a spool in the state dir that keeps it\n"
                   "until the broker acknowledges it, with Home Assistant discovery (README\n"
                   "\"Publishing to MQTT\"); its status line shows the broker state.")
      .value("--config", "FILE", "the recorder's config (TOML)")
      .value("--duration", "S", "stop after S seconds")
      .value("--speed", "N", "when every band is sim or unix: (a `bandwire sim --speed N`):\n"
                             "run all protocol timings N times faster");
}

int run_record(const args& a) {
  record_run r;
  double duration = 0;
  if (int rc = plan(a, r, duration); rc >= 0) return rc;
  r.rec = std::make_unique<record::recorder>(r.io, r.clock);
  r.rec->on_change = [&r](const std::string& alias) { band_changed(r, alias); };
  if (!start_mqtt(r)) return exit_failed;
  r.rec->on_stopped = [](const record::band_status& s) {
    std::fprintf(stderr, "bandwire record: %s\n", format_status(s).c_str());
  };
  const auto problems = r.rec->apply(r.config);
  for (const auto& p : problems) std::fprintf(stderr, "bandwire record: band %s\n", p.c_str());
  if (r.rec->bands() == 0) {
    std::fprintf(stderr, "bandwire record: no band could be started\n");
    return exit_failed;
  }
  std::fprintf(stderr, "bandwire record: recording %zu bands to %s\n", r.rec->bands(), r.config.output.c_str());
  wait_signals(r);
  arm_status(r);
  if (duration > 0) {
    r.duration_timer.expires_after(from_seconds(duration));
    r.duration_timer.async_wait([&r](error_code ec) {
      if (!ec) stop_all(r);
    });
  }
  r.io.run();
  r.rec.reset();
  return problems.empty() ? exit_ok : exit_failed;
}

}  // namespace bandwire::tools
