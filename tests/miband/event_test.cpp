#include "miband/event.hpp"  // first: the header is self-contained

#include <doctest/doctest.h>

#include <string>

#include "hex.hpp"

using namespace bandwire;
using namespace bandwire::miband;
using miband_test::hex_of;
using miband_test::hx;

TEST_CASE("device events (fact sheet §15)") {
  device_event e;
  auto button = hx("04");
  REQUIRE_FALSE(decode_device_event(button, e));
  CHECK(e.code == event_code::button_pressed);
  CHECK(e.params.empty());
  CHECK(std::string(to_string(e.code)) == "button_pressed");
  CHECK(hex_of(make_event(event_code::button_pressed)) == "04");

  auto mtu = hx("16 f7 00");
  REQUIRE_FALSE(decode_device_event(mtu, e));
  CHECK(e.mtu() == 247);
  CHECK_FALSE(e.music_action());

  auto music = hx("fe e0");
  REQUIRE_FALSE(decode_device_event(music, e));
  CHECK(e.music_action() == 0xe0);

  auto silent = hx("10 01");
  REQUIRE_FALSE(decode_device_event(silent, e));
  CHECK(e.silent_mode() == true);

  auto unknown = hx("42 01 02");
  REQUIRE_FALSE(decode_device_event(unknown, e));
  CHECK(static_cast<int>(e.code) == 0x42);
  CHECK(to_string(e.code) == nullptr);
  CHECK(to_hex(e.params) == "0102");

  for (const char* bad : {"", "16", "16 f7", "fe", "10"}) {
    CAPTURE(bad);
    auto in = hx(bad);
    CHECK(decode_device_event(in, e) == errc::malformed_value);
  }
}
