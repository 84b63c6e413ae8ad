#include "miband/reply.hpp"  // first: the header is self-contained

#include <doctest/doctest.h>

#include "hex.hpp"

using namespace bandwire;
using namespace bandwire::miband;
using miband_test::hx;

TEST_CASE("reply: `10 <cmd> <status> [payload]` from CAP-A (fact sheet §13.1, §20.6)") {
  reply r;
  auto ok = hx("10 06 0a 00 01");  // `06 0a 00 03` → `10 06 0a 00 01`
  REQUIRE_FALSE(decode_reply(ok, r));
  CHECK(r.command == 0x06);
  CHECK(r.status == 0x0a);  // the 06 family puts the setting id where others put the status
  CHECK(to_hex(r.payload) == "0001");
  CHECK_FALSE(check_setting_reply(r, 0x000a));
  CHECK(check_setting_reply(r, 0x0005) == errc::unexpected_reply);

  auto lang = hx("10 06 06");  // language not supported on MB2
  REQUIRE_FALSE(decode_reply(lang, r));
  CHECK(check_reply(r, 0x06) == errc::command_failed);
  CHECK(check_setting_reply(r, 0x0017) == errc::command_failed);
  auto refused = hx("10 06 0a 00 04");
  REQUIRE_FALSE(decode_reply(refused, r));
  CHECK(check_setting_reply(r, 0x000a) == errc::command_failed);

  auto sensor = hx("10 01 01");  // `01 03 19` to 0001
  REQUIRE_FALSE(decode_reply(sensor, r));
  CHECK(r.ok());
  CHECK(r.payload.empty());
  CHECK_FALSE(check_reply(r, 0x01));
  CHECK(check_reply(r, 0x02) == errc::unexpected_reply);

  auto unknown = hx("10 0c 01 02 01 00");  // `0c` query
  REQUIRE_FALSE(decode_reply(unknown, r));
  CHECK(to_hex(r.payload) == "020100");
}

TEST_CASE("reply: malformed") {
  reply r;
  for (const char* bad : {"", "10", "10 01", "11 01 01", "00 01 01"}) {
    CAPTURE(bad);
    auto v = hx(bad);
    CHECK(decode_reply(v, r) == errc::malformed_reply);
  }
  CHECK(miband_test::hex_of(make_reply(0x03, 0x04)) == "100304");
}
