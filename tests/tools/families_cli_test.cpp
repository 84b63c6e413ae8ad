// The band commands end to end against each family's virtual device, as a
// user runs them: `--device sim:hrs|hrx|mb3|mb4` (in process, fast clock) and
// `bandwire sim --model hrs` in another process.
#include <doctest/doctest.h>

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/cli_process.hpp"
#include "tests/support/json.hpp"

namespace {

using result = bandwire::test::cli_result;
using bandwire::test::json;
std::string exe() { return bandwire::test::bandwire_exe(); }
std::string temp_dir() { return bandwire::test::make_temp_dir("bandwire-families"); }

std::string slurp(const std::string& p) {
  std::ifstream f(p, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
}

result run(const std::string& args, int limit_s = 60) {
  const std::string dir = temp_dir();
  const std::string cmd =
      "timeout " + std::to_string(limit_s) + " " + exe() + " " + args + " >" + dir + "/out 2>" + dir + "/err";
  result r;
  const int st = std::system(cmd.c_str());
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  r.out = slurp(dir + "/out");
  r.err = slurp(dir + "/err");
  std::filesystem::remove_all(dir);
  return r;
}

std::vector<std::string> lines(const std::string& s) {
  std::vector<std::string> v;
  std::istringstream in(s);
  for (std::string l; std::getline(in, l);)
    if (!l.empty()) v.push_back(l);
  return v;
}

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> v;
  std::string cur;
  for (char c : s) {
    if (c == sep) {
      v.push_back(cur);
      cur.clear();
    } else {
      cur.push_back(c);
    }
  }
  v.push_back(cur);
  return v;
}

// An RR value as printed must be an exact count of 1/1024 s in a human range.
void check_rr(double seconds) {
  const double ticks = seconds * 1024.0;
  CHECK(ticks == std::floor(ticks));
  CHECK(seconds > 0.5);
  CHECK(seconds < 1.2);
}

std::string key_file(const std::string& dir, const std::string& hex) {
  const std::string p = dir + "/band.key";
  std::ofstream(p) << hex << "\n";
  ::chmod(p.c_str(), 0600);
  return p;
}

}  // namespace

TEST_CASE("families cli: heart --continuous on a strap (sim:hrs): no key, RR intervals exact, energy, contact") {
  const std::string state = temp_dir();
  auto r = run("heart --device sim:hrs --continuous --duration 4 --speed 5 --json --state-dir " + state);
  CAPTURE(r.err);
  REQUIRE(r.status == 0);
  int values = 0, with_rr = 0, energy = 0;
  for (const auto& l : lines(r.out)) {
    auto j = json::parse(l);
    if (j.at("kind") == "gap") continue;
    REQUIRE(j.at("kind") == "hr");
    ++values;
    CHECK(j.at("bpm").get<int>() >= 55);
    CHECK(j.at("contact").get<bool>());
    if (j.contains("energy_kj")) ++energy;
    if (j.contains("rr")) {
      ++with_rr;
      for (const auto& v : j.at("rr")) check_rr(v.get<double>());
    }
  }
  CHECK(values >= 12);  // one a second of band time: ~20 in 4 s at 5x
  CHECK(with_rr >= values - 2);
  CHECK(energy >= 1);
  // Nothing was paired or stored as a key: a strap needs none.
  CHECK_FALSE(std::filesystem::exists(state + "/keys"));
  std::filesystem::remove_all(state);
}

TEST_CASE("families cli: stream --format csv on a strap: new columns at the end, hr records only") {
  const std::string state = temp_dir();
  auto r = run("stream --device sim:hrs --format csv --duration 3 --speed 5 --state-dir " + state);
  CAPTURE(r.err);
  REQUIRE(r.status == 0);
  CHECK(r.err.find("no raw sensors") != std::string::npos);
  const auto rows = lines(r.out);
  REQUIRE(rows.size() >= 8);
  CHECK(rows[0] == "kind,time,mono,t,seq,x,y,z,gx,gy,gz,value,bpm,rr,missing,seconds,event,energy_kj,contact");
  int energy = 0, rr = 0;
  for (std::size_t i = 1; i < rows.size(); ++i) {
    const auto f = split(rows[i], ',');
    REQUIRE(f.size() == 19);
    CHECK(f[0] == "hr");
    CHECK(std::stoi(f[12]) >= 55);
    for (const auto& v : split(f[13], ' ')) {
      if (v.empty()) continue;
      check_rr(std::stod(v));
      ++rr;
    }
    if (!f[17].empty()) {
      ++energy;
      CHECK(std::stoi(f[17]) >= 0);
    }
    CHECK(f[18] == "1");
  }
  CHECK(rr >= 8);
  CHECK(energy >= 1);
  std::filesystem::remove_all(state);
}

