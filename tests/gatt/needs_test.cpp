// Discovery by needs (gatt/needs.hpp, client::discover): the pure
// bookkeeping, and the exact requests against a scripted peer that answers
// with the Mi Band 2's own bytes (fact sheet §3.1; CAP-A's answers where
// the capture holds them).
#include "gatt/needs.hpp"

#include <doctest/doctest.h>

#include <cstdio>

#include "gatt/client.hpp"
#include "gatt/error.hpp"
#include "tests/support/script_peer.hpp"

using namespace bandwire;
using gatt::uuid;

namespace {

uuid u16(std::uint16_t v) { return uuid::from16(v); }
// 0000xxxx-0000-3512-2118-0009af100700, the Huami base (fact sheet §1).
uuid huami(std::uint16_t v) {
  char b[40];
  std::snprintf(b, sizeof b, "0000%04x-0000-3512-2118-0009af100700", v);
  auto u = uuid::parse(b);
  REQUIRE(u.has_value());
  return *u;
}
// Its wire form (least significant byte first), for scripted answers.
std::string huami_le(std::uint16_t v) {
  char b[40];
  std::snprintf(b, sizeof b, "000710af0900182112350000%02x%02x0000", v & 0xff, v >> 8);
  return b;
}

gatt::discovery_needs auth_needs() {
  return {{u16(0x1801), {{u16(0x2a05), true}}}, {u16(0xfee1), {{huami(0x0009), true}}}};
}

struct rig {
  asio::io_context io;
  test::socket_pair sp = test::make_socket_pair(io);
  att::bearer bearer{std::move(sp.local)};
  gatt::client client{bearer};
  test::peer band{io, sp.peer_fd};
  std::optional<error_code> done;
  int requests = 0;
  registration tap;

  rig() {
    bearer.start();
    tap = bearer.tap([this](att::direction d, bytes_view p) {
      if (d == att::direction::sent && att::info(p[0]).kind == att::pdu_kind::request) ++requests;
    });
  }
  void discover(gatt::discovery_needs n) {
    done.reset();
    client.discover(std::move(n), [this](error_code ec) { done = ec; });
  }
  // The client's next request must be `request`; the band answers `answer`.
  void step(std::string_view request, std::string_view answer) {
    band.expect(request);
    band.send(answer);
  }
  bool finish() { return band.run_until([&] { return done.has_value(); }); }
};

}  // namespace

TEST_CASE("needs: satisfied, unmet, missing and merge on hand-made databases") {
  gatt::discovered_database db;
  const auto needs = auth_needs();
  CHECK(gatt::unmet(db, needs).size() == 2);
  CHECK(db.service_presence(u16(0x1801)) == gatt::presence::unknown);
  // 1801 found, its characteristics only partly known.
  gatt::service sc{0x0008, 0x000b, u16(0x1801), true, {}, {}};
  sc.characteristics_through = 0x0008;
  db.services.push_back(sc);
  CHECK_FALSE(gatt::satisfied(db, needs[0]));
  gatt::characteristic c;
  c.decl_handle = 0x0009, c.value_handle = 0x000a, c.properties = 0x22, c.type = u16(0x2a05), c.end_handle = 0x000b;
  c.descriptors_known = false;
  db.services[0].characteristics.push_back(c);
  db.services[0].characteristics_through = 0x0009;
  CHECK_FALSE(gatt::satisfied(db, needs[0]));  // its CCCD is not known yet
  db.services[0].characteristics[0].descriptors_known = true;
  CHECK(gatt::satisfied(db, needs[0]));
  // FEE1 searched and absent: answered (nothing more to learn), and missing.
  db.absent.push_back(u16(0xfee1));
  CHECK(db.service_presence(u16(0xfee1)) == gatt::presence::absent);
  CHECK(gatt::unmet(db, needs).empty());
  REQUIRE(gatt::missing_characteristics(db, needs).size() == 1);
  CHECK(gatt::missing_characteristics(db, needs)[0] == huami(0x0009));
  // A characteristic not in a complete service is known missing.
  const gatt::discovery_needs other{{u16(0x1801), {{u16(0x2a99), false}}}};
  CHECK_FALSE(gatt::satisfied(db, other[0]));
  db.services[0].characteristics_through = 0x000b;
  CHECK(gatt::satisfied(db, other[0]));
  CHECK(gatt::missing_characteristics(db, other).size() == 1);
  // A full discovery: every service not listed is absent.
  gatt::discovered_database full;
  full.all_services = true;
  CHECK(full.service_presence(u16(0x180d)) == gatt::presence::absent);
  // merge: a new service appended; a shared one gets the missing characteristic, cccd or'ed.
  auto m = gatt::merge(needs, {{u16(0x1801), {{u16(0x2a05), false}, {u16(0x2a99), true}}}, {u16(0x180d), {}}});
  REQUIRE(m.size() == 3);
  CHECK(m[0].characteristics.size() == 2);
  CHECK(m[0].characteristics[0].cccd);
  CHECK(m[0].characteristics[1].cccd);
  CHECK(m[2].type == u16(0x180d));
}

