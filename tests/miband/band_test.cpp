// The Band API against the virtual Mi Band 2, in one process over a
// socketpair, with both sides on virtual time the test advances: protocol
// timings are exact and independent of how busy the machine is.
#include "miband/band.hpp"

#include <doctest/doctest.h>

#include "miband/error.hpp"
#include "miband/virtual_band.hpp"
#include "tests/support/script_peer.hpp"
#include "tests/support/keys.hpp"

using namespace bandwire;
using namespace bandwire::miband;
using namespace std::chrono_literals;

namespace {

using test::key_a1;

struct rig {
  asio::io_context io;
  virtual_time vt;
  scaled_clock clock{vt};
  virtual_band vb;
  std::unique_ptr<att::bearer> bearer;
  std::unique_ptr<gatt::client> client;
  std::unique_ptr<band> b;

  explicit rig(sim_options o = {}) : vb(io.get_executor(), clock, std::move(o)) {
    connect();
  }
  void connect() {
    int fds[2];
    REQUIRE(::socketpair(AF_UNIX, SOCK_SEQPACKET, 0, fds) == 0);
    REQUIRE(vb.serve(seqpacket_socket(io, asio::generic::seq_packet_protocol(AF_UNIX, 0), fds[1])));
    b.reset();
    client.reset();
    att::bearer::options bo;
    bo.clock = &clock;
    bearer = std::make_unique<att::bearer>(seqpacket_socket(io, asio::generic::seq_packet_protocol(AF_UNIX, 0), fds[0]), bo);
    bearer->start();
    client = std::make_unique<gatt::client>(*bearer);
    b = std::make_unique<band>(*client, clock);
  }
  // `limit` is band time: the run stops there even if pred() never holds.
  template <class P> bool run_until(P pred, std::chrono::milliseconds limit = 500000ms) {
    return vt.run_until(io, pred, limit);
  }
  error_code discover() {
    std::optional<error_code> r;
    b->discover([&](error_code ec) { r = ec; });
    REQUIRE(run_until([&] { return r.has_value(); }));
    return *r;
  }
  error_code auth(const auth_key& k, bool bind) {
    std::optional<error_code> r;
    auth_options o;
    o.bind_new_key = bind;
    o.bind_timeout = 40000ms;
    b->authenticate(k, o, [&](error_code ec) { r = ec; });
    REQUIRE(run_until([&] { return r.has_value(); }));
    return *r;
  }
};

}  // namespace

TEST_CASE("virtual band: the GATT database is the real band's, handle for handle (fact sheet 3.1)") {
  rig r;
  REQUIRE_FALSE(r.discover());
  const auto& s = r.client->services();
  REQUIRE(s.size() == 9);  // 1800 1801 180A 1530 1811 1802 180D FEE0 FEE1
  CHECK(s[0].start == 0x0001);
  CHECK(s[7].start == 0x002d);
  CHECK(s[8].start == 0x0052);
  CHECK(s[8].end == 0x0066);
  CHECK(r.client->find_characteristic(*att::uuid::parse("00000009-0000-3512-2118-0009af100700"))->value_handle == 0x0054);
  CHECK(r.client->find_characteristic(*att::uuid::parse("00000002-0000-3512-2118-0009af100700"))->value_handle == 0x0038);
  CHECK(r.client->find_characteristic(att::uuid::from16(0x2a37))->value_handle == 0x0029);
  CHECK(r.client->find_characteristic(att::uuid::from16(0x2a39))->properties == 0x0a);
  CHECK(r.client->find_characteristic(att::uuid::from16(0x2a2b))->properties == 0x1a);
  CHECK(r.client->find_characteristic(att::uuid::from16(0x2a06))->properties == 0x04);
  const auto* auth = r.client->find_characteristic(*att::uuid::parse("00000009-0000-3512-2118-0009af100700"));
  REQUIRE(auth->descriptors.size() == 1);
  CHECK(auth->descriptors[0].handle == 0x0055);
  CHECK(auth->properties == 0x16);
}

TEST_CASE("band: bind a new key (user taps), then authenticate with it") {
  rig r;
  REQUIRE_FALSE(r.discover());
  CHECK_FALSE(r.vb.key().has_value());
  CHECK_FALSE(r.auth(key_a1(), true));
  REQUIRE(r.vb.key().has_value());
  CHECK(*r.vb.key() == key_a1());
  CHECK(r.vb.authenticated());
  // Reconnect with the known key: no bind.
  r.vb.drop_link();
  REQUIRE(r.run_until([&] { return !r.vb.connected(); }));
  r.connect();
  REQUIRE_FALSE(r.discover());
  CHECK_FALSE(r.auth(key_a1(), false));
}

