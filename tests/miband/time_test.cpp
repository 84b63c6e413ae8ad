#include "miband/time.hpp"  // first: the header is self-contained

#include <doctest/doctest.h>

#include "hex.hpp"

using namespace bandwire;
using namespace bandwire::miband;
using namespace std::chrono;
using miband_test::compact;
using miband_test::hex_of;
using miband_test::hx;

namespace {
current_time decode_ok(const char* hex) {
  CAPTURE(hex);
  auto in = hx(hex);
  current_time t;
  REQUIRE_FALSE(decode_current_time(in, t));
  CHECK(hex_of(encode_current_time(t)) == to_hex(in));  // round trip
  return t;
}
sys_seconds utc(int y, unsigned mo, unsigned d, int h, int mi, int s) {
  return sys_days{year{y} / mo / d} + hours{h} + minutes{mi} + seconds{s};
}
}  // namespace

TEST_CASE("current time: real values from CAP-A and NM (fact sheet §20.2)") {
  auto t = decode_ok("e2 07 03 14 0b 06 1b 02 00 00 08");  // CAP-A read
  CHECK(t.local == date_time{2018, 3, 20, 11, 6, 27});
  CHECK(t.day_of_week == 2);  // Tuesday
  CHECK(t.fractions256 == 0);
  CHECK(t.adjust_reason == 0);
  CHECK(t.tz_quarters == 8);  // +2 h
  CHECK(to_utc(t) == utc(2018, 3, 20, 9, 6, 27));

  t = decode_ok("e2 07 03 14 0b 06 1a 02 00 00 08");  // CAP-A write, one second earlier
  CHECK(t.local.second == 26);

  t = decode_ok("e2 07 04 0f 10 14 2b 07 00 00 0c");  // NM read: Sunday, +3 h
  CHECK(t.local == date_time{2018, 4, 15, 16, 20, 43});
  CHECK(t.day_of_week == 7);
  CHECK(t.tz_quarters == 12);

  t = decode_ok("e2 07 04 0f 10 14 2f 00 00 00 0c");  // Mi Fit's write with dow 0
  CHECK(t.day_of_week == 0);

  t = decode_ok("e2 07 01 1e 00 00 00 00 00 00 16");  // MB3PY: +5:30
  CHECK(*t.tz_quarters * 15 == 330);
  CHECK(to_utc(t) == utc(2018, 1, 29, 18, 30, 0));
}

TEST_CASE("current time: built from a clock the way Gadgetbridge does (GB-TEST vector §20.2)") {
  // 2022-12-15 20:38:53 in Europe/Paris (+1 h, Thursday).
  const auto now = system_clock::time_point{utc(2022, 12, 15, 19, 38, 53)} + milliseconds{740};
  const current_time t = make_current_time(now, minutes{60});
  CHECK(hex_of(encode_current_time(t)) == compact("e6 07 0c 0f 14 26 35 04 00 00 04"));
  // CAP-A's write: 2018-03-20 11:06:26 at +2 h (a Tuesday → 02).
  CHECK(hex_of(encode_current_time(make_current_time(system_clock::time_point{utc(2018, 3, 20, 9, 6, 26)},
                                                     minutes{120}))) == compact("e2 07 03 14 0b 06 1a 02 00 00 08"));
  // India +5:30 and a negative offset that moves the date back.
  CHECK(make_current_time(system_clock::time_point{utc(2018, 1, 29, 18, 30, 0)}, minutes{330}).local ==
        date_time{2018, 1, 30, 0, 0, 0});
  const current_time ny = make_current_time(system_clock::time_point{utc(2024, 3, 1, 2, 0, 0)}, minutes{-300});
  CHECK(ny.local == date_time{2024, 2, 29, 21, 0, 0});  // leap day
  CHECK(ny.tz_quarters == -20);
  CHECK(ny.day_of_week == 4);  // Thursday
  CHECK(hex_of(encode_current_time(ny)).substr(20) == "ec");
  CHECK(to_utc(ny) == utc(2024, 3, 1, 2, 0, 0));
}

TEST_CASE("current time: standard 10-byte CTS, malformed lengths, invalid dates") {
  auto t = decode_ok("e2 07 03 14 0b 06 1b 02 00 00");
  CHECK_FALSE(t.tz_quarters);
  CHECK_FALSE(to_utc(t));  // offset unknown
  CHECK(to_utc(t.local, 0) == utc(2018, 3, 20, 11, 6, 27));

  current_time out;
  for (const char* bad : {"", "e2 07 03 14 0b 06 1b 02 00", "e2 07 03 14 0b 06 1b 02 00 00 08 00"}) {
    CAPTURE(bad);
    auto in = hx(bad);
    CHECK(decode_current_time(in, out) == errc::malformed_value);
  }
  // Decoding keeps out-of-range fields; conversion refuses them.
  auto odd = decode_ok("e2 07 02 1e 18 3c 3c 09 ff 01 80");  // Feb 30, 24:60:60, tz -128
  CHECK(odd.local.day == 30);
  CHECK(odd.tz_quarters == -128);
  CHECK_FALSE(to_utc(odd));
  CHECK_FALSE(is_valid(date_time{}));                          // CTS "unknown"
  CHECK(is_valid(date_time{2024, 2, 29, 23, 59, 59}));
  CHECK_FALSE(is_valid(date_time{2023, 2, 29, 0, 0, 0}));
  CHECK_FALSE(is_valid(date_time{2023, 13, 1, 0, 0, 0}));
}

TEST_CASE("tz quarters: rounding and clamping") {
  CHECK(to_tz_quarters(minutes{0}) == 0);
  CHECK(to_tz_quarters(minutes{345}) == 23);   // Nepal +5:45
  CHECK(to_tz_quarters(minutes{-570}) == -38);  // Marquesas -9:30
  CHECK(to_tz_quarters(minutes{52}) == 3);     // rounds to nearest
  CHECK(to_tz_quarters(minutes{-52}) == -3);
  CHECK(to_tz_quarters(minutes{10'000}) == 127);
  CHECK(to_tz_quarters(minutes{-10'000}) == -128);
}
