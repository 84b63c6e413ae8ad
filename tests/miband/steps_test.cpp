#include "miband/steps.hpp"  // first: the header is self-contained

#include <doctest/doctest.h>

#include "hex.hpp"

using namespace bandwire;
using namespace bandwire::miband;
using miband_test::hex_of;
using miband_test::hx;

namespace {
realtime_steps decode_ok(const char* hex) {
  CAPTURE(hex);
  auto in = hx(hex);
  realtime_steps s;
  REQUIRE_FALSE(decode_realtime_steps(in, s));
  if (in.size() <= frame::capacity) {
    frame f;
    REQUIRE_FALSE(encode_realtime_steps(s, f));
    CHECK(hex_of(f) == to_hex(in));
  }
  return s;
}
}  // namespace

TEST_CASE("steps: real values (fact sheet §20.3)") {
  auto s = decode_ok("0c 4c 00 00 00 1f 00 00 00 01 00 00 00");  // GB issue #428
  CHECK(s.steps == 76);
  CHECK(s.distance_m == 31u);
  CHECK(s.calories_kcal == 1u);
  CHECK_FALSE(s.running_steps);
  CHECK_FALSE(s.walking_steps);

  s = decode_ok("0c 00 00 00 00 00 00 00 00 00 00 00 00");  // CAP-A
  CHECK(s.steps == 0);
  CHECK(s.distance_m == 0u);

  s = decode_ok("00 b7 01 00 00");  // GB issue #1121: 5 bytes, steps only
  CHECK(s.steps == 439);
  CHECK_FALSE(s.distance_m);
}

TEST_CASE("steps: every optional field, big counts, malformed values") {
  auto s = decode_ok("0f a0 86 01 00 0a 00 00 00 14 00 00 00 e8 03 00 00 32 00 00 00");
  CHECK(s.steps == 100000);  // beyond u16: GB's u16 read would be wrong
  CHECK(s.running_steps == 10u);
  CHECK(s.walking_steps == 20u);
  CHECK(s.distance_m == 1000u);
  CHECK(s.calories_kcal == 50u);
  frame f;
  CHECK(encode_realtime_steps(s, f) == errc::invalid_argument);  // 21 bytes do not fit a notification
  s.running_steps.reset();
  REQUIRE_FALSE(encode_realtime_steps(s, f));
  CHECK(hex_of(f) == "0ea0860100140000" "00e803000032000000");

  realtime_steps out;
  // Unknown flag bits may bring fields we cannot parse: trailing bytes allowed.
  auto future = hx("10 01 00 00 00 ff ff");
  REQUIRE_FALSE(decode_realtime_steps(future, out));
  CHECK(out.steps == 1);

  for (const char* bad : {"", "0c", "00 b7 01 00", "0c 4c 00 00 00 1f 00 00 00 01 00 00",  // calories cut
                          "00 b7 01 00 00 00",                                              // trailing
                          "04 01 00 00 00"}) {                                              // distance missing
    CAPTURE(bad);
    auto in = hx(bad);
    CHECK(decode_realtime_steps(in, out) == errc::malformed_value);
  }
}
