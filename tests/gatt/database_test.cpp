#include "gatt/database.hpp"  // first: the header is self-contained

#include <doctest/doctest.h>

#include <stdexcept>

#include "gatt/demo_db.hpp"

using namespace bandwire;
using namespace bandwire::gatt;

namespace {
uuid u16(std::uint16_t v) { return uuid::from16(v); }
std::string hex(const std::vector<std::uint8_t>& v) { return to_hex(v); }

// The example database of Core 5.4 Vol 3 Part G Appendix B (Database Hash).
database appendix_b_db() {
  database db;
  db.add_primary_service(u16(0x1800));
  db.add_characteristic({.type = u16(0x2a00), .properties = 0x0a, .permissions = perm::read | perm::write});
  db.add_characteristic({.type = u16(0x2a01), .properties = 0x02, .permissions = perm::read});
  db.add_primary_service(u16(0x1801));
  db.add_characteristic({.type = u16(0x2a05), .properties = 0x20, .permissions = perm::none});
  db.add_cccd();
  db.add_characteristic({.type = u16(0x2b29), .properties = 0x0a, .permissions = perm::read | perm::write});
  db.add_characteristic({.type = u16(0x2b2a), .properties = 0x02, .permissions = perm::read});
  db.add_primary_service(u16(0x1808));
  db.add_include(0x0014, 0x0016, u16(0x180f));
  db.add_characteristic({.type = u16(0x2a18), .properties = 0xa2, .permissions = perm::read});
  db.add_cccd();
  db.add_extended_properties(0x0000);
  db.add_secondary_service(u16(0x180f));
  db.add_characteristic({.type = u16(0x2a19), .properties = 0x02, .permissions = perm::read});
  return db;
}
}  // namespace

TEST_CASE("database: sequential handles and on-air declaration values") {
  database db;
  CHECK(db.add_primary_service(u16(0x180f)) == 0x0001);
  CHECK(db.add_characteristic({.type = u16(0x2a19), .properties = prop::read | prop::notify,
                               .permissions = perm::read, .value = {0x64}}) == 0x0003);
  CHECK(db.add_cccd() == 0x0004);
  CHECK(db.add_user_description("Level") == 0x0005);
  CHECK(db.add_secondary_service(*uuid::parse("0000b009-0000-0000-0123-456789abcdef")) == 0x0006);
  CHECK(db.add_include(0x0001) == 0x0007);

  REQUIRE(db.attributes().size() == 7);
  CHECK(hex(db.find(0x0001)->value) == "0f18");                        // Vol 3 Part G §3.1
  CHECK(hex(db.find(0x0002)->value) == "120300192a");                  // §3.3.1
  CHECK(db.find(0x0002)->type == u16(characteristic_type));
  CHECK(hex(db.find(0x0003)->value) == "64");
  CHECK(db.find(0x0004)->per_connection);
  CHECK(hex(db.find(0x0005)->value) == "4c6576656c");
  CHECK(db.find(0x0006)->type == u16(secondary_service_type));
  CHECK(hex(db.find(0x0006)->value) == "efcdab89674523010000000009b00000");
  CHECK(hex(db.find(0x0007)->value) == "010005000f18");  // §3.2: start, end, 16-bit UUID
  CHECK(db.service_end(0x0001) == 0x0005);
  CHECK(db.service_end(0x0006) == 0x0007);
  CHECK(db.service_end(0x0002) == 0);
  CHECK(db.find(0x0000) == nullptr);
  CHECK(db.find(0x0008) == nullptr);
}

