// `bandwire stream`: raw accelerometer + PPG + heart rate as analysis-ready
// records, until Ctrl-C, SIGTERM or --duration; the band's streams are
// stopped cleanly (`03`, `15 01 00`) before exit.
#include <csignal>
#include <cmath>
#include <cstdio>

#include "tools/await.hpp"
#include "tools/band_session.hpp"
#include "tools/commands.hpp"
#include "tools/records.hpp"

namespace bandwire::tools {

namespace {

constexpr const char* stream_help = R"(usage: bandwire stream --device TARGET [options]

Streams the band's raw accelerometer, raw PPG and heart rate as one record per
sample (schema and units in the README), until Ctrl-C, SIGTERM or --duration.
The band's sensors and heart-rate measurement are stopped before exit.

  --format jsonl|csv     record format (default jsonl)
  --output FILE          write records to FILE instead of stdout (flushed per record)
  --duration S           stop after S seconds
  --rate HZ              sample rate per sensor, 1..100 (default 25)
  --no-accel             no accelerometer
  --no-ppg               no PPG
  --no-hr                no heart rate (the PPG needs it on a real band)
  --counts-per-g N       accelerometer scale (default 256 counts per g)
  --no-reconnect         exit when the link is lost instead of reconnecting
                         (re-authenticating and re-arming the streams, with a
                         `gap` record for the outage)

)";

// Reconstructs per-sample times: samples are evenly spaced at the configured
// rate; the clock re-anchors to the arrival time after a gap or when it
// drifts more than 2 s from the arrivals (packets come in ~0.65 s bursts).
struct sample_clock {
  double rate = 25, next = -1;
  double first_of(std::size_t n, double arrival) {
    const double span = static_cast<double>(n - 1) / rate;
    if (next < 0 || std::abs(next + span - arrival) > 2.0) next = arrival - span;
    const double t = next;
    next += static_cast<double>(n) / rate;
    return t;
  }
};

}  // namespace

