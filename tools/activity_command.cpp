// `bandwire activity`: the band's stored per-minute history (fact sheet §14)
// as CSV or JSON lines, fetched in rounds until the band has nothing more,
// resumable and idempotent (miband/history_sync.hpp has the guarantees;
// README "Activity history" the schema and the resume behaviour).
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>

#include "miband/history_sync.hpp"
#include "miband/virtual_models.hpp"
#include "tools/await.hpp"
#include "tools/band_session.hpp"
#include "tools/commands.hpp"
#include "tools/option_set.hpp"

namespace bandwire::tools {

namespace {

namespace chr = std::chrono;


std::string iso_minute(chr::sys_seconds t) {
  const auto off = miband::host_utc_offset(t);
  miband::minute_record r;
  r.time = t;
  std::string s = miband::format_minute(r, miband::history_format::csv, off);
  return s.substr(0, s.find(','));
}

// The progress line on a terminal: minutes received / announced by the band
// so far (each round announces its count), the round, rate, and an ETA
// assuming the band's data reaches about this host's clock (it is not told
// how many rounds remain). Redrawn at most 10 times a second.
struct progress_view {
  bool tty = false;
  double started = 0, last_draw = -1;
  std::uint32_t rounds = 0;
  unsigned long long received = 0, announced = 0;
  unsigned long long base = 0;  // minutes written over earlier links of this run
  void draw(unsigned long long expected, const char* round, double rate) {
    constexpr unsigned long long width = 24;
    expected = std::max(expected, std::max<unsigned long long>(received, 1));
    const auto fill = static_cast<std::size_t>(received * width / expected);
    std::string bar(fill, '#');
    bar.append(width - fill, '-');
    const double eta = rate > 0 ? static_cast<double>(expected - received) / rate : 0;
    std::fprintf(stderr, "\r[%s] %llu/%llu min  %s  %.0f min/s  ETA %.0f s   ", bar.c_str(), received, announced, round,
                 rate, eta);
  }
  void show(const miband::history_progress& p, double now_mono) {
    received = base + p.committed + p.round_received;
    announced = base + p.committed + p.round_announced;
    if (!tty) {
      if (p.round_committed)
        std::fprintf(stderr, "bandwire: round %u written: %llu minutes so far, up to %s\n", ++rounds,
                     static_cast<unsigned long long>(base + p.committed), iso_minute(p.reached - chr::minutes{1}).c_str());
      return;
    }
    if (!p.round_committed && now_mono - last_draw < 0.1) return;
    last_draw = now_mono;
    const double elapsed = now_mono - started;
    const double rate = elapsed > 0 ? static_cast<double>(received) / elapsed : 0;
    const long long to_now = std::max<long long>(0, chr::duration_cast<chr::minutes>(p.now - p.reached).count());
    char round[48];
    if (p.round_committed)
      std::snprintf(round, sizeof round, "round %u written", ++rounds);
    else
      std::snprintf(round, sizeof round, "round %u: %zu/%u", rounds + 1, p.round_received, p.round_announced);
    draw(std::max<unsigned long long>(announced, received + static_cast<unsigned long long>(to_now)), round, rate);
  }
  // The band announced nothing more: the bar is full.
  void end(bool finished, double now_mono) {
    if (!tty || last_draw < 0) return;
    if (finished) {
      const double elapsed = now_mono - started;
      char done[48];
      std::snprintf(done, sizeof done, "%u rounds, done", rounds);
      draw(received, done, elapsed > 0 ? static_cast<double>(received) / elapsed : 0);
    }
    std::fputs("\n", stderr);
  }
};

}  // namespace

void declare_activity(option_set& o) {
  o.usage("activity --device TARGET [options]")
      .description("Fetches the band's per-minute activity history (kind, intensity, steps, heart\n"
                   "rate) in rounds until the band has nothing more, as one record per minute\n"
                   "(schema in the README, \"Activity history\").\n\n"
                   "A run starts one minute after the last minute durably written for this device\n"
                   "(remembered under the state dir, history/<device>.resume), or with everything\n"
                   "the band holds on a first run. Records are written and fsync'ed to --output\n"
                   "before the band is told it may delete them (`03`); a second run never repeats\n"
                   "a minute, and a run cut anywhere can simply be run again.")
      .value("--since", "TIME", "start here instead: ISO 8601 (2018-03-20, 2018-03-20T10:00,\n"
                                "...:00Z, ...+01:00; no zone = this host's) or -Nd / -Nh / -Nm")
      .flag("--keep", "never acknowledge: the band keeps its data")
      .value("--format", "csv|jsonl", "record format (default csv)")
      .value("--output", "FILE", "append to FILE (a regular file: fsync'ed, then the band may\n"
                                 "delete what it holds); without it, records go to stdout, and\n"
                                 "output to a pipe or terminal is never acknowledged")
      .flag("--no-reconnect", "exit when the link is lost (run again to resume) instead of\n"
                              "reconnecting and going on from the last minute written")
      .value("--sim-history-end", "TIME", "with --device sim only: the virtual band's history ends here")
      .value("--sim-history-minutes", "N", "with --device sim only: minutes stored (default 4320)")
      .value("--sim-round-limit", "N", "with --device sim only: minutes per round (default 1440)")
      .value("--sim-drop-after-pdus", "N", "with --device sim only: the band drops each link after N PDUs");
  declare_band_options(o);
}

namespace {

struct activity_plan {
  miband::history_format fmt = miband::history_format::csv;
  miband::history_sync_options so;
  std::optional<chr::sys_seconds> sim_end;
  std::optional<unsigned long> sim_minutes, sim_limit, sim_drop;
};

// Reads the options; "" or a usage message.
std::string make_plan(const args& a, activity_plan& p) {
  const std::string format = a.get("--format").value_or("csv");
  if (format != "jsonl" && format != "csv") return "--format must be csv or jsonl";
  p.fmt = format == "csv" ? miband::history_format::csv : miband::history_format::jsonl;
  const auto now = chr::floor<chr::seconds>(chr::system_clock::now());
  p.so.keep = a.has("--keep");
  if (auto t = a.get("--since")) {
    p.so.since = miband::parse_since(*t, now);
    if (!p.so.since) return "--since takes an ISO 8601 time (2018-03-20T10:00) or -Nd / -Nh / -Nm";
  }
  if (auto t = a.get("--sim-history-end")) {
    p.sim_end = miband::parse_since(*t, now);
    if (!p.sim_end) return "--sim-history-end takes an ISO 8601 time";
  }
  auto number = [&](const char* name, std::optional<unsigned long>& out, unsigned long min) -> std::string {
    if (auto n = a.get(name)) {
      out = parse_number(*n, 1u << 20);
      if (!out || *out < min) return std::string(name) + " must be " + std::to_string(min) + "..1048576";
    }
    return {};
  };
  if (auto e = number("--sim-history-minutes", p.sim_minutes, 0); !e.empty()) return e;
  if (auto e = number("--sim-round-limit", p.sim_limit, 1); !e.empty()) return e;
  if (auto e = number("--sim-drop-after-pdus", p.sim_drop, 1); !e.empty()) return e;
  if ((p.sim_end || p.sim_minutes || p.sim_limit || p.sim_drop) && !miband::is_sim_device(a.get("--device").value_or("")))
    return "--sim-history-* and --sim-drop-after-pdus work only with --device sim";
  return {};
}

// The sink: a regular file is appended to and fsync'ed (the band may then
// delete what it sent); stdout, a pipe or a terminal is never acknowledged.
std::unique_ptr<miband::history_sink> open_sink(const args& a, miband::history_format fmt, std::FILE*& stream_out) {
  const auto output = a.get("--output");
  struct stat st {};
  if (output && (::stat(output->c_str(), &st) != 0 || S_ISREG(st.st_mode))) {
    auto f = std::make_unique<miband::history_file_sink>(fmt);
    std::string msg;
    if (f->open(*output, msg)) {
      std::fprintf(stderr, "bandwire activity: cannot append to %s\n", msg.c_str());
      return nullptr;
    }
    if (f->cut_bytes())
      std::fprintf(stderr, "bandwire: cut a torn last line (%zu bytes) from %s\n", f->cut_bytes(), output->c_str());
    return f;
  }
  stream_out = output ? std::fopen(output->c_str(), "w") : stdout;
  if (!stream_out) {
    std::fprintf(stderr, "bandwire activity: cannot write %s\n", output->c_str());
    return nullptr;
  }
  return std::make_unique<miband::history_stream_sink>(stream_out, fmt);
}

// The end of a run: one summary line, and the exit code for `ec`.
int report(band_session& s, error_code ec, const miband::history_sync_result& r,
           const miband::history_sync_result& total) {
  if (total.records)
    std::fprintf(stderr, "bandwire: %llu minutes in %u rounds, up to %s; %s\n",
                 static_cast<unsigned long long>(total.records), total.rounds,
                 iso_minute(total.next - chr::minutes{1}).c_str(),
                 total.acknowledging ? "acknowledged (the band may delete them)" : "kept on the band");
  else if (!ec)
    std::fprintf(stderr, "bandwire: nothing new since %s\n", iso_minute(total.since).c_str());
  if (ec == miband::errc::state_error || (ec == miband::history_errc::commit_failed && !r.message.empty())) {
    std::fprintf(stderr, "bandwire: %s\n", r.message.c_str());
    return exit_failed;
  }
  if (ec == miband::history_errc::commit_failed) {
    std::fprintf(stderr, "bandwire: writing records failed: %s (nothing unwritten was acknowledged)\n",
                 r.commit_error.message().c_str());
    return exit_failed;
  }
  if (ec) {
    if (r.final_fault) std::fprintf(stderr, "bandwire: %s\n", r.final_fault->text().c_str());
    return s.fail("fetching the activity history", ec);
  }
  return exit_ok;
}

// Fetches in syncs; a lost link reconnects and goes on from the next minute
// not written (as a new run would), while links keep making progress.
asio::awaitable<int> fetch(band_session& s, activity_plan& p, miband::history_sink& sink, bool reconnect) {
  progress_view view;
  view.tty = ::isatty(2) == 1;
  if (int c = co_await s.connect(true); c >= 0) co_return c;
  if (!sink.persistent() && !p.so.keep)
    std::fprintf(stderr, "bandwire: output is not a regular file: the band keeps its data (no acknowledgement)\n");
  view.started = s.clock.mono();
  error_code ec;
  miband::history_sync_result r, total;
  unsigned failed_links = 0;
  for (bool first = true;; first = false) {
    miband::history_sync sync(*s.session);
    ec = {};
    r = co_await sync.async_run(
        p.so, sink, [&](const miband::history_progress& pr) { view.show(pr, s.clock.mono()); },
        asio::redirect_error(asio::use_awaitable, ec));
    if (first) total.since = r.since;
    total.next = r.next;
    total.records += r.records;
    total.rounds += r.rounds;
    total.acknowledging = r.acknowledging;
    view.base += r.records;
    const char* nl = view.tty ? "\n" : "";
    for (const auto& f : r.faults) std::fprintf(stderr, "%sbandwire: retried: %s\n", nl, f.text().c_str());
    for (const auto& w : r.warnings) std::fprintf(stderr, "%sbandwire: warning: %s\n", nl, w.text().c_str());
    failed_links = r.records ? 1 : failed_links + 1;
    if (!ec || !reconnect || s.session->connected() || ec == asio::error::operation_aborted || failed_links > 3) break;
    std::fprintf(stderr, "%sbandwire: link lost (%s) after %llu minutes; reconnecting\n", nl, ec.message().c_str(),
                 static_cast<unsigned long long>(total.records));
    asio::steady_timer wait(s.io, s.clock.real(chr::seconds{failed_links}));
    co_await wait.async_wait(asio::use_awaitable);
    if (int c = co_await s.connect(true); c >= 0) co_return c;
    p.so.since = r.next;
  }
  view.end(!ec, s.clock.mono());
  co_return report(s, ec, r, total);
}

}  // namespace

int run_activity(const args& a) {
  activity_plan p;
  if (std::string e = make_plan(a, p); !e.empty()) {
    std::fprintf(stderr, "bandwire activity: %s (see bandwire activity --help)\n", e.c_str());
    return exit_usage;
  }
  band_session s(a);
  s.customize = [&](miband::session_options& o) {
    if (p.sim_end) o.sim.history_end = chr::floor<chr::minutes>(*p.sim_end);
    if (p.sim_minutes) o.sim.history_minutes = static_cast<std::uint32_t>(*p.sim_minutes);
    if (p.sim_limit) o.sim.history_round_limit = static_cast<std::uint32_t>(*p.sim_limit);
    if (p.sim_drop) o.sim.drop_after_pdus = static_cast<std::size_t>(*p.sim_drop);
  };
  if (int rc = s.configure("activity"); rc >= 0) return rc;
  std::FILE* stream_out = nullptr;
  auto sink = open_sink(a, p.fmt, stream_out);
  if (!sink) return exit_usage;
  const bool reconnect = !a.has("--no-reconnect");
  int rc = s.run([&]() -> asio::awaitable<int> { return fetch(s, p, *sink, reconnect); });
  if (stream_out && stream_out != stdout) std::fclose(stream_out);
  return rc;
}

}  // namespace bandwire::tools