TEST_CASE("database: explicit handles, gaps and services out of handle order") {
  database db;
  db.add_primary_service(u16(0x1800), 0xfff7, 0xffff);
  db.add_include(0x0003, 0x0012, u16(0x180a), 0xfff8);
  CHECK(db.add_characteristic({.type = u16(0x2a00), .properties = prop::read, .permissions = perm::read,
                               .value = {'x'}, .value_handle = 0xfffa}) == 0xfffa);
  CHECK(db.find(0xfff9) != nullptr);  // the declaration goes just before the value
  CHECK(db.add_characteristic({.type = u16(0x2a01), .properties = prop::read, .permissions = perm::read}) == 0xfffc);
  db.add_primary_service(u16(0x180a), 0x0001, 0x0001);
  db.add_secondary_service(u16(0x180a), 0x0003, 0x0012);
  CHECK(db.add_characteristic({.type = u16(0x2a29), .properties = prop::read, .permissions = perm::read,
                               .decl_handle = 0x0004}) == 0x0005);
  CHECK(db.add_cccd() == 0x0006);
  CHECK(db.add_descriptor({.type = u16(0x2901), .value = {'m'}, .handle = 0x0010}) == 0x0010);

  std::vector<std::uint16_t> handles;
  for (const auto& a : db.attributes()) handles.push_back(a.handle);
  CHECK(std::is_sorted(handles.begin(), handles.end()));
  CHECK(handles.front() == 0x0001);
  CHECK(handles.back() == 0xfffc);
  const auto services = db.services();
  REQUIRE(services.size() == 3);
  CHECK(services[0].start == 0x0001);
  CHECK(services[0].end == 0x0001);
  CHECK(services[1].start == 0x0003);
  CHECK(services[1].end == 0x0012);
  CHECK_FALSE(services[1].primary);
  REQUIRE(services[1].characteristics.size() == 1);
  CHECK(services[1].characteristics[0].end_handle == 0x0012);
  REQUIRE(services[1].characteristics[0].descriptors.size() == 2);
  CHECK(services[1].characteristics[0].descriptors[1].handle == 0x0010);
  CHECK(services[2].start == 0xfff7);
  CHECK(services[2].end == 0xffff);
  REQUIRE(services[2].includes.size() == 1);
  CHECK(services[2].includes[0].start == 0x0003);
  CHECK(services[2].includes[0].end == 0x0012);
  CHECK(services[2].includes[0].type == u16(0x180a));
  REQUIRE(services[2].characteristics.size() == 2);
  CHECK(services[2].characteristics[0].end_handle == 0xfffa);
  CHECK(services[2].characteristics[1].end_handle == 0xffff);
}

TEST_CASE("database: builder misuse throws") {
  database db;
  CHECK_THROWS_AS(db.add_characteristic({.type = u16(0x2a00)}), std::invalid_argument);  // no service
  db.add_primary_service(u16(0x1800), 0x0010, 0x0013);
  CHECK_THROWS_AS(db.add_descriptor({.type = u16(0x2901)}), std::invalid_argument);  // no characteristic
  db.add_characteristic({.type = u16(0x2a00), .permissions = perm::read});
  CHECK_THROWS_AS(db.add_descriptor({.type = u16(0x2901), .handle = 0x0011}), std::invalid_argument);  // used
  CHECK_THROWS_AS(db.add_descriptor({.type = u16(0x2901), .handle = 0x0014}), std::invalid_argument);  // outside
  CHECK_THROWS_AS(db.add_primary_service(u16(0x1801), 0x0012, 0x0020), std::invalid_argument);  // overlap
  CHECK_THROWS_AS(db.add_primary_service(u16(0x1801), 0x0020, 0x001f), std::invalid_argument);  // end < start
  CHECK_THROWS_AS(db.add_characteristic({.type = u16(0x2a01), .value = std::vector<std::uint8_t>(3),
                                         .max_length = 2}), std::invalid_argument);  // value too long
  CHECK(db.add_descriptor({.type = u16(0x2901)}) == 0x0013);
  CHECK_THROWS_AS(db.add_descriptor({.type = u16(0x2901)}), std::invalid_argument);  // service full
  // A growing service cannot run into, or past, the next one.
  database db2;
  db2.add_primary_service(u16(0x1800), 0x0001);
  db2.add_characteristic({.type = u16(0x2a00), .permissions = perm::read});  // 0x0002, 0x0003
  db2.add_primary_service(u16(0x1801), 0x0005, 0x0008);
  db2.add_primary_service(u16(0x1802), 0x0004);  // grows from 0x0004, next service at 0x0005
  CHECK_THROWS_AS(db2.add_characteristic({.type = u16(0x2a01)}), std::invalid_argument);
  CHECK(db2.find(0x0006) == nullptr);
  CHECK_THROWS_AS(db2.add_characteristic({.type = u16(0x2a01), .value_handle = 0x000a}), std::invalid_argument);
  database db3;
  db3.add_primary_service(u16(0x1800), 0x0001);
  db3.add_characteristic({.type = u16(0x2a00), .permissions = perm::read});
  db3.add_primary_service(u16(0x1801), 0x0005, 0x0008);
  db3.add_primary_service(u16(0x1802), 0x0004);
  db3.add_primary_service(u16(0x1803), 0x0010);
  db3.add_characteristic({.type = u16(0x2a00), .permissions = perm::read});
  CHECK_THROWS_AS(db3.add_primary_service(u16(0x1804), 0x0003), std::invalid_argument);  // inside 0x0001
}

