// What a connect costs on the link: the exact ATT requests from connect to
// authenticated against the virtual Mi Band 2, cold (no cache) per
// command's features, warm (cached), with a cached partial database
// completed by a later command, and with a cache file in the format
// bandwire wrote before discovery by needs (version 1); the virtual band's
// answers to by-UUID service discovery. Virtual time.
#include <doctest/doctest.h>

#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "gatt/needs.hpp"
#include "miband/session.hpp"
#include "miband/uuids.hpp"
#include "tests/support/keys.hpp"

using namespace bandwire;
using namespace bandwire::miband;
using namespace std::chrono_literals;

namespace {

struct memory_store final : state_store {
  memory_store() : state_store("/nonexistent-bandwire-test") {}
  std::optional<auth_key> load_key(const std::string&, std::string&) const override { return test::key_a1(); }
  std::string save_key(const std::string&, const auth_key&) const override { return {}; }
  bool load_cache(const std::string& id, gatt::discovered_database& out) const override {
    auto it = caches.find(id);
    if (it == caches.end()) return false;
    out = it->second;
    return true;
  }
  void save_cache(const std::string& id, const gatt::discovered_database& db) const override {
    caches[id] = db;
    ++saves;
  }
  void drop_cache(const std::string& id) const override { caches.erase(id); }
  mutable std::map<std::string, gatt::discovered_database> caches;
  mutable int saves = 0;
};

sim_options band_with_key() {
  sim_options so;
  so.key = test::key_a1();
  so.random = [](bytes_span out) {
    for (std::size_t i = 0; i < out.size(); ++i) out[i] = static_cast<std::uint8_t>(i * 7 + 1);
  };
  return so;
}

struct rig {
  asio::io_context io;
  virtual_time vt;
  scaled_clock clock{vt};
  std::shared_ptr<state_store> store;
  virtual_band vb;

  explicit rig(std::shared_ptr<state_store> st = std::make_shared<memory_store>(), sim_options so = band_with_key())
      : store(std::move(st)), vb(io.get_executor(), clock, std::move(so)) {}

  struct outcome {
    error_code ec;
    std::vector<std::string> requests;  // hex of every request PDU, in order
    std::size_t commands = 0;
  };
  // One run of a command: connect (and authenticate), then close.
  outcome connect(feature_set f, bool refresh = false) {
    session_options o;
    o.transport.device = "sim";
    o.store = store;
    o.key = test::key_a1();
    o.sim_band = &vb;
    o.features = f;
    o.refresh = refresh;
    session s(io, clock, o);
    outcome out;
    std::optional<error_code> ec;
    s.connect(true, [&](error_code e) { ec = e; });
    // The in-process link opens at once: the tap sees every PDU.
    REQUIRE(s.bearer());
    auto tap = s.bearer()->tap([&](att::direction d, bytes_view p) {
      if (d != att::direction::sent) return;
      const auto kind = att::info(p[0]).kind;
      if (kind == att::pdu_kind::request) out.requests.push_back(to_hex(p));
      if (kind == att::pdu_kind::command) ++out.commands;
    });
    REQUIRE(vt.run_until(io, [&] { return ec.has_value(); }, 60s));
    out.ec = *ec;
    tap.reset();
    s.close();
    vt.run_for(io, 1s);
    return out;
  }
};

std::string cache_v1_path() {
  const char* d = std::getenv("BANDWIRE_TEST_DATA");
  REQUIRE_MESSAGE(d != nullptr, "BANDWIRE_TEST_DATA is not set (run through meson test)");
  return std::string(d) + "/cache-v1.gatt";
}

}  // namespace

TEST_CASE("connect: cold, nothing beyond auth, 10 requests (today's full discovery took 71)") {
  rig r;
  const auto out = r.connect(feature::none);
  REQUIRE_FALSE(out.ec);
  const std::vector<std::string> want = {
      "060100ffff00280118",  // 1801 by UUID
      "0809000b000328",      // its characteristics: Service Changed
      "040b000b00",          // Service Changed's CCCD
      "060100ffff0028e1fe",  // FEE1 by UUID
      "08530066000328",      // the auth characteristic
      "0455006600",          // its CCCD; the next declaration ends it
      "120b000200",          // Service Changed indications on
      "080100ffff002a",      // the device name, one Read By Type (fact sheet §10, §18): its family
      "1255000100",          // auth notifications on
      "1255000000",          // auth notifications off (Mi Fit, fact sheet Appendix A)
  };
  CHECK(out.requests == want);
  CHECK(out.commands == 2);  // 02 and 03 (§4.2)
}

