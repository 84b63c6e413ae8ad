// `bandwire record --config FILE`: the unattended recorder (record/recorder.hpp)
// on this process's event loop, with the signals of a service: SIGHUP
// reloads the config (an invalid one is rejected and the old one kept),
// SIGTERM and SIGINT stop cleanly (streams stopped on the bands, files
// closed). Status lines go to stderr: one per band on every change and
// every `status_seconds`.
#include <csignal>
#include <cstdio>
#include <memory>

#include "record/recorder.hpp"
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
  asio::signal_set signals{io, SIGINT, SIGTERM, SIGHUP};
  asio::steady_timer status_timer{io}, duration_timer{io};
  bool stopping = false;
  int rc = exit_ok;
};

void print_status(record_run& r, const std::string& only = {}) {
  for (const auto& s : r.rec->status(only.empty()))
    if (only.empty() || s.alias == only) std::fprintf(stderr, "bandwire record: %s\n", format_status(s).c_str());
}

void stop_all(record_run& r) {
  if (r.stopping) return;
  r.stopping = true;
  r.signals.cancel();
  r.status_timer.cancel();
  r.duration_timer.cancel();
  r.rec->stop([&r](error_code) { r.io.stop(); });
}

void reload(record_run& r) {
  std::string err;
  auto c = record::load_config(r.path, err);
  if (!c) {
    std::fprintf(stderr, "bandwire record: reload rejected, keeping the running config: %s\n", err.c_str());
    return;
  }
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
                   "line per band goes to stderr on each change and every status_seconds.")
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
  r.rec->on_change = [&r](const std::string& alias) {
    if (!r.stopping) print_status(r, alias);
  };
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
