// The activity record formats, the file sink (torn last line, format check,
// non-regular files), the resume point's text form and --since parsing.
#include "miband/history_sink.hpp"

#include <doctest/doctest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

using namespace bandwire;
using namespace bandwire::miband;
namespace chr = std::chrono;
using namespace std::chrono_literals;

namespace {

chr::sys_seconds utc(int y, unsigned mo, unsigned d, int h, int mi) {
  return chr::sys_days{chr::year{y} / mo / d} + chr::hours{h} + chr::minutes{mi};
}

// 2018-03-20T10:08Z: kind 0x79 (light sleep), intensity 20, 0 steps, 58 bpm.
minute_record sample(bool hr = true) {
  return make_minute_record(utc(2018, 3, 20, 10, 8), 4,
                            history_sample{0x79, 20, 0, static_cast<std::uint8_t>(hr ? 58 : 0xff)});
}

struct temp_dir {
  std::string path;
  temp_dir() {
    char t[] = "/tmp/bandwire-sink-XXXXXX";
    REQUIRE(::mkdtemp(t) != nullptr);
    path = t;
  }
  ~temp_dir() { std::filesystem::remove_all(path); }
};

std::string slurp(const std::string& p) {
  std::ifstream f(p, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

chr::minutes plus_one(chr::sys_seconds) { return 60min; }

}  // namespace

TEST_CASE("history lines: CSV and JSONL, the zone's offset, hr empty/null when not measured") {
  CHECK(std::string(history_csv_header()) == "time,unix,kind,category,intensity,steps,hr\n");
  CHECK(format_minute(sample(), history_format::csv, 60min) ==
        "2018-03-20T11:08:00+01:00,1521540480,121,light_sleep,20,0,58\n");
  CHECK(format_minute(sample(false), history_format::csv, -210min) ==
        "2018-03-20T06:38:00-03:30,1521540480,121,light_sleep,20,0,\n");
  CHECK(format_minute(sample(false), history_format::jsonl, 0min) ==
        "{\"time\":\"2018-03-20T10:08:00+00:00\",\"unix\":1521540480,\"kind\":121,\"category\":\"light_sleep\","
        "\"intensity\":20,\"steps\":0,\"hr\":null}\n");
  // An unknown category is kept with its raw kind.
  auto r = make_minute_record(utc(2018, 3, 20, 10, 8), 0, history_sample{0x55, 255, 255, 254});
  CHECK(format_minute(r, history_format::csv, 0min) == "2018-03-20T10:08:00+00:00,1521540480,85,unknown,255,255,254\n");
  // The parser reads back what the formatter wrote, in both formats.
  for (auto f : {history_format::csv, history_format::jsonl}) {
    auto line = format_minute(sample(), f, 60min);
    line.pop_back();
    CHECK(parse_minute_line(line) == utc(2018, 3, 20, 10, 8));
  }
  CHECK_FALSE(parse_minute_line("time,unix,kind,category,intensity,steps,hr"));
  CHECK(is_history_csv_header("time,unix,kind,category,intensity,steps,hr"));
  CHECK_FALSE(parse_minute_line(""));
  CHECK_FALSE(parse_minute_line("2018-03-20T11:08:00+01:00,1521540480,121,light_sleep,20,0"));       // 6 fields
  CHECK_FALSE(parse_minute_line("2018-03-20T11:08:00+01:00,15215x0480,121,light_sleep,20,0,58"));    // not a number
  CHECK_FALSE(parse_minute_line("2018-03-20T11:08:00+01:00,-5,121,light_sleep,20,0,58"));            // before 1970
  CHECK_FALSE(parse_minute_line("2018-03-20T11:08:00+01:00,1,2,3,4,5,6,7"));                         // 8 fields
  CHECK_FALSE(parse_minute_line("{\"unix\":1521540480}"));                                           // no comma after
  CHECK_FALSE(parse_minute_line("{\"time\":\"x\",\"unix\":1521540480,\"kind\":1"));                  // torn JSON
}

TEST_CASE("resume point: text form with a version line") {
  CHECK(format_resume_point(utc(2018, 3, 20, 10, 9)) == "bandwire-history-resume 1\n1521540540\n");
  CHECK(parse_resume_point("bandwire-history-resume 1\n1521540540\n") == utc(2018, 3, 20, 10, 9));
  CHECK_FALSE(parse_resume_point("bandwire-history-resume 2\n1521540540\n"));
  CHECK_FALSE(parse_resume_point("bandwire-history-resume 1\n1521540540"));  // torn
  CHECK_FALSE(parse_resume_point("bandwire-history-resume 1\n\n"));
  CHECK_FALSE(parse_resume_point("bandwire-history-resume 1\n99999999999999999999999\n"));
  CHECK_FALSE(parse_resume_point(""));
}

TEST_CASE("--since: ISO 8601 with or without a zone, relative -Nd/-Nh/-Nm") {
  const auto now = utc(2018, 3, 26, 12, 0) + 17s;
  CHECK(parse_since("-2d", now) == now - 48h);
  CHECK(parse_since("-3h", now) == now - 3h);
  CHECK(parse_since("-90m", now) == now - 90min);
  CHECK(parse_since("2018-03-20T10:08Z", now) == utc(2018, 3, 20, 10, 8));
  CHECK(parse_since("2018-03-20T10:08:30Z", now) == utc(2018, 3, 20, 10, 8) + 30s);
  CHECK(parse_since("2018-03-20T11:08+01:00", now) == utc(2018, 3, 20, 10, 8));
  CHECK(parse_since("2018-03-20T06:38-03:30", now) == utc(2018, 3, 20, 10, 8));
  CHECK(parse_since("2018-03-20", now, plus_one) == utc(2018, 3, 19, 23, 0));
  CHECK(parse_since("2018-03-20T11:08", now, plus_one) == utc(2018, 3, 20, 10, 8));
  // Across a DST change the offset of the instant itself applies.
  auto berlin = [](chr::sys_seconds t) { return t >= utc(2018, 3, 25, 1, 0) ? 120min : 60min; };
  CHECK(parse_since("2018-03-25T01:30", now, berlin) == utc(2018, 3, 25, 0, 30));
  CHECK(parse_since("2018-03-25T04:00", now, berlin) == utc(2018, 3, 25, 2, 0));
  for (const char* bad : {"", "-", "-d", "-5", "-5y", "--5d", "-1000000d", "yesterday", "2018-3-20", "2018-02-30",
                          "2018-03-20T25:00", "2018-03-20T10:61", "2018-03-20T10", "2018-03-20T10:08+1",
                          "2018-03-20T10:08+01:00x", "2018-03-20T10:08:61Z", "1969-12-31", "2018-03-20x"}) {
    CAPTURE(bad);
    CHECK_FALSE(parse_since(bad, now));
  }
}

TEST_CASE("file sink: header once, append, fsync; a torn last line is cut; another format is refused") {
  temp_dir d;
  const std::string p = d.path + "/a.csv";
  const auto r1 = sample(), r2 = make_minute_record(r1.time + 1min, 4, history_sample{0x01, 90, 60, 0xff});
  {
    history_file_sink s(history_format::csv, plus_one);
    std::string msg;
    REQUIRE_FALSE(s.open(p, msg));
    CHECK_FALSE(s.last_minute());
    const minute_record rs[] = {r1, r2};
    REQUIRE_FALSE(s.write(rs));
    REQUIRE_FALSE(s.durable());
    CHECK(s.last_minute() == r2.time);
    CHECK(s.persistent());
  }
  const std::string full = "time,unix,kind,category,intensity,steps,hr\n"
                           "2018-03-20T11:08:00+01:00,1521540480,121,light_sleep,20,0,58\n"
                           "2018-03-20T11:09:00+01:00,1521540540,1,activity,90,60,\n";
  CHECK(slurp(p) == full);
  {
    // Reopened: no second header; the last minute is read from the file.
    history_file_sink s(history_format::csv, plus_one);
    std::string msg;
    REQUIRE_FALSE(s.open(p, msg));
    CHECK(s.last_minute() == r2.time);
    CHECK(s.cut_bytes() == 0);
  }
  CHECK(slurp(p) == full);
  // A torn line after the last complete one is cut (and only it).
  std::ofstream(p, std::ios::app) << "2018-03-20T11:10:00+01:00,15215";
  {
    history_file_sink s(history_format::csv, plus_one);
    std::string msg;
    REQUIRE_FALSE(s.open(p, msg));
    CHECK(s.cut_bytes() == 31);
    CHECK(s.last_minute() == r2.time);
  }
  CHECK(slurp(p) == full);
  // JSONL onto a CSV file: refused, nothing changed.
  {
    history_file_sink s(history_format::jsonl, plus_one);
    std::string msg;
    CHECK(s.open(p, msg));
    CHECK(msg.find("does not end with bandwire activity JSONL") != std::string::npos);
  }
  CHECK(slurp(p) == full);
  // A file of something else.
  std::ofstream(d.path + "/other.csv") << "a,b,c\n1,2,3\n";
  {
    history_file_sink s(history_format::csv);
    std::string msg;
    CHECK(s.open(d.path + "/other.csv", msg));
  }
  // A file that is only a torn first line is emptied and gets its header.
  std::ofstream(d.path + "/torn.csv") << "time,unix,ki";
  {
    history_file_sink s(history_format::csv);
    std::string msg;
    REQUIRE_FALSE(s.open(d.path + "/torn.csv", msg));
    CHECK(s.cut_bytes() == 12);
  }
  CHECK(slurp(d.path + "/torn.csv") == "time,unix,kind,category,intensity,steps,hr\n");
  // Not a regular file: cannot be fsync'ed, so the file sink refuses it.
  REQUIRE(::mkfifo((d.path + "/fifo").c_str(), 0600) == 0);
  {
    history_file_sink s(history_format::csv);
    std::string msg;
    // O_RDWR on a FIFO does not block on Linux.
    CHECK(s.open(d.path + "/fifo", msg));
    CHECK(msg.find("not a regular file") != std::string::npos);
  }
}

TEST_CASE("stream sink: header, a line per record, never persistent") {
  temp_dir d;
  const std::string p = d.path + "/out";
  std::FILE* f = std::fopen(p.c_str(), "w");
  REQUIRE(f);
  {
    history_stream_sink s(f, history_format::csv, plus_one);
    CHECK_FALSE(s.persistent());
    const minute_record rs[] = {sample()};
    REQUIRE_FALSE(s.write(rs));
    REQUIRE_FALSE(s.write(rs));
    REQUIRE_FALSE(s.durable());
  }
  std::fclose(f);
  CHECK(slurp(p) == "time,unix,kind,category,intensity,steps,hr\n"
                    "2018-03-20T11:08:00+01:00,1521540480,121,light_sleep,20,0,58\n"
                    "2018-03-20T11:08:00+01:00,1521540480,121,light_sleep,20,0,58\n");
}
