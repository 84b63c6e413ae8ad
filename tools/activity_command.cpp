// `bandwire activity`: the band's stored per-minute history (fact sheet §14)
// as CSV or JSON lines, fetched in rounds until the band has nothing more,
// resumable and idempotent (miband/history_sync.hpp has the guarantees;
// README "Activity history" the schema and the resume behaviour).
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>

#include "miband/history_sync.hpp"
#include "tools/await.hpp"
#include "tools/band_session.hpp"
#include "tools/commands.hpp"

namespace bandwire::tools {

namespace {

namespace chr = std::chrono;

constexpr const char* activity_help = R"(usage: bandwire activity --device TARGET [options]

Fetches the band's per-minute activity history (kind, intensity, steps, heart
rate) in rounds until the band has nothing more, as one record per minute
(schema in the README, "Activity history").

A run starts one minute after the last minute durably written for this device
(remembered under the state dir, history/<device>.resume), or with everything
the band holds on a first run. Records are written and fsync'ed to --output
before the band is told it may delete them (`03`); a second run never repeats
a minute, and a run cut anywhere can simply be run again.

  --since TIME           start here instead: ISO 8601 (2018-03-20, 2018-03-20T10:00,
                         ...:00Z, ...+01:00; no zone = this host's) or -Nd / -Nh / -Nm
  --keep                 never acknowledge: the band keeps its data
  --format csv|jsonl     record format (default csv)
  --output FILE          append to FILE (a regular file: fsync'ed, then the band may
                         delete what it holds); without it, records go to stdout, and
                         output to a pipe or terminal is never acknowledged
  --no-reconnect         exit when the link is lost (run again to resume) instead of
                         reconnecting and going on from the last minute written
  --sim-history-end TIME     with --device sim only: the virtual band's history ends here
  --sim-history-minutes N    with --device sim only: minutes stored (default 4320)
  --sim-round-limit N        with --device sim only: minutes per round (default 1440)
  --sim-drop-after-pdus N    with --device sim only: the band drops each link after N PDUs

)";

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

double mono_seconds() {
  return chr::duration<double>(chr::steady_clock::now().time_since_epoch()).count();
}

}  // namespace

