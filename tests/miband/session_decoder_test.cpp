// `bandwire decode`'s core against both real captures and synthetic PDUs.
#include "miband/session_decoder.hpp"

#include <doctest/doctest.h>

#include <cstdio>
#include <fstream>
#include <iterator>
#include <sstream>

#include "hci/btsnoop.hpp"
#include "tests/support/shared_dir.hpp"
#include "tests/support/script_peer.hpp"

using namespace bandwire;

namespace {

std::vector<hci::att_record> load(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::vector<std::uint8_t> bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  std::vector<hci::att_record> out;
  REQUIRE_FALSE(hci::extract_att(bytes, out));
  return out;
}

std::string run(const std::string& cmd) {
  std::string out;
  if (std::FILE* p = ::popen(cmd.c_str(), "r")) {
    char buf[4096];
    for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, p)) > 0;) out.append(buf, n);
    ::pclose(p);
  }
  return out;
}

}  // namespace

TEST_CASE("session decoder: CAP-A is decoded completely with its auth, heart rate and raw sensor data") {
  const auto capture = test::shared_file("captures/miband2-official-app-session.btsnoop");
  if (capture.empty()) return;  // skipped (shared_file says why)
  const auto pdus = load(capture);
  REQUIRE(pdus.size() == 1349);
  miband::session_decoder dec;
  std::vector<std::string> auth, hr, first_raw;
  std::size_t malformed = 0, raw = 0;
  for (const auto& r : pdus) {
    const auto d = dec.describe(r.dir == hci::direction::host_to_controller, r.pdu);
    malformed += d.malformed;
    if (d.meaning.rfind("auth:", 0) == 0) auth.push_back(d.meaning);
    if (d.characteristic == "heart_rate_measurement") hr.push_back(d.meaning);
    if (d.characteristic == "sensor_data") {
      ++raw;
      if (first_raw.size() < 1) first_raw.push_back(d.meaning);
    }
    if (d.characteristic == "auth" && d.value_hex.rfind("0100", 0) == 0) CHECK(d.value_hex == "0100" + std::string(32, 'x'));
  }
  CHECK(malformed == 0);
  // Fact sheet §20.1: the real exchange, key masked.
  REQUIRE(auth.size() == 6);
  CHECK(auth[0] == "auth: bind new key <masked>");
  CHECK(auth[1] == "auth: key accepted (band tapped)");
  CHECK(auth[2] == "auth: request challenge");
  CHECK(auth[3] == "auth: challenge 0da69623f798f0c5416aaa47eb1cc4a9");
  CHECK(auth[4] == "auth: challenge answer 87182190ce01474799c86985a03284a1");
  CHECK(auth[5] == "auth: authenticated");
  // §20.4: a failed one-shot, then 83; continuous starts at 71, 72.
  REQUIRE(hr.size() >= 6);
  CHECK(hr[0] == "heart rate: 0 (failed measurement)");
  CHECK(hr[1] == "heart rate 83 bpm");
  CHECK(std::find(hr.begin(), hr.end(), "heart rate 71 bpm") != hr.end());
  // §20.5: the first raw packet, 1.35 s after `02`.
  REQUIRE(first_raw.size() == 1);
  CHECK(first_raw[0] == "accel #0: (83,51,264) (80,55,267) (83,51,267)");
  CHECK(raw == 870);
}

TEST_CASE("session decoder: the opcode sequence agrees with tshark on both captures") {
  if (test::shared_file("captures/miband2-official-app-session.btsnoop").empty() ||
      test::shared_file("captures/miband2-discovery-pairing.btsnoop").empty())
    return;  // skipped (shared_file says why)
  if (run("command -v tshark").empty()) {
    MESSAGE("SKIPPED: tshark is not installed");
    return;
  }
  for (const char* name : {"miband2-official-app-session.btsnoop", "miband2-discovery-pairing.btsnoop"}) {
    CAPTURE(name);
    const std::string file = test::shared_file(std::string("captures/") + name);
    std::istringstream ts(run("tshark -r '" + file + "' -Y btatt -T fields -e btatt.opcode 2>/dev/null"));
    const auto pdus = load(file);
    std::size_t i = 0, agree = 0;
    for (std::string line; std::getline(ts, line); ++i) {
      if (i >= pdus.size()) break;
      agree += std::stoul(line, nullptr, 16) == pdus[i].pdu[0];
    }
    CHECK(i == pdus.size());
    CHECK(agree == pdus.size());
  }
}

TEST_CASE("session decoder: synthetic PDUs, fallback layout and malformed input") {
  miband::session_decoder dec;
  auto d = dec.describe(true, test::hx("12 2c00 150101"));
  CHECK(d.characteristic == "heart_rate_control_point");
  CHECK(d.meaning == "heart rate: start continuous");
  d = dec.describe(false, test::hx("1b 2900 0047"));
  CHECK(d.meaning == "heart rate 71 bpm");
  d = dec.describe(false, test::hx("1b 3800 020cd737b0379e378e37933786376937"));
  CHECK(d.meaning == "ppg #12: 14295 14256 14238 14222 14227 14214 14185");
  d = dec.describe(true, test::hx("12 3900 0100"));
  CHECK(d.meaning == "subscription notifications on for sensor_data");
  d = dec.describe(true, test::hx("0a 2f00"));
  d = dec.describe(false, test::hx("0b e20703140b061b02000008"));
  CHECK(d.meaning == "time 2018-03-20 11:06:27 tz +02:00");
  d = dec.describe(false, test::hx("1b 3800 0301"));
  CHECK(d.meaning == "sensor data: malformed");
  d = dec.describe(false, test::hx("1b03"));
  CHECK(d.malformed);
  d = dec.describe(false, test::hx("01 0a 2f00 05"));
  CHECK(d.meaning == "error 0x05 Insufficient Authentication to Read Request");
  // The bind write seen from the band's side (a capture of both controllers)
  // is masked too.
  d = dec.describe(false, test::hx("52 5400 0100 91c7954727b7ec7fb89c65b311bdd59f"));
  CHECK(d.meaning == "auth: bind new key <masked>");
  CHECK(d.value_hex == "0100" + std::string(32, 'x'));
  miband::session_decoder secrets(true);
  d = secrets.describe(true, test::hx("52 5400 0100 91c7954727b7ec7fb89c65b311bdd59f"));
  CHECK(d.meaning == "auth: bind new key 91c7954727b7ec7fb89c65b311bdd59f");
}
