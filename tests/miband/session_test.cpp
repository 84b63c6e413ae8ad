// miband::session against the virtual Mi Band 2 in one process, on virtual
// time: reconnection under repeated link drops (packets accounted for
// exactly), and destruction of the session at every step of a journey.
#include "miband/session.hpp"

#include <doctest/doctest.h>

#include <future>
#include <map>

#include "miband/error.hpp"
#include "tests/support/hex.hpp"
#include "tests/support/keys.hpp"

using namespace bandwire;
using namespace bandwire::miband;
using namespace std::chrono_literals;

namespace {

using test::key_a1;

// Keys and caches in memory: an embedder's own store (state_store's virtual
// functions), and no files touched by the tests.
struct memory_store final : state_store {
  memory_store() : state_store("/nonexistent-bandwire-test") {}
  std::optional<auth_key> load_key(const std::string& id, std::string&) const override {
    auto it = keys.find(id);
    if (it == keys.end()) return std::nullopt;
    return it->second;
  }
  std::string save_key(const std::string& id, const auth_key& k) const override {
    keys.insert_or_assign(id, k);
    return {};
  }
  bool load_cache(const std::string& id, gatt::discovered_database& out) const override {
    auto it = caches.find(id);
    if (it == caches.end()) return false;
    out = it->second;
    ++cache_hits;
    return true;
  }
  void save_cache(const std::string& id, const gatt::discovered_database& s) const override { caches[id] = s; }
  void drop_cache(const std::string& id) const override {
    caches.erase(id);
    ++drops;
  }
  mutable std::map<std::string, auth_key> keys;
  mutable std::map<std::string, gatt::discovered_database> caches;
  mutable int cache_hits = 0, drops = 0;
};

struct rig {
  asio::io_context io;
  virtual_time vt;
  scaled_clock clock{vt};
  std::shared_ptr<memory_store> store = std::make_shared<memory_store>();
  virtual_band vb;
  std::unique_ptr<session> s;

  rig() : vb(io.get_executor(), clock, sim_with_key()) {
    session_options o;
    o.transport.device = "sim";
    o.store = store;
    o.key = key_a1();
    o.sim_band = &vb;
    s = std::make_unique<session>(io, clock, o);
  }
  static sim_options sim_with_key() {
    sim_options so;
    so.key = key_a1();
    so.random = [](bytes_span out) {
      for (std::size_t i = 0; i < out.size(); ++i) out[i] = static_cast<std::uint8_t>(i * 7 + 1);
    };
    return so;
  }
  template <class P> bool run_until(P pred, std::chrono::seconds limit = 600s) { return vt.run_until(io, pred, limit); }
};

}  // namespace

TEST_CASE("session: connect, authenticate, then a second connect uses the cache and the echo keeps it") {
  rig r;
  std::optional<error_code> ec;
  r.s->connect(true, [&](error_code e) { ec = e; });
  REQUIRE(r.run_until([&] { return ec.has_value(); }));
  REQUIRE_FALSE(*ec);
  CHECK(r.vb.authenticated());
  CHECK(r.store->caches.count("sim") == 1);
  CHECK(r.store->cache_hits == 0);
  // The band's Service Changed indication answers our CCCD write: the echo,
  // recognised by protocol order, does not drop the cache.
  r.vt.run_for(r.io, 2s);
  CHECK(r.store->drops == 0);
  // The band serves one link at a time, as a real one: close, then reconnect.
  r.s->close();
  r.vt.run_for(r.io, 1s);
  ec.reset();
  r.s->connect(true, [&](error_code e) { ec = e; });
  REQUIRE(r.run_until([&] { return ec.has_value(); }));
  REQUIRE_FALSE(*ec);
  CHECK(r.store->cache_hits == 1);
  r.vt.run_for(r.io, 2s);
  CHECK(r.store->drops == 0);
}

TEST_CASE("session: no key and a rejected key are distinct errors") {
  rig r;
  session_options o = r.s->options();
  o.key.reset();
  session s2(r.io, r.clock, o);
  std::optional<error_code> ec;
  s2.connect(true, [&](error_code e) { ec = e; });
  REQUIRE(r.run_until([&] { return ec.has_value(); }));
  CHECK(*ec == errc::no_key);
  s2.close();
  r.vt.run_for(r.io, 1s);

  o.key = well_known_key();  // the band holds key A1
  session s3(r.io, r.clock, o);
  ec.reset();
  s3.connect(true, [&](error_code e) { ec = e; });
  REQUIRE(r.run_until([&] { return ec.has_value(); }));
  CHECK(*ec == errc::key_rejected);
}