TEST_CASE("connect: cold, each command's features, exact request counts; never an included-service search") {
  // Requests from connect to authenticated with no cache.
  const std::pair<feature_set, std::size_t> rows[] = {
      {feature::none, 10},                                        // pair
      {feature::battery, 20},                                    // battery: FEE0 up to 00000006
      {feature::time, 12},                                       // time: 2A2B is FEE0's first
      {feature::heart_rate | feature::sensors, 20},              // stream
      {feature::heart_rate, 13},                                 // heart
      {feature::device_info | feature::battery | feature::time, 23},  // info
      {feature::alerts, 14},                                     // alert, vibrate
      {feature::all, 40},                                        // a program's default (every CCCD)
  };
  for (const auto& [f, n] : rows) {
    CAPTURE(f);
    rig r;
    const auto out = r.connect(f);
    REQUIRE_FALSE(out.ec);
    CHECK(out.requests.size() == n);
    if (f != feature::all) CHECK(out.requests.size() <= 25);  // issue 11's bound for a command
    for (const auto& q : out.requests) {
      CHECK(q.substr(0, 2) != "10");          // no Read By Group Type: services by UUID only
      CHECK(q.find("0228") == std::string::npos);  // no Include declaration search (0x2802)
    }
  }
}

TEST_CASE("connect: warm runs use the cache, 3 requests; a partial cache is completed when a command needs more") {
  auto store = std::make_shared<memory_store>();
  rig r(store);
  auto cold = r.connect(feature::none);  // `pair`: caches 1801 and FEE1 only
  REQUIRE_FALSE(cold.ec);
  CHECK(cold.requests.size() == 10);
  REQUIRE(store->caches.count("sim") == 1);
  CHECK(store->caches["sim"].services.size() == 2);

  auto warm = r.connect(feature::none);
  REQUIRE_FALSE(warm.ec);
  CHECK(warm.requests == std::vector<std::string>{"120b000200", "1255000100", "1255000000"});

  // `battery` needs FEE0: only FEE0 is discovered, as far as 00000006.
  const int saves = store->saves;
  auto more = r.connect(feature::battery);
  REQUIRE_FALSE(more.ec);
  CHECK(more.requests.size() == 13);
  CHECK(more.requests.front() == "060100ffff0028e0fe");
  CHECK(store->saves == saves + 1);
  const auto& db = store->caches["sim"];
  REQUIRE(db.services.size() == 3);
  const auto* fee0 = db.find_service(uuids::miband_service());
  REQUIRE(fee0);
  CHECK(fee0->characteristics_through == 0x0046);
  CHECK_FALSE(fee0->characteristics_complete());

  auto warm2 = r.connect(feature::battery);
  REQUIRE_FALSE(warm2.ec);
  CHECK(warm2.requests.size() == 3);
  CHECK(store->saves == saves + 1);  // nothing new: not saved again

  // --refresh ignores the cache: the cold sequence again.
  auto refreshed = r.connect(feature::none, true);
  REQUIRE_FALSE(refreshed.ec);
  CHECK(refreshed.requests.size() == 10);
}

