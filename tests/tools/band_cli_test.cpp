// End-to-end tests of the Mi Band commands: the real `bandwire` executable
// against the in-process virtual band (`--device sim`, fast clock) and
// against `bandwire sim --listen unix:` in another process.
#include <doctest/doctest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <csignal>
#include <algorithm>
#include <fstream>
#include <iterator>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/json.hpp"

#include "tests/support/cli_process.hpp"

namespace {

using result = bandwire::test::cli_result;
std::string exe() { return bandwire::test::bandwire_exe(); }
std::string temp_dir() { return bandwire::test::make_temp_dir("bandwire-cli"); }

// Runs `bandwire ARGS` with a time limit (the command's own bounds must end it).
result run(const std::string& args, int limit_s = 60) {
  const std::string dir = temp_dir();
  const std::string cmd = "timeout " + std::to_string(limit_s) + " " + exe() + " " + args + " >" + dir + "/out 2>" +
                          dir + "/err";
  result r;
  const int st = std::system(cmd.c_str());
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  auto slurp = [](const std::string& p) {
    std::ifstream f(p);
    std::stringstream ss;
    ss << f.rdbuf();
    return ss.str();
  };
  r.out = slurp(dir + "/out");
  r.err = slurp(dir + "/err");
  std::system(("rm -rf " + dir).c_str());
  return r;
}

std::vector<std::string> lines(const std::string& s) {
  std::vector<std::string> v;
  std::istringstream in(s);
  for (std::string l; std::getline(in, l);)
    if (!l.empty()) v.push_back(l);
  return v;
}

}  // namespace

TEST_CASE("cli: stream --device sim writes JSONL records with the documented schema") {
  const std::string state = temp_dir();
  // 60 s of band time: the sample times are checked over many bursts.
  auto r = run("stream --device sim --speed 20 --duration 3 --state-dir " + state);
  CAPTURE(r.err);
  REQUIRE(r.status == 0);
  std::set<std::string> kinds;
  int accel = 0, ppg = 0, hr = 0;
  int last_seq = -1;
  bool seq_ok = true;
  // A sample is never stamped after its packet arrived, and times never go back.
  int after_arrival = 0, backwards = 0;
  std::map<std::string, double> last_t;
  for (const auto& l : lines(r.out)) {
    auto j = bandwire::test::json::parse(l);
    const std::string kind = j.at("kind").get<std::string>();
    kinds.insert(kind);
    CHECK(j.at("time").get<double>() > 1.7e9);
    CHECK(j.contains("mono"));
    if (kind == "accel") {
      ++accel;
      for (const char* k : {"t", "seq", "x", "y", "z", "gx", "gy", "gz"}) CHECK(j.contains(k));
      CHECK(j.at("gz").get<double>() == doctest::Approx(j.at("z").get<double>() / 256.0).epsilon(0.001));
    } else if (kind == "ppg") {
      ++ppg;
      CHECK(j.contains("t"));
      CHECK(j.contains("value"));
    } else if (kind == "hr") {
      ++hr;
      CHECK(j.at("bpm").get<double>() >= 40);
    }
    if (j.contains("t")) {
      const double t = j.at("t").get<double>();
      if (t > j.at("time").get<double>()) ++after_arrival;
      if (last_t.count(kind) && t < last_t[kind]) ++backwards;
      last_t[kind] = t;
    }
    if (j.contains("seq")) {
      const int seq = j.at("seq").get<int>();
      // One counter shared by both kinds: never goes backwards (mod 256) by more than a packet.
      if (last_seq >= 0 && seq != last_seq && seq != (last_seq + 1) % 256) seq_ok = false;
      last_seq = seq;
    }
  }
  CHECK(seq_ok);
  CHECK(after_arrival == 0);
  CHECK(backwards == 0);
  CHECK(accel > 1000);  // ~59 band seconds at 25 Hz
  CHECK(ppg > 1000);
  // The rate the times follow is measured from the arrivals, in band time.
  const auto at = r.err.find("accelerometer rate measured: ");
  REQUIRE(at != std::string::npos);
  CHECK(std::stod(r.err.substr(at + 29)) == doctest::Approx(25.0).epsilon(0.05));
  CHECK(hr >= 3);
  CHECK(kinds.count("gap") == 0);
  CHECK(r.err.find("0 lost") != std::string::npos);
  // The key for the sim was created with mode 0600 and is never printed.
  std::system(("rm -rf " + state).c_str());
}