int run_activity(const std::vector<std::string>& argv) {
  auto values = band_value_options();
  values.insert({"--since", "--format", "--output", "--sim-history-end", "--sim-history-minutes", "--sim-round-limit",
                 "--sim-drop-after-pdus"});
  auto flags = band_flags();
  flags.insert({"--keep", "--no-reconnect"});
  args a(argv, values, flags);
  if (a.has("--help")) {
    std::fputs(activity_help, stdout);
    std::fputs(band_common_help, stdout);
    return exit_ok;
  }
  auto usage = [](const std::string& m) {
    std::fprintf(stderr, "bandwire activity: %s (see bandwire activity --help)\n", m.c_str());
    return exit_usage;
  };
  if (!a.ok()) return usage(a.error());
  if (!a.positional().empty()) return usage("unexpected argument");
  const std::string format = a.get("--format").value_or("csv");
  if (format != "jsonl" && format != "csv") return usage("--format must be csv or jsonl");
  const auto fmt = format == "csv" ? miband::history_format::csv : miband::history_format::jsonl;
  const auto now = chr::floor<chr::seconds>(chr::system_clock::now());
  miband::history_sync_options so;
  so.keep = a.has("--keep");
  if (auto t = a.get("--since")) {
    so.since = miband::parse_since(*t, now);
    if (!so.since) return usage("--since takes an ISO 8601 time (2018-03-20T10:00) or -Nd / -Nh / -Nm");
  }

  band_session s(a);
  const bool sim = a.get("--device").value_or("") == "sim";
  std::optional<chr::sys_seconds> sim_end;
  std::optional<unsigned long> sim_minutes, sim_limit, sim_drop;
  if (auto t = a.get("--sim-history-end")) {
    sim_end = miband::parse_since(*t, now);
    if (!sim_end) return usage("--sim-history-end takes an ISO 8601 time");
  }
  if (auto n = a.get("--sim-history-minutes")) {
    sim_minutes = parse_number(*n, 1u << 20);
    if (!sim_minutes) return usage("--sim-history-minutes must be 0..1048576");
  }
  if (auto n = a.get("--sim-round-limit")) {
    sim_limit = parse_number(*n, 1u << 20);
    if (!sim_limit || *sim_limit == 0) return usage("--sim-round-limit must be 1..1048576");
  }
  if (auto n = a.get("--sim-drop-after-pdus")) {
    sim_drop = parse_number(*n, 1u << 20);
    if (!sim_drop || *sim_drop == 0) return usage("--sim-drop-after-pdus must be 1..1048576");
  }
  if ((sim_end || sim_minutes || sim_limit || sim_drop) && !sim)
    return usage("--sim-history-* and --sim-drop-after-pdus work only with --device sim");
  s.customize = [&](miband::session_options& o) {
    if (sim_end) o.sim.history_end = chr::floor<chr::minutes>(*sim_end);
    if (sim_minutes) o.sim.history_minutes = static_cast<std::uint32_t>(*sim_minutes);
    if (sim_limit) o.sim.history_round_limit = static_cast<std::uint32_t>(*sim_limit);
    if (sim_drop) o.sim.drop_after_pdus = static_cast<std::size_t>(*sim_drop);
  };
  if (int rc = s.configure("activity"); rc >= 0) return rc;

  // The sink: a regular file is appended to and fsync'ed (the band may then
  // delete what it sent); stdout, a pipe or a terminal is never acknowledged.
  std::unique_ptr<miband::history_sink> sink;
  std::FILE* stream_out = nullptr;
  const auto output = a.get("--output");
  struct stat st {};
  if (output && (::stat(output->c_str(), &st) != 0 || S_ISREG(st.st_mode))) {
    auto f = std::make_unique<miband::history_file_sink>(fmt);
    std::string msg;
    if (f->open(*output, msg)) {
      std::fprintf(stderr, "bandwire activity: cannot append to %s\n", msg.c_str());
      return exit_usage;
    }
    if (f->cut_bytes())
      std::fprintf(stderr, "bandwire: cut a torn last line (%zu bytes) from %s\n", f->cut_bytes(), output->c_str());
    sink = std::move(f);
  } else {
    stream_out = output ? std::fopen(output->c_str(), "w") : stdout;
    if (!stream_out) {
      std::fprintf(stderr, "bandwire activity: cannot write %s\n", output->c_str());
      return exit_usage;
    }
    sink = std::make_unique<miband::history_stream_sink>(stream_out, fmt);
  }

  progress_view view;
  view.tty = ::isatty(2) == 1;
  const bool reconnect = !a.has("--no-reconnect");
  int rc = s.run([&]() -> asio::awaitable<int> {
    if (int c = co_await s.connect(true); c >= 0) co_return c;
    if (!sink->persistent() && !so.keep)
      std::fprintf(stderr, "bandwire: output is not a regular file: the band keeps its data (no acknowledgement)\n");
    view.started = mono_seconds();
    error_code ec;
    miband::history_sync_result r, total;
    unsigned failed_links = 0;
    for (bool first = true;; first = false) {
      miband::history_sync sync(*s.session);
      ec = {};
      r = co_await sync.async_run(
          so, *sink, [&](const miband::history_progress& p) { view.show(p, mono_seconds()); },
          asio::redirect_error(asio::use_awaitable, ec));
      if (first) total.since = r.since;
      total.next = r.next;
      total.records += r.records;
      total.rounds += r.rounds;
      total.acknowledging = r.acknowledging;
      view.base += r.records;
      for (const auto& f : r.faults) std::fprintf(stderr, "%sbandwire: retried: %s\n", view.tty ? "\n" : "", f.text().c_str());
      for (const auto& w : r.warnings) std::fprintf(stderr, "%sbandwire: warning: %s\n", view.tty ? "\n" : "", w.text().c_str());
      // A lost link: what was written is durable and acknowledged, the
      // rest was not; reconnect and go on from the next minute not written
      // (as a new run would), while links keep making progress.
      failed_links = r.records ? 1 : failed_links + 1;
      if (!ec || !reconnect || s.session->connected() || ec == asio::error::operation_aborted || failed_links > 3) break;
      std::fprintf(stderr, "%sbandwire: link lost (%s) after %llu minutes; reconnecting\n", view.tty ? "\n" : "",
                   ec.message().c_str(), static_cast<unsigned long long>(total.records));
      asio::steady_timer wait(s.io, s.clock.real(chr::seconds{failed_links}));
      co_await wait.async_wait(asio::use_awaitable);
      if (int c = co_await s.connect(true); c >= 0) co_return c;
      so.since = r.next;
    }
    view.end(!ec, mono_seconds());
    if (total.records)
      std::fprintf(stderr, "bandwire: %llu minutes in %u rounds, up to %s; %s\n",
                   static_cast<unsigned long long>(total.records), total.rounds,
                   iso_minute(total.next - chr::minutes{1}).c_str(),
                   total.acknowledging ? "acknowledged (the band may delete them)" : "kept on the band");
    else if (!ec)
      std::fprintf(stderr, "bandwire: nothing new since %s\n", iso_minute(total.since).c_str());
    if (ec == miband::errc::state_error || (ec == miband::history_errc::commit_failed && !r.message.empty())) {
      std::fprintf(stderr, "bandwire: %s\n", r.message.c_str());
      co_return exit_failed;
    }
    if (ec == miband::history_errc::commit_failed) {
      std::fprintf(stderr, "bandwire: writing records failed: %s (nothing unwritten was acknowledged)\n",
                   r.commit_error.message().c_str());
      co_return exit_failed;
    }
    if (ec) {
      if (r.final_fault) std::fprintf(stderr, "bandwire: %s\n", r.final_fault->text().c_str());
      co_return s.fail("fetching the activity history", ec);
    }
    co_return exit_ok;
  });
  if (stream_out && stream_out != stdout) std::fclose(stream_out);
  return rc;
}

}  // namespace bandwire::tools
