#include "hci/adv_data.hpp"  // first: the header is self-contained

#include <doctest/doctest.h>

#include <string>
#include <vector>
#include "tests/support/hex.hpp"

// Expected values come from Core Supplement Part A §1 and, for the Mi Band,
// from miband2-protocol.md §2.1 and §20.8 (the CAP-A band's real bytes).

using namespace bandwire;
using namespace bandwire::hci;

namespace {

using bytes = std::vector<std::uint8_t>;

using bandwire::test::hx;

const char* const mb2_adv = "02 01 06 1b ff 57 01 00 2c 04 e3 a0 9e e1 be ab 47 73 fa 45 01 ec 4f d7 03 fa 8e e3 12 b4 a9";
const char* const mb2_rsp = "0a 09 4d 49 20 42 61 6e 64 20 32 03 02 e0 fe";

miband2_manufacturer_data cap_a_band() {
  miband2_manufacturer_data m;
  m.flag = 0x00;
  const bytes opaque = hx("2c 04 e3 a0 9e e1 be ab 47 73 fa 45 01 ec 4f d7");
  std::copy(opaque.begin(), opaque.end(), m.opaque.begin());
  m.device_type = 0x03;
  m.band = *address::parse("FA:8E:E3:12:B4:A9");
  return m;
}

}  // namespace

TEST_CASE("Mi Band 2 advertising data from CAP-A (§20.8): flags + Huami manufacturer data") {
  const bytes adv = hx(mb2_adv);
  REQUIRE(adv.size() == 31);
  std::vector<ad_structure> s;
  REQUIRE_FALSE(split_ad(adv, s));
  REQUIRE(s.size() == 2);
  CHECK(s[0].type == ad_type::flags);
  CHECK(s[1].type == ad_type::manufacturer_specific);
  CHECK(s[1].data.size() == 26);

  advertising_data ad;
  REQUIRE_FALSE(parse_advertising_data(adv, ad));
  CHECK(ad.flags == std::uint8_t{0x06});
  CHECK(*ad.flags == (ad_flags::le_general_discoverable | ad_flags::br_edr_not_supported));
  CHECK_FALSE(ad.name);
  REQUIRE(ad.manufacturer.size() == 1);
  const manufacturer_data* md = ad.manufacturer_for(huami_company_id);
  REQUIRE(md);
  CHECK(md->company == 0x0157);
  CHECK(md->data.size() == 24);  // the fact sheet's table: offsets 0..23
  CHECK(ad.manufacturer_for(0x004c) == nullptr);

  miband2_manufacturer_data m;
  REQUIRE_FALSE(decode_miband2_manufacturer_data(md->data, m));
  CHECK(m.flag == 0);
  CHECK(to_hex(m.opaque) == "2c04e3a09ee1beab4773fa4501ec4fd7");
  CHECK(m.device_type == 0x03);
  CHECK(m.band.to_string() == "FA:8E:E3:12:B4:A9");
  CHECK(m == cap_a_band());

  // Passive scanning sees only this: the embedded address decides.
  const address band = *address::parse("FA:8E:E3:12:B4:A9");
  const address other = *address::parse("CE:5D:95:7B:30:53");
  CHECK(recognise_miband2(ad, &band) == miband_match::miband2);
  CHECK(recognise_miband2(ad) == miband_match::miband2);
  CHECK(recognise_miband2(ad, &other) == miband_match::huami);
}