TEST_CASE("band: a rejected key is reported and never silently re-bound") {
  sim_options o;
  o.key = key_a1();
  rig r(o);
  REQUIRE_FALSE(r.discover());
  auto wrong = *auth_key::from_bytes(test::hx("30313233343536373839404142434445"));
  CHECK(r.auth(wrong, false) == errc::key_rejected);
  CHECK(*r.vb.key() == key_a1());  // the band still holds the old key: no `01` was sent
  CHECK_FALSE(r.vb.authenticated());
}

TEST_CASE("band: bind refused and bind timed out are distinct errors") {
  {
    sim_options o;
    o.tap = tap_behaviour::refuse;
    rig r(o);
    REQUIRE_FALSE(r.discover());
    CHECK(r.auth(key_a1(), true) == errc::bind_refused);
  }
  {
    sim_options o;
    o.tap = tap_behaviour::none;
    o.tap_timeout = 60000ms;  // the band never answers before our 40 s bound
    rig r(o);
    REQUIRE_FALSE(r.discover());
    CHECK(r.auth(key_a1(), true) == errc::bind_timed_out);
  }
}

TEST_CASE("band: one-shot heart rate arrives after ~6.5 s of band time") {
  sim_options o;
  o.key = key_a1();
  rig r(o);
  REQUIRE_FALSE(r.discover());
  REQUIRE_FALSE(r.auth(key_a1(), false));
  std::optional<error_code> ec;
  std::uint16_t bpm = 0;
  const double t0 = r.clock.seconds();
  r.b->heart_rate_once(15000ms, [&](error_code e, std::uint16_t v) { ec = e, bpm = v; });
  REQUIRE(r.run_until([&] { return ec.has_value(); }));
  CHECK_FALSE(*ec);
  CHECK(bpm >= 60);
  CHECK(bpm <= 100);
  CHECK(r.clock.seconds() - t0 >= 6.4);
}

TEST_CASE("band: one-shot stops both modes first and ignores values too soon to be its answer (fact sheet 5.3)") {
  sim_options o;
  o.key = key_a1();
  o.hr_stop_linger = 3000ms;  // the band keeps sending for a while after `15 01 00`
  rig r(o);
  REQUIRE_FALSE(r.discover());
  REQUIRE_FALSE(r.auth(key_a1(), false));
  // An earlier client started continuous heart rate and went away without stopping it.
  std::optional<error_code> started;
  r.b->start_heart_rate([](const stream_event&) {}, [&](error_code ec) { started = ec; });
  REQUIRE(r.run_until([&] { return started.has_value(); }));
  const double t_run = r.clock.seconds();
  REQUIRE(r.run_until([&] { return r.clock.seconds() - t_run > 10; }));
  REQUIRE(r.vb.stats().hr_values >= 3);  // continuous values are flowing
  r.b = std::make_unique<band>(*r.client, r.clock);  // a new client; nothing was stopped

  std::vector<std::pair<double, std::string>> writes;  // 2A39 writes (handle 0x002c) at band time
  auto tap = r.bearer->tap([&](att::direction d, bytes_view pdu) {
    if (d == att::direction::sent && pdu.size() >= 3 && pdu[0] == 0x12 && pdu[1] == 0x2c && pdu[2] == 0x00)
      writes.emplace_back(r.clock.seconds(), to_hex(pdu.subspan(3)));
  });
  std::optional<error_code> ec;
  std::uint16_t bpm = 0;
  double t_done = 0;
  r.b->heart_rate_once(15000ms, [&](error_code e, std::uint16_t v) {
    ec = e, bpm = v;
    t_done = r.clock.seconds();
  });
  REQUIRE(r.run_until([&] { return ec.has_value(); }));
  CHECK_FALSE(*ec);
  REQUIRE(writes.size() == 3);
  CHECK(writes[0].second == "150200");
  CHECK(writes[1].second == "150100");
  CHECK(writes[2].second == "150201");
  // The answer is the one-shot result, 6.5 s after `15 02 01`; the two values
  // still sent 1.25 s and 2.5 s after the stop were ignored.
  CHECK(t_done - writes[2].first == doctest::Approx(6.5).epsilon(1e-9));
  CHECK(r.b->stats().hr_ignored == 2);
  CHECK(r.b->stats().hr_values == 3);
  CHECK(bpm >= 40);
  CHECK(bpm <= 200);
}

