// A program's own doctest suite against the virtual band in process, on
// virtual time: the "protocol tests with a mocked socket" use, as an
// embedder writes it with only the installed library.
//
//   c++ -std=c++20 embedder_test.cpp $(pkg-config --cflags --libs bandwire) -o embedder_test
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include <bandwire/common/timer.hpp>
#include <bandwire/miband/session.hpp>

namespace asio = boost::asio;
using namespace std::chrono_literals;
using bandwire::error_code;
namespace mb = bandwire::miband;

// The code under test: the program's own average over heart-rate values.
struct average_hr {
  double sum = 0;
  int n = 0;
  void add(unsigned bpm) { sum += bpm, ++n; }
  double value() const { return n ? sum / n : 0; }
};

TEST_CASE("my averager over 60 s of the virtual band's continuous heart rate") {
  asio::io_context io;
  bandwire::virtual_time vt;
  bandwire::scaled_clock clock(vt);
  mb::sim_options so;
  so.key = mb::well_known_key();
  mb::virtual_band band(io.get_executor(), clock, so);
  mb::session_options o;
  o.transport.device = "sim";
  o.sim_band = &band;
  o.key = mb::well_known_key();
  o.store = std::make_shared<mb::state_store>(std::string(std::getenv("TMPDIR") ? std::getenv("TMPDIR") : "/tmp") +
                                             "/bandwire-embedder-test");
  mb::session s(io, clock, o);
  average_hr avg;
  std::optional<error_code> connected;
  s.connect(true, [&](error_code ec) { connected = ec; });
  REQUIRE(vt.run_until(io, [&] { return connected.has_value(); }, 60s));
  REQUIRE_FALSE(*connected);
  s.stream(mb::stream_options{false, false, true}, [&](const mb::stream_event& e) {
    if (e.what == mb::stream_event::kind::heart_rate) avg.add(e.hr->bpm);
  }, [](error_code) {});
  vt.run_for(io, 60s);
  // First value ~6.6 s after the start, then one every 1.25 s (fact sheet §5.3).
  CHECK(avg.n >= 40);
  CHECK(avg.n <= 45);
  CHECK(avg.value() > 40);
  CHECK(avg.value() < 200);
  CHECK(band.stats().keep_alives >= 4);  // the 12 s keep-alive
}
