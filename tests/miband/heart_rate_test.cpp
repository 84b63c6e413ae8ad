#include "miband/heart_rate.hpp"  // first: the header is self-contained

#include <doctest/doctest.h>

#include "hex.hpp"

using namespace bandwire;
using namespace bandwire::miband;
using miband_test::hex_of;
using miband_test::hx;

TEST_CASE("heart rate: the Mi Band's own readings from CAP-A (fact sheet §20.4)") {
  struct v {
    const char* hex;
    int bpm;
  };
  for (auto c : {v{"00 53", 83}, v{"00 52", 82}, v{"00 47", 71}, v{"00 48", 72}, v{"00 41", 65},
                 v{"00 4b", 75}, v{"00 54", 84}, v{"00 4e", 78}}) {
    CAPTURE(c.hex);
    heart_rate_measurement m;
    auto in = hx(c.hex);
    REQUIRE_FALSE(decode_heart_rate_measurement(in, m));
    CHECK(m.bpm == c.bpm);
    CHECK_FALSE(m.value_is_u16);
    CHECK(m.contact == sensor_contact::not_supported);
    CHECK_FALSE(m.energy_expended_kj);
    CHECK(m.rr_count() == 0);
    CHECK_FALSE(check_reading(m));
    std::uint8_t out[8];
    REQUIRE(encode_heart_rate_measurement(m, out) == 2);
    CHECK(to_hex(bytes_view(out, 2)) == to_hex(in));
  }
  // `00 00`: the failed one-shot that Mi Fit retried.
  heart_rate_measurement m;
  auto failed = hx("00 00");
  REQUIRE_FALSE(decode_heart_rate_measurement(failed, m));
  CHECK(check_reading(m) == errc::measurement_failed);
  CHECK(hex_of(make_miband_heart_rate(0x47)) == "0047");
}

TEST_CASE("heart rate: a standard strap with u16 value, contact, energy and RR intervals") {
  // flags 0x1f: u16 | contact detected | contact supported | energy | RR.
  // 0x0145 = 325 bpm (exercises u16), energy 0x0102 = 258 kJ, RR 1024 → 1 s, 512 → 0.5 s.
  auto in = hx("1f 45 01 02 01 00 04 00 02");
  heart_rate_measurement m;
  REQUIRE_FALSE(decode_heart_rate_measurement(in, m));
  CHECK(m.bpm == 325);
  CHECK(m.value_is_u16);
  CHECK(m.contact == sensor_contact::detected);
  CHECK(m.energy_expended_kj == 258);
  REQUIRE(m.rr_count() == 2);
  CHECK(m.rr_1024ths(0) == 1024);
  CHECK(m.rr_seconds(0) == doctest::Approx(1.0));
  CHECK(m.rr_seconds(1) == doctest::Approx(0.5));
  std::uint8_t out[32];
  REQUIRE(encode_heart_rate_measurement(m, out) == in.size());
  CHECK(to_hex(bytes_view(out, in.size())) == to_hex(in));
  CHECK(encode_heart_rate_measurement(m, bytes_span(out, in.size() - 1)) == 0);

  // Contact supported but not detected; RR of a typical strap: 0x0329 = 809/1024 s.
  auto strap = hx("14 48 29 03");
  REQUIRE_FALSE(decode_heart_rate_measurement(strap, m));
  CHECK(m.bpm == 72);
  CHECK(m.contact == sensor_contact::not_detected);
  CHECK(m.rr_seconds(0) == doctest::Approx(809.0 / 1024.0));

  // Bit1 without bit2 means nothing; reserved bits are ignored.
  auto reserved = hx("e2 48");
  REQUIRE_FALSE(decode_heart_rate_measurement(reserved, m));
  CHECK(m.contact == sensor_contact::not_supported);

  // RR flag with no intervals is accepted.
  auto empty_rr = hx("10 48");
  REQUIRE_FALSE(decode_heart_rate_measurement(empty_rr, m));
  CHECK(m.rr_present);
  CHECK(m.rr_count() == 0);
}

