#include "miband/sensor.hpp"  // first: the header is self-contained

#include <doctest/doctest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "hex.hpp"
#include "tests/support/shared_dir.hpp"

using namespace bandwire;
using namespace bandwire::miband;
using miband_test::hex_of;
using miband_test::hx;

namespace {
sensor_packet decode_ok(const std::string& hex) {
  CAPTURE(hex);
  auto in = hx(hex);
  sensor_packet p;
  REQUIRE_FALSE(decode_sensor_packet(in, p));
  // Every packet re-encodes to the same bytes (the virtual band's path).
  frame f;
  REQUIRE_FALSE(encode_sensor_packet(p, f));
  CHECK(to_hex(f.bytes()) == to_hex(in));
  return p;
}
std::vector<std::int16_t> ppg_of(const sensor_packet& p) { return {p.ppg().begin(), p.ppg().end()}; }
}  // namespace

TEST_CASE("sensor: control bytes (fact sheet §6.1, seed article)") {
  CHECK(hex_of(sensor_configure_accel_ppg) == "010319");  // seed: "\x01\x03\x19"; CAP-A
  CHECK(make_sensor_configure(sensor_accelerometer | sensor_ppg) == sensor_configure_accel_ppg);
  CHECK(hex_of(sensor_configure_accel) == "010119");
  CHECK(hex_of(make_sensor_configure(sensor_ppg, 25)) == "010219");
  CHECK(hex_of(sensor_start) == "02");  // seed: "\x02"
  CHECK(hex_of(sensor_stop) == "03");
  CHECK(hex_of(sensor_keep_alive) == "00");

  sensor_command c;
  auto cfg = hx("01 03 19");
  REQUIRE_FALSE(decode_sensor_command(cfg, c));
  CHECK(c.command == sensor_cmd_configure);
  CHECK(c.sensor_mask == 0x03);
  CHECK(c.rate_hz == 25);
  for (const char* ok : {"02", "03", "00"}) {
    auto in = hx(ok);
    CHECK_FALSE(decode_sensor_command(in, c));
  }
  for (const char* bad : {"", "01", "01 03", "01 03 19 00", "02 00", "04"}) {
    CAPTURE(bad);
    auto in = hx(bad);
    CHECK(decode_sensor_command(in, c) == errc::malformed_value);
  }
}

TEST_CASE("sensor: accelerometer packets from CAP-A (fact sheet §20.5)") {
  auto p = decode_ok("01 00 53 00 33 00 08 01 50 00 37 00 0b 01 53 00 33 00 0b 01");
  CHECK(p.type == sensor_packet_type::accelerometer);
  CHECK(p.counter == 0);
  REQUIRE(p.count == 3);
  CHECK(p.accel(0) == accel_sample{83, 51, 264});
  CHECK(p.accel(1) == accel_sample{80, 55, 267});
  CHECK(p.accel(2) == accel_sample{83, 51, 267});

  p = decode_ok("01 22 50 00 2f 00 0c 01 52 00 2c 00 08 01");  // 14 bytes
  CHECK(p.counter == 0x22);
  REQUIRE(p.count == 2);
  CHECK(p.accel(0) == accel_sample{80, 47, 268});
  CHECK(p.accel(1) == accel_sample{82, 44, 264});

  p = decode_ok("01 12 53 00 30 00 08 01");  // 8 bytes
  CHECK(p.counter == 0x12);
  REQUIRE(p.count == 1);
  CHECK(p.accel(0) == accel_sample{83, 48, 264});

  p = decode_ok("01 47 0f 00 a3 00 dc 00 f3 ff 86 00 ec 00 ff ff 9f 00 df 00");  // negatives
  CHECK(p.accel(0) == accel_sample{15, 163, 220});
  CHECK(p.accel(1) == accel_sample{-13, 134, 236});
  CHECK(p.accel(2) == accel_sample{-1, 159, 223});

  // HRX README sample.
  p = decode_ok("01 00 05 00 82 00 0b 00 04 00 80 00 0b 00 03 00 81 00 0b 00");
  CHECK(p.accel(0) == accel_sample{5, 130, 11});
  CHECK(p.accel(1) == accel_sample{4, 128, 11});
  CHECK(p.accel(2) == accel_sample{3, 129, 11});
  // HRX ≈ 128 counts/g: the resting sample is about 1 g.
  const accel_g g = to_g(p.accel(1), hrx_counts_per_g);
  CHECK(g.y == doctest::Approx(1.0));
}

