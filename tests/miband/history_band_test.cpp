// A whole multi-round history fetch against the virtual band: the pure
// history_fetch driven over a socketpair through the real att::bearer and
// gatt::client, the way the library's session will drive it. No timers run
// (the band clock is at real speed and nothing here waits on one).
#include <doctest/doctest.h>

#include <sys/socket.h>

#include <memory>
#include <optional>
#include <vector>

#include "att/bearer.hpp"
#include "gatt/client.hpp"
#include "miband/auth.hpp"
#include "miband/history_fetch.hpp"
#include "miband/virtual_band.hpp"
#include "tests/support/hex.hpp"
#include "tests/support/keys.hpp"

using namespace bandwire;
using namespace bandwire::miband;
namespace chr = std::chrono;
using namespace std::chrono_literals;

namespace {

chr::sys_seconds utc(int y, unsigned mo, unsigned d, int h, int mi) {
  return chr::sys_days{chr::year{y} / mo / d} + chr::hours{h} + chr::minutes{mi};
}

const chr::sys_seconds band_end = utc(2018, 3, 20, 12, 0);

using test::key_a1;

sim_options band_with(std::uint32_t minutes, std::uint32_t limit) {
  sim_options o;
  o.key = key_a1();
  o.seed = 7;
  o.history_end = band_end;
  o.history_minutes = minutes;
  o.history_round_limit = limit;
  o.history_utc_offset = 60min;  // the band's zone differs from the host's below
  return o;
}

struct rig {
  asio::io_context io;
  scaled_clock clock{1.0};
  virtual_band vb;
  std::unique_ptr<att::bearer> bearer;
  std::unique_ptr<gatt::client> client;

  explicit rig(sim_options o) : vb(io.get_executor(), clock, std::move(o)) { connect(); }

  void connect() {
    int fds[2];
    REQUIRE(::socketpair(AF_UNIX, SOCK_SEQPACKET, 0, fds) == 0);
    REQUIRE(vb.serve(seqpacket_socket(io, asio::generic::seq_packet_protocol(AF_UNIX, 0), fds[1])));
    client.reset();
    bearer = std::make_unique<att::bearer>(seqpacket_socket(io, asio::generic::seq_packet_protocol(AF_UNIX, 0), fds[0]));
    bearer->start();
    client = std::make_unique<gatt::client>(*bearer);
    std::optional<error_code> r;
    client->discover_all([&](error_code ec, std::vector<gatt::service>) { r = ec; });
    REQUIRE(run_until([&] { return r.has_value(); }));
    REQUIRE_FALSE(*r);
    authenticate();
  }
  template <class P> bool run_until(P pred, std::chrono::milliseconds limit = 20000ms) {
    const auto end = std::chrono::steady_clock::now() + limit;
    while (!pred()) {
      if (std::chrono::steady_clock::now() > end) return false;
      io.restart();
      io.run_for(2ms);
    }
    return true;
  }
  std::vector<registration> listeners;
  void subscribe(std::uint16_t handle, gatt::client::notify_callback cb) {
    std::optional<error_code> r;
    listeners.push_back(client->listen(handle, std::move(cb)));
    client->subscribe(handle, [&](error_code ec) { r = ec; });
    REQUIRE(run_until([&] { return r.has_value(); }));
    REQUIRE_FALSE(*r);
  }
  void authenticate() {
    authenticator a(key_a1());
    auto run = [&](const auth_action& act) {
      if (act.what == auth_action::kind::write) client->write_without_response(virtual_band::auth_handle, act.value.bytes());
    };
    subscribe(virtual_band::auth_handle, [&](std::uint16_t, bytes_view v, bool) { run(a.on_notification(v)); });
    run(a.start());
    REQUIRE(run_until([&] { return a.finished(); }));
    REQUIRE(a.state() == auth_state::authenticated);
  }
};

// The caller's side: what a CLI does with the actions, with a vector as
// the "file". At each commit it notes how far the band's log had got, to
// prove later that `03` came only after the records were stored.
struct fetcher {
  rig& r;
  history_fetch f;
  std::vector<minute_record> stored;
  std::vector<std::size_t> log_size_at_commit;
  std::vector<std::size_t> round_sizes;
  bool done = false;
  error_code ec;

  fetcher(rig& rr, chr::sys_seconds since, bool ack) : r(rr), f(since, options(ack)) {}
  static history_fetch_options options(bool ack) {
    history_fetch_options o;
    o.utc_offset = [](chr::sys_seconds) { return 120min; };
    o.acknowledge = ack;
    return o;
  }
  void act(history_action a) {
    for (;;) {
      switch (a.what) {
        case history_action::kind::write:
          REQUIRE_FALSE(r.client->write_without_response(virtual_band::activity_control_handle, a.value.bytes()));
          return;
        case history_action::kind::commit: {
          // "fsync": the records are in `stored` before committed() runs.
          const auto& log = r.vb.history().log();
          REQUIRE_FALSE(log.empty());
          CHECK(log.back().what == history_event::kind::transfer);  // no `03` yet for this round
          log_size_at_commit.push_back(log.size());
          round_sizes.push_back(a.records.size());
          stored.insert(stored.end(), a.records.begin(), a.records.end());
          a = f.committed();
          continue;
        }
        case history_action::kind::done:
          done = true;
          ec = a.ec;
          return;
        default: return;  // none / wait: no timers in this test
      }
    }
  }
  void run() {
    r.subscribe(virtual_band::activity_control_handle,
                [this](std::uint16_t, bytes_view v, bool) { act(f.on_control(v)); });
    r.subscribe(virtual_band::activity_data_handle, [this](std::uint16_t, bytes_view v, bool) { act(f.on_data(v)); });
    act(f.start());
    REQUIRE(r.run_until([&] { return done; }, 60000ms));
  }
};

// Every stored minute, in order, exactly as the band's model holds it.
void check_complete(const rig& r, const std::vector<minute_record>& got, chr::sys_seconds from) {
  const auto want = static_cast<std::size_t>(chr::duration_cast<chr::minutes>(band_end - from).count());
  REQUIRE(got.size() == want);
  for (std::size_t i = 0; i < got.size(); ++i) {
    const auto t = from + chr::minutes{i};
    const auto s = r.vb.history().at(t);
    REQUIRE(got[i].time == t);
    REQUIRE(got[i] == make_minute_record(t, 4, s));  // the band's tz byte: +1 h
  }
}

}  // namespace