TEST_CASE("band: without auth the band ignores measurement commands (no answer)") {
  rig r;
  REQUIRE_FALSE(r.discover());
  std::optional<error_code> ec;
  r.b->heart_rate_once(8000ms, [&](error_code e, std::uint16_t) { ec = e; });
  REQUIRE(r.run_until([&] { return ec.has_value(); }));
  CHECK(*ec == errc::no_answer);
}

TEST_CASE("band: continuous heart rate keeps going past 15 s thanks to the keep-alive") {
  sim_options o;
  o.key = key_a1();
  rig r(o);
  REQUIRE_FALSE(r.discover());
  REQUIRE_FALSE(r.auth(key_a1(), false));
  std::vector<std::pair<double, int>> values;
  int stalls = 0;
  std::optional<error_code> started;
  r.b->start_heart_rate(
      [&](const stream_event& e) {
        if (e.what == stream_event::kind::heart_rate) values.emplace_back(r.clock.seconds(), e.hr->bpm);
        if (e.what == stream_event::kind::stall) ++stalls;
      },
      [&](error_code ec) { started = ec; });
  REQUIRE(r.run_until([&] { return started.has_value(); }));
  REQUIRE_FALSE(*started);
  const double t0 = r.clock.seconds();
  REQUIRE(r.run_until([&] { return r.clock.seconds() - t0 > 40; }));
  REQUIRE(values.size() >= 20);
  CHECK(values.front().first - t0 == doctest::Approx(6.6).epsilon(0.15));
  CHECK(values.back().first - t0 > 35);  // still running after 35 s: keep-alives worked
  CHECK(r.vb.stats().keep_alives >= 2);
  CHECK(stalls == 1);  // the 6.6 s before the first value exceed the 5 s watchdog once
  std::optional<error_code> stopped;
  r.b->stop([&](error_code ec) { stopped = ec; });
  REQUIRE(r.run_until([&] { return stopped.has_value(); }));
  CHECK_FALSE(*stopped);
  const auto n = values.size();
  const double t1 = r.clock.seconds();
  REQUIRE(r.run_until([&] { return r.clock.seconds() - t1 > 5; }));
  CHECK(values.size() == n);
}

TEST_CASE("band: raw accelerometer + PPG stream at 25 Hz with one shared counter and no gaps") {
  sim_options o;
  o.key = key_a1();
  rig r(o);
  REQUIRE_FALSE(r.discover());
  REQUIRE_FALSE(r.auth(key_a1(), false));
  std::size_t accel = 0, ppg = 0, packets = 0, hr = 0;
  std::vector<std::uint8_t> counters;
  bool sizes_ok = true, order_ok = true;
  std::optional<error_code> started;
  r.b->start_stream(
      stream_options{},
      [&](const stream_event& ev) {
        if (ev.what == stream_event::kind::heart_rate) ++hr;
        if (ev.what != stream_event::kind::sensor) return;
        const auto& e = *ev.sensor;
        ++packets;
        counters.push_back(e.packet.counter);
        if (e.packet.type == sensor_packet_type::accelerometer) {
          accel += e.packet.count;
          sizes_ok &= e.packet.count >= 1 && e.packet.count <= 3;
          auto g = to_g(e.packet.accel(0));
          sizes_ok &= std::abs(std::sqrt(g.x * g.x + g.y * g.y + g.z * g.z)) < 3.0;
        } else {
          ppg += e.packet.count;
          sizes_ok &= e.packet.count >= 1 && e.packet.count <= 9;
        }
        order_ok &= e.order.what == counter_tracker::kind::in_order || e.order.what == counter_tracker::kind::first;
      },
      [&](error_code ec) { started = ec; });
  REQUIRE(r.run_until([&] { return started.has_value(); }));
  REQUIRE_FALSE(*started);
  const double t0 = r.clock.seconds();
  REQUIRE(r.run_until([&] { return r.clock.seconds() - t0 > 20; }));
  std::optional<error_code> stopped;
  r.b->stop([&](error_code ec) { stopped = ec; });
  REQUIRE(r.run_until([&] { return stopped.has_value(); }));
  CHECK(sizes_ok);
  CHECK(order_ok);
  REQUIRE(counters.size() > 20);
  CHECK(counters[0] == 0);
  for (std::size_t i = 1; i < counters.size(); ++i) CHECK(counters[i] == static_cast<std::uint8_t>(counters[i - 1] + 1));
  // The last burst, the first event past 20 s, came 20.2 s after `02` (the
  // first at 1.35 s, then every 0.65 s) with every sample measured until
  // then at 25 Hz: the accelerometer's from `02` on, the PPG's from the
  // first burst on (as CAP-A's).
  CHECK(accel == 505);  // 20.2 s × 25
  CHECK(ppg == 471);    // (20.2 − 1.35) s × 25, whole samples
  CHECK(hr >= 5);
  CHECK(r.b->counters().lost() == 0);
  // After stop the band sends nothing more.
  const auto n = packets;
  const double t1 = r.clock.seconds();
  REQUIRE(r.run_until([&] { return r.clock.seconds() - t1 > 3; }));
  CHECK(packets == n);
}

