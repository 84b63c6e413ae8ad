// `bandwire record` end to end, as the README runs it: two `bandwire sim
// --listen` processes, a config naming their key files, rotated files, a
// SIGHUP reload (an invalid file rejected, a changed band restarted), a
// SIGTERM stop, and a restart that continues each counter.
#include <doctest/doctest.h>

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>
#include <tuple>

#include "build_info.hpp"
#include "tests/record/rig.hpp"
#include "tests/support/cli_process.hpp"

using namespace bandwire::test;
namespace fs = std::filesystem;

namespace {

pid_t spawn(const std::vector<std::string>& args, const std::string& err_path) {
  pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    std::vector<char*> argv;
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    if (!err_path.empty()) std::freopen(err_path.c_str(), "w", stderr);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  return pid;
}

int wait_exit(pid_t pid, int limit_s = 30) {
  for (int i = 0; i < limit_s * 50; ++i) {
    int st = 0;
    if (::waitpid(pid, &st, WNOHANG) == pid) return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ::kill(pid, SIGKILL);
  ::waitpid(pid, nullptr, 0);
  return -2;
}

std::string slurp(const std::string& p) {
  std::ifstream f(p);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

void sleep_s(double s) { std::this_thread::sleep_for(std::chrono::duration<double>(s)); }

std::string config(const std::string& dir, bool b_accel) {
  return "output = \"" + dir + "/out\"\nrotate_mb = 0.02\nstatus_seconds = 1\nstate_dir = \"" + dir + "/state\"\n" +
         "[[band]]\nalias = \"a\"\ndevice = \"unix:" + dir + "/a.sock\"\nkey_file = \"" + dir +
         "/a.key\"\naccel = true\nppg = true\nbattery_minutes = 1\n" +
         "[[band]]\nalias = \"b\"\ndevice = \"unix:" + dir + "/b.sock\"\nkey_file = \"" + dir + "/b.key\"\naccel = " +
         (b_accel ? "true" : "false") + "\n";
}

}  // namespace

TEST_CASE("cli record: two `sim --listen` bands, rotated files, SIGHUP reload, SIGTERM stop, restart continues n") {
  const std::string exe = bandwire_exe();
  temp_dir d;
  for (const char* band : {"a", "b"}) {
    const std::string key = d.path + "/" + band + ".key";
    std::ofstream(key) << "91c7954727b7ec7fb89c65b311bdd59f\n";
    ::chmod(key.c_str(), 0600);
  }
  std::vector<pid_t> sims;
  for (const char* band : {"a", "b"})
    sims.push_back(spawn({exe, "sim", "--listen", "unix:" + d.path + "/" + band + ".sock", "--speed", "20", "--key-file",
                          d.path + "/" + band + ".key", "--duration", "60"},
                         d.path + "/sim-" + band + ".err"));
  for (int i = 0; i < 100 && !(fs::exists(d.path + "/a.sock") && fs::exists(d.path + "/b.sock")); ++i) sleep_s(0.02);
  const std::string cfg = d.path + "/record.toml";
  std::ofstream(cfg) << config(d.path, false);

  const std::string err = d.path + "/record.err";
  pid_t rec = spawn({exe, "record", "--config", cfg, "--speed", "20"}, err);
  sleep_s(3);
  std::ofstream(cfg) << "output = \n";  // invalid: rejected, the old config kept
  ::kill(rec, SIGHUP);
  sleep_s(0.5);
  std::ofstream(cfg) << config(d.path, true);  // band b now records the accelerometer too
  ::kill(rec, SIGHUP);
  sleep_s(2);
  ::kill(rec, SIGTERM);
  CHECK(wait_exit(rec) == 0);
  const std::string log = slurp(err);
  CAPTURE(log);
  CHECK(log.find("bandwire record: recording 2 bands to " + d.path + "/out") != std::string::npos);
  CHECK(log.find("reload rejected, keeping the running config: " + cfg + ": line 1:") != std::string::npos);
  CHECK(log.find("reloaded " + cfg + " (2 bands)") != std::string::npos);
  CHECK(log.find("bandwire record: a: connected, streaming ") != std::string::npos);
  CHECK(log.find("bandwire record: b: stopped") != std::string::npos);  // restarted by the reload
  CHECK(log.find("bandwire record: a: stopped, ") != std::string::npos);  // SIGTERM

  const auto a = count_files(d.path + "/out/a");
  const auto b = count_files(d.path + "/out/b");
  MESSAGE("a: " << a.samples << " samples, " << a.hr << " hr, " << a.files << " files; b: " << b.samples
                << " samples, " << b.hr << " hr");
  CHECK(a.n_ok);
  CHECK(b.n_ok);
  CHECK(a.samples > 500);
  CHECK(a.hr > 5);
  CHECK(a.battery >= 1);
  CHECK(b.hr > 5);
  CHECK(b.samples > 0);  // accel after the reload
  // Rotation by size: files of at most 0.02 MiB, each complete; the state files were written at the stop.
  const auto accel = kind_lines(d.path + "/out/a", bandwire::record::record_kind::accel);
  std::size_t accel_files = 0;
  for (const auto& e : fs::directory_iterator(d.path + "/out/a"))
    if (e.path().filename().string().rfind("accel-", 0) == 0) {
      ++accel_files;
      CHECK(fs::file_size(e.path()) <= 20971u);  // rotate_mb = 0.02 MiB
    }
  CHECK(accel_files >= 3);
  CHECK(slurp(d.path + "/out/a/accel.next") == "bandwire-record-counter 1\n" + std::to_string(accel.size()) + "\n");

  // A restart appends: each counter goes on where it stopped.
  rec = spawn({exe, "record", "--config", cfg, "--speed", "20", "--duration", "1.5"}, err);
  CHECK(wait_exit(rec) == 0);
  const auto again = kind_lines(d.path + "/out/a", bandwire::record::record_kind::accel);
  CHECK(again.size() > accel.size());
  CHECK(count_files(d.path + "/out/a").n_ok);

  for (pid_t p : sims) ::kill(p, SIGTERM);
  for (pid_t p : sims) CHECK(wait_exit(p) == 0);
}

TEST_CASE("cli record: usage errors exit 2 with the reason") {
  const std::string exe = bandwire_exe();
  temp_dir d;
  const std::string cfg = d.path + "/bad.toml";
  std::ofstream(cfg) << "output = \"/x\"\n[[band]]\nalias = \"a\"\ndevice = \"sim\"\nkey = \"00\"\n";
  pid_t p = spawn({exe, "record", "--config", cfg}, d.path + "/err");
  CHECK(wait_exit(p) == 2);
  CHECK(slurp(d.path + "/err") ==
        "bandwire record: " + cfg + ": line 5: band 1: a key is never written in the config: give key_file\n");
  p = spawn({exe, "record"}, d.path + "/err");
  CHECK(wait_exit(p) == 2);
  CHECK(slurp(d.path + "/err").find("--config FILE is required") != std::string::npos);
  std::ofstream(cfg) << "output = \"/x\"\n[[band]]\nalias = \"a\"\ndevice = \"AA:BB:CC:DD:EE:FF\"\n";
  p = spawn({exe, "record", "--config", cfg, "--speed", "5"}, d.path + "/err");
  CHECK(wait_exit(p) == 2);  // a real band keeps real time
  // [mqtt]: refused by a build without MQTT (the static ARM executables), with the reason;
  // with MQTT, a password file that cannot be read stops the start.
  std::ofstream(cfg) << "output = \"" + d.path + "/out\"\nstate_dir = \"" + d.path +
                            "/state\"\n[mqtt]\nurl = \"mqtt://127.0.0.1:1\"\nusername = \"u\"\npassword_file = \"" +
                            d.path + "/none\"\n[[band]]\nalias = \"a\"\ndevice = \"sim\"\n";
  p = spawn({exe, "record", "--config", cfg}, d.path + "/err");
  if (BANDWIRE_MQTT) {
    CHECK(wait_exit(p) == 1);
    CHECK(slurp(d.path + "/err") == "bandwire record: mqtt: cannot read password_file " + d.path + "/none\n");
  } else {
    CHECK(wait_exit(p) == 2);
    CHECK(slurp(d.path + "/err") ==
          "bandwire record: " + cfg + ": the config has an [mqtt] table, but this bandwire was built without MQTT: " +
              BANDWIRE_MQTT_LEFT_OUT + " (README \"Publishing to MQTT\"; `bandwire --version` says what is left out)\n");
  }
}

TEST_CASE("cli: heart --continuous, steps --follow and events reconnect like stream; --no-reconnect exits 1") {
  const std::string exe = bandwire_exe();
  temp_dir d;
  struct cmd { std::vector<std::string> args; const char* record_kind; const char* fails; };
  for (const auto& c : {cmd{{"heart", "--continuous"}, "\"kind\":\"hr\"", "continuous heart rate failed"},
                        cmd{{"steps", "--follow"}, "\"kind\":\"steps\"", "following steps failed"},
                        cmd{{"events"}, "\"kind\":\"event\"", "events failed"}}) {
    CAPTURE(c.args[0]);
    auto run = [&](bool reconnect) {
      std::vector<std::string> a{exe};
      a.insert(a.end(), c.args.begin(), c.args.end());
      // The in-process band drops each link after 70 s of band time (1.4 s at --speed 50); steps
      // come once a band minute (§9), so each link sees one.
      for (const char* x : {"--device", "sim", "--speed", "50", "--duration", "3.5", "--sim-drop-after", "70", "--json",
                            "--state-dir"})
        a.push_back(x);
      a.push_back(d.path);
      if (!reconnect) a.push_back("--no-reconnect");
      const std::string out = d.path + "/out";
      pid_t p = ::fork();
      REQUIRE(p >= 0);
      if (p == 0) {
        std::freopen(out.c_str(), "w", stdout);
        std::freopen((d.path + "/err").c_str(), "w", stderr);
        std::vector<char*> argv;
        for (auto& s : a) argv.push_back(s.data());
        argv.push_back(nullptr);
        ::execv(argv[0], argv.data());
        ::_exit(127);
      }
      const int rc = wait_exit(p);
      return std::make_tuple(rc, slurp(out), slurp(d.path + "/err"));
    };
    auto [rc, out, err] = run(true);
    CAPTURE(err);
    CHECK(rc == 0);
    CHECK(out.find(c.record_kind) != std::string::npos);
    CHECK(out.find("\"kind\":\"gap\"") != std::string::npos);           // the outage, after the reconnect
    CHECK(err.find("link lost: ATT bearer closed; reconnecting in 1.0 s") != std::string::npos);
    const auto gap = out.find("\"kind\":\"gap\"");
    CHECK(out.find(c.record_kind, gap) != std::string::npos);           // and records after it
    std::tie(rc, out, err) = run(false);
    CHECK(rc == 1);
    CHECK(err.find(std::string("bandwire: ") + c.fails + ": ATT bearer closed") != std::string::npos);
  }
}
