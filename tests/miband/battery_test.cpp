#include "miband/battery.hpp"  // first: the header is self-contained

#include <doctest/doctest.h>

#include "hex.hpp"

using namespace bandwire;
using namespace bandwire::miband;
using namespace std::chrono;
using miband_test::hex_of;
using miband_test::hx;

TEST_CASE("battery: CAP-A value (fact sheet §20.3)") {
  auto in = hx("0f 52 00 e2 07 03 12 13 1e 17 08 e2 07 03 12 14 24 08 08 64");
  battery_info b;
  REQUIRE_FALSE(decode_battery_info(in, b));
  CHECK(b.flags == 0x0f);
  CHECK(b.level_percent == 82);
  CHECK(b.charging_state == 0);
  CHECK_FALSE(b.charging());
  REQUIRE(b.date_a);
  CHECK(b.date_a->local == date_time{2018, 3, 18, 19, 30, 23});
  CHECK(b.date_a->tz_quarters == 8);
  CHECK(b.date_a->utc() == sys_days{2018y / 3 / 18} + 17h + 30min + 23s);
  REQUIRE(b.date_b);
  CHECK(b.date_b->local == date_time{2018, 3, 18, 20, 36, 8});
  CHECK(b.date_b->tz_quarters == 8);
  CHECK(b.level_at_date_b == 100);
  CHECK(hex_of(encode_battery_info(b)) == to_hex(in));
}

TEST_CASE("battery: Gadgetbridge's annotated sample (fact sheet §20.3)") {
  auto in = hx("0f 30 00 e0 07 0b 1a 12 23 2c 04 e0 07 0b 1a 17 2b 3b 04 64");
  battery_info b;
  REQUIRE_FALSE(decode_battery_info(in, b));
  CHECK(b.level_percent == 48);
  CHECK(b.date_a->local == date_time{2016, 11, 26, 18, 35, 44});
  CHECK(b.date_b->local == date_time{2016, 11, 26, 23, 43, 59});  // from offset 11, not GB's 10
  CHECK(b.date_b->tz_quarters == 4);
  CHECK(b.level_at_date_b == 100);
  CHECK(hex_of(encode_battery_info(b)) == to_hex(in));
}

TEST_CASE("battery: flags and short values") {
  battery_info b;
  auto charging = hx("01 64 01");
  REQUIRE_FALSE(decode_battery_info(charging, b));
  CHECK(b.level_percent == 100);
  CHECK(b.charging());
  CHECK_FALSE(b.date_a);

  auto level_only = hx("00 2a 01 e2 07 03 12 13 1e 17 08");  // flags say nothing is valid
  REQUIRE_FALSE(decode_battery_info(level_only, b));
  CHECK(b.level_percent == 42);
  CHECK_FALSE(b.charging_state);
  CHECK_FALSE(b.date_a);

  auto truncated = hx("0f 52 00 e2 07 03");  // date A flagged but cut: not reported
  REQUIRE_FALSE(decode_battery_info(truncated, b));
  CHECK(b.charging_state == 0);
  CHECK_FALSE(b.date_a);

  auto never = hx("0f 52 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00");
  REQUIRE_FALSE(decode_battery_info(never, b));
  CHECK(b.date_a);
  CHECK_FALSE(b.date_a->utc());  // all-zero date: no instant

  for (const char* bad : {"", "0f", "0f 52 00 e2 07 03 12 13 1e 17 08 e2 07 03 12 14 24 08 08 64 00"}) {
    CAPTURE(bad);
    auto in = hx(bad);
    CHECK(decode_battery_info(in, b) == errc::malformed_value);
  }
}