TEST_CASE("band: sample times are when the virtual band measured the samples, never after their arrival") {
  sim_options o;
  o.key = key_a1();
  rig r(o);
  REQUIRE_FALSE(r.discover());
  REQUIRE_FALSE(r.auth(key_a1(), false));
  // Band seconds (virtual time): the wall clock is the virtual epoch plus them.
  const double epoch = r.vt.epoch_wall();
  std::vector<double> accel_t, ppg_t;
  int after_arrival = 0;
  std::optional<error_code> started;
  r.b->start_stream(
      stream_options{},
      [&](const stream_event& ev) {
        if (ev.what != stream_event::kind::sensor) return;
        auto& out = ev.sensor->packet.type == sensor_packet_type::ppg ? ppg_t : accel_t;
        REQUIRE(ev.sensor->times.size() == ev.sensor->packet.count);
        for (double t : ev.sensor->times) {
          if (t > ev.sensor->wall) ++after_arrival;
          out.push_back(t - epoch);
        }
      },
      [&](error_code ec) { started = ec; });
  REQUIRE(r.run_until([&] { return started.has_value(); }));
  const double start = r.clock.seconds();  // `02` went out now
  REQUIRE(r.run_until([&] { return r.clock.seconds() - start > 30; }));
  CHECK(after_arrival == 0);
  REQUIRE(accel_t.size() > 700);
  REQUIRE(ppg_t.size() > 650);
  // The virtual band measures accelerometer sample i at start + (i + 1) / 25
  // and PPG sample j at start + 1.35 + (j + 1) / 25 (CAP-A's first bursts),
  // and sends each with the first burst due after it. Placed as late as the
  // arrivals allow, a time is within one period of the truth; once a burst
  // arrived right on a sample (every 4th: 2.6 s = 65 samples), exact.
  for (std::size_t i = 0; i < accel_t.size(); ++i) {
    CAPTURE(i);
    const double truth = start + 0.04 * static_cast<double>(i + 1);
    CHECK(std::abs(accel_t[i] - truth) <= 0.04 + 1e-6);
    if (i >= 50) CHECK(std::abs(accel_t[i] - truth) < 1e-6);  // after the burst at 2.0 s
  }
  for (std::size_t j = 0; j < ppg_t.size(); ++j) {
    CAPTURE(j);
    const double truth = start + 1.35 + 0.04 * static_cast<double>(j + 1);
    CHECK(std::abs(ppg_t[j] - truth) <= 0.04 + 1e-6);
    if (j >= 65) CHECK(std::abs(ppg_t[j] - truth) < 1e-6);  // after the burst at 3.95 s
  }
  CHECK(r.b->timeline().rate_hz(sensor_packet_type::accelerometer) == doctest::Approx(25.0).epsilon(1e-6));
  CHECK(r.b->timeline().rate_hz(sensor_packet_type::ppg) == doctest::Approx(25.0).epsilon(1e-6));
}