TEST_CASE("history over the virtual band: per-round limits 1, 17 and 1440, fsync before every ack") {
  struct param { std::uint32_t limit, minutes; std::vector<std::size_t> rounds; };
  const param cases[] = {
      {1, 5, {1, 1, 1, 1, 1}},
      {17, 60, {17, 17, 17, 9}},
      {1440, 3 * 1440 + 100, {1440, 1440, 1440, 100}},  // 360 packets per full round: the counter wraps
  };
  for (const auto& p : cases) {
    CAPTURE(p.limit);
    rig r(band_with(p.minutes, p.limit));
    const auto oldest = band_end - chr::minutes{p.minutes};
    // Ask from 10 days back: the band answers with its oldest stored minute.
    fetcher fe(r, band_end - chr::days{10}, true);
    fe.run();
    CHECK_FALSE(fe.ec);
    CHECK(fe.round_sizes == p.rounds);
    check_complete(r, fe.stored, oldest);
    CHECK(fe.f.faults().empty());
    CHECK(fe.f.warnings().empty());
    // The band's log: request, transfer, ack per round, then the empty
    // request; each ack came after the commit of its round.
    const auto& log = r.vb.history().log();
    REQUIRE(log.size() == 3 * p.rounds.size() + 1);
    for (std::size_t i = 0; i < p.rounds.size(); ++i) {
      CHECK(log[3 * i].what == history_event::kind::request);
      CHECK(log[3 * i + 1].what == history_event::kind::transfer);
      CHECK(log[3 * i + 1].records == p.rounds[i]);
      CHECK(log[3 * i + 1].packets == (p.rounds[i] + 3) / 4);
      REQUIRE(fe.log_size_at_commit[i] == 3 * i + 2);
      CHECK(log[3 * i + 2].what == history_event::kind::ack);
      CHECK(log[3 * i + 2].records == p.rounds[i]);  // the acked minutes are deleted
    }
    CHECK(log[0].requested == band_end - chr::days{10});
    CHECK(log[0].start == oldest);  // the returned start differs from the request
    CHECK(log.back().records == 0);
    CHECK(r.vb.history().first_kept() == band_end);  // all acked: nothing left
  }
}

TEST_CASE("history over the virtual band: --keep leaves the data, served again next time") {
  rig r(band_with(40, 17));
  const auto oldest = band_end - 40min;
  fetcher first(r, oldest, false);
  first.run();
  CHECK_FALSE(first.ec);
  check_complete(r, first.stored, oldest);
  for (const auto& e : r.vb.history().log()) CHECK(e.what != history_event::kind::ack);
  CHECK(r.vb.history().first_kept() == oldest);
  // A new link and a new fetch from the same start: the same minutes again.
  r.vb.drop_link();
  REQUIRE(r.run_until([&] { return !r.vb.connected(); }));
  r.connect();
  fetcher again(r, oldest, true);
  again.run();
  CHECK_FALSE(again.ec);
  CHECK(again.stored == first.stored);
  CHECK(r.vb.history().first_kept() == band_end);
}

TEST_CASE("history over the virtual band: a lost packet is caught, the round retried, nothing lost or doubled") {
  auto o = band_with(3 * 1440, 1440);
  o.history_skip_packet = 300;  // past the counter's first wrap
  rig r(o);
  const auto oldest = band_end - chr::days{3};
  fetcher fe(r, oldest, true);
  fe.run();
  CHECK_FALSE(fe.ec);
  REQUIRE(fe.f.faults().size() == 1);
  const auto& fault = fe.f.faults()[0];
  CHECK(fault.ec == history_errc::packet_gap);
  CHECK(*fault.packet == 300);
  CHECK(*fault.counter == 301 - 256);
  CHECK(*fault.expected == 300 - 256);
  CHECK(*fault.minute == oldest + 1200min);
  check_complete(r, fe.stored, oldest);
  CHECK(fe.round_sizes == std::vector<std::size_t>{1440, 1440, 1440});
  // The broken transfer was never acknowledged: request, transfer, then the
  // retried request.
  const auto& log = r.vb.history().log();
  CHECK(log[1].what == history_event::kind::transfer);
  CHECK(log[1].packets == 359);
  CHECK(log[2].what == history_event::kind::request);
  CHECK(log[2].requested == oldest);
}