TEST_CASE("Mi Band 2 scan response from CAP-A (§20.8): name + FEE0") {
  advertising_data ad;
  REQUIRE_FALSE(parse_advertising_data(hx(mb2_rsp), ad));
  REQUIRE(ad.name);
  CHECK(*ad.name == "MI Band 2");
  CHECK(ad.name_complete);
  REQUIRE(ad.service_uuids.size() == 1);
  CHECK(ad.service_uuids[0] == att::uuid::from16(0xfee0));
  CHECK_FALSE(ad.service_uuids_complete);  // 0x02: incomplete list
  CHECK(ad.has_service(att::uuid::from16(miband_service_uuid16)));
  CHECK(recognise_miband2(ad) == miband_match::miband2);

  // Merged with the advertisement, one device view.
  REQUIRE_FALSE(parse_advertising_data(hx(mb2_adv), ad));
  CHECK(*ad.name == "MI Band 2");
  CHECK(ad.flags == std::uint8_t{0x06});
  CHECK(ad.manufacturer.size() == 1);

  // The name is matched without regard to case (as Gadgetbridge does).
  advertising_data lower;
  REQUIRE_FALSE(parse_advertising_data(hx("0a 09 6d 69 20 62 61 6e 64 20 32"), lower));  // "mi band 2"
  CHECK(recognise_miband2(lower) == miband_match::miband2);
  advertising_data three;
  REQUIRE_FALSE(parse_advertising_data(hx("0a 09 4d 69 20 42 61 6e 64 20 33 03 02 e0 fe"), three));  // "Mi Band 3"
  CHECK(recognise_miband2(three) == miband_match::huami);
  advertising_data nothing;
  REQUIRE_FALSE(parse_advertising_data(hx("02 01 06 05 09 54 65 73 74"), nothing));
  CHECK(recognise_miband2(nothing) == miband_match::none);
  // Huami data of another shape: Huami, not an MB2.
  advertising_data shape;
  REQUIRE_FALSE(parse_advertising_data(hx("05 ff 57 01 00 01"), shape));
  CHECK(recognise_miband2(shape) == miband_match::huami);
}

TEST_CASE("the encoder rebuilds the Mi Band 2's exact advertising bytes (§2.1, §20.8)") {
  CHECK(to_hex(miband2_advertising_data(cap_a_band())) == to_hex(hx(mb2_adv)));
  CHECK(to_hex(miband2_scan_response_data()) == to_hex(hx(mb2_rsp)));
  const auto enc = encode_miband2_manufacturer_data(cap_a_band());
  miband2_manufacturer_data back;
  REQUIRE_FALSE(decode_miband2_manufacturer_data(enc, back));
  CHECK(back == cap_a_band());
  // The CAP-B band (§2.1 table).
  miband2_manufacturer_data b;
  const bytes opaque = hx("53 0a 28 83 e9 79 c5 ae 02 95 65 c1 aa 49 cd 96");
  std::copy(opaque.begin(), opaque.end(), b.opaque.begin());
  b.band = *address::parse("CE:5D:95:7B:30:53");
  CHECK(to_hex(miband2_advertising_data(b)) ==
        "0201061bff5701" "00" "530a2883e979c5ae029565c1aa49cd96" "03" "ce5d957b3053");
  // Wrong sizes are refused.
  CHECK(decode_miband2_manufacturer_data(bytes(23, 0), back) == errc::ad_invalid_field);
  CHECK(decode_miband2_manufacturer_data(bytes(25, 0), back) == errc::ad_invalid_field);
}

TEST_CASE("encoder building blocks") {
  bytes out;
  append_ad_flags(out, 0x1a);
  CHECK(to_hex(out) == "02011a");
  out.clear();
  REQUIRE_FALSE(append_ad_name(out, "bw", false));
  CHECK(to_hex(out) == "03086277");
  out.clear();
  const std::uint16_t uuids[] = {0x180d, 0x180f};
  REQUIRE_FALSE(append_ad_uuid16_list(out, uuids, true));
  CHECK(to_hex(out) == "05030d180f18");
  out.clear();
  REQUIRE_FALSE(append_ad_service_data16(out, 0xfee0, hx("10270000")));
  CHECK(to_hex(out) == "0716e0fe10270000");
  out.clear();
  REQUIRE_FALSE(append_ad(out, 0x2a, {}));
  CHECK(to_hex(out) == "012a");
  CHECK(append_ad(out, 0x2a, bytes(255, 0)) == errc::invalid_argument);
  CHECK(append_ad_manufacturer(out, 0x0157, bytes(253, 0)) == errc::invalid_argument);
  CHECK(to_hex(out) == "012a");
  out.clear();
  REQUIRE_FALSE(append_ad(out, 0x2a, bytes(254, 0)));
  CHECK(out.size() == 256);
  CHECK(out[0] == 0xff);
}

