// The recorder's pure parts and files: config parsing, record lines byte for
// byte, and the rotating writer (rotation, restart recovery of `n` and of a
// torn line, a failed append taken back) on a real temporary directory with
// an injected write failure.
#include "record/rotating_writer.hpp"

#include <doctest/doctest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "record/config.hpp"
#include "record/records.hpp"
#include "tests/record/fault_fs.hpp"

using namespace bandwire;
using namespace bandwire::record;
namespace chr = std::chrono;

namespace {

std::string slurp(const std::string& p) {
  std::ifstream f(p, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

std::vector<std::string> lines_of(const std::string& p) {
  std::vector<std::string> v;
  std::istringstream in(slurp(p));
  for (std::string l; std::getline(in, l);) v.push_back(l);
  return v;
}

chr::minutes plus_two(chr::sys_seconds) { return chr::minutes(120); }

// 2026-01-01T21:00:00Z = 23:00 at +02:00.
constexpr double evening = 1'767'301'200.0;

writer_options hr_files(const std::string& dir, file_format f = file_format::jsonl, std::uint64_t rotate = 1 << 20) {
  writer_options o;
  o.dir = dir;
  o.kind = record_kind::hr;
  o.format = f;
  o.rotate_bytes = rotate;
  o.offset = plus_two;
  return o;
}

live_record hr(double time, int bpm) {
  live_record r;
  r.kind = record_kind::hr;
  r.time = time, r.mono = time - evening, r.bpm = bpm;
  return r;
}

}  // namespace

TEST_CASE("record config: a full example parses; defaults apply") {
  std::string err;
  auto c = parse_config(R"(
output = "/var/lib/bandwire"
format = "csv"
rotate_mb = 8
status_seconds = 30

[[band]]
alias = "left"
device = "FA:8E:E3:12:B4:A9"
key_file = "/home/pi/left.key"
accel = true
ppg = true
history_minutes = 60

[[band]]
alias = "right_2"
device = "unix:/tmp/b.sock"
adapter = "hci1"
steps = false
battery_minutes = 0
)", err);
  REQUIRE_MESSAGE(c, err);
  CHECK(c->output == "/var/lib/bandwire");
  CHECK(c->format == file_format::csv);
  CHECK(c->rotate_bytes == 8u << 20);
  CHECK(c->status_every == chr::seconds(30));
  REQUIRE(c->bands.size() == 2);
  const auto& l = c->bands[0];
  CHECK(l.alias == "left");
  CHECK(l.key_file == "/home/pi/left.key");
  CHECK(l.adapter == "hci0");
  CHECK((l.accel && l.ppg && l.heart_rate && l.steps && l.events));
  CHECK(l.battery_every == chr::minutes(30));
  CHECK(l.history_every == chr::minutes(60));
  const auto& r = c->bands[1];
  CHECK(r.adapter == "hci1");
  CHECK_FALSE(r.steps);
  CHECK_FALSE(r.accel);
  CHECK(r.battery_every == chr::minutes(0));
}

TEST_CASE("record config: a key inline, typos, duplicates and bad values are refused with the line") {
  const std::string head = "output = \"/x\"\n[[band]]\nalias = \"a\"\ndevice = \"sim\"\n";
  struct bad { std::string text, error; };
  for (const auto& b : {
           bad{head + "key = \"0123456789abcdef0123456789abcdef\"\n", "line 5: band 1: a key is never written in the config: give key_file"},
           bad{head + "hear_rate = true\n", "line 5: band 1: unknown entry hear_rate"},
           bad{head + "heart_rate = 1\n", "line 5: band 1: heart_rate must be true or false"},
           bad{head + "rate = 0\n", "line 5: band 1: rate must be in 1..100"},
           bad{head + "[[band]]\nalias = \"a\"\ndevice = \"sim\"\n", "line 5: two bands are called a"},
           bad{"output = \"/x\"\n[[band]]\nalias = \"a b\"\ndevice = \"sim\"\n", "line 3: band 1: alias must be 1..32 of A-Z a-z 0-9 - _"},
           bad{"output = \"/x\"\n[[band]]\nalias = \"a\"\ndevice = \"demo\"\n", "line 4: band 1: device demo is no band"},
           bad{"output = \"/x\"\n", "at least one [[band]] table is required"},
           bad{"format = \"xml\"\noutput = \"/x\"\n", "line 1: format must be jsonl or csv"},
           bad{"output = \"/x\"\nrotate = 3\n[[band]]\nalias = \"a\"\ndevice = \"sim\"\n", "line 2: unknown entry rotate"},
           bad{"output = \n", ""},
           // Two forms that break toml++ 3.3.0's guards (an abort before this check).
           bad{"output = \"/x\"\n[!]\n", "line 2: TOML syntax: a table header must start with a key (a letter, digit, _, - or a quote)"},
           bad{"x = [}\n", "line 1: TOML syntax: expected a value in the array, saw '}'"},
           // A non-ASCII character its generated tables miss (miband/detail/toml.hpp).
           bad{"output = \"/x\" \xCB\xB1\n", "line 1: Error while parsing key-value pair: expected a comment or whitespace, saw '\xCB\xB1'"},
       }) {
    CAPTURE(b.text);
    std::string err;
    CHECK_FALSE(parse_config(b.text, err));
    if (b.error.empty()) CHECK(err.rfind("line 1: ", 0) == 0);  // toml++'s own words after it
    else CHECK(err == b.error);
  }
}

TEST_CASE("record lines: every kind, JSON and CSV, byte for byte; parse_counter reads n back") {
  live_record a;
  a.kind = record_kind::accel;
  a.n = 7, a.time = 1767225600.5, a.mono = 12.25, a.t = 1767225600.42, a.seq = 255, a.i = 2;
  a.x = -12, a.y = 256, a.z = 3, a.gx = -0.046875, a.gy = 1, a.gz = 0.01171875;
  std::string s;
  append_line(s, a, file_format::jsonl);
  CHECK(s == "{\"n\":7,\"kind\":\"accel\",\"time\":1767225600.500000,\"mono\":12.250000,\"t\":1767225600.420000,"
             "\"seq\":255,\"i\":2,\"x\":-12,\"y\":256,\"z\":3,\"gx\":-0.0469,\"gy\":1.0000,\"gz\":0.0117}\n");
  s.clear();
  append_line(s, a, file_format::csv);
  CHECK(s == "7,1767225600.500000,12.250000,1767225600.420000,255,2,-12,256,3,-0.0469,1.0000,0.0117\n");
  CHECK(std::string(csv_header(record_kind::accel)) == "n,time,mono,t,seq,i,x,y,z,gx,gy,gz\n");

  live_record st;
  st.kind = record_kind::steps;
  st.n = 18446744073709551615ull, st.steps = 1234, st.calories = 56;
  s.clear();
  append_line(s, st, file_format::jsonl);
  CHECK(s == "{\"n\":18446744073709551615,\"kind\":\"steps\",\"time\":0.000000,\"mono\":0.000000,\"steps\":1234,"
             "\"calories\":56}\n");
  CHECK(parse_counter(std::string_view(s).substr(0, s.size() - 1), file_format::jsonl) == 18446744073709551615ull);
  s.clear();
  append_line(s, st, file_format::csv);
  CHECK(s == "18446744073709551615,0.000000,0.000000,1234,,56\n");

  live_record g;
  g.kind = record_kind::gaps;
  g.n = 3, g.reason = "write", g.affects = "accel", g.dropped = 17, g.seconds = 5.5;
  s.clear();
  append_line(s, g, file_format::jsonl);
  CHECK(s == "{\"n\":3,\"kind\":\"gap\",\"time\":0.000000,\"mono\":0.000000,\"reason\":\"write\",\"missing\":0,"
             "\"seconds\":5.500,\"affects\":\"accel\",\"dropped\":17}\n");
  live_record h = hr(0, 61);
  h.rr = "0.9800;1.0010";
  s.clear();
  append_line(s, h, file_format::csv);
  CHECK(s == "0,0.000000,-1767301200.000000,61,0.9800;1.0010\n");
  live_record b;
  b.kind = record_kind::battery, b.level = 82;
  s.clear();
  append_line(s, b, file_format::jsonl);
  CHECK(s == "{\"n\":0,\"kind\":\"battery\",\"time\":0.000000,\"mono\":0.000000,\"level\":82}\n");
  live_record e;
  e.kind = record_kind::events, e.event = "button", e.code = 4;
  s.clear();
  append_line(s, e, file_format::csv);
  CHECK(s == "0,0.000000,0.000000,button,4\n");

  CHECK(parse_counter("{\"n\":12,\"kind\":\"hr\"}", file_format::jsonl) == 12u);
  CHECK_FALSE(parse_counter("{\"n\":12,\"kind\":\"h", file_format::jsonl));     // torn
  CHECK_FALSE(parse_counter("{\"n\":18446744073709551616,\"k\":1}", file_format::jsonl));  // 2^64
  CHECK_FALSE(parse_counter("{\"n\":-1,\"k\":1}", file_format::jsonl));
  CHECK_FALSE(parse_counter("n,time,mono,bpm,rr", file_format::csv));
  CHECK(parse_counter("5,1.0,2.0,60,", file_format::csv) == 5u);
  CHECK_FALSE(parse_counter("", file_format::csv));
  CHECK_FALSE(parse_counter("77", file_format::csv));
}

TEST_CASE("record files: names parse back; other names are not ours") {
  const file_name_parts p{20454, 0};  // 2026-01-01
  CHECK(make_file_name(p, record_kind::hr, file_format::jsonl) == "hr-2026-01-01.jsonl");
  CHECK(make_file_name({20454, 3}, record_kind::events, file_format::csv) == "events-2026-01-01.3.csv");
  CHECK(parse_file_name("hr-2026-01-01.jsonl", record_kind::hr, file_format::jsonl) == p);
  CHECK(parse_file_name("events-2026-01-01.3.csv", record_kind::events, file_format::csv) == file_name_parts{20454, 3});
  for (const char* name : {"hr-2026-01-01.csv", "hr-2026-02-30.jsonl", "hr-2026-01-01.0.jsonl", "hr-2026-01-01.x.jsonl",
                           "ppg-2026-01-01.jsonl", "hr-2026-1-01.jsonl", "hr.next", "hr-2026-01-01.jsonl.tmp"})
    CHECK_FALSE(parse_file_name(name, record_kind::hr, file_format::jsonl));
}

TEST_CASE("record files: n counts on across size and day rotation and across restarts; a torn line is cut") {
  test::temp_dir d;
  posix_file_system fs;
  std::string msg;
  {
    rotating_writer w(fs, hr_files(d.path, file_format::jsonl, 200));
    REQUIRE_FALSE(w.open(msg));
    for (int i = 0; i < 5; ++i) {
      auto r = hr(evening + i, 60 + i);
      REQUIRE(w.write(r).written);
      CHECK(r.n == static_cast<std::uint64_t>(i));
    }
    // 23:00 local → past midnight at +02:00: a new day's file.
    auto late = hr(evening + 3700, 70);
    REQUIRE(w.write(late).written);
    CHECK(late.n == 5);
    CHECK(w.rotations() >= 2);
  }
  // Each line is ~62 bytes: two fit under 200 bytes, so 01-01 has 3 files.
  CHECK(lines_of(d.path + "/hr-2026-01-01.jsonl").size() == 2);
  CHECK(lines_of(d.path + "/hr-2026-01-01.1.jsonl").size() == 2);
  CHECK(lines_of(d.path + "/hr-2026-01-01.2.jsonl").size() == 1);
  CHECK(lines_of(d.path + "/hr-2026-01-02.jsonl") ==
        std::vector<std::string>{"{\"n\":5,\"kind\":\"hr\",\"time\":1767304900.000000,\"mono\":3700.000000,\"bpm\":70}"});
  CHECK(slurp(d.path + "/hr.next") == "bandwire-record-counter 1\n6\n");
  // A crash mid-write leaves a torn line: the restart cuts it, continues n.
  { std::ofstream(d.path + "/hr-2026-01-02.jsonl", std::ios::app) << "{\"n\":6,\"kind\":\"hr\",\"ti"; }
  {
    rotating_writer w(fs, hr_files(d.path, file_format::jsonl, 200));
    REQUIRE_FALSE(w.open(msg));
    CHECK(w.cut_bytes() == 22);
    CHECK(w.next_n() == 6);
    auto r = hr(evening + 3800, 71);
    REQUIRE(w.write(r).written);
    CHECK(r.n == 6);
  }
  auto day2 = lines_of(d.path + "/hr-2026-01-02.jsonl");
  REQUIRE(day2.size() == 2);
  CHECK(day2[1] == "{\"n\":6,\"kind\":\"hr\",\"time\":1767305000.000000,\"mono\":3800.000000,\"bpm\":71}");
  // The files archived away: the state file still knows n.
  for (const auto& e : std::filesystem::directory_iterator(d.path))
    if (e.path().extension() == ".jsonl") std::filesystem::remove(e.path());
  {
    rotating_writer w(fs, hr_files(d.path));
    REQUIRE_FALSE(w.open(msg));
    CHECK(w.next_n() == 7);
  }
}

TEST_CASE("record files: CSV has one header per file; a file of someone else's is refused") {
  test::temp_dir d;
  posix_file_system fs;
  std::string msg;
  {
    rotating_writer w(fs, hr_files(d.path, file_format::csv));
    REQUIRE_FALSE(w.open(msg));
    auto r = hr(evening, 60);
    REQUIRE(w.write(r).written);
  }
  {
    rotating_writer w(fs, hr_files(d.path, file_format::csv));
    REQUIRE_FALSE(w.open(msg));
    CHECK(w.next_n() == 1);
    auto r = hr(evening + 1, 61);
    REQUIRE(w.write(r).written);
  }
  CHECK(slurp(d.path + "/hr-2026-01-01.csv") ==
        "n,time,mono,bpm,rr\n0,1767301200.000000,0.000000,60,\n1,1767301201.000000,1.000000,61,\n");
  std::ofstream(d.path + "/hr-2026-01-02.csv") << "time,value\n1,2\n";
  rotating_writer w(fs, hr_files(d.path, file_format::csv));
  CHECK(w.open(msg));
  CHECK(msg == d.path + "/hr-2026-01-02.csv does not hold hr records: its last line is not one of ours");
}

TEST_CASE("record files: a full disk drops records with a clear error, damages nothing, and resumes") {
  test::temp_dir d;
  test::fault_fs fs;
  std::string msg;
  auto o = hr_files(d.path);
  o.retry_seconds = 5;
  rotating_writer w(fs, o);
  REQUIRE_FALSE(w.open(msg));
  for (int i = 0; i < 3; ++i) {
    auto r = hr(evening + i, 60);
    REQUIRE(w.write(r).written);
  }
  const std::string before = slurp(d.path + "/hr-2026-01-01.jsonl");
  // The disk fills: the next append writes 10 bytes, then fails.
  fs.partial_then_fail = 10;
  auto r = hr(evening + 3, 61);
  auto res = w.write(r);
  CHECK_FALSE(res.written);
  CHECK(res.ec == boost::system::errc::no_space_on_device);
  CHECK(w.failing());
  CHECK(slurp(d.path + "/hr-2026-01-01.jsonl") == before);  // the partial line was taken back
  // Within the retry period records are dropped without touching the disk.
  const auto appends = fs.appends;
  for (int i = 4; i < 8; ++i) {
    auto x = hr(evening + i, 62);
    CHECK_FALSE(w.write(x).written);
  }
  CHECK(fs.appends == appends);
  // After it, still full: one try, dropped.
  auto x = hr(evening + 8.5, 63);
  CHECK_FALSE(w.write(x).written);
  CHECK(fs.appends == appends + 1);
  // Space returns: the next try after the period writes, reports the drops.
  fs.partial_then_fail.reset();
  fs.fail_all = false;
  auto y = hr(evening + 14, 64);
  res = w.write(y);
  CHECK(res.written);
  CHECK(res.resumed_after == 6);
  CHECK(y.n == 3);  // n only counts what was written
  CHECK(w.dropped() == 6);
  const auto all = lines_of(d.path + "/hr-2026-01-01.jsonl");
  REQUIRE(all.size() == 4);
  for (std::size_t i = 0; i < all.size(); ++i) CHECK(parse_counter(all[i], file_format::jsonl) == i);
}