TEST_CASE("session: 60 forced link drops, some during auth; every packet sent is delivered or counted missing") {
  rig r;
  std::uint64_t delivered = 0, missing = 0, duplicates = 0, gaps = 0, hr = 0;
  int lost = 0, resumed = 0, reconnecting = 0, drops_in_auth = 0;
  registration auth_tap;
  auto events = r.s->on_link_event([&](const link_event& e) {
    switch (e.what) {
      case link_event::kind::lost: ++lost; break;
      case link_event::kind::resumed: ++resumed; break;
      case link_event::kind::reconnecting:
        ++reconnecting;
        CHECK(e.attempt >= 1);
        CHECK(e.delay_seconds >= 1.0);
        CHECK(e.delay_seconds <= 10.0);
        break;
      case link_event::kind::connected:
        // Every fifth reconnect: drop the link during authentication, right
        // after the client's second auth write.
        if (lost > 0 && lost % 5 == 0) {
          auto sent = std::make_shared<int>(0);
          auth_tap = r.s->bearer()->tap([&, sent](att::direction d, bytes_view pdu) {
            if (d == att::direction::sent && pdu.size() >= 4 && pdu[0] == 0x52 && ++*sent == 2) {
              ++drops_in_auth;
              asio::post(r.io, [&] { r.vb.drop_link(); });
            }
          });
        }
        break;
      default: break;
    }
  });
  std::optional<error_code> ec, ended;
  r.s->connect(true, [&](error_code e) { ec = e; });
  REQUIRE(r.run_until([&] { return ec.has_value(); }));
  REQUIRE_FALSE(*ec);
  r.s->stream(stream_options{}, [&](const stream_event& e) {
    if (e.what == stream_event::kind::sensor) {
      ++delivered;
      if (e.sensor->order.what == counter_tracker::kind::duplicate) ++duplicates;
    } else if (e.what == stream_event::kind::gap) {
      ++gaps;
      missing += e.gap_missing;
    } else if (e.what == stream_event::kind::heart_rate) {
      ++hr;
    }
  }, [&](error_code e) { ended = e; });
  // Drop the link every 7 s of band time while streaming.
  for (int i = 0; i < 60; ++i) {
    r.vt.run_for(r.io, 7s);
    r.vb.drop_link();
  }
  r.vt.run_for(r.io, 20s);
  std::optional<error_code> stopped;
  r.s->stop([&](error_code e) { stopped = e; });
  REQUIRE(r.run_until([&] { return stopped.has_value() && ended.has_value(); }));
  CHECK_FALSE(*stopped);
  CHECK_FALSE(*ended);
  INFO("lost " << lost << " resumed " << resumed << " in auth " << drops_in_auth);
  CHECK(lost >= 60);
  CHECK(drops_in_auth >= 5);
  CHECK(resumed >= 50);
  CHECK(reconnecting >= lost);
  CHECK(duplicates == 0);
  CHECK(gaps >= 50);
  CHECK(hr > 0);
  CHECK(delivered > 3000);
  // Exact accounting: what the virtual band sent was delivered or counted.
  CHECK(r.vb.stats().sensor_packets == delivered + missing);
  CHECK(r.s->packets_delivered() == delivered);
}