TEST_CASE("families cli: the strap's control point never sees a Mi Band command (btsnoop of heart and stream)") {
  const std::string state = temp_dir();
  for (const std::string cmd : {"heart --continuous --duration 2", "heart", "stream --duration 2"}) {
    CAPTURE(cmd);
    const std::string cap = state + "/hrs.btsnoop";
    auto r = run(cmd + " --device sim:hrs --speed 5 --state-dir " + state + " --btsnoop " + cap);
    CAPTURE(r.err);
    REQUIRE(r.status == 0);
    r = run("decode --json " + cap);
    REQUIRE(r.status == 0);
    int hr_cccd = 0;
    for (const auto& l : lines(r.out)) {
      auto j = json::parse(l);
      if (!j.contains("handle")) continue;
      const int h = j.at("handle").get<int>();
      const int op = j.at("opcode").get<int>();
      // 2A39 of the virtual strap: never written (Write Request 12, Command 52, Prepare 16).
      if (op == 0x12 || op == 0x52 || op == 0x16) CHECK(h != 0x001c);
      if (h == 0x0018) ++hr_cccd;
    }
    CHECK(hr_cccd >= 2);  // notifications on, then off
  }
  std::filesystem::remove_all(state);
}

TEST_CASE("families cli: the other band commands on a strap say which service it lacks") {
  const std::string state = temp_dir();
  auto r = run("info --device sim:hrs --speed 20 --state-dir " + state);
  CAPTURE(r.err);
  REQUIRE(r.status == 0);
  CHECK(r.out.find("family:    heart-rate sensor (\"bandwire HR strap\")") != std::string::npos);
  CHECK(r.out.find("battery") == std::string::npos);
  r = run("battery --device sim:hrs --speed 20 --state-dir " + state);
  CHECK(r.status == 1);
  CHECK(r.err.find("no Mi Band service (FEE0)") != std::string::npos);
  r = run("pair --device sim:hrs --speed 20 --state-dir " + state);
  CHECK(r.status == 1);
  CHECK(r.err.find("no Mi Band auth service (FEE1)") != std::string::npos);
  CHECK(r.err.find("Tap the band") == std::string::npos);
  r = run("vibrate --device sim:hrs --speed 20 --state-dir " + state);
  CHECK(r.status == 1);
  CHECK(r.err.find("Immediate Alert (0x1802)") != std::string::npos);
  std::filesystem::remove_all(state);
}

TEST_CASE("families cli: sim:hrx names the missing Heart Rate service and streams the accelerometer") {
  const std::string state = temp_dir();
  auto r = run("heart --device sim:hrx --speed 20 --state-dir " + state);
  CHECK(r.status == 1);
  CHECK(r.err.find("no Heart Rate service (0x180D)") != std::string::npos);
  CHECK(r.err.find("Mi Band HRX") != std::string::npos);
  r = run("heart --device sim:hrx --continuous --duration 1 --speed 20 --state-dir " + state);
  CHECK(r.status == 1);
  CHECK(r.err.find("0x180D") != std::string::npos);

  r = run("stream --device sim:hrx --format csv --duration 2 --speed 5 --state-dir " + state);
  CAPTURE(r.err);
  REQUIRE(r.status == 0);
  CHECK(r.err.find("no Heart Rate service (0x180D)") != std::string::npos);
  const auto rows = lines(r.out);
  REQUIRE(rows.size() > 50);
  for (std::size_t i = 1; i < rows.size(); ++i) CHECK(rows[i].rfind("accel,", 0) == 0);
  std::filesystem::remove_all(state);
}

TEST_CASE("families cli: sim:mb3 works as a band: info, battery, heart") {
  const std::string state = temp_dir();
  auto r = run("info --device sim:mb3 --json --speed 20 --state-dir " + state);
  CAPTURE(r.err);
  REQUIRE(r.status == 0);
  CHECK(r.out.find("V0.25.3.4") != std::string::npos);
  r = run("battery --device sim:mb3 --speed 20 --state-dir " + state);
  CHECK(r.status == 0);
  r = run("alert --device sim:mb3 --text hello --speed 20 --state-dir " + state);
  CHECK(r.status == 0);
  CHECK(r.err.find("a Mi Band 3 does not show New Alert text") != std::string::npos);
  r = run("alert --device sim --text hello --speed 20 --state-dir " + state);
  CHECK(r.err.find("does not show") == std::string::npos);
  r = run("heart --device sim:mb3 --speed 20 --json --state-dir " + state);
  CAPTURE(r.err);
  REQUIRE(r.status == 0);
  CHECK(json::parse(lines(r.out).at(0)).at("bpm").get<int>() > 40);
  std::filesystem::remove_all(state);
}

