// MQTT's pure parts (README "Publishing to MQTT"): the [mqtt] config, topics,
// payloads and Home Assistant discovery byte for byte, the spool (order,
// PUBACK removal, overflow with a counted `dropped`, a torn tail after a
// kill, a full disk) on a real temporary directory with injected failures,
// and the outbox against a fake publish function standing for libmosquitto.
#include <doctest/doctest.h>

#include <fstream>
#include <map>
#include <sstream>

#include "record/config.hpp"
#include "record/mqtt_format.hpp"
#include "record/mqtt_outbox.hpp"
#include "record/mqtt_spool.hpp"
#include "tests/record/fault_fs.hpp"

using namespace bandwire;
using namespace bandwire::record;

namespace {

std::string slurp(const std::string& p) {
  std::ifstream f(p, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

const std::string base = "output = \"/data\"\n[[band]]\nalias = \"left\"\ndevice = \"sim\"\n";

std::string parse_error(const std::string& mqtt) {
  std::string err;
  auto c = parse_config(base + mqtt, err);
  CHECK_FALSE(c.has_value());
  return err;
}

live_record hr(std::uint64_t n, int bpm) {
  live_record r;
  r.kind = record_kind::hr, r.n = n, r.time = 1700000000.5, r.mono = 12.25, r.bpm = bpm;
  return r;
}

}  // namespace

TEST_CASE("mqtt config: the [mqtt] table parses; defaults apply; the url is split") {
  std::string err;
  auto c = parse_config(base +
                            "[mqtt]\nurl = \"mqtts://broker.lan:8884\"\nclient_id = \"pi-1\"\ntopic_prefix = \"gym/"
                            "bands\"\nusername = \"rec\"\npassword_file = \"/etc/bandwire/mqtt.pass\"\nca_file = "
                            "\"/etc/ssl/ca.pem\"\nspool_mb = 2\nkeepalive_seconds = 15\ndiscovery = false\n",
                        err);
  REQUIRE_MESSAGE(c.has_value(), err);
  REQUIRE(c->mqtt.has_value());
  const auto& m = *c->mqtt;
  CHECK(m.url == "mqtts://broker.lan:8884");
  CHECK(m.host == "broker.lan");
  CHECK(m.port == 8884);
  CHECK(m.tls);
  CHECK(m.client_id == "pi-1");
  CHECK(m.topic_prefix == "gym/bands");
  CHECK(m.username == "rec");
  CHECK(m.password_file == "/etc/bandwire/mqtt.pass");
  CHECK(m.ca_file == "/etc/ssl/ca.pem");
  CHECK(m.spool_bytes == 2u << 20);
  CHECK(m.keepalive == std::chrono::seconds(15));
  CHECK_FALSE(m.discovery);
  CHECK(m.discovery_prefix == "homeassistant");

  c = parse_config(base + "[mqtt]\nurl = \"mqtt://127.0.0.1\"\n", err);
  REQUIRE(c.has_value());
  CHECK(c->mqtt->host == "127.0.0.1");
  CHECK(c->mqtt->port == 1883);
  CHECK_FALSE(c->mqtt->tls);
  CHECK(c->mqtt->client_id == "bandwire");
  CHECK(c->mqtt->topic_prefix == "bandwire");
  CHECK(c->mqtt->spool_bytes == 16u << 20);
  CHECK(c->mqtt->discovery);
  c = parse_config(base, err);
  CHECK_FALSE(c->mqtt.has_value());

  mqtt_config u;
  CHECK(parse_broker_url("mqtt://[::1]:1884", u) == "");
  CHECK(u.host == "::1");
  CHECK(u.port == 1884);
  CHECK(parse_broker_url("mqtts://[fe80::1]", u) == "");
  CHECK(u.port == 8883);
}

TEST_CASE("mqtt config: a password inline, bad urls, prefixes and combinations are refused with the line") {
  CHECK(parse_error("[mqtt]\nurl = \"mqtt://h\"\nusername = \"u\"\npassword = \"x\"\n") ==
        "line 8: mqtt: a password is never written in the config: give password_file");
  CHECK(parse_error("[mqtt]\nclient_id = \"x\"\n") == "line 5: mqtt: url is required");
  CHECK(parse_error("[mqtt]\nurl = \"tcp://h\"\n") == "line 6: mqtt: url must start with mqtt:// or mqtts://");
  CHECK(parse_error("[mqtt]\nurl = \"mqtt://u:p@h\"\n") == "line 6: mqtt: url: the port must be 1..65535");
  CHECK(parse_error("[mqtt]\nurl = \"mqtt://h/x\"\n") ==
        "line 6: mqtt: url: the host must be a name or an address (no user, path or query)");
  CHECK(parse_error("[mqtt]\nurl = \"mqtt://h:0\"\n") == "line 6: mqtt: url: the port must be 1..65535");
  CHECK(parse_error("[mqtt]\nurl = \"mqtt://h:65536\"\n") == "line 6: mqtt: url: the port must be 1..65535");
  CHECK(parse_error("[mqtt]\nurl = \"mqtt://h:\"\n") == "line 6: mqtt: url: the port must be 1..65535");
  CHECK(parse_error("[mqtt]\nurl = \"mqtt://\"\n") == "line 6: mqtt: url: the host is missing or too long");
  CHECK(parse_error("[mqtt]\nurl = \"mqtt://[::1\"\n") == "line 6: mqtt: url: an IPv6 address needs its closing ]");
  CHECK(parse_error("[mqtt]\nurl = \"mqtt://h\"\ntopic_prefix = \"a/#\"\n") ==
        "line 7: mqtt: topic_prefix must be 1..64 printable characters without spaces, + and #, not starting or "
        "ending with /");
  CHECK(parse_error("[mqtt]\nurl = \"mqtt://h\"\ntopic_prefix = \"a b\"\n").find("topic_prefix must be") !=
        std::string::npos);
  CHECK(parse_error("[mqtt]\nurl = \"mqtt://h\"\nclient_id = \"a/b\"\n") ==
        "line 7: mqtt: client_id must be 1..64 of A-Z a-z 0-9 - _ .");
  CHECK(parse_error("[mqtt]\nurl = \"mqtt://h\"\npassword_file = \"/p\"\n") ==
        "line 7: mqtt: password_file needs a username");
  CHECK(parse_error("[mqtt]\nurl = \"mqtt://h\"\nca_file = \"/ca\"\n") ==
        "line 5: mqtt: ca_file, cert_file and key_file need an mqtts:// url");
  CHECK(parse_error("[mqtt]\nurl = \"mqtts://h\"\ncert_file = \"/c\"\n") ==
        "line 5: mqtt: cert_file and key_file go together");
  CHECK(parse_error("[mqtt]\nurl = \"mqtt://h\"\nspool_mb = 0\n") == "line 7: mqtt: spool_mb must be in 0.001..4096");
  CHECK(parse_error("[mqtt]\nurl = \"mqtt://h\"\nretain = true\n") == "line 7: mqtt: unknown entry retain");
  std::string err;
  CHECK_FALSE(parse_config("mqtt = 1\n" + base, err).has_value());
  CHECK(err == "line 1: mqtt must be a table ([mqtt])");
}

TEST_CASE("mqtt format: topics, payloads, status line and Home Assistant discovery byte for byte") {
  mqtt_config c;
  c.host = "127.0.0.1", c.port = 1883, c.client_id = "pi.1";
  CHECK(record_topic(c, "left", record_kind::hr) == "bandwire/left/hr");
  CHECK(record_topic(c, "left", record_kind::events) == "bandwire/left/event");
  CHECK(record_topic(c, "left", record_kind::gaps) == "bandwire/left/gap");
  CHECK(record_payload(hr(41, 72)) == R"({"n":41,"kind":"hr","time":1700000000.500000,"mono":12.250000,"bpm":72})");
  CHECK(status_topic(c) == "bandwire/status");
  CHECK(availability_topic(c, "left") == "bandwire/left/availability");
  CHECK(dropped_topic(c) == "bandwire/dropped");
  CHECK(dropped_payload(17) == R"({"dropped":17})");
  CHECK(json_escape("a\"b\\c\n") == "a\\\"b\\\\c\\u000a");

  band_config b;
  b.alias = "left", b.heart_rate = true, b.steps = true, b.battery_every = std::chrono::minutes(30);
  const auto d = discovery_messages(c, b);
  REQUIRE(d.size() == 3);
  CHECK(d[0].retain);
  CHECK(d[0].topic == "homeassistant/sensor/bandwire_pi_1_left/heart_rate/config");
  CHECK(d[0].payload ==
        R"({"name":"Heart rate","unique_id":"bandwire_pi_1_left_heart_rate","state_topic":"bandwire/left/hr",)"
        R"("value_template":"{{ value_json.bpm }}","unit_of_measurement":"bpm","state_class":"measurement",)"
        R"("icon":"mdi:heart-pulse","availability_mode":"all","availability":[{"topic":"bandwire/status"},)"
        R"({"topic":"bandwire/left/availability"}],"device":{"identifiers":["bandwire_pi_1_left"],)"
        R"("name":"Mi Band 2 left","manufacturer":"Xiaomi","model":"Mi Band 2"}})");
  CHECK(d[1].topic == "homeassistant/sensor/bandwire_pi_1_left/battery/config");
  CHECK(d[1].payload.find(R"("value_template":"{{ value_json.level }}","unit_of_measurement":"%",)"
                          R"("device_class":"battery","state_class":"measurement",)") != std::string::npos);
  CHECK(d[2].topic == "homeassistant/sensor/bandwire_pi_1_left/steps/config");
  CHECK(d[2].payload.find(R"("state_topic":"bandwire/left/steps","value_template":"{{ value_json.steps }}",)"
                          R"("unit_of_measurement":"steps","state_class":"total_increasing")") != std::string::npos);
  b.steps = false, b.battery_every = std::chrono::minutes(0);
  CHECK(discovery_messages(c, b).size() == 1);

  mqtt_status s;
  s.state = "connected", s.spooled = 3, s.published = 120;
  CHECK(format_mqtt_status(c, s) == "mqtt 127.0.0.1:1883: connected, spooled 3, 120 published, last error: none");
  c.host = "::1";
  s.state = "reconnecting in 4.0 s", s.dropped = 2, s.last_error = "connecting: Connection refused";
  CHECK(format_mqtt_status(c, s) ==
        "mqtt [::1]:1883: reconnecting in 4.0 s, spooled 3, 120 published, 2 dropped, last error: connecting: "
        "Connection refused");
}

TEST_CASE("mqtt spool: ordered, removed at PUBACK only, persisted; a restart keeps what was not acknowledged") {
  test::temp_dir d;
  test::fault_fs fs;
  const std::string path = d.path + "/state/mqtt-spool";
  {
    mqtt_spool s(fs, path, 1 << 20);
    std::string msg;
    REQUIRE_FALSE(s.open(msg));
    CHECK(slurp(path) == "bandwire-mqtt-spool 1\n");
    CHECK(s.push("t/a", "{\"n\":0}") == 1);
    CHECK(s.push("t/a", "{\"n\":1}") == 2);
    CHECK(s.push("t/b", "{\"n\":0}") == 3);
    CHECK(s.remove(2));
    CHECK_FALSE(s.remove(2));
    CHECK_FALSE(s.remove(9));
    CHECK(slurp(path) ==
          "bandwire-mqtt-spool 1\n+1 t/a {\"n\":0}\n+2 t/a {\"n\":1}\n+3 t/b {\"n\":0}\n-2\n");
    CHECK(s.entries().size() == 2);
    CHECK(s.bytes() == spool_line({1, "t/a", "{\"n\":0}"}).size() + spool_line({3, "t/b", "{\"n\":0}"}).size());
  }
  mqtt_spool s(fs, path, 1 << 20);
  std::string msg;
  REQUIRE_FALSE(s.open(msg));
  REQUIRE(s.entries().size() == 2);
  CHECK(s.entries()[0] == spool_entry{1, "t/a", "{\"n\":0}"});
  CHECK(s.entries()[1] == spool_entry{3, "t/b", "{\"n\":0}"});
  CHECK(slurp(path) == "bandwire-mqtt-spool 1\n+1 t/a {\"n\":0}\n+3 t/b {\"n\":0}\n");  // rewritten at open
  CHECK(s.push("t/a", "{\"n\":2}") == 4);  // SEQ goes on
}

TEST_CASE("mqtt spool: overflow drops the oldest and counts them until a `dropped` record is acknowledged") {
  test::temp_dir d;
  test::fault_fs fs;
  const std::string path = d.path + "/mqtt-spool";
  const std::size_t line = spool_line({1, "t/a", "{\"n\":0}"}).size();  // 17 bytes, as long as SEQ has one digit
  mqtt_spool s(fs, path, 3 * line);
  std::string msg;
  REQUIRE_FALSE(s.open(msg));
  for (int i = 0; i < 5; ++i) s.push("t/a", "{\"n\":" + std::to_string(i) + "}");
  REQUIRE(s.entries().size() == 3);
  CHECK(s.entries().front().seq == 3);
  CHECK(s.pending_dropped() == 2);
  CHECK(s.dropped_total() == 2);
  CHECK(slurp(path) == "bandwire-mqtt-spool 1\n+1 t/a {\"n\":0}\n+2 t/a {\"n\":1}\n+3 t/a {\"n\":2}\n"
                       "+4 t/a {\"n\":3}\n-1\n!1\n+5 t/a {\"n\":4}\n-2\n!1\n");
  s.dropped_reported(2);
  CHECK(s.pending_dropped() == 0);
  auto c = parse_spool(slurp(path));
  REQUIRE(c.has_value());
  CHECK(c->pending_dropped == 0);
  CHECK(c->entries.size() == 3);
  CHECK(c->bad_lines == 0);
}

TEST_CASE("mqtt spool: a torn tail (SIGKILL mid-write) is cut; damaged lines are skipped; a foreign file refused") {
  test::temp_dir d;
  test::fault_fs fs;
  const std::string path = d.path + "/mqtt-spool";
  std::ofstream(path) << "bandwire-mqtt-spool 1\n+1 t/a {\"n\":0}\n+2 t/a {\"n\":1}\n-1\n!3\n=1\n+7 t/a {\"n\":2}\n+8 t/a {\"n";
  mqtt_spool s(fs, path, 1 << 20);
  std::string msg;
  REQUIRE_FALSE(s.open(msg));
  CHECK(s.cut_bytes() == 10);
  REQUIRE(s.entries().size() == 2);
  CHECK(s.entries()[0].seq == 2);
  CHECK(s.entries()[1].seq == 7);
  CHECK(s.pending_dropped() == 2);
  CHECK(slurp(path) == "bandwire-mqtt-spool 1\n!2\n+2 t/a {\"n\":1}\n+7 t/a {\"n\":2}\n");
  CHECK(s.push("t/a", "x") == 8);

  auto c = parse_spool("bandwire-mqtt-spool 1\n+5 t {}\n+5 t {}\n+4 t {}\n+6 bad\n-9\n=1\n?\n\n+7 t a b\n");
  REQUIRE(c.has_value());
  CHECK(c->bad_lines == 7);
  REQUIRE(c->entries.size() == 2);
  CHECK(c->entries[1] == spool_entry{7, "t", "a b"});
  CHECK_FALSE(parse_spool("{\"n\":1}\n").has_value());

  std::ofstream(path) << "something else\n";
  mqtt_spool foreign(fs, path, 1 << 20);
  CHECK(foreign.open(msg));
  CHECK(msg == path + " is not an MQTT spool (no bandwire-mqtt-spool header); move it away");
}

TEST_CASE("mqtt spool: a full disk keeps the records in memory, says so, and writes them all when space returns") {
  test::temp_dir d;
  test::fault_fs fs;
  const std::string path = d.path + "/mqtt-spool";
  mqtt_spool s(fs, path, 1 << 20);
  std::string msg;
  REQUIRE_FALSE(s.open(msg));
  s.push("t/a", "{\"n\":0}");
  fs.partial_then_fail = 5;  // part of the next line, then ENOSPC, then every write fails
  s.push("t/a", "{\"n\":1}");
  CHECK(s.error() == "writing " + path + ": No space left on device");
  CHECK(slurp(path) == "bandwire-mqtt-spool 1\n+1 t/a {\"n\":0}\n");  // the partial line taken back
  s.push("t/a", "{\"n\":2}");
  CHECK(s.remove(1));
  CHECK(s.entries().size() == 2);
  CHECK(slurp(path) == "bandwire-mqtt-spool 1\n+1 t/a {\"n\":0}\n");  // nothing written meanwhile, nothing damaged
  fs.fail_all = false;
  s.push("t/a", "{\"n\":3}");
  CHECK(s.error() == "");
  CHECK(slurp(path) == "bandwire-mqtt-spool 1\n+2 t/a {\"n\":1}\n+3 t/a {\"n\":2}\n+4 t/a {\"n\":3}\n");
}

TEST_CASE("mqtt outbox: retained state first, records in order within the window, PUBACK removes, a reconnect resends") {
  test::temp_dir d;
  test::fault_fs fs;
  mqtt_spool spool(fs, d.path + "/mqtt-spool", 1 << 20);
  std::string msg;
  REQUIRE_FALSE(spool.open(msg));
  mqtt_config c;
  std::vector<std::pair<int, mqtt_message>> sent;
  bool up = true;
  int next_mid = 1;
  mqtt_outbox o(spool, c, [&](const mqtt_message& m) -> std::optional<int> {
    if (!up) return std::nullopt;
    sent.emplace_back(next_mid, m);
    return next_mid++;
  }, 2);
  band_config b;
  b.alias = "left", b.steps = false, b.battery_every = std::chrono::minutes(0);
  o.set_bands({b});
  o.band_online("left", true);
  o.record("left", hr(0, 70));  // spooled while not connected
  o.record("left", hr(1, 71));
  o.record("left", hr(2, 72));
  CHECK(sent.empty());
  o.connected();
  REQUIRE(sent.size() == 5);
  CHECK(sent[0].second == mqtt_message{"bandwire/status", "online", true});
  CHECK(sent[1].second.topic == "homeassistant/sensor/bandwire_bandwire_left/heart_rate/config");
  CHECK(sent[2].second == mqtt_message{"bandwire/left/availability", "online", true});
  CHECK(sent[3].second.payload.rfind("{\"n\":0,", 0) == 0);
  CHECK(sent[4].second.payload.rfind("{\"n\":1,", 0) == 0);  // window of 2: n=2 waits
  CHECK(o.in_flight() == 2);
  o.acked(sent[1].first);  // a retained message's PUBACK: nothing to remove
  CHECK(spool.entries().size() == 3);
  o.acked(sent[3].first);
  CHECK(spool.entries().size() == 2);
  REQUIRE(sent.size() == 6);
  CHECK(sent[5].second.payload.rfind("{\"n\":2,", 0) == 0);
  // The link drops with n=1 and n=2 in flight: both go again on the next connection.
  o.disconnected();
  o.band_online("left", false);
  o.record("left", hr(3, 73));
  CHECK(sent.size() == 6);
  o.connected();
  REQUIRE(sent.size() == 11);
  CHECK(sent[8].second == mqtt_message{"bandwire/left/availability", "offline", true});
  CHECK(sent[9].second.payload.rfind("{\"n\":1,", 0) == 0);
  CHECK(sent[10].second.payload.rfind("{\"n\":2,", 0) == 0);
  o.acked(sent[9].first);
  o.acked(sent[10].first);
  REQUIRE(sent.size() == 12);
  o.acked(sent[11].first);
  CHECK(spool.entries().empty());
  CHECK(o.published() == 4);
  CHECK(o.farewell() == std::vector<mqtt_message>{{"bandwire/left/availability", "offline", true},
                                                  {"bandwire/status", "offline", true}});
  // A publish the connection cannot take: the outbox waits for connected() again.
  up = false;
  o.record("left", hr(4, 74));
  CHECK_FALSE(o.is_connected());
  CHECK(spool.entries().size() == 1);
}

TEST_CASE("mqtt outbox: an overflow is reported first as a `dropped` record; its PUBACK clears the count") {
  test::temp_dir d;
  test::fault_fs fs;
  const std::size_t line = spool_line({1, "bandwire/a/hr", record_payload(hr(0, 70))}).size();
  mqtt_spool spool(fs, d.path + "/mqtt-spool", 2 * line);
  std::string msg;
  REQUIRE_FALSE(spool.open(msg));
  mqtt_config c;
  c.discovery = false;
  std::vector<std::pair<int, mqtt_message>> sent;
  int next_mid = 1;
  mqtt_outbox o(spool, c, [&](const mqtt_message& m) -> std::optional<int> {
    sent.emplace_back(next_mid, m);
    return next_mid++;
  });
  for (int i = 0; i < 5; ++i) o.record("a", hr(static_cast<std::uint64_t>(i), 70));
  CHECK(spool.pending_dropped() == 3);
  o.connected();
  REQUIRE(sent.size() == 4);
  CHECK(sent[1].second == mqtt_message{"bandwire/dropped", "{\"dropped\":3}", false});
  CHECK(sent[2].second.payload.rfind("{\"n\":3,", 0) == 0);
  CHECK(sent[3].second.payload.rfind("{\"n\":4,", 0) == 0);
  o.acked(sent[1].first);
  CHECK(spool.pending_dropped() == 0);
  o.acked(sent[2].first);
  o.acked(sent[3].first);
  CHECK(spool.entries().empty());
  CHECK(sent.size() == 4);
}

TEST_CASE("mqtt outbox: a record is sent only once in its file; a failed write or a kill before it takes it back") {
  test::temp_dir d;
  test::fault_fs fs;
  const std::string path = d.path + "/mqtt-spool";
  mqtt_config c;
  c.discovery = false;
  std::vector<mqtt_message> sent;
  auto publish = [&](const mqtt_message& m) -> std::optional<int> {
    sent.push_back(m);
    return static_cast<int>(sent.size());
  };
  {
    mqtt_spool spool(fs, path, 1 << 20);
    std::string msg;
    REQUIRE_FALSE(spool.open(msg));
    mqtt_outbox o(spool, c, publish);
    o.connected();
    sent.clear();
    o.stage("a", hr(0, 70));
    CHECK(sent.empty());  // not before the file has it
    o.settle(true);
    REQUIRE(sent.size() == 1);
    o.stage("a", hr(1, 71));
    o.settle(false);  // the file write failed: n=1 was not used
    CHECK(sent.size() == 1);
    CHECK(spool.entries().size() == 1);
    // A kill after the spool has n=1 and n=2 staged (the second never reached its file) ...
    o.disconnected();
    o.stage("a", hr(1, 71));
    o.settle(true);
    o.stage("a", hr(2, 72));
  }
  mqtt_spool spool(fs, path, 1 << 20);
  std::string msg;
  REQUIRE_FALSE(spool.open(msg));
  CHECK(spool.entries().size() == 3);
  mqtt_outbox o(spool, c, publish);
  o.writer_opened("a", record_kind::hr, 2);  // ... the file says its next n is 2: n=2 goes
  o.writer_opened("a", record_kind::steps, 0);  // another topic: nothing of it here
  REQUIRE(spool.entries().size() == 2);
  CHECK(spool.entries()[0].payload.rfind("{\"n\":0,", 0) == 0);
  CHECK(spool.entries()[1].payload.rfind("{\"n\":1,", 0) == 0);
  CHECK(spool.pending_dropped() == 0);
}

TEST_CASE("mqtt outbox: a reload publishes the discovery of new and changed bands only") {
  test::temp_dir d;
  test::fault_fs fs;
  mqtt_spool spool(fs, d.path + "/mqtt-spool", 1 << 20);
  std::string msg;
  REQUIRE_FALSE(spool.open(msg));
  mqtt_config c;
  std::vector<mqtt_message> sent;
  mqtt_outbox o(spool, c, [&](const mqtt_message& m) -> std::optional<int> {
    sent.push_back(m);
    return static_cast<int>(sent.size());
  });
  band_config a, b;
  a.alias = "a", b.alias = "b";
  a.battery_every = b.battery_every = std::chrono::minutes(0);
  o.set_bands({a});
  o.connected();
  CHECK(sent.size() == 3);  // status, heart rate, steps
  sent.clear();
  b.steps = false;
  o.set_bands({a, b});  // a unchanged; b new: its heart rate only
  REQUIRE(sent.size() == 1);
  CHECK(sent[0].topic == "homeassistant/sensor/bandwire_bandwire_b/heart_rate/config");
  sent.clear();
  a.battery_every = std::chrono::minutes(5);
  o.set_bands({a, b});  // a changed: all of its sensors again
  REQUIRE(sent.size() == 3);
  CHECK(sent[1].topic == "homeassistant/sensor/bandwire_bandwire_a/battery/config");
  sent.clear();
  // a no longer records steps: its steps entity is removed (an empty retained config).
  a.steps = false;
  o.set_bands({a, b});
  REQUIRE(sent.size() == 3);
  CHECK(sent[0].topic == "homeassistant/sensor/bandwire_bandwire_a/steps/config");
  CHECK(sent[0].payload.empty());
  CHECK(sent[0].retain);
  CHECK(sent[1].topic == "homeassistant/sensor/bandwire_bandwire_a/heart_rate/config");
  CHECK_FALSE(sent[1].payload.empty());
  sent.clear();
  // b gone while the broker is away: its discovery and availability are
  // cleared at the next connection, right after the status.
  o.disconnected();
  o.set_bands({a});
  CHECK(sent.empty());
  o.connected();
  REQUIRE(sent.size() >= 3);
  CHECK(sent[0].topic == "bandwire/status");
  CHECK(sent[1].topic == "homeassistant/sensor/bandwire_bandwire_b/heart_rate/config");
  CHECK(sent[1].payload.empty());
  CHECK(sent[2].topic == "bandwire/b/availability");
  CHECK(sent[2].payload.empty());
  CHECK(sent[2].retain);
  for (std::size_t i = 3; i < sent.size(); ++i) {
    CHECK(sent[i].topic.find("bandwire_bandwire_b/") == std::string::npos);
    CHECK(sent[i].topic != "bandwire/b/availability");
  }
  sent.clear();
  o.set_bands({a});  // nothing changed: nothing sent
  CHECK(sent.empty());
}
