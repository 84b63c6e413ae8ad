#include "miband/uuids.hpp"  // first: the header is self-contained

#include <doctest/doctest.h>

#include <set>
#include <string>

using namespace bandwire::miband;
using bandwire::att::uuid;

TEST_CASE("uuids: Huami and SIG bases, as the seed article and fact sheet §1 print them") {
  // Seed article: auth char 00000009-0000-3512-2118-0009af100700, sensor 00000001-….
  CHECK(uuids::auth().to_string() == "00000009-0000-3512-2118-0009af100700");
  CHECK(uuids::sensor_control().to_string() == "00000001-0000-3512-2118-0009af100700");
  CHECK(uuids::sensor_data().to_string() == "00000002-0000-3512-2118-0009af100700");
  CHECK(uuids::miband_service().to_string() == "0000fee0-0000-1000-8000-00805f9b34fb");
  CHECK(uuids::auth_service().to_string() == "0000fee1-0000-1000-8000-00805f9b34fb");
  CHECK(uuids::heart_rate_service().to_string() == "0000180d-0000-1000-8000-00805f9b34fb");
  CHECK(uuids::heart_rate_measurement().to_string() == "00002a37-0000-1000-8000-00805f9b34fb");
  CHECK(uuids::heart_rate_control_point().to_string() == "00002a39-0000-1000-8000-00805f9b34fb");
  CHECK(uuids::firmware_service().to_string() == "00001530-0000-3512-2118-0009af100700");
  CHECK(uuids::fee1_unknown_fec1().to_string() == "0000fec1-0000-3512-2118-0009af100700");
  CHECK(uuids::device_events().to_string() == "00000010-0000-3512-2118-0009af100700");
  CHECK(uuids::realtime_steps().to_string() == "00000007-0000-3512-2118-0009af100700");
  CHECK(uuids::current_time() == uuid::from16(0x2a2b));
  CHECK(uuids::alert_level() == uuid::from16(0x2a06));
  CHECK(uuids::new_alert() == uuid::from16(0x2a46));
  CHECK(uuids::immediate_alert_service() == uuid::from16(0x1802));
  CHECK(uuids::alert_notification_service() == uuid::from16(0x1811));
  CHECK(is_huami_uuid(uuids::battery()));
  CHECK_FALSE(is_huami_uuid(uuids::miband_service()));
  CHECK_FALSE(uuids::auth().is16());  // must be written as 128 bits on the wire
}

TEST_CASE("uuids: the table covers the whole real database and finds entries by UUID") {
  // Fact sheet §1: 9 services, 27 named characteristics + FEDD..FED3 (7) + fec1.
  std::set<uuid> seen;
  int services = 0;
  for (const auto& k : known_uuids()) {
    CAPTURE(std::string(k.name));
    if (k.is_service) ++services;
    const uuid u = k.full();
    auto found = find_known_uuid(u);
    REQUIRE(found);
    // 2A04 appears once (GAP); every other row must find itself.
    CHECK(found->name == k.name);
    CHECK(seen.insert(u).second);
  }
  CHECK(services == 9);
  CHECK(known_uuids().size() == 45);
  CHECK(find_known_uuid(uuids::sensor_data())->name == "sensor_data");
  CHECK(find_known_uuid(uuid::from16(0xfed2))->name == "fee1_unknown_fed2");
  // Same 16-bit id on the other base is a different UUID.
  CHECK_FALSE(find_known_uuid(uuid::from16(0x0009)));
  CHECK_FALSE(find_known_uuid(huami_uuid(0x2a37)));
  CHECK_FALSE(find_known_uuid(*uuid::parse("12345678-1234-5678-1234-567812345678")));
}