TEST_CASE("families cli: sim:mb4 takes the user's key with the crypt-flag auth and refuses to pair") {
  const std::string state = temp_dir();
  auto r = run("pair --device sim:mb4 --speed 20 --state-dir " + state);
  CHECK(r.status == 1);
  CHECK(r.err.find("vendor app") != std::string::npos);
  CHECK(r.err.find("--key-file") != std::string::npos);
  CHECK_FALSE(std::filesystem::exists(state + "/keys"));

  r = run("heart --device sim:mb4 --speed 20 --state-dir " + state);
  CHECK(r.status == 1);
  CHECK(r.err.find("no key for sim:mb4") != std::string::npos);
  CHECK(r.err.find("--key-file") != std::string::npos);

  const std::string key = key_file(state, "91c7954727b7ec7fb89c65b311bdd59f");
  const std::string cap = state + "/mb4.btsnoop";
  r = run("heart --device sim:mb4 --speed 20 --json --key-file " + key + " --state-dir " + state + " --btsnoop " + cap);
  CAPTURE(r.err);
  REQUIRE(r.status == 0);
  CHECK(json::parse(lines(r.out).at(0)).at("bpm").get<int>() > 40);
  // The auth request on the wire: ATT Write Command (52) to 0x0054, `82 00 02 01 00`.
  const std::string bytes = slurp(cap);
  CHECK(bytes.find(std::string("\x52\x54\x00\x82\x00\x02\x01\x00", 8)) != std::string::npos);
  CHECK(bytes.find(std::string("\x52\x54\x00\x83\x00", 5)) != std::string::npos);
  CHECK(bytes.find(std::string("\x52\x54\x00\x01", 4)) == std::string::npos);  // never a bind
  std::filesystem::remove_all(state);
}