TEST_CASE("every AD type of Core Supplement Part A §1 bandwire reads") {
  const bytes data = hx(
      "02 01 05"                                             // flags: limited + BR/EDR not supported
      "05 02 0d 18 0f 18"                                    // incomplete 16-bit: 180D, 180F
      "05 05 78 56 34 12"                                    // complete 32-bit: 12345678
      "11 07 fb 34 9b 5f 80 00 00 80 00 10 00 00 e1 fe 00 00"  // complete 128-bit: 0000fee1-... (base)
      "11 06 00 07 10 af 09 00 18 21 12 35 00 00 09 00 00 00"  // incomplete 128-bit: 00000009-0000-3512-2118-0009af100700
      "04 08 4d 49 20"                                       // shortened name "MI "
      "02 0a f4"                                             // TX power -12 dBm
      "03 19 c1 03"                                          // appearance 0x03c1
      "07 16 e0 fe 10 27 00 00"                              // service data FEE0: 10000 (LE)
      "07 20 78 56 34 12 aa bb"                              // service data 32-bit
      "13 21 fb 34 9b 5f 80 00 00 80 00 10 00 00 0d 18 00 00 01 02"  // service data 128-bit
      "05 ff 4c 00 02 15"                                    // manufacturer Apple (0x004c)
      "03 2a 01 02");                                        // unknown type 0x2a, kept raw
  advertising_data ad;
  REQUIRE_FALSE(parse_advertising_data(data, ad));
  CHECK(ad.flags == std::uint8_t{0x05});
  REQUIRE(ad.service_uuids.size() == 5);
  CHECK(ad.service_uuids[0] == att::uuid::from16(0x180d));
  CHECK(ad.service_uuids[1] == att::uuid::from16(0x180f));
  CHECK(ad.service_uuids[2] == att::uuid::from32(0x12345678));
  CHECK(ad.service_uuids[3] == att::uuid::from16(0xfee1));
  CHECK(ad.service_uuids[4].to_string() == "00000009-0000-3512-2118-0009af100700");
  CHECK(ad.service_uuids_complete);
  REQUIRE(ad.name);
  CHECK(*ad.name == "MI ");
  CHECK_FALSE(ad.name_complete);
  CHECK(ad.tx_power == std::int8_t{-12});
  CHECK(ad.appearance == std::uint16_t{0x03c1});
  REQUIRE(ad.services.size() == 3);
  const service_data* steps = ad.service_data_for(att::uuid::from16(0xfee0));
  REQUIRE(steps);
  CHECK(get_le32(steps->data.data()) == 10000);
  CHECK(ad.services[1].uuid == att::uuid::from32(0x12345678));
  CHECK(to_hex(ad.services[1].data) == "aabb");
  CHECK(ad.services[2].uuid == att::uuid::from16(0x180d));
  CHECK(to_hex(ad.services[2].data) == "0102");
  CHECK(ad.service_data_for(att::uuid::from16(0x180f)) == nullptr);
  REQUIRE(ad.manufacturer.size() == 1);
  CHECK(ad.manufacturer[0].company == 0x004c);
  CHECK(to_hex(ad.manufacturer[0].data) == "0215");
  REQUIRE(ad.other.size() == 1);
  CHECK(ad.other[0].type == 0x2a);
  CHECK(to_hex(ad.other[0].data) == "0102");

  // A complete name replaces a shortened one; a later shortened one does not
  // replace a complete one. Repeated UUIDs are listed once.
  REQUIRE_FALSE(parse_advertising_data(hx("0a 09 4d 49 20 42 61 6e 64 20 32 03 08 4d 49 03 03 0d 18"), ad));
  CHECK(*ad.name == "MI Band 2");
  CHECK(ad.name_complete);
  CHECK(ad.service_uuids.size() == 5);
}