TEST_CASE("cli: stream over the modelled link (--sim-interval) and a second run from the cache") {
  const std::string state = temp_dir();
  for (int run_no = 0; run_no < 2; ++run_no) {
    auto r = run("stream --device sim --sim-interval 50 --speed 10 --duration 1 --no-hr --state-dir " + state);
    CAPTURE(r.err);
    REQUIRE(r.status == 0);
    int accel = 0;
    for (const auto& l : lines(r.out)) accel += bandwire::test::json::parse(l).at("kind") == "accel";
    CHECK(accel > 10);
  }
  // The cache the first run wrote: version 2, FEE0 and 180D only as far as `stream` needs.
  std::ifstream f(state + "/cache/sim.gatt");
  std::string first;
  std::getline(f, first);
  CHECK(first == "bandwire-gatt-cache 2");
  std::system(("rm -rf " + state).c_str());
}

TEST_CASE("cli: stream --format csv has the fixed header and the documented columns") {
  const std::string state = temp_dir();
  auto r = run("stream --device sim --speed 20 --duration 1 --no-hr --format csv --state-dir " + state);
  REQUIRE(r.status == 0);
  auto ls = lines(r.out);
  REQUIRE(ls.size() > 10);
  // Columns added later go at the end (energy_kj, contact: issue 9 §2).
  CHECK(ls[0] == "kind,time,mono,t,seq,x,y,z,gx,gy,gz,value,bpm,rr,missing,seconds,event,energy_kj,contact");
  for (std::size_t i = 1; i < ls.size(); ++i) CHECK(std::count(ls[i].begin(), ls[i].end(), ',') == 18);
  std::system(("rm -rf " + state).c_str());
}

TEST_CASE("cli: a dropped link is reconnected, re-authenticated and marked with a gap record") {
  const std::string state = temp_dir();
  auto r = run("stream --device sim --speed 20 --sim-drop-after 20 --duration 2.5 --state-dir " + state);
  CAPTURE(r.err);
  REQUIRE(r.status == 0);
  CHECK(r.err.find("link lost") != std::string::npos);
  int gaps = 0, accel_after_gap = 0;
  for (const auto& l : lines(r.out)) {
    auto j = bandwire::test::json::parse(l);
    if (j.at("kind").get<std::string>() == "gap") {
      ++gaps;
      CHECK(j.at("missing").get<double>() == 0);
      CHECK(j.at("seconds").get<double>() > 0.05);  // the 1 s reconnect back-off, in band time: 0.05 s at --speed 20
    } else if (gaps && j.at("kind").get<std::string>() == "accel") {
      ++accel_after_gap;
    }
  }
  CHECK(gaps >= 1);
  CHECK(accel_after_gap > 50);
  // --no-reconnect ends with an error instead.
  r = run("stream --device sim --speed 20 --sim-drop-after 20 --duration 3 --no-reconnect --state-dir " + state);
  CHECK(r.status == 1);
  CHECK(r.err.find("stream failed") != std::string::npos);
  std::system(("rm -rf " + state).c_str());
}

