// Settings and alarms end to end: a settings file parsed, written by
// band_config through the real bearer and GATT client to the virtual band,
// and read back from the virtual band (on virtual time); the exact ATT
// exchange and the reply deadline against a scripted peer.
#include "miband/band_config.hpp"

#include <doctest/doctest.h>

#include "att/error.hpp"
#include "gatt/error.hpp"
#include "miband/error.hpp"
#include "miband/settings_file.hpp"
#include "miband/uuids.hpp"
#include "miband/virtual_band.hpp"
#include "miband/virtual_models.hpp"
#include "tests/support/keys.hpp"
#include "tests/support/script_peer.hpp"

using namespace bandwire;
using namespace bandwire::miband;
using namespace std::chrono_literals;

namespace {

struct rig {
  asio::io_context io;
  virtual_time vt;
  scaled_clock clock{vt};
  virtual_band vb;
  std::unique_ptr<att::bearer> bearer;
  std::unique_ptr<gatt::client> client;
  std::unique_ptr<band> b;
  std::unique_ptr<band_config> cfg;

  explicit rig(sim_options o = {}) : vb(io.get_executor(), clock, with_key(std::move(o))) { connect(); }
  static sim_options with_key(sim_options o) {
    o.key = test::key_a1();
    return o;
  }
  void connect() {
    int fds[2];
    REQUIRE(::socketpair(AF_UNIX, SOCK_SEQPACKET, 0, fds) == 0);
    REQUIRE(vb.serve(seqpacket_socket(io, asio::generic::seq_packet_protocol(AF_UNIX, 0), fds[1])));
    att::bearer::options bo;
    bo.clock = &clock;
    bearer = std::make_unique<att::bearer>(seqpacket_socket(io, asio::generic::seq_packet_protocol(AF_UNIX, 0), fds[0]), bo);
    bearer->start();
    client = std::make_unique<gatt::client>(*bearer);
    b = std::make_unique<band>(*client, clock);
    std::optional<error_code> r;
    b->discover([&](error_code ec) { r = ec; });
    REQUIRE(vt.run_until(io, [&] { return r.has_value(); }, 60s));
    REQUIRE_FALSE(*r);
    r.reset();
    b->authenticate(test::key_a1(), auth_options{}, [&](error_code ec) { r = ec; });
    REQUIRE(vt.run_until(io, [&] { return r.has_value(); }, 60s));
    REQUIRE_FALSE(*r);
    cfg = std::make_unique<band_config>(*b);
  }
  std::pair<error_code, std::vector<write_outcome>> run(std::vector<setting_write> w) {
    std::optional<std::pair<error_code, std::vector<write_outcome>>> got;
    cfg->run(std::move(w), [&](error_code ec, std::vector<write_outcome> o) { got.emplace(ec, std::move(o)); });
    REQUIRE(vt.run_until(io, [&] { return got.has_value(); }, 60s));
    return *got;
  }
};

band_settings parse(const char* text) {
  band_settings s;
  const auto p = parse_settings_file(text, s);
  REQUIRE(p.empty());
  return s;
}

const char* file_text = R"([user]
birth_date = 1986-01-01
gender = "male"
height_cm = 183
weight_kg = 94
user_id = 1628424087
[goal]
steps = 10000
notification = true
[wear]
side = "right"
[display]
items = ["steps", "distance", "heart_rate"]
time_format = "24h"
distance_unit = "imperial"
date = "date_time"
raise_to_wake = true
rotate_to_switch = true
[do_not_disturb]
mode = "scheduled"
start = "22:30"
end = "06:45"
lift_to_wake = true
[inactivity]
enabled = true
threshold_minutes = 45
windows = ["08:00-12:00", "13:30-20:00"]
[connection]
discoverable = false
disconnect_notification = true
disconnect_window = "07:00-23:00"
[heart_rate]
interval_minutes = 10
sleep_assistance = true
)";

}  // namespace

