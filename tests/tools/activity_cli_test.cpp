// `bandwire activity` end to end: the real executable against the in-process
// virtual band (`--device sim`) with its history pinned (--sim-history-end),
// in a fixed zone with DST (TZ=Europe/Berlin), so every line is known.
#include <doctest/doctest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "miband/history_model.hpp"
#include "miband/history_sink.hpp"
#include "tests/support/json.hpp"

namespace chr = std::chrono;
using namespace std::chrono_literals;

#include "tests/support/cli_process.hpp"

namespace {

using result = bandwire::test::cli_result;
std::string exe() { return bandwire::test::bandwire_exe(); }
std::string temp_dir() { return bandwire::test::make_temp_dir("bandwire-activity"); }

std::string slurp(const std::string& p) {
  std::ifstream f(p, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

std::vector<std::string> lines(const std::string& s) {
  std::vector<std::string> v;
  std::istringstream in(s);
  for (std::string l; std::getline(in, l);) v.push_back(l);
  return v;
}

// The pinned band: 2018-03-25 (Berlin's DST change at 01:00Z) is inside
// its 2 days of history, which end at 2018-03-26T12:00Z; rounds of 1000.
const std::string sim_band = " --device sim --sim-history-end 2018-03-26T12:00Z --sim-history-minutes 2880"
                             " --sim-round-limit 1000";
const chr::sys_seconds band_end = chr::sys_days{chr::year{2018} / 3 / 26} + 12h;

result run(const std::string& args, const std::string& dir) {
  const std::string cmd = "TZ=Europe/Berlin timeout 60 " + exe() + " activity" + args + " >" + dir + "/stdout 2>" + dir + "/stderr";
  result r;
  const int st = std::system(cmd.c_str());
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  r.out = slurp(dir + "/stdout");
  r.err = slurp(dir + "/stderr");
  return r;
}

// Berlin: +01:00, +02:00 from 2018-03-25T01:00Z.
std::string berlin(chr::sys_seconds t) {
  const auto off = t >= chr::sys_days{chr::year{2018} / 3 / 25} + 1h ? 120min : 60min;
  bandwire::miband::minute_record r;
  r.time = t;
  const auto s = bandwire::miband::format_minute(r, bandwire::miband::history_format::csv, off);
  return s.substr(0, s.find(','));
}

// The pinned band's 2880 rows after the header, built from the history
// model field by field.
std::vector<std::string> expected_rows() {
  std::vector<std::string> rows{"time,unix,kind,category,intensity,steps,hr"};
  bandwire::miband::history_model model(1, 120min);  // sim seed 1; the band's zone: the host's at its end (+02:00)
  const auto first = band_end - chr::minutes{2880};
  for (std::size_t i = 0; i < 2880; ++i) {
    const auto t = first + chr::minutes{i};
    const auto s = model.at(t);
    const auto rec = bandwire::miband::make_minute_record(t, 0, s);
    rows.push_back(berlin(t) + "," + std::to_string(t.time_since_epoch().count()) + "," + std::to_string(s.kind) + "," +
                   bandwire::miband::to_string(rec.category) + "," + std::to_string(s.intensity) + "," +
                   std::to_string(s.steps) + "," + (s.heart_rate == 0xff ? "" : std::to_string(s.heart_rate)));
  }
  return rows;
}

}  // namespace

TEST_CASE("cli: activity --device sim writes 2 days as CSV, then a run with nothing new adds no row") {
  const std::string d = temp_dir();
  const std::string args = sim_band + " --state-dir " + d + "/state --output " + d + "/a.csv";
  // A first run asks from now − 100 days (GB's default, §14.1); the pinned
  // band's data is older, so this one asks from before it: the band answers
  // with its oldest minute. The second run starts at the resume point.
  auto r = run(args + " --since 2018-01-01", d);
  CAPTURE(r.err);
  REQUIRE(r.status == 0);
  CHECK(r.out.empty());
  // Not a terminal: one plain log line per round, then the summary.
  CHECK(r.err.find("round 3 written: 2880 minutes so far") != std::string::npos);
  CHECK(r.err.find("2880 minutes in 3 rounds") != std::string::npos);
  CHECK(r.err.find("acknowledged") != std::string::npos);
  const auto text = slurp(d + "/a.csv");
  const auto l = lines(text);
  REQUIRE(l.size() == 2881);
  CHECK(l[0] == "time,unix,kind,category,intensity,steps,hr");
  const auto want = expected_rows();
  int hr_empty = 0, dst_rows = 0;
  for (std::size_t i = 0; i < 2880; ++i) {
    REQUIRE(l[i + 1] == want[i + 1]);
    hr_empty += want[i + 1].back() == ',';
    dst_rows += want[i + 1].find("+02:00,") != std::string::npos;
  }
  CHECK(hr_empty > 0);  // "not measured" minutes are empty cells, not 255
  CHECK(text.find(",255\n") == std::string::npos);
  CHECK(dst_rows > 0);
  CHECK(dst_rows < 2880);
  CHECK(slurp(d + "/state/history/sim.resume") ==
        "bandwire-history-resume 1\n" + std::to_string(band_end.time_since_epoch().count()) + "\n");

  auto again = run(args, d);
  CAPTURE(again.err);
  REQUIRE(again.status == 0);
  CHECK(again.err.find("nothing new since") != std::string::npos);
  CHECK(slurp(d + "/a.csv") == text);

  // The same 2 days as JSON lines (another device state): field for field the CSV rows.
  auto j = run(sim_band + " --since 2018-01-01 --format jsonl --state-dir " + d + "/state2 --output " + d + "/a.jsonl", d);
  CAPTURE(j.err);
  REQUIRE(j.status == 0);
  const auto jl = lines(slurp(d + "/a.jsonl"));
  REQUIRE(jl.size() == 2880);
  for (std::size_t i = 0; i < jl.size(); ++i) {
    const auto o = nlohmann::json::parse(jl[i]);
    std::string hr = o["hr"].is_null() ? "" : std::to_string(o["hr"].get<int>());
    const std::string row = o["time"].get<std::string>() + "," + std::to_string(o["unix"].get<long long>()) + "," +
                            std::to_string(o["kind"].get<int>()) + "," + o["category"].get<std::string>() + "," +
                            std::to_string(o["intensity"].get<int>()) + "," + std::to_string(o["steps"].get<int>()) +
                            "," + hr;
    REQUIRE(row == l[i + 1]);
  }
  std::system(("rm -rf " + d).c_str());
}

TEST_CASE("cli: activity --format jsonl, --since relative to the band's data, a torn last line cut") {
  const std::string d = temp_dir();
  // The last 90 minutes (--since is relative to now, so give it as a time).
  const std::string since = " --since 2018-03-26T12:30+02:00";
  auto r = run(sim_band + since + " --format jsonl --state-dir " + d + "/s --output " + d + "/a.jsonl", d);
  CAPTURE(r.err);
  REQUIRE(r.status == 0);
  auto l = lines(slurp(d + "/a.jsonl"));
  REQUIRE(l.size() == 90);
  for (std::size_t i = 0; i < l.size(); ++i) {
    auto j = nlohmann::json::parse(l[i]);
    const auto t = band_end - 90min + chr::minutes{i};
    CHECK(j["unix"] == t.time_since_epoch().count());
    CHECK(j["time"] == berlin(t));
    CHECK(j["kind"].is_number_integer());
    CHECK(j["category"].is_string());
    CHECK((j["hr"].is_null() || (j["hr"].is_number_integer() && j["hr"] != 255)));
  }
  // A run killed mid-write left half a line (and did not update the resume
  // point past it): the next run cuts it and writes the minute again.
  {
    const auto text = slurp(d + "/a.jsonl");
    const auto cut = text.rfind('\n', text.size() - 2) + 1;
    std::ofstream(d + "/a.jsonl", std::ios::trunc) << text.substr(0, cut) << text.substr(cut, 20);
    std::ofstream(d + "/s/history/sim.resume", std::ios::trunc)
        << "bandwire-history-resume 1\n" << (band_end - 1min).time_since_epoch().count() << "\n";
  }
  auto again = run(sim_band + " --format jsonl --state-dir " + d + "/s --output " + d + "/a.jsonl", d);
  CAPTURE(again.err);
  REQUIRE(again.status == 0);
  CHECK(again.err.find("cut a torn last line (20 bytes)") != std::string::npos);
  CHECK(lines(slurp(d + "/a.jsonl")) == l);
  // Appending CSV to a JSONL file is refused, the file untouched.
  auto wrong = run(sim_band + " --format csv --state-dir " + d + "/s --output " + d + "/a.jsonl", d);
  CHECK(wrong.status == 2);
  CHECK(wrong.err.find("does not end with bandwire activity CSV") != std::string::npos);
  CHECK(lines(slurp(d + "/a.jsonl")) == l);
  std::system(("rm -rf " + d).c_str());
}

TEST_CASE("cli: activity over a band that drops every link after 100 PDUs: reconnects, goes on, each minute once") {
  const std::string d = temp_dir();
  const std::string dropping = sim_band + " --since 2018-01-01 --sim-round-limit 20 --sim-drop-after-pdus 100 --speed 50";
  auto r = run(dropping + " --state-dir " + d + "/s --output " + d + "/a.csv", d);
  CAPTURE(r.err);
  REQUIRE(r.status == 0);
  CHECK(r.err.find("link lost (ATT bearer closed) after ") != std::string::npos);
  CHECK(r.err.find("2880 minutes in 144 rounds") != std::string::npos);
  CHECK(lines(slurp(d + "/a.csv")) == expected_rows());
  // --no-reconnect: the run ends with the link (exit 1) after what it wrote;
  // runs again go on from there until the band has nothing more.
  const std::string args = dropping + " --no-reconnect --state-dir " + d + "/s2 --output " + d + "/b.csv";
  auto first = run(args, d);
  CHECK(first.status == 1);
  CHECK(first.err.find("fetching the activity history failed: ATT bearer closed") != std::string::npos);
  const auto partial = lines(slurp(d + "/b.csv")).size();
  CHECK(partial > 1);
  CHECK(partial < 2881);
  int runs = 1;
  for (; runs < 20 && run(args, d).status != 0; ++runs) {
  }
  CHECK(runs > 2);
  CHECK(lines(slurp(d + "/b.csv")) == expected_rows());
  std::system(("rm -rf " + d).c_str());
}

TEST_CASE("cli: activity to a pipe or with --keep never acknowledges nor stores a resume point") {
  const std::string d = temp_dir();
  auto r = run(sim_band + " --sim-history-minutes 100 --since 2018-01-01 --state-dir " + d + "/s", d);
  CAPTURE(r.err);
  REQUIRE(r.status == 0);
  CHECK(lines(r.out).size() == 101);
  CHECK(r.err.find("the band keeps its data") != std::string::npos);
  CHECK(r.err.find("kept on the band") != std::string::npos);
  CHECK(::access((d + "/s/history/sim.resume").c_str(), F_OK) != 0);
  // --keep to a file: written and resumable, but never acknowledged.
  auto k = run(sim_band + " --sim-history-minutes 100 --since 2018-01-01 --keep --state-dir " + d + "/s --output " + d +
                   "/k.csv", d);
  CAPTURE(k.err);
  REQUIRE(k.status == 0);
  CHECK(lines(slurp(d + "/k.csv")).size() == 101);
  CHECK(k.err.find("kept on the band") != std::string::npos);
  CHECK(::access((d + "/s/history/sim.resume").c_str(), F_OK) == 0);
  std::system(("rm -rf " + d).c_str());
}

TEST_CASE("cli: activity on a terminal shows a progress bar (minutes, the round, rate, ETA)") {
  if (std::system("command -v script >/dev/null 2>&1") != 0) {
    MESSAGE("SKIPPED: util-linux `script` (a pseudo-terminal) is not installed");
    return;
  }
  const std::string d = temp_dir();
  // script(1) runs the command on a pseudo-terminal; its output is the terminal's.
  const std::string cmd = "TZ=Europe/Berlin timeout 60 script -qec '" + exe() + " activity" + sim_band +
                          " --since 2018-01-01 --state-dir " + d + "/s --output " + d + "/a.csv' /dev/null >" + d + "/tty";
  REQUIRE(std::system(cmd.c_str()) == 0);
  const auto tty = slurp(d + "/tty");
  CAPTURE(tty);
  CHECK(tty.find("] 1000/1000 min  round 1 written") != std::string::npos);
  CHECK(tty.find("] 2880/2880 min  round 3 written") != std::string::npos);
  CHECK(tty.find("\r[########################] 2880/2880 min  3 rounds, done") != std::string::npos);
  CHECK(tty.find("min/s  ETA ") != std::string::npos);
  CHECK(tty.find("round 1 written: ") == std::string::npos);  // no log lines on a terminal
  CHECK(lines(slurp(d + "/a.csv")).size() == 2881);
  std::system(("rm -rf " + d).c_str());
}

TEST_CASE("cli: activity rejects bad options with exit 2") {
  const std::string d = temp_dir();
  for (const char* bad : {" --device sim --since yesterday", " --device sim --since 2018-02-30",
                          " --device sim --format xml", " --device sim --sim-round-limit 0",
                          " --device unix:/nonexistent --sim-history-minutes 5"}) {
    CAPTURE(bad);
    auto r = run(std::string(bad) + " --state-dir " + d, d);
    CHECK(r.status == 2);
    CHECK(r.err.find("bandwire activity:") != std::string::npos);
  }
  auto help = run(" --help", d);
  CHECK(help.status == 0);
  CHECK(help.out.find("--since TIME") != std::string::npos);
  std::system(("rm -rf " + d).c_str());
}