TEST_CASE("connect: a cache file in today's format (version 1, a full discovery) loads: warm at once") {
  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path() / ("bandwire-cache-v1-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir / "cache");
  fs::copy_file(cache_v1_path(), dir / "cache" / "sim.gatt");
  auto store = std::make_shared<state_store>(dir.string());
  gatt::discovered_database db;
  REQUIRE(store->load_cache("sim", db));
  CHECK(db.all_services);
  CHECK(db.services.size() == 9);
  CHECK(db.service_presence(att::uuid::from16(0x180f)) == gatt::presence::absent);  // a full list
  for (const auto& s : db.services) {
    CHECK(s.characteristics_complete());
    for (const auto& c : s.characteristics) CHECK(c.descriptors_known);
  }
  rig r(store);
  // Version 1 has no device name: the first link reads it (one request) and
  // the cache is saved again, as version 2 with the name; then 3 requests.
  auto first_link = r.connect(feature::none);
  REQUIRE_FALSE(first_link.ec);
  CHECK(first_link.requests ==
        std::vector<std::string>{"120b000200", "080100ffff002a", "1255000100", "1255000000"});
  for (feature_set f : {feature::none, feature::all, feature::heart_rate | feature::sensors}) {
    auto out = r.connect(f);
    REQUIRE_FALSE(out.ec);
    CHECK(out.requests.size() == 3);
  }
  std::ifstream f(dir / "cache" / "sim.gatt");
  std::string first, line;
  std::getline(f, first);
  CHECK(first == "bandwire-gatt-cache 2");
  std::getline(f, line);
  CHECK(line == "F");
  std::getline(f, line);
  CHECK(line == "N 4d492042616e642032");  // "MI Band 2"
  fs::remove_all(dir);
}

TEST_CASE("cache format: version 2 round-trips partial discovery and absent services") {
  gatt::discovered_database db;
  db.absent.push_back(att::uuid::from16(0x1234));
  gatt::service s{0x0052, 0x0066, uuids::auth_service(), true, {}, {}};
  s.characteristics_through = 0x0053;
  gatt::characteristic c;
  c.decl_handle = 0x0053, c.value_handle = 0x0054, c.properties = 0x16, c.end_handle = 0x0055, c.type = uuids::auth();
  c.descriptors.push_back({0x0055, att::uuid::from16(0x2902)});
  s.characteristics.push_back(c);
  c.decl_handle = 0x0056, c.value_handle = 0x0057, c.properties = 0x08, c.end_handle = 0x0066;
  c.type = att::uuid::from16(0xfedd), c.descriptors.clear(), c.descriptors_known = false;
  s.characteristics.push_back(c);
  db.services.push_back(s);
  const std::string text = serialize_database(db);
  CHECK(text ==
        "bandwire-gatt-cache 2\n"
        "A 00001234-0000-1000-8000-00805f9b34fb\n"
        "S 52 66 0000fee1-0000-1000-8000-00805f9b34fb 1 53\n"
        "C 53 54 16 55 00000009-0000-3512-2118-0009af100700 1\n"
        "D 55 00002902-0000-1000-8000-00805f9b34fb\n"
        "C 56 57 8 66 0000fedd-0000-1000-8000-00805f9b34fb 0\n");
  gatt::discovered_database back;
  REQUIRE(parse_database(text, back));
  CHECK(serialize_database(back) == text);
  CHECK_FALSE(back.all_services);
  CHECK(back.service_presence(att::uuid::from16(0x1234)) == gatt::presence::absent);
  CHECK(back.services[0].characteristics_through == 0x0053);
  CHECK_FALSE(back.services[0].characteristics[1].descriptors_known);
  // A full discovery says so.
  db.all_services = true;
  CHECK(serialize_database(db).substr(0, 24) == "bandwire-gatt-cache 2\nF\n");
  // Bad files are refused: an unknown version, a version-1 file with v2 lines, a short S line.
  CHECK_FALSE(parse_database("bandwire-gatt-cache 3\n", back));
  CHECK_FALSE(parse_database("bandwire-gatt-cache 1\nA 00001234-0000-1000-8000-00805f9b34fb\n", back));
  CHECK_FALSE(parse_database("bandwire-gatt-cache 2\nS 52 66 0000fee1-0000-1000-8000-00805f9b34fb 1\n", back));
}

TEST_CASE("cache format: the device name read on a link is kept as an N line (hex), any bytes, or none") {
  gatt::discovered_database db;
  db.device_name = std::string("Mi Band 3\0\n\xff", 12);
  const std::string text = serialize_database(db);
  CHECK(text == "bandwire-gatt-cache 2\nN 4d692042616e642033000aff\n");
  gatt::discovered_database back;
  REQUIRE(parse_database(text, back));
  CHECK(back.device_name == db.device_name);
  // A device without a readable name: read, and empty.
  db.device_name = std::string();
  CHECK(serialize_database(db) == "bandwire-gatt-cache 2\nN -\n");
  REQUIRE(parse_database("bandwire-gatt-cache 2\nN -\n", back));
  CHECK(back.device_name == std::string());
  // Not read yet: no N line, no name.
  REQUIRE(parse_database("bandwire-gatt-cache 2\nF\n", back));
  CHECK_FALSE(back.device_name.has_value());
  // Odd or non-hex digits, upper case, two N lines, an N line in version 1, over 248 bytes: refused.
  for (const char* bad : {"N 4d4", "N zz", "N 4D", "N", "N -\nN -", "N " }) {
    CAPTURE(bad);
    CHECK_FALSE(parse_database(std::string("bandwire-gatt-cache 2\n") + bad + "\n", back));
  }
  CHECK_FALSE(parse_database("bandwire-gatt-cache 1\nN 4d49\n", back));
  CHECK(parse_database("bandwire-gatt-cache 2\nN " + std::string(2 * 248, 'a') + "\n", back));
  CHECK_FALSE(parse_database("bandwire-gatt-cache 2\nN " + std::string(2 * 249, 'a') + "\n", back));
}

namespace {

// Band seconds from connect to authenticated and to the first raw sample
// of a stream, on the modelled link (50 ms connection events).
struct timeline {
  double authenticated = -1, first_sample = -1;
};

timeline time_stream(rig& r, bool stream) {
  session_options o;
  o.transport.device = "sim";
  o.store = r.store;
  o.key = test::key_a1();
  o.sim_band = &r.vb;
  o.features = feature::heart_rate | feature::sensors;
  session s(r.io, r.clock, o);
  timeline t;
  const double t0 = r.clock.seconds();
  std::optional<error_code> ec;
  s.connect(true, [&](error_code e) {
    ec = e;
    t.authenticated = r.clock.seconds() - t0;
  });
  REQUIRE(r.vt.run_until(r.io, [&] { return ec.has_value(); }, 60s));
  REQUIRE_FALSE(*ec);
  if (stream) {
    s.stream(stream_options{}, [&](const stream_event& e) {
      if (e.what == stream_event::kind::sensor && t.first_sample < 0) t.first_sample = r.clock.seconds() - t0;
    }, [](error_code) {});
    REQUIRE(r.vt.run_until(r.io, [&] { return t.first_sample >= 0; }, 60s));
    std::optional<error_code> stopped;
    s.stop([&](error_code e) { stopped = e; });
    REQUIRE(r.vt.run_until(r.io, [&] { return stopped.has_value(); }, 60s));
  }
  s.close();
  r.vt.run_for(r.io, 1s);
  return t;
}

sim_options band_on_a_link() {
  auto so = band_with_key();
  so.link = link_timing{};  // 50 ms, CAP-A's interval
  return so;
}

}  // namespace

TEST_CASE("link model: connect to authenticated and to the first raw sample, in band seconds") {
  rig r(std::make_shared<memory_store>(), band_on_a_link());
  // Cold (`stream`'s features): 16 discovery requests, Service Changed on,
  // the device name, then auth, one request per 50 ms event; the band's auth
  // notifications come one event after the write they answer: 24 events.
  const auto cold = time_stream(r, true);
  CHECK(cold.authenticated == doctest::Approx(1.2));
  // Stream: data CCCD, control CCCD, configure with the HR CCCD write,
  // `15 01 01`, `02` in five events, then the band's 1.35 s (§19.3).
  CHECK(cold.first_sample - cold.authenticated == doctest::Approx(1.6));
  // Warm: Service Changed on, auth CCCD on, `02`, `03`, auth CCCD off.
  const auto warm = time_stream(r, true);
  CHECK(warm.authenticated == doctest::Approx(0.35));
  CHECK(warm.first_sample - warm.authenticated == doctest::Approx(1.6));
}

TEST_CASE("virtual band: by-UUID service discovery answers as the band (fact sheet §3.1, CAP-A's first frames)") {
  asio::io_context io;
  virtual_time vt;
  scaled_clock clock{vt};
  virtual_band vb(io.get_executor(), clock, band_with_key());
  int fds[2];
  REQUIRE(::socketpair(AF_UNIX, SOCK_SEQPACKET, 0, fds) == 0);
  REQUIRE(vb.serve(seqpacket_socket(io, asio::generic::seq_packet_protocol(AF_UNIX, 0), fds[1])));
  auto ask = [&](const std::string& request) {
    std::vector<std::uint8_t> req;
    REQUIRE(from_hex(request, req));
    REQUIRE(::send(fds[0], req.data(), req.size(), 0) == static_cast<ssize_t>(req.size()));
    vt.settle(io);
    std::uint8_t rsp[64];
    const ssize_t n = ::recv(fds[0], rsp, sizeof rsp, MSG_DONTWAIT);
    REQUIRE(n > 0);
    return to_hex(bytes_view(rsp, static_cast<std::size_t>(n)));
  };
  // CAP-A's first exchange, byte for byte: 1801 at 0x0008-0x000b; searching on
  // from 0x000c finds nothing, and the band names 0xffff in its error.
  CHECK(ask("060100ffff00280118") == "0708000b00");
  CHECK(ask("060c00ffff00280118") == "0106ffff0a");
  // Every service of §3.1 by UUID, 16-bit and the 128-bit 00001530.
  const std::pair<std::string, std::string> services[] = {
      {"0018", "01000700"}, {"0a18", "0c001600"}, {"1118", "1d002300"}, {"0218", "24002600"},
      {"0d18", "27002c00"}, {"e0fe", "2d005100"}, {"e1fe", "52006600"},
      {"000710af090018211235000030150000", "17001c00"}};
  for (const auto& [value, range] : services) {
    CAPTURE(value);
    CHECK(ask("060100ffff0028" + value) == "07" + range);
  }
  // A 16-bit service named in its 128-bit form is the same service (Vol 3 Part G §4.4.2).
  CHECK(ask("060100ffff0028fb349b5f80000080001000000d180000") == "0727002c00");
  // A service the band does not have: Attribute Not Found, handle 0xffff (CAP-A).
  CHECK(ask("060100ffff00280f18") == "0106ffff0a");
  ::close(fds[0]);
  vt.run_for(io, 1s);
}