TEST_CASE("needs: auth and Service Changed of a Mi Band 2 in 6 requests, the band's own answers") {
  rig r;
  r.discover(auth_needs());
  // 1801 by UUID (CAP-A's first exchange), its characteristics, the CCCD.
  r.step("06 0100 ffff 0028 0118", "07 0800 0b00");
  r.step("08 0900 0b00 0328", "09 07 0900 22 0a00 052a");
  r.step("04 0b00 0b00", "05 01 0b00 0229");
  // FEE1: the auth characteristic is the first; Find Information stops at
  // the next declaration (0x0056), which ends it.
  r.step("06 0100 ffff 0028 e1fe", "07 5200 6600");
  r.step("08 5300 6600 0328", "09 15 5300 16 5400 " + huami_le(0x0009));
  r.step("04 5500 6600", "05 01 5500 0229 5600 0328 5700 ddfe");
  REQUIRE(r.finish());
  CHECK_FALSE(*r.done);
  CHECK(r.requests == 6);
  CHECK(r.band.silent());
  const auto& db = r.client.database();
  REQUIRE(db.services.size() == 2);
  CHECK_FALSE(db.all_services);
  CHECK(db.absent.empty());
  CHECK(db.services[0].characteristics_through == 0x0009);
  CHECK_FALSE(db.services[0].characteristics_complete());
  const auto* sc = r.client.find_characteristic(u16(0x2a05));
  REQUIRE(sc);
  CHECK(sc->value_handle == 0x000a);
  CHECK(sc->end_handle == 0x000b);
  REQUIRE(sc->descriptors.size() == 1);
  CHECK(sc->descriptors[0].handle == 0x000b);
  const auto* auth = r.client.find_characteristic(huami(0x0009));
  REQUIRE(auth);
  CHECK(auth->value_handle == 0x0054);
  CHECK(auth->properties == 0x16);
  CHECK(auth->end_handle == 0x0055);
  REQUIRE(auth->descriptors.size() == 1);
  CHECK(auth->descriptors[0].type == u16(0x2902));
  CHECK(gatt::unmet(db, auth_needs()).empty());

  SUBCASE("the same needs again: no request") {
    r.discover(auth_needs());
    REQUIRE(r.finish());
    CHECK_FALSE(*r.done);
    CHECK(r.requests == 6);
  }
  SUBCASE("more later: an absent service, then FEE1 completed from where it stopped") {
    // The band names 0xffff in its Attribute Not Found (fact sheet §3.1, CAP-A).
    r.discover({{u16(0x1234), {{u16(0x2a37), true}}}});
    r.step("06 0100 ffff 0028 3412", "01 06 ffff 0a");
    REQUIRE(r.finish());
    CHECK_FALSE(*r.done);
    CHECK(r.client.service_presence(u16(0x1234)) == gatt::presence::absent);
    CHECK(r.client.database().absent.size() == 1);
    r.discover({{u16(0xfee1), {{huami(0xfec1), true}}}});
    r.step("08 5400 6600 0328", "09 07 5600 08 5700 ddfe 5800 02 5900 defe 5a00 02 5b00 dffe");
    r.step("08 5b00 6600 0328", "09 07 5c00 0a 5d00 d0fe 5e00 0a 5f00 d1fe 6000 02 6100 d2fe");
    r.step("08 6100 6600 0328", "09 07 6200 0a 6300 d3fe");
    r.step("08 6300 6600 0328", "09 15 6400 1a 6500 " + huami_le(0xfec1));
    r.step("04 6600 6600", "05 01 6600 0229");
    REQUIRE(r.finish());
    CHECK_FALSE(*r.done);
    CHECK(r.requests == 12);
    const auto& fee1 = *r.client.database().find_service(u16(0xfee1));
    REQUIRE(fee1.characteristics.size() == 9);
    CHECK(fee1.characteristics[1].end_handle == 0x0057);  // ended by the next declaration
    CHECK(fee1.characteristics[8].descriptors_known);
    CHECK(fee1.characteristics[8].end_handle == 0x0066);
    CHECK_FALSE(fee1.characteristics[1].descriptors_known);  // never asked for
    // Asking for a characteristic FEE1 lacks reads on to the end, then it is known missing.
    r.discover({{u16(0xfee1), {{huami(0x7777), false}}}});
    r.step("08 6500 6600 0328", "01 08 6700 0a");
    REQUIRE(r.finish());
    CHECK_FALSE(*r.done);
    CHECK(r.client.database().find_service(u16(0xfee1))->characteristics_complete());
    CHECK(gatt::missing_characteristics(r.client.database(), {{u16(0xfee1), {{huami(0x7777), false}}}}).size() == 1);
  }
}