TEST_CASE("band: battery, time, steps and device information") {
  sim_options o;
  o.key = key_a1();
  rig r(o);
  REQUIRE_FALSE(r.discover());
  REQUIRE_FALSE(r.auth(key_a1(), false));
  std::optional<battery_info> bat;
  r.b->read_battery([&](error_code ec, battery_info b) { REQUIRE_FALSE(ec); bat = b; });
  std::optional<device_information> info;
  r.b->read_device_information([&](error_code ec, device_information i) { REQUIRE_FALSE(ec); info = i; });
  std::optional<realtime_steps> steps;
  r.b->read_steps([&](error_code ec, realtime_steps s) { REQUIRE_FALSE(ec); steps = s; });
  std::optional<current_time> t;
  r.b->read_time([&](error_code ec, current_time v) { REQUIRE_FALSE(ec); t = v; });
  REQUIRE(r.run_until([&] { return bat && info && steps && t; }));
  CHECK(bat->level_percent == 82);
  CHECK(info->serial == "d55b5c5a1833");
  CHECK(info->hardware == "V0.1.3.2");
  CHECK(info->software == "V1.0.1.69");
  CHECK(to_hex(info->system_id) == "fa8ee3fffe12b4a9");
  REQUIRE(info->pnp.has_value());
  CHECK(info->pnp->vendor_id == 0x0157);
  CHECK(steps->distance_m.has_value());
  // Setting the time moves the band's clock.
  auto target = make_current_time(std::chrono::system_clock::now() + std::chrono::hours(24 * 365), std::chrono::minutes(0));
  std::optional<error_code> set;
  r.b->write_time(target, [&](error_code ec) { set = ec; });
  REQUIRE(r.run_until([&] { return set.has_value(); }));
  CHECK_FALSE(*set);
  t.reset();
  r.b->read_time([&](error_code ec, current_time v) { REQUIRE_FALSE(ec); t = v; });
  REQUIRE(r.run_until([&] { return t.has_value(); }));
  CHECK(t->local.year >= target.local.year);
}

TEST_CASE("band: button events and alerts") {
  sim_options o;
  o.key = key_a1();
  rig r(o);
  REQUIRE_FALSE(r.discover());
  REQUIRE_FALSE(r.auth(key_a1(), false));
  std::vector<int> events;
  std::optional<error_code> sub;
  r.b->follow_events([&](const device_event& e) { events.push_back(static_cast<int>(e.code)); },
                     [&](error_code ec) { sub = ec; });
  REQUIRE(r.run_until([&] { return sub.has_value(); }));
  r.vb.press_button();
  REQUIRE(r.run_until([&] { return events.size() == 1; }));
  CHECK(events[0] == 0x04);
  std::optional<error_code> al;
  r.b->alert(make_alert(alert_level::vibrate_only), [&](error_code ec) { al = ec; });
  REQUIRE(r.run_until([&] { return al.has_value() && r.vb.stats().vibrations == 1; }));
  CHECK(r.vb.stats().last_alert_level == 3);
  std::optional<error_code> na;
  r.b->send_new_alert(new_alert{alert_category::sms, 1, 0, "hello band"}, [&](error_code ec) { na = ec; });
  REQUIRE(r.run_until([&] { return na.has_value(); }));
  CHECK_FALSE(*na);
  CHECK(r.vb.stats().last_alert_text == "hello band");
}

namespace {
std::vector<std::string> new_alert_writes(const virtual_band& vb) {
  std::vector<std::string> v;
  for (const auto& w : vb.alert_log())
    if (w.to_new_alert) v.push_back(to_hex(w.value));
  return v;
}
}  // namespace

TEST_CASE("band: a text longer than one New Alert is one alert, cut on a character boundary (fact sheet 11.2)") {
  sim_options o;
  o.key = key_a1();
  rig r(o);
  REQUIRE_FALSE(r.discover());
  REQUIRE_FALSE(r.auth(key_a1(), false));
  // 17 ASCII bytes, then "é" (2 bytes) straddling the 18-byte limit, then more.
  const std::string text = "Meeting at 10:30 \xc3\xa9t\xc3\xa9 room 4";
  std::optional<error_code> done;
  r.b->send_new_alert(new_alert{alert_category::sms, 1, 0, text}, [&](error_code ec) { done = ec; });
  REQUIRE(r.run_until([&] { return done.has_value(); }));
  CHECK_FALSE(*done);
  const auto writes = new_alert_writes(r.vb);
  REQUIRE(writes.size() == 1);  // one write: one alert, one vibration
  CHECK(writes[0] == "0501" + to_hex(bytes_view(reinterpret_cast<const std::uint8_t*>(text.data()), 17)));
  CHECK(r.vb.stats().new_alerts == 1);
  CHECK(r.vb.stats().last_alert_text == "Meeting at 10:30 ");
}

