// What connecting costs, in ATT requests and in band seconds, against its
// anchor measured from the real capture CAP-A (the official app and a real
// band, fact sheet §21), for bench/run.py. Not a test: tests/miband/
// connect_test.cpp asserts the same figures exactly.
//
//   connect_bench CAPTURE
//
// Prints `key value` lines:
//  * capa_*: from CAP-A, the requests from the first ATT PDU to the band's
//    `10 03 01` (authenticated) and to its first heart-rate value, and the
//    seconds they took;
//  * cold_*, warm_*: bandwire against the virtual band on a modelled link
//    (miband/sim_link.hpp, 50 ms connection events) on virtual time: a first
//    run (`pair`: discovery, the bind the user taps, auth) and later runs
//    (the GATT cache), the requests and band seconds to authenticated; and
//    `stream` with no cache and with it: requests, band seconds to
//    authenticated, and from authenticated to the first raw sample.
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <optional>
#include <string>
#include <vector>

#include "hci/btsnoop.hpp"
#include "miband/session.hpp"

using namespace bandwire;
using namespace std::chrono_literals;

namespace {

bool capa(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  const std::vector<std::uint8_t> file((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  std::vector<hci::att_record> pdus;
  if (!f.good() && file.empty()) return false;
  if (hci::extract_att(file, pdus) || pdus.empty()) return false;
  std::size_t requests = 0;
  std::optional<std::size_t> auth_requests, hr_requests;
  double auth_s = -1, hr_s = -1;
  for (const auto& r : pdus) {
    const auto& p = r.pdu;
    if (p.empty()) continue;
    const double t = static_cast<double>(r.timestamp_us - pdus.front().timestamp_us) / 1e6;
    if (r.dir == hci::direction::host_to_controller && att::info(p[0]).kind == att::pdu_kind::request) ++requests;
    // The band's `10 03 01` (auth, fact sheet §4.2) and its first heart-rate
    // notification (2A37 at 0x0029 on this firmware, §1; a 0, a failed
    // measurement, counts: it is the first value the phone got).
    if (!auth_requests && p.size() == 6 && p[0] == 0x1b && p[3] == 0x10 && p[4] == 0x03 && p[5] == 0x01)
      auth_requests = requests, auth_s = t;
    if (!hr_requests && p.size() >= 5 && p[0] == 0x1b && get_le16(&p[1]) == 0x0029)
      hr_requests = requests, hr_s = t;
  }
  if (!auth_requests || !hr_requests) return false;
  std::printf("capa_requests_to_authenticated %zu\ncapa_seconds_to_authenticated %.3f\n", *auth_requests, auth_s);
  std::printf("capa_requests_to_first_heart_rate %zu\ncapa_seconds_to_first_heart_rate %.3f\n", *hr_requests, hr_s);
  return true;
}

struct rig {
  asio::io_context io;
  virtual_time vt;
  scaled_clock clock{vt};
  std::shared_ptr<miband::state_store> store;
  miband::virtual_band band;

  explicit rig(const std::string& dir)
      : store(std::make_shared<miband::state_store>(dir)), band(io.get_executor(), clock, band_options()) {}
  static miband::sim_options band_options() {
    miband::sim_options so;
    so.link = miband::link_timing{};  // CAP-A's 50 ms
    return so;                        // a new band: no key yet, as for `pair`
  }

  struct run {
    std::size_t requests = 0;
    double authenticated = -1, first_sample = -1;
  };
  // One run of a command: connect, pair (first run) or authenticate, and
  // for `stream` start streaming until the first raw sample.
  run once(miband::feature_set f, bool first, bool stream) {
    miband::session_options o;
    o.transport.device = "sim";
    o.store = store;
    o.sim_band = &band;
    o.features = f;
    miband::session s(io, clock, o);
    run out;
    const double t0 = clock.seconds();
    std::optional<error_code> ec;
    s.connect(!first, [&](error_code e) { ec = e; });
    auto tap = s.bearer()->tap([&](att::direction d, bytes_view p) {
      if (d == att::direction::sent && att::info(p[0]).kind == att::pdu_kind::request && out.authenticated < 0)
        ++out.requests;
    });
    if (!vt.run_until(io, [&] { return ec.has_value(); }, 60s) || *ec) return out;
    if (first) {
      std::optional<error_code> pec;
      s.pair(false, [&](error_code e, std::optional<miband::auth_key>) { pec = e; });
      if (!vt.run_until(io, [&] { return pec.has_value(); }, 60s) || *pec) return out;
    }
    out.authenticated = clock.seconds() - t0;
    if (stream) {
      s.stream(
          miband::stream_options{},
          [&](const miband::stream_event& e) {
            if (e.what == miband::stream_event::kind::sensor && out.first_sample < 0)
              out.first_sample = clock.seconds() - t0;
          },
          [](error_code) {});
      vt.run_until(io, [&] { return out.first_sample >= 0; }, 60s);
      std::optional<error_code> stopped;
      s.stop([&](error_code e) { stopped = e; });
      vt.run_until(io, [&] { return stopped.has_value(); }, 60s);
    }
    tap.reset();
    s.close();
    vt.run_for(io, 1s);
    return out;
  }
};

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: connect_bench CAPTURE (CAP-A: ../shared/captures/miband2-official-app-session.btsnoop)\n");
    return 2;
  }
  if (!capa(argv[1])) std::fprintf(stderr, "connect_bench: %s: no CAP-A anchors (not read)\n", argv[1]);
  char tmpl[] = "/tmp/bandwire-connect-bench-XXXXXX";
  if (!::mkdtemp(tmpl)) return 1;
  const std::string dir = tmpl;
  namespace f = miband::feature;
  {
    rig r(dir + "/a");
    const auto cold = r.once(f::none, true, false);  // `pair`
    const auto warm = r.once(f::none, false, false);  // a later command needing nothing more
    std::printf("cold_pair_requests %zu\ncold_pair_seconds %.3f\n", cold.requests, cold.authenticated);
    std::printf("warm_requests %zu\nwarm_seconds %.3f\n", warm.requests, warm.authenticated);
  }
  {
    rig r(dir + "/b");
    r.once(f::none, true, false);  // paired earlier
    r.store->drop_cache("sim");     // no cache: everything `stream` needs is discovered
    const auto first_stream = r.once(f::heart_rate | f::sensors, false, true);
    const auto stream = r.once(f::heart_rate | f::sensors, false, true);
    std::printf("cold_stream_requests %zu\ncold_stream_seconds %.3f\ncold_stream_first_sample_after %.3f\n",
                first_stream.requests, first_stream.authenticated,
                first_stream.first_sample - first_stream.authenticated);
    std::printf("warm_stream_requests %zu\nwarm_stream_seconds %.3f\nwarm_stream_first_sample_after %.3f\n",
                stream.requests, stream.authenticated, stream.first_sample - stream.authenticated);
  }
  std::system(("rm -rf " + dir).c_str());
  return 0;
}