TEST_CASE("needs: answers that break the procedure end it with invalid_response or the peer's error") {
  rig r;
  SUBCASE("a characteristic declaration before the range asked") {
    r.discover(auth_needs());
    r.step("06 0100 ffff 0028 0118", "07 0800 0b00");
    r.step("08 0900 0b00 0328", "09 07 0800 22 0a00 052a");
    REQUIRE(r.finish());
    CHECK(*r.done == gatt::errc::invalid_response);
  }
  SUBCASE("a value handle outside the service") {
    r.discover(auth_needs());
    r.step("06 0100 ffff 0028 0118", "07 0800 0b00");
    r.step("08 0900 0b00 0328", "09 07 0900 22 0c00 052a");
    REQUIRE(r.finish());
    CHECK(*r.done == gatt::errc::invalid_response);
  }
  SUBCASE("a service range ending before it starts") {
    r.discover(auth_needs());
    r.step("06 0100 ffff 0028 0118", "07 0800 0700");
    REQUIRE(r.finish());
    CHECK(*r.done == gatt::errc::invalid_response);
  }
  SUBCASE("a descriptor outside the range asked") {
    r.discover(auth_needs());
    r.step("06 0100 ffff 0028 0118", "07 0800 0b00");
    r.step("08 0900 0b00 0328", "09 07 0900 22 0a00 052a");
    r.step("04 0b00 0b00", "05 01 0c00 0229");
    REQUIRE(r.finish());
    CHECK(*r.done == gatt::errc::invalid_response);
  }
  SUBCASE("an ATT error other than Attribute Not Found") {
    r.discover(auth_needs());
    r.step("06 0100 ffff 0028 0118", "01 06 0100 02");
    REQUIRE(r.finish());
    CHECK(*r.done == att::error::read_not_permitted);
  }
  SUBCASE("the link closes mid-way") {
    r.discover(auth_needs());
    r.band.expect("06 0100 ffff 0028 0118");
    r.band.close();
    REQUIRE(r.finish());
    CHECK(*r.done);
  }
}