TEST_CASE("heart rate: any number of RR intervals, energy and contact, exact values in 1/1024 s") {
  // A full 20-byte notification: flags 1e (contact detected+supported,
  // energy, RR), 67 bpm, energy 0x0190 = 400 kJ, eight RR intervals.
  auto full = hx("1e 43 90 01 00 04 01 04 ff 03 80 03 81 03 00 02 01 00 ff ff");
  heart_rate_measurement m;
  REQUIRE_FALSE(decode_heart_rate_measurement(full, m));
  CHECK(m.bpm == 67);
  CHECK_FALSE(m.value_is_u16);
  CHECK(m.contact == sensor_contact::detected);
  REQUIRE(m.energy_expended_kj);
  CHECK(*m.energy_expended_kj == 400);
  REQUIRE(m.rr_count() == 8);
  const std::uint16_t want[] = {1024, 1025, 1023, 896, 897, 512, 1, 65535};
  for (std::size_t i = 0; i < 8; ++i) {
    CAPTURE(i);
    CHECK(m.rr_1024ths(i) == want[i]);
    CHECK(m.rr_seconds(i) == want[i] / 1024.0);  // exact: a dyadic fraction
  }
  // Longer than one ATT_MTU-23 notification (a larger MTU allows it): still all of them.
  auto many = hx("10 48 00 03 00 03 00 03 00 03 00 03 00 03 00 03 00 03 00 03 00 03 00 03");
  REQUIRE_FALSE(decode_heart_rate_measurement(many, m));
  CHECK(m.rr_count() == 11);
  CHECK(m.rr_1024ths(10) == 768);
  CHECK(m.rr_seconds(10) == 0.75);
  // Energy without RR, u16 value: 01 (u16) | 08 (energy).
  auto energy = hx("09 3c 00 ff ff");
  REQUIRE_FALSE(decode_heart_rate_measurement(energy, m));
  CHECK(m.bpm == 60);
  CHECK(*m.energy_expended_kj == 65535);
  CHECK(m.rr_count() == 0);
  CHECK_FALSE(m.rr_present);
  // Energy announced but cut short; an RR cut in half.
  CHECK(decode_heart_rate_measurement(hx("08 48 01"), m) == errc::malformed_value);
  CHECK(decode_heart_rate_measurement(hx("18 48 01 00 00"), m) == errc::malformed_value);
}

TEST_CASE("heart rate: malformed 2A37 values") {
  heart_rate_measurement m;
  for (const char* bad : {"", "00", "01 48", "08 48 01", "10 48 00", "18 48 01 00 00", "00 48 00", "01 48 00 00"}) {
    CAPTURE(bad);
    auto in = hx(bad);
    CHECK(decode_heart_rate_measurement(in, m) == errc::malformed_value);
  }
  heart_rate_measurement too_big;
  too_big.bpm = 300;  // needs u16
  std::uint8_t out[8];
  CHECK(encode_heart_rate_measurement(too_big, out) == 0);
}

TEST_CASE("heart rate: control point bytes (fact sheet §5.2)") {
  CHECK(hex_of(hr_start_one_shot) == "150201");
  CHECK(hex_of(hr_stop_one_shot) == "150200");
  CHECK(hex_of(hr_start_continuous) == "150101");
  CHECK(hex_of(hr_stop_continuous) == "150100");
  CHECK(hex_of(hr_sleep_assist_on) == "150001");
  CHECK(hex_of(hr_sleep_assist_off) == "150000");
  CHECK(hex_of(hr_keep_alive) == "16");
  CHECK(make_hr_mode(hr_mode::continuous, true) == hr_start_continuous);
  CHECK(make_hr_mode(hr_mode::one_shot, false) == hr_stop_one_shot);
  CHECK(hex_of(make_hr_periodic(0)) == "1400");   // CAP-A `14 00`
  CHECK(hex_of(make_hr_periodic(30)) == "141e");
  CHECK(hex_of(make_hr_periodic(200)) == "1478");  // clamped to 120 like GB
  static_assert(hr_keep_alive_period == std::chrono::seconds{12});

  hr_command c;
  auto w = hx("15 01 01");
  REQUIRE_FALSE(decode_hr_command(w, c));
  CHECK(c.what == hr_command::kind::set_mode);
  CHECK(c.mode == hr_mode::continuous);
  CHECK(c.enable);
  auto p = hx("14 00");
  REQUIRE_FALSE(decode_hr_command(p, c));
  CHECK(c.what == hr_command::kind::periodic);
  CHECK(c.minutes == 0);
  auto k = hx("16");
  REQUIRE_FALSE(decode_hr_command(k, c));
  CHECK(c.what == hr_command::kind::keep_alive);
  for (const char* bad : {"", "15", "15 01", "15 03 01", "15 01 02", "15 01 01 00", "14", "16 00", "17"}) {
    CAPTURE(bad);
    auto in = hx(bad);
    CHECK(decode_hr_command(in, c) == errc::malformed_value);
  }
}