// Destroys the session after each handler of a journey (every PDU read,
// write completion and timer expiry of connect, auth, stream start,
// streaming and stop), then checks every handler the program was promised
// ran exactly once. Run under ASan in CI.
TEST_CASE("session: destroyed at every step of connect, auth, stream and stop; each handler runs once") {
  auto journey = [](std::size_t destroy_after, std::size_t& steps_taken) {
    rig r;
    int connect_calls = 0, stream_calls = 0, stop_calls = 0;
    bool stop_started = false, stream_requested = false;
    std::size_t step = 0;
    r.s->connect(true, [&](error_code e) {
      ++connect_calls;
      if (e || !r.s) return;
      stream_requested = true;
      r.s->stream(stream_options{}, [](const stream_event&) {}, [&](error_code) { ++stream_calls; });
    });
    bool finished = false;
    while (!finished) {
      if (r.s && step == destroy_after) r.s.reset();
      if (r.io.stopped()) r.io.restart();
      if (r.io.poll_one() == 0 && !r.vt.advance_one()) break;
      ++step;
      if (r.s && !stop_started && r.vt.now() >= 15s) {
        stop_started = true;
        r.s->stop([&](error_code) {
          ++stop_calls;
          finished = true;
        });
      }
      if (step > 20000) break;
      finished = finished || (!r.s && step > destroy_after + 2000);
    }
    if (r.s) r.s.reset();
    r.vt.run_for(r.io, 120s);  // what was posted at destruction runs now
    steps_taken = step;
    // Every handler promised runs once: a stream asked for completes (with
    // its result, or operation_aborted when the session went first), and
    // one never asked for never runs.
    CHECK(connect_calls == 1);
    CHECK(stream_calls == (stream_requested ? 1 : 0));
    CHECK(stop_calls == (stop_started ? 1 : 0));
    if (stop_started) CHECK(stream_requested);
  };
  std::size_t total = 0;
  journey(static_cast<std::size_t>(-1), total);  // the whole journey once
  MESSAGE("journey handlers and timer expiries: " << total);
  REQUIRE(total > 100);
  for (std::size_t k = 0; k < total; k += (k < 400 ? 1 : 7)) {
    std::size_t ignored = 0;
    CAPTURE(k);
    journey(k, ignored);
  }
}

TEST_CASE("session: cancel() completes a connect in flight and a running stream once, with operation_aborted") {
  rig r;
  // Cancelled before any PDU went out: the handler runs once, not inline.
  int connect_calls = 0;
  error_code connect_ec;
  r.s->connect(true, [&](error_code e) { ++connect_calls, connect_ec = e; });
  r.s->cancel();
  CHECK(connect_calls == 0);
  r.vt.run_for(r.io, 5s);
  CHECK(connect_calls == 1);
  CHECK(connect_ec == asio::error::operation_aborted);
  CHECK_FALSE(r.vb.authenticated());

  // The session connects again after a cancel, and a running stream ends
  // with operation_aborted; its events stop.
  std::optional<error_code> ec;
  r.s->connect(true, [&](error_code e) { ec = e; });
  REQUIRE(r.run_until([&] { return ec.has_value(); }));
  REQUIRE_FALSE(*ec);
  int stream_calls = 0, events = 0;
  error_code stream_ec;
  r.s->stream(stream_options{}, [&](const stream_event&) { ++events; },
              [&](error_code e) { ++stream_calls, stream_ec = e; });
  REQUIRE(r.run_until([&] { return events > 20; }));
  r.s->cancel();
  r.vt.run_for(r.io, 1s);
  const int events_at_cancel = events;
  r.vt.run_for(r.io, 30s);
  CHECK(stream_calls == 1);
  CHECK(stream_ec == asio::error::operation_aborted);
  CHECK(events == events_at_cancel);
}

TEST_CASE("session: the token forms: use_future and a C++20 coroutine") {
  rig r;
  // Boost 1.74's use_future sets the promise from its system executor's
  // thread: run the virtual band's side, then wait for that thread.
  auto connected = r.s->async_connect(true, asio::use_future);
  REQUIRE(r.run_until([&] { return r.vb.authenticated(); }));
  r.vt.run_for(r.io, 1s);
  REQUIRE(connected.wait_for(10s) == std::future_status::ready);
  CHECK_NOTHROW(connected.get());
  CHECK(r.vb.authenticated());

  // A coroutine reads the battery through the band and stops a stream it started.
  std::optional<int> battery_level;
  int events = 0;
  asio::co_spawn(
      r.io,
      [&]() -> asio::awaitable<void> {
        const battery_info b = co_await r.s->band()->async_read_battery(asio::use_awaitable);
        battery_level = b.level_percent;
        r.s->async_stream(stream_options{}, [&](const stream_event&) { ++events; }, [](error_code) {});
        co_return;
      },
      asio::detached);
  REQUIRE(r.run_until([&] { return events > 10; }));
  REQUIRE(battery_level.has_value());
  CHECK(*battery_level == 82);  // sim_options::battery_percent
  auto done = r.s->async_stop(asio::use_future);
  r.vt.run_for(r.io, 5s);
  REQUIRE(done.wait_for(10s) == std::future_status::ready);
  CHECK_NOTHROW(done.get());
}
