#include "miband/alert.hpp"  // first: the header is self-contained

#include <doctest/doctest.h>

#include <string>

#include "hex.hpp"

using namespace bandwire;
using namespace bandwire::miband;
using miband_test::compact;
using miband_test::hex_of;
using miband_test::hx;

TEST_CASE("alert level: Immediate Alert values (fact sheet §11.1)") {
  CHECK(hex_of(make_alert(alert_level::none)) == "00");
  CHECK(hex_of(make_alert(alert_level::message)) == "01");
  CHECK(hex_of(make_alert(alert_level::phone_call)) == "02");
  CHECK(hex_of(make_alert(alert_level::vibrate_only)) == "03");
  CHECK(find_device == make_alert(alert_level::vibrate_only));
  CHECK(hex_of(make_custom_vibration(300, 600, 3)) == "ff2c01580203");  // GB "medium" profile

  alert_request r;
  auto one = hx("03");
  REQUIRE_FALSE(decode_alert_request(one, r));
  CHECK(r.level == 3);
  auto custom = hx("ff 2c 01 58 02 03");
  REQUIRE_FALSE(decode_alert_request(custom, r));
  CHECK(r.level == 0xff);
  CHECK(r.on_ms == 300);
  CHECK(r.off_ms == 600);
  CHECK(r.count == 3);
  for (const char* bad : {"", "ff", "01 00", "ff 2c 01 58 02", "03 2c 01 58 02 03"}) {
    CAPTURE(bad);
    auto in = hx(bad);
    CHECK(decode_alert_request(in, r) == errc::malformed_value);
  }
}

TEST_CASE("new alert: headers and text (fact sheet §11.2)") {
  CHECK(hex_of(encode_new_alert({alert_category::sms, 1, 0, ""})) == "0501");
  CHECK(hex_of(encode_new_alert({alert_category::email, 1, 0, ""})) == "0101");
  CHECK(hex_of(encode_new_alert({alert_category::huami_icon, 1, huami_icon::telegram, ""})) == "fa0119");
  CHECK(hex_of(encode_new_alert({alert_category::incoming_call, 1, 0, "Bob"})) == "0301" + to_hex(hx("42 6f 62")));
  CHECK(new_alert_stop_call == frame{0x03, 0x00});

  std::size_t used = 0;
  const frame f = encode_new_alert({alert_category::sms, 1, 0, "Hello from bandwire!!"}, &used);
  CHECK(f.size() == 20);
  CHECK(used == 18);  // 18 text bytes per write on MB2
  encode_new_alert({alert_category::huami_icon, 1, 7, "Hello from bandwire!!"}, &used);
  CHECK(used == 17);
}

TEST_CASE("new alert: long text splits into parts at character boundaries") {
  // 10 × "é" (2 bytes each) = 20 bytes: 18 fit in the first part without splitting a character.
  std::string text;
  for (int i = 0; i < 10; ++i) text += "\xc3\xa9";
  auto parts = encode_new_alert_parts({alert_category::sms, 1, 0, text});
  REQUIRE(parts.size() == 2);
  CHECK(parts[0].size() == 20);
  CHECK(parts[1].size() == 4);
  CHECK(hex_of(parts[1]) == "0501c3a9");

  // A 3-byte character straddling the 18-byte boundary moves whole to the next part.
  std::string euro = std::string(17, 'a') + "\xe2\x82\xac";
  parts = encode_new_alert_parts({alert_category::sms, 1, 0, euro});
  REQUIRE(parts.size() == 2);
  CHECK(parts[0].size() == 19);
  CHECK(hex_of(parts[1]) == "0501e282ac");

  CHECK(encode_new_alert_parts({alert_category::sms, 1, 0, ""}).size() == 1);
  // Invalid UTF-8 (only continuation bytes) still makes progress.
  CHECK(encode_new_alert_parts({alert_category::sms, 1, 0, std::string(40, '\x80')}).size() == 3);
}

TEST_CASE("new alert: band side") {
  new_alert a;
  auto sms = hx("05 01 48 69");
  REQUIRE_FALSE(decode_new_alert(sms, a));
  CHECK(a.category == alert_category::sms);
  CHECK(a.count == 1);
  CHECK(a.text == "Hi");
  auto icon = hx("fa 01 07 57 41");
  REQUIRE_FALSE(decode_new_alert(icon, a));
  CHECK(a.icon == huami_icon::whatsapp);
  CHECK(a.text == "WA");
  for (const char* bad : {"", "05", "fa 01"}) {
    CAPTURE(bad);
    auto in = hx(bad);
    CHECK(decode_new_alert(in, a) == errc::malformed_value);
  }
}

TEST_CASE("new alert: only SMS and incoming call show text on a Mi Band 2; alerts go 4 s apart (fact sheet 11)") {
  CHECK(miband2_shows_text(alert_category::sms));
  CHECK(miband2_shows_text(alert_category::incoming_call));
  for (auto c : {alert_category::simple, alert_category::email, alert_category::news, alert_category::missed_call,
                 alert_category::voicemail, alert_category::schedule, alert_category::high_priority,
                 alert_category::instant_message, alert_category::huami_icon, alert_category::custom})
    CHECK_FALSE(miband2_shows_text(c));
  CHECK(new_alert_spacing == std::chrono::seconds(4));
}