int run_stream(const std::vector<std::string>& argv) {
  auto values = band_value_options();
  values.insert({"--format", "--output", "--duration", "--rate", "--counts-per-g"});
  auto flags = band_flags();
  flags.insert({"--no-accel", "--no-ppg", "--no-hr", "--no-reconnect"});
  args a(argv, values, flags);
  if (a.has("--help")) {
    std::fputs(stream_help, stdout);
    std::fputs(band_common_help, stdout);
    return exit_ok;
  }
  band_session s(a);
  s.reconnect = !a.has("--no-reconnect");
  if (int rc = s.configure("stream"); rc >= 0) return rc;
  auto usage = [](const char* m) {
    std::fprintf(stderr, "bandwire stream: %s (see bandwire stream --help)\n", m);
    return exit_usage;
  };
  if (!a.positional().empty()) return usage("unexpected argument");
  const std::string format = a.get("--format").value_or("jsonl");
  if (format != "jsonl" && format != "csv") return usage("--format must be jsonl or csv");
  miband::stream_options so;
  so.accelerometer = !a.has("--no-accel");
  so.ppg = !a.has("--no-ppg");
  so.heart_rate = !a.has("--no-hr");
  if (!so.accelerometer && !so.ppg && !so.heart_rate) return usage("nothing to stream");
  if (auto r = a.get("--rate")) {
    auto v = parse_number(*r, 100);
    if (!v || *v < 1) return usage("--rate must be 1..100 Hz");
    so.rate_hz = static_cast<std::uint8_t>(*v);
  }
  double duration = 0, cpg = miband::miband2_counts_per_g;
  try {
    if (auto d = a.get("--duration")) duration = std::stod(*d);
    if (auto c = a.get("--counts-per-g")) cpg = std::stod(*c);
  } catch (...) {
    return usage("--duration and --counts-per-g take numbers");
  }
  if (duration < 0 || (a.has("--duration") && duration == 0)) return usage("--duration must be positive");
  if (!(cpg > 0)) return usage("--counts-per-g must be positive");

  std::FILE* out = stdout;
  if (auto path = a.get("--output")) {
    out = std::fopen(path->c_str(), "w");
    if (!out) {
      std::fprintf(stderr, "bandwire stream: cannot write %s\n", path->c_str());
      return exit_usage;
    }
  }
  record_writer w(out, format == "csv" ? record_format::csv : record_format::jsonl);
  sample_clock accel_clock{static_cast<double>(so.rate_hz)}, ppg_clock{static_cast<double>(so.rate_hz)};


  int rc = s.run([&]() -> asio::awaitable<int> {
    // Stops on Ctrl-C/SIGTERM, --duration, or the output failing (a closed
    // pipe); a lost link is reconnected by the session (re-authenticated,
    // streams re-armed, a `gap` record) unless --no-reconnect.
    if (int c = co_await s.connect(true); c >= 0) co_return c;
    auto& sess = *s.session;
    sess.band()->counts_per_g = cpg;
    bool ended = false;
    error_code stream_ec;
    asio::steady_timer timer(s.io);
    auto on_link = sess.on_link_event([&](const miband::link_event& e) {
      if (e.what == miband::link_event::kind::lost)
        std::fprintf(stderr, "bandwire: link lost (%s); reconnecting\n", e.reason.message().c_str());
      if (e.what == miband::link_event::kind::connected && sess.band()) sess.band()->counts_per_g = cpg;
    });
    auto stop_now = [&] { timer.cancel(); };
    auto on_event = [&](const miband::stream_event& e) {
      using kind = miband::stream_event::kind;
      record r;
      if (e.what == kind::gap || e.what == kind::stall) {
        r.kind = "gap", r.time = e.wall, r.mono = e.mono;
        r.missing = e.what == kind::gap ? static_cast<int>(e.gap_missing) : 0;
        r.seconds = e.what == kind::gap ? e.gap_seconds : e.stall_seconds;
        if (e.what == kind::gap) accel_clock.next = ppg_clock.next = -1;
        w.write(r);
      } else if (e.what == kind::heart_rate) {
        r.kind = "hr", r.time = e.wall, r.mono = e.mono, r.bpm = e.hr->bpm;
        for (std::size_t i = 0; i < e.hr->rr_count(); ++i) r.rr.push_back(e.hr->rr_seconds(i));
        w.write(r);
      } else {
        const auto& p = e.sensor->packet;
        r.time = e.wall, r.mono = e.mono, r.seq = p.counter;
        if (p.type == miband::sensor_packet_type::accelerometer) {
          r.kind = "accel";
          r.has_xyz = true;
          double t = accel_clock.first_of(p.count, e.wall);
          for (std::size_t i = 0; i < p.count; ++i, t += 1.0 / so.rate_hz) {
            const auto smp = p.accel(i);
            const auto g = miband::to_g(smp, cpg);
            r.t = t, r.x = smp.x, r.y = smp.y, r.z = smp.z, r.gx = g.x, r.gy = g.y, r.gz = g.z;
            w.write(r);
          }
        } else {
          r.kind = "ppg";
          r.has_value = true;
          double t = ppg_clock.first_of(p.count, e.wall);
          for (auto v : p.ppg()) {
            r.t = t, r.value = v;
            w.write(r);
            t += 1.0 / so.rate_hz;
          }
        }
      }
      if (w.failed()) stop_now();
    };
    sess.stream(so, on_event, [&](error_code ec) {
      ended = true;
      stream_ec = ec;
      stop_now();
    });
    asio::signal_set signals(s.io, SIGINT, SIGTERM);
    signals.async_wait([&](error_code e, int) {
      if (!e) stop_now();
    });
    timer.expires_at(duration > 0 ? std::chrono::steady_clock::now() +
                                        std::chrono::microseconds(static_cast<long long>(duration * 1e6))
                                  : asio::steady_timer::time_point::max());
    error_code wait_ec;
    co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, wait_ec));
    signals.cancel();
    const auto packets = sess.packets_delivered();
    if (ended) {
      if (stream_ec) co_return s.fail(sess.connected() ? "starting the stream" : "stream", stream_ec);
    } else {
      // A clean stop: the band's sensors and measurement off (§6.2).
      error_code ec;
      co_await sess.async_stop(asio::redirect_error(asio::use_awaitable, ec));
      if (ec) co_return s.fail("stopping the stream", ec);
    }
    if (!sess.band()) {
      std::fprintf(stderr, "bandwire: %llu packets\n", static_cast<unsigned long long>(packets));
    } else {
      const auto& t = sess.band()->counters();
      std::fprintf(stderr, "bandwire: %llu packets, %llu lost, %llu duplicate, %llu out of order, %llu malformed\n",
                   static_cast<unsigned long long>(packets), static_cast<unsigned long long>(t.lost()),
                   static_cast<unsigned long long>(t.duplicates()), static_cast<unsigned long long>(t.out_of_order()),
                   static_cast<unsigned long long>(sess.band()->stats().malformed));
    }
    if (w.failed()) {
      std::fprintf(stderr, "bandwire: writing records failed (disk full or closed pipe?)\n");
      co_return exit_failed;
    }
    co_return exit_ok;
  });
  if (out != stdout) std::fclose(out);
  return rc;
}

}  // namespace bandwire::tools