TEST_CASE("sensor: PPG packets from CAP-A are signed int16 (fact sheet §20.5, §22.3)") {
  auto p = decode_ok("02 0b d2 37 e2 37 f0 37 f0 37 d9 37 d8 37 e2 37 c8 37 b8 37");
  CHECK(p.type == sensor_packet_type::ppg);
  CHECK(p.counter == 0x0b);
  CHECK(ppg_of(p) == std::vector<std::int16_t>{14290, 14306, 14320, 14320, 14297, 14296, 14306, 14280, 14264});

  p = decode_ok("02 0c d7 37 b0 37 9e 37 8e 37 93 37 86 37 69 37");
  CHECK(p.counter == 0x0c);
  CHECK(ppg_of(p) == std::vector<std::int16_t>{14295, 14256, 14238, 14222, 14227, 14214, 14185});

  p = decode_ok("02 3c a0 58 40 6d e9 5d 58 55 88 6b ff 7f ff 7f");
  CHECK(p.ppg()[5] == 32767);  // positive saturation
  CHECK(p.ppg()[6] == 32767);

  // The zero crossing across two packets proves the samples are signed.
  auto a = decode_ok("02 61 cc fe f4 fd f3 fd 5c fe 80 ff d4 fe 53 fd 8f fb 9e f9");
  auto b = decode_ok("02 62 30 f8 46 f8 4f fa 23 fd c2 ff 3a 03 0d 09");
  std::vector<std::int16_t> all = ppg_of(a);
  for (auto v : ppg_of(b)) all.push_back(v);
  CHECK(all == std::vector<std::int16_t>{-308, -524, -525, -420, -128, -300, -685, -1137, -1634, -2000, -1978,
                                         -1457, -733, -62, 826, 2317});
}

TEST_CASE("sensor: packets printed in the seed article") {
  // "Raw heart: 02102d8c…" — 16 bytes, 7 samples; counter 0x10.
  auto p = decode_ok("02102d8c348c448c458c3d8c428c488c");
  CHECK(p.counter == 0x10);
  CHECK(ppg_of(p) == std::vector<std::int16_t>{-29651, -29644, -29628, -29627, -29635, -29630, -29624});
  // "Raw gyro: 01de49ff…" — really the accelerometer, 3 signed triples.
  p = decode_ok("01de49ffd9ff3c004cffd8ff3b004dffdcff4400");
  CHECK(p.counter == 0xde);
  CHECK(p.accel(0) == accel_sample{-183, -39, 60});
  CHECK(p.accel(1) == accel_sample{-180, -40, 59});
  CHECK(p.accel(2) == accel_sample{-179, -36, 68});
  // A 20-byte PPG packet in the same dump.
  p = decode_ok("02e1103231323d3274328e329632af32c732cf32");
  CHECK(p.count == 9);
  CHECK(p.ppg()[0] == 12816);
}

TEST_CASE("sensor: every packet in the seed article decodes (needs ../shared)") {
  const std::string path = bandwire::test::shared_file("seed/miband2-linux-guide.txt");
  if (path.empty()) return;  // skipped (shared_file says why)
  std::ifstream f(path);
  REQUIRE_MESSAGE(f, "cannot read " << path);
  std::string line;
  int packets = 0;
  while (std::getline(f, line)) {
    for (const std::string prefix : {"Raw heart: ", "Raw gyro: "}) {
      if (line.rfind(prefix, 0) != 0) continue;
      std::istringstream words(line.substr(prefix.size()));
      std::string hex;
      words >> hex;
      CAPTURE(line);
      auto in = hx(hex);
      sensor_packet p;
      CHECK_FALSE(decode_sensor_packet(in, p));
      std::string printed_len;
      if (words >> printed_len) CHECK(std::to_string(in.size()) == printed_len);  // "… 16"
      ++packets;
    }
  }
  CHECK(packets == 45);  // 13 "Raw heart" + 32 "Raw gyro"
}

TEST_CASE("sensor: bad packets return errors") {
  sensor_packet p;
  struct c {
    const char* hex;
    errc e;
  };
  for (auto t : {c{"", errc::malformed_value}, c{"01", errc::malformed_value},
                 c{"01 00", errc::malformed_value},                       // header only
                 c{"01 00 01 00 02 00", errc::malformed_value},           // 4-byte payload
                 c{"01 00 01 00 02 00 03 00 04", errc::malformed_value},  // 7 bytes payload
                 c{"01 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00", errc::malformed_value},
                 c{"02 00", errc::malformed_value}, c{"02 00 01", errc::malformed_value},
                 c{"02 00 01 00 02", errc::malformed_value},
                 c{"02 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00", errc::malformed_value},  // 10
                 c{"00 00 01 00", errc::unknown_packet_type}, c{"03 00 01 00", errc::unknown_packet_type},
                 c{"07 00 01 00", errc::unknown_packet_type}}) {
    CAPTURE(t.hex);
    auto in = hx(t.hex);
    CHECK(decode_sensor_packet(in, p) == t.e);
  }
  // Short but well-formed PPG (1 sample) is accepted.
  auto one = hx("02 05 01 80");
  REQUIRE_FALSE(decode_sensor_packet(one, p));
  CHECK(p.ppg()[0] == -32767);

  sensor_packet empty;
  frame f;
  CHECK(encode_sensor_packet(empty, f) == errc::invalid_argument);
  empty.type = sensor_packet_type::ppg;
  empty.count = 10;
  CHECK(encode_sensor_packet(empty, f) == errc::invalid_argument);
}