TEST_CASE("families cli: --device sim:MODEL is checked; sim --model serves a strap to another process") {
  auto r = run("heart --device sim:mb9");
  CHECK(r.status == 2);
  CHECK(r.err.find("mb2, mb3, mb4, hrx, hrs") != std::string::npos);
  r = run("sim --listen unix:/tmp/x --model zz");
  CHECK(r.status == 2);
  CHECK(r.err.find("--model") != std::string::npos);

  const std::string dir = temp_dir();
  const std::string sock = dir + "/strap.sock";
  const std::string sim_cmd =
      exe() + " sim --listen unix:" + sock + " --model hrs --speed 5 --duration 20 >" + dir + "/sim.out 2>" + dir +
      "/sim.err & echo $! >" + dir + "/sim.pid";
  REQUIRE(std::system(sim_cmd.c_str()) == 0);
  for (int i = 0; i < 100 && !std::filesystem::exists(sock); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  REQUIRE(std::filesystem::exists(sock));
  r = run("heart --device unix:" + sock + " --continuous --duration 3 --json --state-dir " + dir);
  CAPTURE(r.err);
  REQUIRE(r.status == 0);
  int rr = 0;
  for (const auto& l : lines(r.out)) {
    auto j = json::parse(l);
    if (j.contains("rr")) rr += static_cast<int>(j.at("rr").size());
  }
  CHECK(rr >= 8);  // ~15 beats in 15 s of band time
  CHECK(slurp(dir + "/sim.err").find("virtual heart-rate strap") != std::string::npos);
  const int pid = std::atoi(slurp(dir + "/sim.pid").c_str());
  if (pid > 0) ::kill(pid, SIGTERM);  // the sim this test started, by its id
  for (int i = 0; i < 100 && ::kill(pid, 0) == 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  std::filesystem::remove_all(dir);
}

TEST_CASE("families cli: config and alarm on sim:hrx and sim:hrs name the missing service and the family, before "
          "anything is written") {
  const std::string state = temp_dir();
  std::ofstream(state + "/band.toml") << "[goal]\nsteps = 9000\n[display]\nitems = [\"steps\"]\n"
                                         "[heart_rate]\ninterval_minutes = 10\n";
  // HRX: no 180D, so no 2A39: the heart-rate key is refused, and with it the whole file (all or nothing).
  auto r = run("config apply " + state + "/band.toml --device sim:hrx --speed 20 --state-dir " + state);
  CHECK(r.status == 1);
  CHECK(r.out.empty());
  CHECK(r.err == "bandwire config: heart_rate.interval_minutes: needs the Heart Rate Control Point 2A39 (fact sheet "
                 "§5.2), but the device has no Heart Rate service (0x180D) (this device is a Mi Band HRX)\n"
                 "bandwire config: nothing was written to the band\n");
  r = run("config show --device sim:hrx --state-dir " + state);
  CHECK(r.err.find("nothing applied") != std::string::npos);
  // Without that key the HRX takes the rest (it has the Mi Band 2's screens).
  std::ofstream(state + "/nohr.toml") << "[goal]\nsteps = 9000\n[display]\nitems = [\"steps\"]\n";
  r = run("config apply " + state + "/nohr.toml --device sim:hrx --speed 20 --state-dir " + state);
  CAPTURE(r.err);
  CHECK(r.status == 0);
  CHECK(r.out == "ok goal.steps 10 00 00 28 23 00 00\nok display.items 0a 03 00 00 01 02 03 04 05 -> 10 0a 01\n");
  r = run("alarm set 1 07:00 --device sim:hrx --speed 20 --state-dir " + state);
  CHECK(r.status == 0);

  // A strap: no FEE0, so nothing of config or alarm; each key says so.
  r = run("config apply " + state + "/band.toml --device sim:hrs --speed 20 --state-dir " + state);
  CHECK(r.status == 1);
  CHECK(r.out.empty());
  CHECK(r.err.find("bandwire config: goal.steps: needs the user-settings characteristic 0008 of FEE0 (fact sheet §12), "
                   "but the device has no Mi Band service (FEE0)") != std::string::npos);
  CHECK(r.err.find("bandwire config: heart_rate.interval_minutes: needs a Mi Band") != std::string::npos);
  CHECK(r.err.find("bandwire config: display.items: needs the configuration characteristic 0003 of FEE0") !=
        std::string::npos);
  CHECK(r.err.find("(this device is a heart-rate sensor)") != std::string::npos);
  CHECK(r.err.find("characteristic not found") == std::string::npos);
  CHECK(r.err.find("nothing was written to the band") != std::string::npos);
  for (const std::string cmd : {"alarm set 2 06:45", "alarm clear 2"}) {
    CAPTURE(cmd);
    r = run(cmd + " --device sim:hrs --speed 20 --state-dir " + state);
    CHECK(r.status == 1);
    CHECK(r.out.empty());
    CHECK(r.err.find("alarm 2: needs the configuration characteristic 0003 of FEE0 (fact sheet §13), but the device "
                     "has no Mi Band service (FEE0)") != std::string::npos);
    CHECK(r.err.find("(this device is a heart-rate sensor)") != std::string::npos);
  }
  std::filesystem::remove_all(state);
}

TEST_CASE("families cli: every other band command on a strap or an HRX fails naming what is missing, and does not "
          "retry forever") {
  const std::string state = temp_dir();
  struct row {
    const char* cmd;
    const char* device;
    const char* says;
  };
  for (const row& x : {row{"steps", "hrs", "no Mi Band service (FEE0)"},
                       row{"steps --follow --duration 5", "hrs", "no Mi Band service (FEE0)"},
                       row{"events --duration 5", "hrs", "no Mi Band service (FEE0)"},
                       row{"time", "hrs", "no Mi Band service (FEE0)"},
                       row{"time --set", "hrs", "no Mi Band service (FEE0)"},
                       row{"activity", "hrs", "no Mi Band service (FEE0)"},
                       row{"alert --text hi", "hrs", "Alert Notification (0x1811)"},
                       row{"heart --continuous --duration 5", "hrx", "no Heart Rate service (0x180D)"}}) {
    CAPTURE(x.cmd);
    auto r = run(std::string(x.cmd) + " --device sim:" + x.device + " --speed 20 --state-dir " + state, 30);
    CHECK(r.status == 1);
    CHECK(r.err.find(x.says) != std::string::npos);
    CHECK(r.err.find(std::string("(this device is a ") + (x.device == std::string("hrs") ? "heart-rate sensor)" : "Mi Band HRX)")) !=
          std::string::npos);
    CHECK(r.err.find("reconnecting") == std::string::npos);
  }
  std::filesystem::remove_all(state);
}

TEST_CASE("families cli: stream --help says only 25 Hz is verified") {
  auto r = run("stream --help");
  CHECK(r.status == 0);
  CHECK(r.out.find("Only 25 Hz is verified") != std::string::npos);
  CHECK(r.out.find("fact sheet §6.3, §22.5") != std::string::npos);
}