TEST_CASE("database: lookups used by the server") {
  database db = make_demo_database();
  const std::uint16_t level = db.find_value_handle(u16(0x2a19));
  CHECK(level == 0x000c);
  CHECK(db.find_cccd(level) == 0x000d);
  CHECK(db.find_cccd(0x0003) == 0);  // Device Name has none
  CHECK(db.find_cccd(0x000d) == 0);  // not a value handle
  auto c = db.characteristic_at(0x000d);
  REQUIRE(c);
  CHECK(c->decl_handle == 0x000b);
  CHECK(c->value_handle == 0x000c);
  CHECK(c->end_handle == 0x000d);
  CHECK_FALSE(db.characteristic_at(0x000a));  // a service declaration
  CHECK_FALSE(db.characteristic_at(0x0100));
  CHECK(db.set_value(level, std::vector<std::uint8_t>{42}));
  CHECK(hex(db.find(level)->value) == "2a");
  CHECK_FALSE(db.set_value(level, std::vector<std::uint8_t>{1, 2}));  // max_length 1
  CHECK_FALSE(db.set_value(0x0d, std::vector<std::uint8_t>{1, 0}));   // per-connection CCCD
  CHECK_FALSE(db.set_value(0x0999, std::vector<std::uint8_t>{1}));
  CHECK_FALSE(db.reliable_write_enabled(level));

  database r;
  r.add_primary_service(u16(0xa00b));
  const auto v = r.add_characteristic({.type = u16(0xb008), .properties = prop::write | prop::extended,
                                       .permissions = perm::read | perm::write});
  r.add_extended_properties(0x0001);
  CHECK(r.reliable_write_enabled(v));
  CHECK_FALSE(r.reliable_write_enabled(v + 1));
}

TEST_CASE("demo database: the documented layout") {
  database db = make_demo_database();
  const auto s = db.services();
  REQUIRE(s.size() == 5);
  CHECK(s[0].type == u16(0x1800));
  CHECK(s[0].start == 0x0001);
  CHECK(s[1].type == u16(0x1801));
  CHECK(s[1].start == 0x0006);
  CHECK(s[2].type == u16(0x180f));
  CHECK(s[2].start == 0x000a);
  CHECK(s[3].type == u16(0x180d));
  CHECK(s[3].start == 0x000e);
  CHECK(s[4].type == *uuid::parse(demo_service_uuid));
  CHECK(s[4].start == 0x0014);
  CHECK(s[4].end == 0x0017);
  CHECK(std::string(db.find(0x0003)->value.begin(), db.find(0x0003)->value.end()) == "bandwire demo");
  CHECK(s[1].characteristics[0].type == u16(service_changed_type));
  CHECK(s[1].characteristics[0].properties == prop::indicate);
  CHECK(s[3].characteristics.size() == 2);
  CHECK(s[3].characteristics[0].descriptors.size() == 1);
  const std::uint16_t long_value = db.find_value_handle(*uuid::parse(demo_long_value_uuid));
  CHECK(long_value == 0x0016);
  CHECK(db.find(long_value)->value.size() == 100);
  CHECK(s[4].characteristics[0].descriptors[0].type == u16(user_description_type));
}

TEST_CASE("Database Hash: Core Vol 3 Part G Appendix B example") {
  database db = appendix_b_db();
  const auto h = db.hash();
  CHECK(to_hex(h) == "f1ca2d48ecf58bac8a8830bbb9fba990");
  // Characteristic values do not take part (§7.3.1)...
  db.set_value(0x0003, std::vector<std::uint8_t>{'n', 'e', 'w'});
  CHECK(db.hash() == h);
  // ...descriptors of the listed types do.
  db.add_user_description("x");
  CHECK(db.hash() != h);
}
