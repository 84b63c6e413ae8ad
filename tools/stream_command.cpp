// `bandwire stream`: raw accelerometer + PPG + heart rate as analysis-ready
// records, until Ctrl-C, SIGTERM or --duration; the band's streams are
// stopped cleanly (`03`, `15 01 00`) before exit.
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <utility>

#include "tools/await.hpp"
#include "tools/band_session.hpp"
#include "tools/commands.hpp"
#include "tools/option_set.hpp"
#include "tools/records.hpp"
#include "tools/wait.hpp"

namespace bandwire::tools {

namespace {

// The command line, checked before connecting.
struct stream_plan {
  miband::stream_options so;
  record_format format = record_format::jsonl;
  double duration = 0;  ///< 0: until a signal
  double counts_per_g = miband::miband2_counts_per_g;
};

// Fills `p`; returns a usage error, or "" when valid.
std::string make_plan(const args& a, stream_plan& p) {
  const std::string format = a.get("--format").value_or("jsonl");
  if (format != "jsonl" && format != "csv") return "--format must be jsonl or csv";
  p.format = format == "csv" ? record_format::csv : record_format::jsonl;
  p.so.accelerometer = !a.has("--no-accel");
  p.so.ppg = !a.has("--no-ppg");
  p.so.heart_rate = !a.has("--no-hr");
  if (!p.so.accelerometer && !p.so.ppg && !p.so.heart_rate) return "nothing to stream";
  if (auto r = a.get("--rate")) {
    auto v = parse_number(*r, 100);
    if (!v || *v < 1) return "--rate must be 1..100 Hz";
    p.so.rate_hz = static_cast<std::uint8_t>(*v);
  }
  if (auto d = a.get("--duration")) {
    auto v = parse_seconds(*d, 1e9);
    if (!v) return "--duration must be positive";
    p.duration = *v;
  }
  if (auto c = a.get("--counts-per-g")) {
    char* end = nullptr;
    p.counts_per_g = std::strtod(c->c_str(), &end);
    if (end == c->c_str() || *end != '\0' || !(p.counts_per_g > 0) || !std::isfinite(p.counts_per_g))
      return "--counts-per-g must be positive";
  }
  return {};
}

// Leaves out what the device cannot send, saying which service is missing;
// false when nothing is left to stream.
bool fit_to_device(miband::stream_options& so, const miband::device_capabilities& c, const std::string& family) {
  if (!c.raw_sensor && (so.accelerometer || so.ppg)) {
    std::fprintf(stderr, "bandwire stream: a %s has no raw sensors (Mi Band service FEE0 00000001/00000002): "
                         "no accelerometer or PPG records\n", family.c_str());
    so.accelerometer = so.ppg = false;
  }
  if (!c.heart_rate && (so.heart_rate || so.ppg)) {
    std::fprintf(stderr, "bandwire stream: a %s has no Heart Rate service (0x180D): no heart-rate or PPG records\n",
                 family.c_str());
    so.heart_rate = so.ppg = false;
  }
  if (so.accelerometer || so.ppg || so.heart_rate) return true;
  std::fprintf(stderr, "bandwire stream: nothing left to stream from this %s\n", family.c_str());
  return false;
}

void print_counters(miband::session& sess) {
  const auto packets = static_cast<unsigned long long>(sess.packets_delivered());
  if (!sess.band()) {
    std::fprintf(stderr, "bandwire: %llu packets\n", packets);
    return;
  }
  const auto& t = sess.band()->counters();
  std::fprintf(stderr, "bandwire: %llu packets, %llu lost, %llu duplicate, %llu out of order, %llu malformed\n",
               packets, static_cast<unsigned long long>(t.lost()), static_cast<unsigned long long>(t.duplicates()),
               static_cast<unsigned long long>(t.out_of_order()),
               static_cast<unsigned long long>(sess.band()->stats().malformed));
  // The rates the sample times follow, as measured from arrivals (band time).
  const auto& tl = sess.band()->timeline();
  for (auto [type, name] : {std::pair{miband::sensor_packet_type::accelerometer, "accelerometer"},
                            std::pair{miband::sensor_packet_type::ppg, "PPG"}})
    if (tl.rate_measured(type)) std::fprintf(stderr, "bandwire: %s rate measured: %.2f Hz\n", name, tl.rate_hz(type));
}

// Streams until Ctrl-C/SIGTERM, --duration, or the output failing (a closed
// pipe); a lost link is reconnected by the session (re-authenticated,
// streams re-armed, a `gap` record) unless --no-reconnect.
asio::awaitable<int> stream_records(band_session& s, record_writer& w, stream_plan p) {
  if (int c = co_await s.connect(true); c >= 0) co_return c;
  auto& sess = *s.session;
  if (!fit_to_device(p.so, sess.band()->capabilities(), s.family())) co_return exit_failed;
  sess.band()->counts_per_g = p.counts_per_g;
  stop_wait until(s.io, p.duration);
  std::optional<error_code> ended;  // the stream ended by itself
  auto on_link = sess.on_link_event([&](const miband::link_event& e) {
    if (e.what == miband::link_event::kind::lost)
      std::fprintf(stderr, "bandwire: link lost (%s); reconnecting\n", e.reason.message().c_str());
    if (e.what == miband::link_event::kind::connected && sess.band()) sess.band()->counts_per_g = p.counts_per_g;
  });
  record_sink sink(w, p.counts_per_g, s.io.get_executor());
  sess.stream(
      p.so,
      [&](const miband::stream_event& e) {
        sink(e);
        if (w.failed()) until.stop();
      },
      [&](error_code ec) {
        ended = ec;
        until.stop();
      });
  co_await until.wait();
  if (ended && *ended) co_return s.fail(sess.connected() ? "starting the stream" : "stream", *ended);
  if (!ended) {
    // A clean stop: the band's sensors and measurement off (§6.2).
    error_code ec;
    co_await sess.async_stop(asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return s.fail("stopping the stream", ec);
  }
  print_counters(sess);
  if (w.failed()) {
    std::fprintf(stderr, "bandwire: writing records failed (disk full or closed pipe?)\n");
    co_return exit_failed;
  }
  co_return exit_ok;
}

}  // namespace

void declare_stream(option_set& o) {
  o.usage("stream --device TARGET [options]")
      .description("Streams the band's raw accelerometer, raw PPG and heart rate as one record per\n"
                   "sample (schema and units in the README), until Ctrl-C, SIGTERM or --duration.\n"
                   "The band's sensors and heart-rate measurement are stopped before exit. What the\n"
                   "device cannot send is left out with a note: a heart-rate strap (no Mi Band auth\n"
                   "needed) streams heart rate with RR intervals, energy and contact; a Mi Band HRX\n"
                   "streams the accelerometer only.")
      .value("--format", "jsonl|csv", "record format (default jsonl)")
      .value("--output", "FILE", "write records to FILE instead of stdout (flushed per record)")
      .value("--duration", "S", "stop after S seconds")
      .value("--rate", "HZ", "sample rate per sensor asked of the band, 1..100 (default 25).\n"
                             "Only 25 Hz is verified: no other rate was ever observed on a\n"
                             "real band (fact sheet §6.3, §22.5). Sample times follow the\n"
                             "rate measured from the arrivals, not this one")
      .flag("--no-accel", "no accelerometer")
      .flag("--no-ppg", "no PPG")
      .flag("--no-hr", "no heart rate (the PPG needs it on a real band)")
      .value("--counts-per-g", "N", "accelerometer scale (default 256 counts per g)")
      .flag("--no-reconnect", "exit when the link is lost instead of reconnecting\n"
                              "(re-authenticating and re-arming the streams, with a\n"
                              "`gap` record for the outage)");
  declare_band_options(o);
}

int run_stream(const args& a) {
  band_session s(a);
  s.reconnect = !a.has("--no-reconnect");
  if (int rc = s.configure("stream"); rc >= 0) return rc;
  stream_plan p;
  if (std::string e = make_plan(a, p); !e.empty()) {
    std::fprintf(stderr, "bandwire stream: %s (see bandwire stream --help)\n", e.c_str());
    return exit_usage;
  }
  std::FILE* out = stdout;
  if (auto path = a.get("--output")) {
    out = std::fopen(path->c_str(), "w");
    if (!out) {
      std::fprintf(stderr, "bandwire stream: cannot write %s\n", path->c_str());
      return exit_usage;
    }
  }
  record_writer w(out, p.format);
  const int rc = s.run([&] { return stream_records(s, w, p); });
  if (out != stdout) std::fclose(out);
  return rc;
}

}  // namespace bandwire::tools
