// load_replay: the raw sensor and heart-rate notifications of a btsnoop
// capture (CAP-A and synthetic captures), and the virtual band streaming them
// back after `02`, driven by a raw scripted peer over a socketpair.
#include "miband/replay.hpp"

#include <doctest/doctest.h>

#include <fstream>
#include <iterator>
#include <random>

#include "att/pdu.hpp"
#include "hci/btsnoop.hpp"
#include "hci/error.hpp"
#include "miband/virtual_band.hpp"
#include "tests/support/shared_dir.hpp"
#include "tests/support/script_peer.hpp"

using namespace bandwire;
using namespace bandwire::miband;
using namespace std::chrono_literals;

namespace {

std::optional<std::vector<std::uint8_t>> read_capture_a(test::without what = test::without::skip_case) {
  const std::string path = test::shared_file("captures/miband2-official-app-session.btsnoop", what);
  if (path.empty()) return std::nullopt;  // skipped (shared_file says why)
  std::ifstream f(path, std::ios::binary);
  REQUIRE_MESSAGE(f, "cannot read " << path);
  return std::vector<std::uint8_t>(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
}

// A synthetic capture: PDUs framed as H4 ACL records on one link.
struct capture_builder {
  std::vector<std::uint8_t> file;
  std::int64_t us = 1'521'540'000'000'000;  // 2018-03-20, as CAP-A
  capture_builder() { hci::write_btsnoop_header(file); }
  capture_builder& add(hci::direction d, std::string_view hex, std::int64_t advance_us = 10'000) {
    us += advance_us;
    REQUIRE_FALSE(hci::write_att_pdu(file, d, us, test::hx(hex)));
    return *this;
  }
  capture_builder& phone(std::string_view hex, std::int64_t adv = 10'000) {
    return add(hci::direction::host_to_controller, hex, adv);
  }
  capture_builder& band(std::string_view hex, std::int64_t adv = 10'000) {
    return add(hci::direction::controller_to_host, hex, adv);
  }
};

}  // namespace

TEST_CASE("replay: CAP-A gives every raw sensor and heart-rate notification, handles from its own discovery") {
  const auto file = read_capture_a();
  if (!file) return;  // skipped
  std::vector<recorded_notification> rec;
  replay_info info;
  REQUIRE_FALSE(load_replay(*file, rec, &info));
  // Cross-checked with tshark 4.0 on the same file:
  //   tshark -r CAP-A -Y 'btatt.opcode==0x1b && btatt.handle==0x0038' | wc -l  -> 870
  //   tshark -r CAP-A -Y 'btatt.opcode==0x1b && btatt.handle==0x0029' | wc -l  -> 39
  //   tshark -r CAP-A -Y btatt | wc -l                                         -> 1349
  CHECK(info.att_pdus == 1349);
  CHECK(info.sensor == 870);
  CHECK(info.heart_rate == 39);
  REQUIRE(rec.size() == 909);
  CHECK(info.sensor_data_handle == 0x0038);
  CHECK(info.heart_rate_handle == 0x0029);
  CHECK(info.sensor_from_discovery);  // 09 15 37 00 10 38 00 <00000002-...>
  CHECK(info.heart_rate_from_discovery);  // 09 07 28 00 10 29 00 37 2a ...

  // The first notification taken is the failed one-shot HR `00 00` (§5.1,
  // t = 35.85 s in Appendix A), so it is t = 0.
  CHECK(rec[0].t == 0);
  CHECK(rec[0].heart_rate);
  CHECK(to_hex(rec[0].value) == "0000");
  for (std::size_t i = 1; i < rec.size(); ++i) REQUIRE(rec[i].t >= rec[i - 1].t);

  // The first raw packet is §20.5's, 1.35 s after `02` at 81.40 s.
  const auto first_raw = std::find_if(rec.begin(), rec.end(), [](const auto& n) { return !n.heart_rate; });
  REQUIRE(first_raw != rec.end());
  CHECK(to_hex(first_raw->value) == "0100530033000801500037000b01530033000b01");
  CHECK(first_raw->t == doctest::Approx(82.750 - 35.851).epsilon(0.001));
  CHECK(std::distance(rec.begin(), first_raw) == 4);  // after the four one-shot results

  // Heart rate values in order: 4 one-shots, then §20.4's continuous run.
  std::string hr;
  for (const auto& n : rec)
    if (n.heart_rate) hr += to_hex(n.value) + " ";
  CHECK(hr.rfind("0000 0053 0052 0052 0047 0048 0041 0042 0043 0044 004b 004c 004d 0054 004e ", 0) == 0);
  // Every value is a well-formed §5.1 / §6.3 packet.
  std::size_t accel = 0, ppg = 0;
  for (const auto& n : rec) {
    if (n.heart_rate) {
      CHECK(n.value.size() == 2);
      continue;
    }
    REQUIRE(n.value.size() >= 2);
    if (n.value[0] == 0x01) {
      ++accel;
      CHECK((n.value.size() - 2) % 6 == 0);
    } else {
      CHECK(n.value[0] == 0x02);
      ++ppg;
      CHECK(n.value.size() % 2 == 0);
    }
  }
  CHECK(accel == 653);  // §6.3: 572 x 20 + 23 x 14 + 58 x 8
  CHECK(ppg == 217);    // §6.3: 108 + 4 + 69 + 35 + 1
}

TEST_CASE("replay: a capture without discovery falls back to 0x0038 and 0x0029") {
  capture_builder c;
  c.band("1b380001000100020003000400050006000700080009")  // raw, 3 samples
      .band("1b29000047", 250'000)                            // HR
      .band("1b500004")                                       // device event: not taken
      .phone("1b38000200")                                    // host to controller: not the band's
      .band("1d38000200")                                     // an indication: not taken
      .band("1b3800020105000600", 1'000'000);                 // PPG, 2 samples
  std::vector<recorded_notification> rec;
  replay_info info;
  REQUIRE_FALSE(load_replay(c.file, rec, &info));
  REQUIRE(rec.size() == 3);
  CHECK_FALSE(info.sensor_from_discovery);
  CHECK_FALSE(info.heart_rate_from_discovery);
  CHECK(info.sensor_data_handle == 0x0038);
  CHECK_FALSE(rec[0].heart_rate);
  CHECK(rec[0].t == 0);
  CHECK(rec[1].heart_rate);
  CHECK(to_hex(rec[1].value) == "0047");
  CHECK(rec[1].t == doctest::Approx(0.25));
  CHECK(to_hex(rec[2].value) == "020105000600");
  CHECK(rec[2].t == doctest::Approx(1.28));
}

TEST_CASE("replay: handles come from the capture's Read By Type 0x2803 answers (another firmware's layout)") {
  // A layout shifted by 4 handles (fact sheet §3.3), discovered by the host.
  capture_builder c;
  c.phone("0801000b000328")                       // Read By Type 0x2803 (0x0001-0x000b)
      .band("09072400102500372a")                 // decl 0x0024 -> 0x0025 2A37, notify
      .phone("0826005100" "0328")                 // Read By Type 0x2803 (0x0026-0x0051)
      .band("09153300103400" "0007" "10af0900" "1821" "1235" "0000" "0200" "0000")  // 0x0034: 00000002
      .phone("0801000b00002a")                    // Read By Type 2A00: its answer is not a declaration
      .band("09072800103800372a")                 //   (would claim 0x0038 is 2A37 if parsed)
      .band("1b380001000100020003000400050006000700080009")  // old handle: not the sensor here
      .band("1b340001000100020003000400050006000700080009")
      .band("1b25000048")
      .band("1b29000049");                        // not HR on this layout
  std::vector<recorded_notification> rec;
  replay_info info;
  REQUIRE_FALSE(load_replay(c.file, rec, &info));
  CHECK(info.sensor_from_discovery);
  CHECK(info.heart_rate_from_discovery);
  CHECK(info.sensor_data_handle == 0x0034);
  CHECK(info.heart_rate_handle == 0x0025);
  REQUIRE(rec.size() == 2);
  CHECK_FALSE(rec[0].heart_rate);
  CHECK(rec[1].heart_rate);
  CHECK(to_hex(rec[1].value) == "0048");
}

TEST_CASE("replay: timestamps that go back are held; a capture with none of these notifications is empty") {
  capture_builder c;
  c.band("1b29000050").band("1b29000051", -500'000).band("1b29000052", 2'000'000);
  std::vector<recorded_notification> rec;
  REQUIRE_FALSE(load_replay(c.file, rec));
  REQUIRE(rec.size() == 3);
  CHECK(rec[1].t == 0);
  CHECK(rec[2].t == doctest::Approx(1.5));

  capture_builder empty;
  empty.phone("0a0300").band("0b4d492042616e642032");
  std::vector<recorded_notification> none;
  CHECK_FALSE(load_replay(empty.file, none));
  CHECK(none.empty());
  std::vector<std::uint8_t> header_only;
  hci::write_btsnoop_header(header_only);
  CHECK_FALSE(load_replay(header_only, none));
  CHECK(none.empty());
}

TEST_CASE("replay: malformed files give an error and leave the output alone") {
  std::vector<recorded_notification> rec(1);
  auto err = [&](const std::vector<std::uint8_t>& f) {
    const error_code ec = load_replay(f, rec);
    CHECK(rec.size() == 1);
    return ec;
  };
  CHECK(err({}) == hci::errc::truncated_header);
  CHECK(err(test::hx("00112233445566778899aabbccddeeff")) == hci::errc::not_btsnoop);
  std::vector<std::uint8_t> h;
  hci::write_btsnoop_header(h, hci::datalink::h4);
  h[15] = 0x01;  // datalink 0x0301 (769): unsupported
  CHECK(err(h) == hci::errc::unsupported_datalink);
  capture_builder c;
  c.band("1b29000050").band("1b29000051");
  auto cut = c.file;
  cut.resize(cut.size() - 3);  // inside the last record
  CHECK(err(cut) == hci::errc::truncated_record);
  auto bad_len = c.file;
  bad_len[16 + 3] = 0x01;  // original length 1 < included length
  CHECK(err(bad_len) == hci::errc::invalid_record_length);

  if (const auto file = read_capture_a(test::without::skip_part)) {
    // CAP-A cut anywhere inside a record fails the same way.
    for (std::size_t n : {std::size_t{17}, std::size_t{40}, file->size() / 2 + 5, file->size() - 1}) {
      std::vector<std::uint8_t> part(file->begin(), file->begin() + static_cast<std::ptrdiff_t>(n));
      CHECK(err(part) == hci::errc::truncated_record);
    }
    // Random corruption never crashes (ASan/UBSan builds check the bounds).
    std::mt19937 gen(20180320);
    std::size_t failed = 0;
    for (int i = 0; i < 300; ++i) {
      auto m = *file;
      for (int k = 0; k < 8; ++k) m[gen() % m.size()] = static_cast<std::uint8_t>(gen());
      std::vector<recorded_notification> out;
      if (load_replay(m, out)) ++failed;
      else CHECK(out.size() <= 1349 + 8);  // never more than the PDUs present
    }
    MESSAGE("300 corrupted CAP-A copies: " << failed << " rejected, the others decoded");
  }
}

TEST_CASE("replay: a virtual band configured with CAP-A's notifications streams exactly those bytes after 02") {
  const auto file = read_capture_a();
  if (!file) return;  // skipped
  auto rec = std::make_shared<std::vector<recorded_notification>>();
  REQUIRE_FALSE(load_replay(*file, *rec));
  REQUIRE(rec->size() == 909);

  // CAP-A's key and challenge (fact sheet §20.1, A1), so the answer is Mi Fit's own.
  asio::io_context io;
  scaled_clock clock(200);
  sim_options o;
  o.key = *auth_key::from_bytes(test::hx("91c7954727b7ec7fb89c65b311bdd59f"));
  const auto r = test::hx("0da69623f798f0c5416aaa47eb1cc4a9");
  o.random = [r](bytes_span out) { std::copy_n(r.begin(), std::min(out.size(), r.size()), out.begin()); };
  o.replay = rec;
  virtual_band vb(io.get_executor(), clock, o);
  auto sp = test::make_socket_pair(io);
  REQUIRE(vb.serve(std::move(sp.local)));
  test::peer p(io, sp.peer_fd);

  p.send("12550001 00");
  p.expect("13");
  p.send("52540002 00");
  p.expect("1b5400 100201 0da69623f798f0c5416aaa47eb1cc4a9");
  p.send("52540003 00 87182190ce01474799c86985a03284a1");
  p.expect("1b5400 100301");
  p.send("12390001 00");  // 0002 CCCD
  p.expect("13");
  p.send("122a0001 00");  // 2A37 CCCD
  p.expect("13");
  p.send("523500 010319");
  REQUIRE(p.silent());  // 0001's CCCD is off: no `10 01 01` (as in CAP-A's `02`)
  const double t_start = clock.seconds();
  p.send("523500 02");

  // The band replays the recording in order, looping at its end. It may
  // begin at the recording's start or at its first raw packet (skipping the
  // one-shot heart-rate values recorded before the streaming run): either
  // way, 909 notifications in a row are the recording, rotated.
  auto as_pdu = [](const recorded_notification& n) {
    std::vector<std::uint8_t> v{0x1b, static_cast<std::uint8_t>(n.heart_rate ? 0x29 : 0x38), 0x00};
    v.insert(v.end(), n.value.begin(), n.value.end());
    return v;
  };
  const std::size_t first_raw = static_cast<std::size_t>(
      std::find_if(rec->begin(), rec->end(), [](const auto& n) { return !n.heart_rate; }) - rec->begin());
  std::optional<std::size_t> start;
  std::optional<double> first_at;
  std::size_t i = 0, differing = 0;
  while (i < rec->size()) {
    auto got = p.recv(2000ms);
    REQUIRE_MESSAGE(got.has_value(), "replay stopped after " << i << " of " << rec->size());
    if (!start) {
      first_at = clock.seconds() - t_start;
      start = *got == as_pdu((*rec)[0]) ? 0 : first_raw;
      REQUIRE_MESSAGE(*got == as_pdu((*rec)[*start]), "first replayed notification " << to_hex(*got));
    }
    const auto want = as_pdu((*rec)[(*start + i) % rec->size()]);
    if (*got != want && ++differing <= 5)
      FAIL_CHECK("notification " << i << ": got " << to_hex(*got) << ", recorded " << to_hex(want));
    ++i;
  }
  CHECK(differing == 0);
  CHECK(i == 909);
  MESSAGE("replay began at recorded notification " << *start << " (first raw packet: " << first_raw << ")");
  REQUIRE(first_at.has_value());
  CHECK(*first_at >= 1.3);  // the first one 1.35 s after `02` (§19.3)
  CHECK(vb.stats().sensor_packets >= 870);  // >=: the replay loops
  CHECK(vb.stats().hr_values >= 39);
  p.send("523500 03");
}