TEST_CASE("band_config: a settings file applied to the virtual band is read back from it, setting for setting") {
  rig r;
  const band_settings want = parse(file_text);
  auto [ec, outcomes] = r.run(plan_writes(want));
  CHECK_FALSE(ec);
  REQUIRE(outcomes.size() == plan_writes(want).size());
  for (const auto& o : outcomes) {
    CAPTURE(o.write.key);
    CHECK_FALSE(o.ec);
    if (o.write.channel == setting_channel::config) CHECK_FALSE(o.reply.empty());
    else CHECK(o.reply.empty());  // 0008 and 2A39 complete on the Write Response
  }
  CHECK(r.vb.settings().settings() == want);
  // The band's answers, byte for byte (Appendix A forms).
  auto reply_of = [&](const char* key) {
    for (const auto& o : outcomes)
      if (o.write.key == key) return hex_bytes(o.reply);
    return std::string("(none)");
  };
  CHECK(reply_of("display.time_format") == "10 06 02 00 01");
  CHECK(reply_of("display.items") == "10 0a 01");
  CHECK(reply_of("inactivity") == "10 08 01");
  CHECK(reply_of("do_not_disturb") == "10 09 01");
  CHECK(reply_of("connection.disconnect_notification") == "10 06 0c 00 01");
  // The band's log names each write with its bytes.
  const auto& log = r.vb.settings().log();
  REQUIRE(log.size() == outcomes.size());
  CHECK(log[0] == "0008 10 00 00 10 27 00 00: goal.steps = 10000");
  CHECK(log[1] == "2a39 15 00 01: heart_rate.sleep_assistance = true");
  CHECK(log[2] == "2a39 14 0a: heart_rate.interval_minutes = 10");
  CHECK(std::find(log.begin(), log.end(),
                  "0003 09 01 16 1e 06 2d -> 10 09 01: do_not_disturb.mode = \"scheduled\"; do_not_disturb.start = "
                  "\"22:30\"; do_not_disturb.end = \"06:45\"; do_not_disturb.lift_to_wake = true") != log.end());

  // The settings outlive the link, as the band's flash does; a second file changes only what it sets.
  r.vb.drop_link();
  REQUIRE(r.vt.run_until(r.io, [&] { return !r.vb.connected(); }, 10s));
  r.connect();
  auto [ec2, o2] = r.run(plan_writes(parse("[display]\ntime_format = \"12h\"\n")));
  CHECK_FALSE(ec2);
  REQUIRE(o2.size() == 1);
  band_settings want2 = want;
  want2.time_format = time_format::h12;
  CHECK(r.vb.settings().settings() == want2);
}

TEST_CASE("band_config: a setting the band does not support fails with its raw bytes; the run goes on") {
  sim_options o;
  o.unsupported_settings = {0x0d};  // as a firmware without rotate-to-switch would
  rig r(o);
  auto [ec, outcomes] = r.run(plan_writes(parse("[display]\nraise_to_wake = true\nrotate_to_switch = true\n"
                                                "[connection]\ndisconnect_notification = false\n")));
  CHECK(ec == errc::command_failed);
  REQUIRE(outcomes.size() == 3);
  CHECK_FALSE(outcomes[0].ec);
  CHECK(outcomes[1].write.key == "display.rotate_to_switch");
  CHECK(outcomes[1].ec == errc::command_failed);
  CHECK(hex_bytes(outcomes[1].reply) == "10 06 06");
  CHECK(describe_failure(outcomes[1]) ==
        "display.rotate_to_switch: the band refused 06 0d 00 01: it answered 10 06 06 (Mi Band refused the command)");
  CHECK_FALSE(outcomes[2].ec);  // written after the refusal
  CHECK(r.vb.settings().settings().raise_to_wake == true);
  CHECK_FALSE(r.vb.settings().settings().rotate_to_switch.has_value());
  CHECK(r.vb.settings().settings().disconnect == disconnect_notification{false, std::nullopt});
  CHECK(r.vb.settings().log()[1] == "0003 06 0d 00 01 -> 10 06 06: not supported");
}

TEST_CASE("band_config: a virtual Mi Band 3 takes the display items planned for its layout (fact sheet 18) and "
          "refuses the Mi Band 2's frame") {
  sim_options o;
  apply_model(sim_model::mb3, o);
  rig r(o);
  std::optional<error_code> named;
  r.b->identify([&](error_code ec) { named = ec; });
  REQUIRE(r.vt.run_until(r.io, [&] { return named.has_value(); }, 10s));
  REQUIRE_FALSE(*named);
  REQUIRE(r.b->capabilities().family == device_family::mi_band_3);
  REQUIRE(r.b->capabilities().display_items == display_items_layout::mi_band_3);
  const band_settings want = parse("[display]\nitems = [\"status\", \"heart_rate\", \"activity\"]\n");
  auto [ec, out] = r.run(plan_writes(want, r.b->capabilities().display_items));
  CHECK_FALSE(ec);
  REQUIRE(out.size() == 1);
  CHECK(hex_bytes(out[0].write.value.bytes()) == "0a 69 00 00 04 05 03 06 01 02 07 08");
  CHECK(hex_bytes(out[0].reply) == "10 0a 01");
  CHECK(r.vb.settings().settings().display_items == want.display_items);  // read back, in order
  // The Mi Band 2's frame (what bandwire sent before it told the layouts apart): refused, nothing changes.
  auto [ec2, out2] = r.run(plan_writes(parse("[display]\nitems = [\"steps\", \"heart_rate\"]\n")));
  CHECK(ec2 == errc::command_failed);
  REQUIRE(out2.size() == 1);
  CHECK(hex_bytes(out2[0].write.value.bytes()) == "0a 13 00 00 01 02 03 04 05");
  CHECK(hex_bytes(out2[0].reply) == "10 0a 04");
  CHECK(r.vb.settings().settings().display_items == want.display_items);
}