TEST_CASE("sensor: counts to g") {
  const accel_g g = to_g({83, 51, 264});
  CHECK(g.x == doctest::Approx(83.0 / 256));
  CHECK(g.z == doctest::Approx(1.03125));
  CHECK(to_g({0, 0, -512}, 512.0).z == doctest::Approx(-1.0));
}

TEST_CASE("counter tracker: the first burst of CAP-A shares one counter across types") {
  // §20.5: 01 00 … 01 0a (11 accel), 02 0b, 02 0c, 01 0d … 01 12, 02 13, 02 14, 01 15.
  counter_tracker t;
  auto r = t.observe(0x00);
  CHECK(r.what == counter_tracker::kind::first);
  CHECK(r.missing == 0);
  for (int c = 1; c <= 0x15; ++c) CHECK(t.observe(static_cast<std::uint8_t>(c)).what == counter_tracker::kind::in_order);
  CHECK(t.received() == 0x16);
  CHECK(t.lost() == 0);
}

TEST_CASE("counter tracker: gaps with wrap-around, as in the seed article's dump") {
  // Counters of the seed's "Raw gyro" lines (only 20-byte packets were printed).
  const std::uint8_t seen[] = {0xde, 0xdf, 0xe1, 0xe3, 0xe4, 0xe5, 0xe6, 0xe7, 0xe9, 0xeb, 0xec,
                               0xed, 0xee, 0xef, 0xf1, 0xf3, 0xf4, 0xf5, 0xf6, 0xf7, 0xf9, 0xfb,
                               0xfc, 0xfd, 0xfe, 0xff, 0x01, 0x03, 0x04, 0x05, 0x06, 0x07};
  counter_tracker t;
  t.reset(std::nullopt);  // joined a running stream
  std::vector<std::uint8_t> first_missing;
  for (std::uint8_t c : seen) {
    auto r = t.observe(c);
    if (r.what == counter_tracker::kind::gap) {
      CHECK(r.missing == 1);
      first_missing.push_back(r.first_missing);
    } else {
      CHECK((r.what == counter_tracker::kind::in_order || r.what == counter_tracker::kind::first));
    }
  }
  CHECK(first_missing ==
        std::vector<std::uint8_t>{0xe0, 0xe2, 0xe8, 0xea, 0xf0, 0xf2, 0xf8, 0xfa, 0x00, 0x02});
  CHECK(t.lost() == 10);
}

TEST_CASE("counter tracker: start expectations, big gaps, duplicates, out of order, resync") {
  counter_tracker t;  // fresh stream: expects 0 first
  auto r = t.observe(3);
  CHECK(r.what == counter_tracker::kind::first);
  CHECK(r.missing == 3);
  CHECK(r.first_missing == 0);

  r = t.observe(0xfe);  // 3 → 0xfe: 250 ahead is "behind" by 5
  CHECK(r.what == counter_tracker::kind::out_of_order);
  r = t.observe(4);  // back on track
  CHECK(r.what == counter_tracker::kind::in_order);
  r = t.observe(4);
  CHECK(r.what == counter_tracker::kind::duplicate);
  r = t.observe(4 + 127);  // the largest gap the counter can show
  CHECK(r.what == counter_tracker::kind::gap);
  CHECK(r.missing == 126);
  CHECK(r.first_missing == 5);

  // Wrap: 0xff → 0x00 is in order.
  t.reset();
  t.observe(0);
  for (int c = 1; c < 256; ++c) t.observe(static_cast<std::uint8_t>(c));
  CHECK(t.observe(0).what == counter_tracker::kind::in_order);
  CHECK(t.observe(2).what == counter_tracker::kind::gap);

  // Resync: two consecutive packets behind the position.
  t.reset();
  t.observe(0);
  t.observe(200 - 128);                                              // gap to 72
  CHECK(t.observe(10).what == counter_tracker::kind::out_of_order);  // behind 72
  r = t.observe(11);
  CHECK(r.what == counter_tracker::kind::resync);
  CHECK(t.observe(12).what == counter_tracker::kind::in_order);
  CHECK(t.resyncs() == 1);
  CHECK(t.out_of_order() == 2);  // statistics survive reset(): one from the first stream
  // Out of order, then back in order: no resync.
  CHECK(t.observe(5).what == counter_tracker::kind::out_of_order);
  CHECK(t.observe(13).what == counter_tracker::kind::in_order);
  CHECK(t.observe(6).what == counter_tracker::kind::out_of_order);  // not consecutive with 5 after 13
}