TEST_CASE("a zero-length AD structure ends the data; padding and what follows are ignored") {
  advertising_data ad;
  REQUIRE_FALSE(parse_advertising_data(hx("02 01 06 00 00 00 00 00"), ad));
  CHECK(ad.flags == std::uint8_t{0x06});
  advertising_data ad2;
  REQUIRE_FALSE(parse_advertising_data(hx("02 01 06 00 ff ff ff"), ad2));  // garbage after the terminator
  CHECK(ad2.other.empty());
  CHECK(ad2.manufacturer.empty());
  advertising_data empty;
  REQUIRE_FALSE(parse_advertising_data({}, empty));
  REQUIRE_FALSE(parse_advertising_data(bytes(31, 0), empty));
  CHECK_FALSE(empty.flags);
}

TEST_CASE("malformed AD: lying lengths and lengths a type forbids") {
  advertising_data ad;
  // The second structure says 5 octets, 2 remain; the first is kept.
  CHECK(parse_advertising_data(hx("02 01 06 05 09 41"), ad) == errc::ad_truncated);
  CHECK(ad.flags == std::uint8_t{0x06});
  CHECK_FALSE(ad.name);
  std::vector<ad_structure> s;
  CHECK(split_ad(hx("02 01 06 05 09 41"), s) == errc::ad_truncated);
  CHECK(s.size() == 1);
  CHECK(split_ad(hx("ff"), s) == errc::ad_truncated);
  CHECK(split_ad(hx("01"), s) == errc::ad_truncated);  // the type byte itself is missing

  const char* invalid[] = {
      "01 01",                 // flags without a value
      "04 03 e0 fe 00",        // 16-bit UUID list of 3 octets
      "04 05 01 02 03",        // 32-bit UUID list of 3 octets
      "10 07 00 01 02 03 04 05 06 07 08 09 0a 0b 0c 0d 0e",  // 128-bit list of 15 octets
      "01 0a",                 // TX power without a value
      "03 0a 00 00",           // TX power of 2 octets
      "02 19 00",              // appearance of 1 octet
      "02 ff 57",              // manufacturer data shorter than its company id
      "02 16 e0",              // 16-bit service data shorter than its UUID
      "04 20 01 02 03",        // 32-bit service data shorter than its UUID
      "05 21 01 02 03 04",     // 128-bit service data shorter than its UUID
  };
  for (const char* v : invalid) {
    CAPTURE(v);
    advertising_data x;
    CHECK(parse_advertising_data(hx(v), x) == errc::ad_invalid_field);
  }
  // Empty manufacturer payload after the company id is fine.
  advertising_data ok;
  REQUIRE_FALSE(parse_advertising_data(hx("03 ff 57 01"), ok));
  CHECK(ok.manufacturer_for(huami_company_id)->data.empty());
}

TEST_CASE("every truncation of the Mi Band's advertisement parses or fails cleanly") {
  const bytes adv = hx(mb2_adv);
  for (std::size_t n = 0; n <= adv.size(); ++n) {
    CAPTURE(n);
    advertising_data ad;
    const auto ec = parse_advertising_data(bytes_view(adv).first(n), ad);
    // Only the structure boundaries (0, 3 and 31 octets) are whole data.
    if (n == 0 || n == 3 || n == adv.size()) {
      CHECK_FALSE(ec);
    } else {
      CHECK(ec == errc::ad_truncated);
    }
    CHECK(ad.flags.has_value() == (n >= 3));
  }
}