TEST_CASE("band_config: on a Mi Band HRX a heart-rate setting fails naming 0x180D before anything is written") {
  sim_options o;
  apply_model(sim_model::hrx, o);
  rig r(o);
  REQUIRE(r.b->capabilities().family == device_family::mi_band_hrx);
  auto [ec, out] = r.run(plan_writes(parse("[goal]\nsteps = 9000\n[heart_rate]\ninterval_minutes = 10\n")));
  CHECK(ec == errc::heart_rate_service_missing);
  REQUIRE(out.size() == 1);
  CHECK(out[0].write.key == "heart_rate.interval_minutes");
  CHECK(r.vb.settings().log().empty());  // not even goal.steps: all or nothing
  auto [ec2, out2] = r.run(plan_writes(parse("[goal]\nsteps = 9000\n")));
  CHECK_FALSE(ec2);
  CHECK(r.vb.settings().settings().step_goal == std::uint16_t{9000});
}

TEST_CASE("band_config: the language command CAP-A sent gets the real band's `10 06 06` (fact sheet 20.6)") {
  rig r;
  setting_write lang{"language", setting_channel::config, frame{0x06, 0x17, 0x00, 0x65, 0x6e, 0x5f, 0x55, 0x53}, {}};
  auto [ec, outcomes] = r.run({lang});
  CHECK(ec == errc::command_failed);
  REQUIRE(outcomes.size() == 1);
  CHECK(hex_bytes(outcomes[0].reply) == "10 06 06");
  CHECK(describe_failure(outcomes[0]) ==
        "language: the band refused 06 17 00 65 6e 5f 55 53: it answered 10 06 06 (Mi Band refused the command)");
}

TEST_CASE("band_config: an ATT Error Response to a Write Request is a refusal; the run goes on") {
  rig r;
  // A wear byte the band cannot hold (place 6 is none of HMK's): the virtual band answers Value Not Allowed.
  setting_write bad{"wear", setting_channel::user_settings, frame{0x20, 0x00, 0x00, 0x06}, {}};
  auto [ec, outcomes] = r.run({bad, plan_writes(parse("[goal]\nsteps = 5000\n"))[0]});
  CHECK(ec == att::make_peer_error(0x13));
  REQUIRE(outcomes.size() == 2);
  CHECK(describe_failure(outcomes[0]) == "wear: the band refused 20 00 00 06: ATT error 0x13 Value Not Allowed");
  CHECK_FALSE(outcomes[1].ec);
  CHECK(r.vb.settings().settings().step_goal == std::uint16_t{5000});
  CHECK_FALSE(r.vb.settings().settings().wear.has_value());
}

TEST_CASE("band_config: alarms set and cleared are what the virtual band holds") {
  rig r;
  auto set = [&](const band_alarm& a) {
    std::optional<error_code> got;
    r.cfg->set_alarm(a, [&](error_code ec, std::vector<write_outcome> o) {
      got = ec;
      if (!ec) {
        REQUIRE(o.size() == 1);
        CHECK(hex_bytes(o[0].reply) == "10 02 01");
      }
    });
    REQUIRE(r.vt.run_until(r.io, [&] { return got.has_value(); }, 10s));
    return *got;
  };
  const band_alarm a0{0, {6, 30}, alarm_day::weekdays, true, true};
  const band_alarm a9{9, {9, 15}, 0, true, false};
  CHECK_FALSE(set(a0));
  CHECK_FALSE(set(a9));
  CHECK_FALSE(set(band_alarm{4, {12, 0}, alarm_day::sunday, false, true}));
  CHECK(r.vb.settings().alarms()[0] == a0);
  CHECK(r.vb.settings().alarms()[9] == a9);
  CHECK(r.vb.settings().alarms()[4].has_value());
  std::optional<error_code> cleared;
  r.cfg->clear_alarm(4, [&](error_code ec, std::vector<write_outcome>) { cleared = ec; });
  REQUIRE(r.vt.run_until(r.io, [&] { return cleared.has_value(); }, 10s));
  CHECK_FALSE(*cleared);
  CHECK_FALSE(r.vb.settings().alarms()[4].has_value());
  CHECK(r.vb.settings().log().back() == "0003 02 04 00 00 00 -> 10 02 01: alarm 4 = unused");
  CHECK(set(band_alarm{10, {6, 30}, 0, true, true}) == errc::invalid_argument);  // never sent
  CHECK(set(band_alarm{1, {24, 0}, 0, true, true}) == errc::invalid_argument);
  CHECK(r.vb.settings().log().size() == 4);
}