TEST_CASE("cli: pair, heart, info and a rejected key against `bandwire sim --listen` in another process") {
  const std::string state = temp_dir();
  const std::string sock = state + "/band.sock";
  const std::string dev = "--device unix:" + sock + " --state-dir " + state;
  pid_t sim = ::fork();
  REQUIRE(sim >= 0);
  if (sim == 0) {
    // Real speed: a one-shot `heart` ignores values sooner than 5 s of its
    // own time after `15 02 01` (stale continuous values, fact sheet §5.3),
    // and the client cannot know that a sim at --speed 20 answers in 0.33 s.
    ::execl(exe().c_str(), "bandwire", "sim", "--listen", ("unix:" + sock).c_str(), "--duration", "60",
            static_cast<char*>(nullptr));
    ::_exit(127);
  }
  for (int i = 0; i < 100 && ::access(sock.c_str(), F_OK) != 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(20));

  auto r = run("heart " + dev);
  CHECK(r.status == 1);
  CHECK(r.err.find("no key for unix:") != std::string::npos);
  r = run("pair " + dev);
  CAPTURE(r.err);
  CHECK(r.status == 0);
  CHECK(r.err.find("Tap the band") != std::string::npos);
  CHECK(r.err.find("saved to " + state + "/keys/") != std::string::npos);
  // The key file: 32 hex digits and a newline, mode 0600, and the key is not printed.
  int keys = 0;
  for (const auto& e : std::filesystem::directory_iterator(state + "/keys")) {
    ++keys;
    CHECK((std::filesystem::status(e.path()).permissions() & std::filesystem::perms::all) ==
          (std::filesystem::perms::owner_read | std::filesystem::perms::owner_write));
    std::ifstream f(e.path());
    std::string text;
    std::getline(f, text);
    CHECK(text.size() == 32);
    CHECK(r.err.find(text) == std::string::npos);
  }
  CHECK(keys == 1);
  r = run("heart --json " + dev);
  CHECK(r.status == 0);
  auto j = bandwire::test::json::parse(lines(r.out).at(0));
  CHECK(j.at("kind").get<std::string>() == "hr");
  CHECK(j.at("bpm").get<double>() >= 40);
  r = run("info --json " + dev);
  CHECK(r.status == 0);
  auto info = bandwire::test::json::parse(lines(r.out).at(0));
  CHECK(info.at("serial").get<std::string>() == "d55b5c5a1833");
  CHECK(info.at("software").get<std::string>() == "V1.0.1.69");
  // A wrong key is rejected and reported; bandwire does not re-bind.
  std::ofstream(state + "/wrong.key") << "30313233343536373839404142434445\n";
  std::filesystem::permissions(state + "/wrong.key", std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  r = run("battery --key-file " + state + "/wrong.key " + dev);
  CHECK(r.status == 1);
  CHECK(r.err.find("does not re-bind on its own") != std::string::npos);
  r = run("battery --json " + dev);  // the stored key still works
  CHECK(r.status == 0);
  CHECK(r.out.find("\"level\":82") != std::string::npos);
  ::kill(sim, SIGTERM);
  int st = 0;
  ::waitpid(sim, &st, 0);
  CHECK(WIFEXITED(st));
  std::system(("rm -rf " + state).c_str());
}

TEST_CASE("cli: usage errors exit 2, and --help tells the truth") {
  CHECK(run("stream --device sim --format xml").status == 2);
  CHECK(run("stream --device sim --rate 0").status == 2);
  CHECK(run("heart --device unix:/x --speed 3").status == 2);  // --speed is for sim only
  CHECK(run("nonsense").status == 2);
  auto r = run("stream --help");
  CHECK(r.status == 0);
  CHECK(r.out.find("--no-reconnect") != std::string::npos);
  CHECK(run("decode /nonexistent").status == 2);
  // The modelled link: for the in-process band only, 7..4000 ms, never over a real adapter.
  r = run("battery --device unix:/x --sim-interval 50");
  CHECK(r.status == 2);
  CHECK(r.err == "bandwire battery: --sim-tap, --sim-drop-after and --sim-interval work only with --device sim\n");
  r = run("battery --device sim --sim-interval 3");
  CHECK(r.status == 2);
  CHECK(r.err == "bandwire battery: --sim-interval must be 7..4000 ms\n");
  r = run("sim --adapter hci0 --interval 50");
  CHECK(r.status == 2);
  CHECK(r.err.find("--interval models a link: not with --adapter") != std::string::npos);
  CHECK(run("sim --help").out.find("--interval MS") != std::string::npos);
  CHECK(run("battery --help").out.find("--sim-interval MS") != std::string::npos);
  r = run("heart --device AA:BB:CC:DD:EE:FF --timeout 2");
  CHECK(r.status == 3);
  CHECK(r.err.find("no Bluetooth support") != std::string::npos);
}

TEST_CASE("cli: --btsnoop records a session that decode and tshark read, with the bound key masked") {
  const std::string state = temp_dir();
  const std::string cap = state + "/pair.btsnoop";
  auto r = run("pair --device sim --speed 20 --state-dir " + state + " --btsnoop " + cap);
  REQUIRE(r.status == 0);
  std::string key;
  for (const auto& e : std::filesystem::directory_iterator(state + "/keys")) std::getline(std::ifstream(e.path()) >> std::ws, key);
  REQUIRE(key.size() == 32);
  std::ifstream f(cap, std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  CHECK(bytes.rfind("btsnoop", 0) == 0);
  std::string raw_key;
  for (std::size_t i = 0; i < 32; i += 2) raw_key.push_back(static_cast<char>(std::stoi(key.substr(i, 2), nullptr, 16)));
  CHECK(bytes.find(raw_key) == std::string::npos);  // the key never reaches the file
  r = run("decode --json " + cap);
  REQUIRE(r.status == 0);
  int auth_steps = 0;
  for (const auto& l : lines(r.out)) {
    auto j = bandwire::test::json::parse(l);
    if (j.contains("meaning") && j.at("meaning").get<std::string>().rfind("auth:", 0) == 0) ++auth_steps;
  }
  CHECK(auth_steps == 6);  // bind, accepted, request, challenge, answer, authenticated
  r = run("gatt --device demo --btsnoop " + state + "/g.btsnoop primary");
  REQUIRE(r.status == 0);
  if (std::system("command -v tshark >/dev/null 2>&1") == 0) {
    const std::string out = state + "/tshark.txt";
    std::system(("tshark -r " + state + "/g.btsnoop -Y btatt -T fields -e btatt.opcode > " + out + " 2>/dev/null").c_str());
    std::ifstream t(out);
    std::vector<std::string> ops;
    for (std::string l; std::getline(t, l);) ops.push_back(l);
    // Read By Group Type request/response until Attribute Not Found.
    REQUIRE(ops.size() >= 4);
    CHECK(ops[0] == "0x10");
    CHECK(ops[1] == "0x11");
    CHECK(ops.back() == "0x01");
  } else {
    MESSAGE("tshark not installed: skipped the independent decode");
  }
  std::system(("rm -rf " + state).c_str());
}

TEST_CASE("cli: a key file open to group or others is refused with exit 2 and the chmod that fixes it") {
  const std::string state = temp_dir();
  const std::string dev = "--device sim --speed 20 --state-dir " + state;
  REQUIRE(run("pair " + dev).status == 0);
  const std::string stored = state + "/keys/sim.key";
  std::string key;
  std::getline(std::ifstream(stored), key);
  REQUIRE(key.size() == 32);

  // The stored key: refused, never replaced behind the user's back.
  std::filesystem::permissions(stored, std::filesystem::perms::group_read | std::filesystem::perms::others_read,
                               std::filesystem::perm_options::add);
  auto r = run("battery " + dev);
  CAPTURE(r.err);
  CHECK(r.status == 2);
  CHECK(r.err == "bandwire: key file " + stored +
                     " is readable by group or others (mode 0644), so bandwire will not use it; fix it with: chmod 600 " +
                     stored + "\n");
  r = run("pair " + dev);  // pairing again without --force does not paper over it either
  CHECK(r.status == 2);
  CHECK(r.err.find("fix it with: chmod 600 " + stored) != std::string::npos);
  std::string after;
  std::getline(std::ifstream(stored), after);
  CHECK(after == key);
  CHECK(std::system(("chmod 600 " + stored).c_str()) == 0);  // the printed fix works
  CHECK(run("battery " + dev).status == 0);

  // --key-file: the same, before anything is connected.
  const std::string user = state + "/user.key";
  std::ofstream(user) << key << "\n";
  std::filesystem::permissions(user, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write |
                                         std::filesystem::perms::group_write);
  r = run("battery --key-file " + user + " " + dev);
  CHECK(r.status == 2);
  CHECK(r.err == "bandwire: key file " + user +
                     " is writable or executable by group or others (mode 0620), so bandwire will not use it; fix it "
                     "with: chmod 600 " + user + "\n");
  CHECK(std::system(("chmod 600 " + user).c_str()) == 0);
  CHECK(run("battery --key-file " + user + " " + dev).status == 0);
  std::system(("rm -rf " + state).c_str());
}

namespace {

// `bandwire sim --listen` in another process, its stderr (one line per
// alert write, with band time) kept in a file.
struct sim_process {
  std::string dir = temp_dir();
  std::string sock = dir + "/band.sock";
  std::string log = dir + "/sim.log";
  pid_t pid = -1;
  explicit sim_process(const char* speed) {
    pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
      std::FILE* f = std::freopen(log.c_str(), "w", stderr);
      if (!f) ::_exit(126);
      ::execl(exe().c_str(), "bandwire", "sim", "--listen", ("unix:" + sock).c_str(), "--speed", speed, "--duration",
              "60", static_cast<char*>(nullptr));
      ::_exit(127);
    }
    for (int i = 0; i < 100 && ::access(sock.c_str(), F_OK) != 0; ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ~sim_process() {
    ::kill(pid, SIGTERM);
    int st = 0;
    ::waitpid(pid, &st, 0);
    std::system(("rm -rf " + dir).c_str());
  }
  std::string device() const { return "--device unix:" + sock + " --state-dir " + dir; }
  // The alert writes logged since the last call: "new alert HEX" or "alert level HEX", and band times.
  std::vector<std::pair<std::string, double>> alerts() {
    std::ifstream f(log);
    std::vector<std::pair<std::string, double>> all;
    for (std::string l; std::getline(f, l);) {
      const auto at = l.find(" at band time ");
      if (l.rfind("bandwire sim: ", 0) != 0 || at == std::string::npos) continue;
      all.emplace_back(l.substr(14, at - 14), std::stod(l.substr(at + 14)));
    }
    std::vector<std::pair<std::string, double>> fresh(all.begin() + static_cast<long>(seen), all.end());
    seen = all.size();
    return fresh;
  }
  std::size_t seen = 0;
};

std::string hex_text(const std::string& s) {
  static const char* digits = "0123456789abcdef";
  std::string h;
  for (unsigned char c : s) h += std::string{digits[c >> 4], digits[c & 15]};
  return h;
}

}  // namespace

TEST_CASE("cli: alert --text sends one alert (cut, said on stderr); --split sends the rest 4 s apart") {
  sim_process sim("20");
  REQUIRE(run("pair " + sim.device()).status == 0);
  const std::string text = "Dinner at 8? Bring the wine please";  // 34 bytes
  auto r = run("alert --text '" + text + "' " + sim.device());
  CAPTURE(r.err);
  CHECK(r.status == 0);
  CHECK(r.err == "bandwire alert: the text is 34 bytes and one alert shows at most 18: sent the first 18 (cut on a "
                 "character boundary); --split sends the rest as further alerts\n");
  auto a = sim.alerts();
  REQUIRE(a.size() == 1);
  CHECK(a[0].first == "new alert 0501" + hex_text(text.substr(0, 18)));

  r = run("alert --split --text '" + text + "' " + sim.device());
  CHECK(r.status == 0);
  CHECK(r.err == "bandwire alert: the text is 34 bytes and one alert shows at most 18: sent it as 2 alerts, 4 s "
                 "apart\n");
  a = sim.alerts();
  REQUIRE(a.size() == 2);
  CHECK(a[0].first == "new alert 0501" + hex_text(text.substr(0, 18)));
  CHECK(a[1].first == "new alert 0501" + hex_text(text.substr(18)));
  // The client runs in real time (--speed is the sim's): 4 s of it are 80 s
  // of the sim's band time at --speed 20.
  CHECK(a[1].second - a[0].second >= 4.0 * 20);
  CHECK(a[1].second - a[0].second < 10.0 * 20);

  // An icon-only category: no text goes out, and stderr says so.
  r = run("alert --category email --text 'Invoice' " + sim.device());
  CHECK(r.status == 0);
  CHECK(r.err == "bandwire alert: the Mi Band 2 shows email alerts as an icon only, so the text was not sent "
                 "(--category sms or call show text)\n");
  a = sim.alerts();
  REQUIRE(a.size() == 1);
  CHECK(a[0].first == "new alert 0101");

  // A ringing call alert, stopped from the command line.
  r = run("alert --category call --text 'Alice' " + sim.device());
  CHECK(r.status == 0);
  CHECK(r.err.empty());
  r = run("alert --level stop " + sim.device());
  CHECK(r.status == 0);
  a = sim.alerts();
  REQUIRE(a.size() == 3);
  CHECK(a[0].first == "new alert 0301" + hex_text("Alice"));
  CHECK(a[1].first == "alert level 00");
  CHECK(a[2].first == "new alert 0300");

  CHECK(run("alert --split " + sim.device()).status == 2);  // --split needs --text
  CHECK(run("alert --level call --text x " + sim.device()).status == 2);
}
