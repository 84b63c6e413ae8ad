#include "miband/device_info.hpp"  // first: the header is self-contained

#include <doctest/doctest.h>

#include "hex.hpp"

using namespace bandwire;
using namespace bandwire::miband;
using miband_test::hx;

TEST_CASE("device info: CAP-A values (fact sheet §20.3, §10)") {
  CHECK(decode_info_string(hx("56 31 2e 30 2e 31 2e 36 39")) == "V1.0.1.69");
  CHECK(decode_info_string(hx("56 30 2e 31 2e 33 2e 32")) == "V0.1.3.2");
  CHECK(decode_info_string(hx("64 35 35 62 35 63 35 61 31 38 33 33")) == "d55b5c5a1833");
  CHECK(decode_info_string(hx("4d 49 20 42 61 6e 64 20 32")) == "MI Band 2");  // NM, 2A00
  CHECK(decode_info_string(hx("4d 49 00 00")) == "MI");
  CHECK(decode_info_string({}) == "");

  auto mac = mac_from_system_id(hx("fa 8e e3 ff fe 12 b4 a9"));
  REQUIRE(mac);
  CHECK(to_hex(*mac) == "fa8ee312b4a9");  // FA:8E:E3:12:B4:A9, the advertiser address (§2.1)
  CHECK_FALSE(mac_from_system_id(hx("fa 8e e3 00 00 12 b4 a9")));
  CHECK_FALSE(mac_from_system_id(hx("fa 8e e3 ff fe 12 b4")));

  pnp_id p;
  auto pnp = hx("01 57 01 04 00 00 01");
  REQUIRE_FALSE(decode_pnp_id(pnp, p));
  CHECK(p.vendor_id_source == 1);
  CHECK(p.vendor_id == huami_vendor_id);
  CHECK(p.product_id == 0x0004);
  CHECK(p.product_version == 0x0100);
  auto short_pnp = hx("01 57 01 04 00 00");
  CHECK(decode_pnp_id(short_pnp, p) == errc::malformed_value);
}

TEST_CASE("device info: firmware versions") {
  auto v = parse_firmware_version("V1.0.1.69");
  REQUIRE(v);
  CHECK(*v == firmware_version{1, 0, 1, 69});
  CHECK(to_string(*v) == "1.0.1.69");
  CHECK(*v >= min_text_alert_version);
  CHECK(*parse_firmware_version("1.0.1.81") > *v);  // NM's band
  CHECK(*parse_firmware_version("1.0.0.53") < min_text_alert_version);
  CHECK(*parse_firmware_version("v2") == firmware_version{2, 0, 0, 0});
  for (const char* bad : {"", "V", "V1.", "1..2", "1.0.1.69.1", "1.0.x", "70000", " 1.0", "1.0 "}) {
    CAPTURE(bad);
    CHECK_FALSE(parse_firmware_version(bad));
  }
}