TEST_CASE("band_config: one run at a time; cancel and destruction complete the run with operation_aborted") {
  rig r;
  std::vector<error_code> got;
  r.cfg->apply(parse("[display]\ntime_format = \"24h\"\n"), [&](error_code ec, std::vector<write_outcome>) { got.push_back(ec); });
  r.cfg->apply(parse("[display]\ntime_format = \"12h\"\n"), [&](error_code ec, std::vector<write_outcome>) { got.push_back(ec); });
  REQUIRE(r.vt.run_until(r.io, [&] { return got.size() == 2; }, 10s));
  CHECK(got[0] == errc::invalid_argument);  // the second, refused at once
  CHECK_FALSE(got[1]);
  got.clear();
  r.cfg->apply(parse("[display]\ntime_format = \"12h\"\n"), [&](error_code ec, std::vector<write_outcome>) { got.push_back(ec); });
  r.cfg.reset();
  REQUIRE(r.vt.run_until(r.io, [&] { return got.size() == 1; }, 10s));
  CHECK(got[0] == asio::error::operation_aborted);
  r.vt.run_for(r.io, 10s);  // nothing of the dead run touches anything
  CHECK(got.size() == 1);
}

TEST_CASE("band_config: the exact ATT exchange, and the deadline when the band never answers") {
  asio::io_context io;
  virtual_time vt;
  scaled_clock clock(vt);
  auto sp = test::make_socket_pair(io);
  test::peer peer(io, sp.peer_fd);
  att::bearer::options bo;
  bo.clock = &clock;
  att::bearer bearer(std::move(sp.local), bo);
  bearer.start();
  gatt::client client(bearer);
  // FEE0 as on the band (§3.1): 0003 config at 0x003b with its CCCD 0x003c, 0008 at 0x004d.
  gatt::service fee0;
  fee0.start = 0x002d, fee0.end = 0x0051, fee0.type = uuids::miband_service(), fee0.primary = true;
  gatt::characteristic config;
  config.decl_handle = 0x003a, config.value_handle = 0x003b, config.properties = 0x14, config.end_handle = 0x003c;
  config.type = uuids::configuration();
  config.descriptors.push_back({0x003c, att::uuid::from16(0x2902)});
  gatt::characteristic user;
  user.decl_handle = 0x004c, user.value_handle = 0x004d, user.properties = 0x18, user.end_handle = 0x004e;
  user.type = uuids::user_settings();
  user.descriptors.push_back({0x004e, att::uuid::from16(0x2902)});
  fee0.characteristics = {config, user};
  client.set_services({fee0});
  band_config cfg(client, clock);

  band_settings s;
  s.step_goal = 8000;
  s.date_display = date_display::date_time;
  s.time_format = time_format::h24;
  std::optional<std::pair<error_code, std::vector<write_outcome>>> got;
  cfg.apply(s, [&](error_code ec, std::vector<write_outcome> o) { got.emplace(ec, std::move(o)); });
  peer.expect("12 4d 00 10 00 00 40 1f 00 00");  // Write Request 0008: the goal
  peer.send("13");
  peer.expect("12 3c 00 01 00");  // 0003's CCCD on
  peer.send("13");
  peer.expect("52 3b 00 06 02 00 01");  // Write Command: 24 h
  peer.send("1b 3b 00 10 06 02 00 01");
  peer.expect("52 3b 00 06 0a 00 03");  // date + time; the band stays silent
  vt.run_for(io, 4990ms);
  CHECK(peer.silent());  // still waiting after 4.99 s of band time...
  vt.run_for(io, 20ms);
  peer.expect("12 3c 00 00 00");  // ...and at 5 s the deadline ends the run: 0003's CCCD off
  CHECK_FALSE(got.has_value());  // done only once the CCCD write is answered
  peer.send("13");
  REQUIRE(peer.run_until([&] { return got.has_value(); }));
  CHECK(got->first == errc::no_answer);
  REQUIRE(got->second.size() == 3);
  CHECK_FALSE(got->second[0].ec);
  CHECK_FALSE(got->second[1].ec);
  CHECK(got->second[2].ec == errc::no_answer);
  CHECK(describe_failure(got->second[2]) == "display.date: the band did not answer 06 0a 00 03 in time");
  // A late or stray reply after the run is ignored.
  peer.send("1b 3b 00 10 06 0a 00 01");
  CHECK(peer.silent());
}
