// `bandwire heart`: one heart-rate measurement, or --continuous values until
// Ctrl-C or --duration (the band keeps measuring with a keep-alive).
#include <cstdio>

#include "miband/error.hpp"
#include "tools/await.hpp"
#include "tools/band_session.hpp"
#include "tools/clocks.hpp"
#include "tools/commands.hpp"
#include "tools/follow.hpp"
#include "tools/option_set.hpp"
#include "tools/output.hpp"
#include "tools/wait.hpp"

namespace bandwire::tools {

namespace {

asio::awaitable<int> measure_once(band_session& s, miband::band& b, double limit) {
  auto [ec, bpm] = co_await await_value<std::uint16_t>([&](auto d) {
    b.heart_rate_once(std::chrono::milliseconds(static_cast<long long>(limit * 1000)), std::move(d));
  });
  if (ec == miband::errc::measurement_failed) {
    std::fprintf(stderr, "bandwire: the band could not measure (reading 0): wear it snugly and try again\n");
    if (s.json) emit(json_object().add("kind", "hr").add("time", now_wall()).add("bpm", 0).add("failed", true).str());
    co_return exit_failed;
  }
  if (ec) co_return s.fail("heart rate measurement", ec);
  miband::heart_rate_measurement m;
  m.bpm = bpm;
  print_heart_rate(m, s.json);
  co_return exit_ok;
}

// Heart rate only (`15 01 01` with the 12 s keep-alive, fact sheet §5.2),
// reconnected after a lost link unless --no-reconnect (tools/follow.hpp).
asio::awaitable<int> measure_continuously(band_session& s, double duration) {
  record::supervisor_options o;
  o.stream.accelerometer = o.stream.ppg = false;
  o.stream.heart_rate = true;
  o.stream_enabled = true;
  co_return co_await follow_feeds(s, o, "continuous heart rate", duration);
}

}  // namespace

void declare_heart(option_set& o) {
  o.usage("heart --device TARGET [--continuous [--duration S]] [options]")
      .description("One heart-rate measurement (the band needs ~6 s; a failed measurement exits 1;\n"
                   "a measurement left running by another program is stopped first and its late\n"
                   "values are not taken for the answer), or with --continuous one value about every 1.25 s until Ctrl-C or S seconds,\n"
                   "keeping the band measuring with a keep-alive every 12 s and reporting when\n"
                   "values stop. A standard heart-rate strap (service 0x180D) needs no key: its\n"
                   "first reading with skin contact is the measurement, and --continuous prints\n"
                   "every notification with its RR intervals (exact seconds), energy expended\n"
                   "(kJ) and sensor contact; no command is ever written to its control point.\n"
                   "A device without 0x180D (Mi Band HRX) fails naming the missing service.")
      .flag("--continuous", "one value about every 1.25 s")
      .value("--duration", "S", "with --continuous: stop after S seconds")
      .value("--measure-timeout", "S", "bounds the one-shot wait (default 15)");
  declare_reconnect_option(o);
  declare_band_options(o);
}

int run_heart(const args& a) {
  const auto duration = duration_option(a, "heart");
  if (!duration) return exit_usage;
  double limit = 15;
  if (auto m = a.get("--measure-timeout")) {
    auto v = parse_seconds(*m);
    if (!v) {
      std::fprintf(stderr, "bandwire heart: --measure-timeout must be positive seconds\n");
      return exit_usage;
    }
    limit = *v;
  }
  const bool continuous = a.has("--continuous");
  return run_on_band(a, "heart", [=](band_session& s, miband::band& b) {
    return continuous ? measure_continuously(s, *duration) : measure_once(s, b, limit);
  });
}

}  // namespace bandwire::tools