TEST_CASE("band: the whole text as separate alerts, each at least 4 s of band time after the previous") {
  sim_options o;
  o.key = key_a1();
  rig r(o);
  REQUIRE_FALSE(r.discover());
  REQUIRE_FALSE(r.auth(key_a1(), false));
  const std::string text = "abcdefghijklmnopqrABCDEFGHIJKLMNOPQR0123";  // 18 + 18 + 4 bytes
  std::optional<error_code> done;
  const double t0 = r.clock.seconds();
  r.b->send_new_alert_parts(new_alert{alert_category::sms, 1, 0, text}, new_alert_spacing,
                            [&](error_code ec) { done = ec; });
  REQUIRE(r.run_until([&] { return done.has_value(); }));
  CHECK_FALSE(*done);
  CHECK(new_alert_writes(r.vb) == std::vector<std::string>{"0501" + to_hex(bytes_view(
                                                                         reinterpret_cast<const std::uint8_t*>("abcdefghijklmnopqr"), 18)),
                                                           "0501" + to_hex(bytes_view(
                                                                         reinterpret_cast<const std::uint8_t*>("ABCDEFGHIJKLMNOPQR"), 18)),
                                                           "0501" + to_hex(bytes_view(
                                                                         reinterpret_cast<const std::uint8_t*>("0123"), 4))});
  const auto& log = r.vb.alert_log();
  REQUIRE(log.size() == 3);
  CHECK(log[0].at == doctest::Approx(t0));  // the first at once
  CHECK(log[1].at - log[0].at == doctest::Approx(4.0));  // then 4 s apart (virtual time: exactly)
  CHECK(log[2].at - log[1].at == doctest::Approx(4.0));
  CHECK(log[1].at - log[0].at >= 4.0);
  CHECK(log[2].at - log[1].at >= 4.0);
  CHECK(r.vb.stats().new_alerts == 3);
  CHECK(r.vb.stats().last_alert_text == "0123");
}

TEST_CASE("band: a ringing call alert is stopped by stop_alerts (00 to 2A06, 03 00 to 2A46)") {
  sim_options o;
  o.key = key_a1();
  rig r(o);
  REQUIRE_FALSE(r.discover());
  REQUIRE_FALSE(r.auth(key_a1(), false));
  std::optional<error_code> done;
  r.b->send_new_alert(new_alert{alert_category::incoming_call, 1, 0, "Bob"}, [&](error_code ec) { done = ec; });
  REQUIRE(r.run_until([&] { return done.has_value(); }));
  CHECK(r.vb.stats().call_ringing);
  CHECK(r.vb.stats().last_alert_text == "Bob");
  done.reset();
  r.b->stop_alerts([&](error_code ec) { done = ec; });
  REQUIRE(r.run_until([&] { return done.has_value(); }));
  CHECK_FALSE(*done);
  const auto& log = r.vb.alert_log();
  REQUIRE(log.size() == 3);
  CHECK(log[1].to_new_alert == false);
  CHECK(to_hex(log[1].value) == "00");
  CHECK(log[2].to_new_alert == true);
  CHECK(to_hex(log[2].value) == "0300");
  CHECK_FALSE(r.vb.stats().call_ringing);
  CHECK(r.vb.stats().last_alert_level == 0);

  // An icon-only category: the band shows no text (miband2_shows_text).
  done.reset();
  r.b->send_new_alert(new_alert{alert_category::email, 1, 0, "not shown"}, [&](error_code ec) { done = ec; });
  REQUIRE(r.run_until([&] { return done.has_value(); }));
  CHECK(r.vb.stats().last_alert_text.empty());
}

TEST_CASE("virtual band: link drop after N PDUs reaches the client as a closed bearer") {
  sim_options o;
  o.drop_after_pdus = 5;
  rig r(o);
  std::optional<error_code> d;
  r.b->discover([&](error_code ec) { d = ec; });
  REQUIRE(r.run_until([&] { return d.has_value(); }));
  CHECK(*d == att::errc::closed);
  REQUIRE(r.run_until([&] { return !r.vb.connected(); }));
  // The band serves the next connection.
  r.connect();
  CHECK(r.vb.connected());
  CHECK(r.vb.stats().connections == 2);
}
