// `bandwire config` and `bandwire alarm` end to end: the real executable
// against the in-process virtual band (`--device sim`) and against `bandwire
// sim --listen unix:` in another process, whose log is the band's own
// account of what it was written.
#include <doctest/doctest.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/cli_process.hpp"

namespace {

using result = bandwire::test::cli_result;
std::string exe() { return bandwire::test::bandwire_exe(); }

std::string slurp(const std::string& p) {
  std::ifstream f(p);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

// Runs `bandwire ARGS` with a time limit.
result run(const std::string& args, int limit_s = 60) {
  const std::string dir = bandwire::test::make_temp_dir("bandwire-settings-cli");
  const std::string cmd =
      "timeout " + std::to_string(limit_s) + " " + exe() + " " + args + " >" + dir + "/out 2>" + dir + "/err";
  result r;
  const int st = std::system(cmd.c_str());
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  r.out = slurp(dir + "/out");
  r.err = slurp(dir + "/err");
  std::system(("rm -rf " + dir).c_str());
  return r;
}

void write_file(const std::string& path, const std::string& text) { std::ofstream(path) << text; }

const char* settings_text = R"([goal]
steps = 9000
[display]
time_format = "24h"
items = ["steps", "heart_rate"]
raise_to_wake = true
rotate_to_switch = true
[do_not_disturb]
mode = "scheduled"
start = "22:00"
end = "07:00"
[heart_rate]
interval_minutes = 10
)";

// Screens of the Mi Band 3 / 4 (fact sheet §18), in the order shown.
const char* mb3_text = R"([display]
items = ["notifications", "heart_rate", "weather"]
time_format = "24h"
[heart_rate]
interval_minutes = 10
)";

std::string key_file(const std::string& dir) {
  write_file(dir + "/mb4.key", "91c7954727b7ec7fb89c65b311bdd59f\n");
  ::chmod((dir + "/mb4.key").c_str(), 0600);
  return dir + "/mb4.key";
}

}  // namespace

TEST_CASE("settings cli: --dry-run prints each write's characteristic and bytes; a bad file writes nothing, exit 2") {
  const std::string dir = bandwire::test::make_temp_dir("bandwire-settings-cli");
  write_file(dir + "/band.toml", settings_text);
  auto r = run("config apply " + dir + "/band.toml --dry-run");
  CAPTURE(r.err);
  CHECK(r.status == 0);
  CHECK(r.out ==
        "0008 10 00 00 28 23 00 00  goal.steps\n"
        "2a39 14 0a  heart_rate.interval_minutes\n"
        "0003 0a 13 00 00 01 02 03 04 05  display.items\n"
        "0003 09 81 16 00 07 00  do_not_disturb\n"
        "0003 06 02 00 01  display.time_format\n"
        "0003 06 05 00 01  display.raise_to_wake\n"
        "0003 06 0d 00 01  display.rotate_to_switch\n");

  write_file(dir + "/bad.toml", "[goal]\nsteps = 70000\n[display]\ntime_format = \"25h\"\ncolour = 1\n");
  r = run("config apply " + dir + "/bad.toml --device sim --speed 20 --state-dir " + dir);
  CHECK(r.status == 2);
  CHECK(r.out.empty());
  CHECK(r.err ==
        "bandwire config: " + dir + "/bad.toml:2:9: goal.steps: 70000 is out of range 1..65535\n"
        "bandwire config: " + dir + "/bad.toml:4:15: display.time_format: \"25h\" is not one of 12h, 24h\n"
        "bandwire config: " + dir + "/bad.toml:5:1: display.colour: unknown key (display takes items, time_format, "
        "distance_unit, date, raise_to_wake, rotate_to_switch)\n"
        "bandwire config: nothing was written to the band (see README \"Settings file\")\n");
  CHECK(::access((dir + "/keys").c_str(), F_OK) != 0);  // it never connected (no key was made for the sim)
  CHECK(run("config apply " + dir + "/missing.toml --device sim").status == 2);
  CHECK(run("config apply --device sim").status == 2);
  CHECK(run("config frobnicate --device sim").status == 2);
  std::system(("rm -rf " + dir).c_str());
}

TEST_CASE("settings cli: config apply and show, alarm set, list and clear with --device sim") {
  const std::string dir = bandwire::test::make_temp_dir("bandwire-settings-cli");
  const std::string dev = " --device sim --speed 20 --state-dir " + dir;
  write_file(dir + "/band.toml", settings_text);
  auto r = run("config apply " + dir + "/band.toml" + dev);
  CAPTURE(r.err);
  REQUIRE(r.status == 0);
  CHECK(r.out ==
        "ok goal.steps 10 00 00 28 23 00 00\n"
        "ok heart_rate.interval_minutes 14 0a\n"
        "ok display.items 0a 13 00 00 01 02 03 04 05 -> 10 0a 01\n"
        "ok do_not_disturb 09 81 16 00 07 00 -> 10 09 01\n"
        "ok display.time_format 06 02 00 01 -> 10 06 02 00 01\n"
        "ok display.raise_to_wake 06 05 00 01 -> 10 06 05 00 01\n"
        "ok display.rotate_to_switch 06 0d 00 01 -> 10 06 0d 00 01\n");
  // A second file changes only what it sets; show prints the merge as a settings file.
  write_file(dir + "/more.toml", "[display]\ntime_format = \"12h\"\n[wear]\nside = \"right\"\n");
  REQUIRE(run("config apply " + dir + "/more.toml" + dev).status == 0);
  r = run("config show --device sim --state-dir " + dir);
  CHECK(r.status == 0);
  CHECK(r.out == "# what bandwire last applied to sim (" + dir + "/settings/sim.toml)\n"
                 "[goal]\nsteps = 9000\n\n[wear]\nlocation = \"wrist\"\nside = \"right\"\n\n"
                 "[display]\nitems = [\"clock\", \"steps\", \"heart_rate\"]\ntime_format = \"12h\"\n"
                 "raise_to_wake = true\nrotate_to_switch = true\n\n"
                 "[do_not_disturb]\nmode = \"scheduled\"\nstart = \"22:00\"\nend = \"07:00\"\nlift_to_wake = false\n\n"
                 "[heart_rate]\ninterval_minutes = 10\n");
  // What show prints is a settings file that applies again.
  write_file(dir + "/shown.toml", r.out);
  CHECK(run("config apply " + dir + "/shown.toml --dry-run").status == 0);

  r = run("alarm set 2 06:45 --days weekdays" + dev);
  CHECK(r.status == 0);
  CHECK(r.out == "ok alarm 2 02 82 06 2d 1f -> 10 02 01\n");
  REQUIRE(run("alarm set 9 21:05 --days sat,sun --disabled --no-snooze" + dev).status == 0);
  r = run("alarm list --device sim --state-dir " + dir);
  CHECK(r.status == 0);
  CHECK(r.out == "0 -\n1 -\n2 06:45 weekdays enabled\n3 -\n4 -\n5 -\n6 -\n7 -\n8 -\n9 21:05 weekend disabled no-snooze\n");
  CHECK(r.err.find("the band cannot report its own") != std::string::npos);
  REQUIRE(run("alarm clear 2" + dev).status == 0);
  r = run("alarm list --json --device sim --state-dir " + dir);
  CHECK(r.out.find("{\"kind\":\"alarm\",\"slot\":2,\"set\":false}\n") != std::string::npos);
  CHECK(r.out.find("{\"kind\":\"alarm\",\"slot\":9,\"set\":true,\"time\":\"21:05\",\"days\":\"weekend\",\"enabled\":false,"
                   "\"snooze\":false}") != std::string::npos);
  // Usage errors never connect.
  CHECK(run("alarm set 10 07:00" + dev).status == 2);
  CHECK(run("alarm set 1 7:00" + dev).status == 2);
  CHECK(run("alarm set 1 07:00 --days someday" + dev).status == 2);
  CHECK(run("alarm clear" + dev).status == 2);
  CHECK(run("alarm list extra --device sim").status == 2);
  r = run("alarm --help");
  CHECK(r.out.find("has no command to read its") != std::string::npos);
  std::system(("rm -rf " + dir).c_str());
}

TEST_CASE("settings cli: against `bandwire sim --listen`, the band's own log reads the settings back; a refused "
          "setting shows its raw bytes") {
  const std::string dir = bandwire::test::make_temp_dir("bandwire-settings-cli");
  const std::string sock = dir + "/band.sock";
  write_file(dir + "/k.key", "000102030405060708090a0b0c0d0e0f\n");
  ::chmod((dir + "/k.key").c_str(), 0600);
  pid_t sim = ::fork();
  REQUIRE(sim >= 0);
  if (sim == 0) {
    const int fd = ::open((dir + "/sim.err").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    ::dup2(fd, 2);
    ::execl(exe().c_str(), "bandwire", "sim", "--listen", ("unix:" + sock).c_str(), "--key-file",
            (dir + "/k.key").c_str(), "--refuse-setting", "0x0d", "--speed", "20", "--duration", "60",
            static_cast<char*>(nullptr));
    ::_exit(127);
  }
  for (int i = 0; i < 100 && ::access(sock.c_str(), F_OK) != 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  const std::string dev = " --device unix:" + sock + " --key-file " + dir + "/k.key --state-dir " + dir;
  write_file(dir + "/band.toml", settings_text);
  auto r = run("config apply " + dir + "/band.toml" + dev);
  CAPTURE(r.err);
  CHECK(r.status == 1);
  CHECK(r.out.find("FAILED display.rotate_to_switch 06 0d 00 01 -> 10 06 06\n") != std::string::npos);
  CHECK(r.err.find("bandwire: display.rotate_to_switch: the band refused 06 0d 00 01: it answered 10 06 06 (Mi Band "
                   "refused the command)\n") != std::string::npos);
  REQUIRE(run("alarm set 4 06:30 --days mon,wed,fri" + dev).status == 0);
  ::kill(sim, SIGTERM);
  int st = 0;
  ::waitpid(sim, &st, 0);
  CHECK(WIFEXITED(st));
  const std::string log = slurp(dir + "/sim.err");
  CAPTURE(log);
  for (const char* line : {
           "bandwire sim: 0008 10 00 00 28 23 00 00: goal.steps = 9000\n",
           "bandwire sim: 2a39 14 0a: heart_rate.interval_minutes = 10\n",
           "bandwire sim: 0003 0a 13 00 00 01 02 03 04 05 -> 10 0a 01: display.items = [\"clock\", \"steps\", "
           "\"heart_rate\"]\n",
           "bandwire sim: 0003 09 81 16 00 07 00 -> 10 09 01: do_not_disturb.mode = \"scheduled\"; do_not_disturb.start = "
           "\"22:00\"; do_not_disturb.end = \"07:00\"; do_not_disturb.lift_to_wake = false\n",
           "bandwire sim: 0003 06 02 00 01 -> 10 06 02 00 01: display.time_format = \"24h\"\n",
           "bandwire sim: 0003 06 05 00 01 -> 10 06 05 00 01: display.raise_to_wake = true\n",
           "bandwire sim: 0003 06 0d 00 01 -> 10 06 06: not supported\n",
           "bandwire sim: 0003 02 84 06 1e 15 -> 10 02 01: alarm 4 = 06:30 mon,wed,fri enabled\n"}) {
    CHECK(log.find(line) != std::string::npos);
  }
  // What the band refused is not recorded as applied.
  r = run("config show --device unix:" + sock + " --state-dir " + dir);
  CHECK(r.out.find("rotate_to_switch") == std::string::npos);
  CHECK(r.out.find("raise_to_wake = true") != std::string::npos);
  std::system(("rm -rf " + dir).c_str());
}

TEST_CASE("settings cli: sim:mb3 gets the Mi Band 3's display-items frame, chosen from the band; config show reads it "
          "back") {
  const std::string dir = bandwire::test::make_temp_dir("bandwire-settings-cli");
  const std::string dev = " --device sim:mb3 --speed 20 --state-dir " + dir;
  write_file(dir + "/mb3.toml", mb3_text);
  auto r = run("config apply " + dir + "/mb3.toml" + dev);
  CAPTURE(r.err);
  REQUIRE(r.status == 0);
  CHECK(r.out ==
        "ok heart_rate.interval_minutes 14 0a\n"
        "ok display.items 0a 47 00 00 01 03 04 05 06 02 07 08 -> 10 0a 01\n"
        "ok display.time_format 06 02 00 01 -> 10 06 02 00 01\n");
  r = run("config show --device sim:mb3 --state-dir " + dir);
  CHECK(r.status == 0);
  CHECK(r.out.find("[display]\nitems = [\"clock\", \"notifications\", \"heart_rate\", \"weather\"]\n"
                   "time_format = \"24h\"\n") != std::string::npos);
  // Without a band, --dry-run prints the frame of the family the screens are of, named.
  r = run("config apply " + dir + "/mb3.toml --dry-run");
  CHECK(r.status == 0);
  CHECK(r.out.find("0003 0a 47 00 00 01 03 04 05 06 02 07 08  display.items (Mi Band 3 / Mi Band 4)\n") !=
        std::string::npos);
  write_file(dir + "/hr.toml", "[display]\nitems = [\"heart_rate\"]\n");  // both bands have it
  r = run("config apply " + dir + "/hr.toml --dry-run");
  CHECK(r.out == "0003 0a 11 00 00 01 02 03 04 05  display.items (Mi Band 2)\n"
                 "0003 0a 41 00 00 02 03 04 05 06 01 07 08  display.items (Mi Band 3 / Mi Band 4)\n");
  // The Mi Band 2's screens on a Mi Band 3: refused before anything is written, naming the screen and the family.
  write_file(dir + "/mb2.toml", settings_text);
  r = run("config apply " + dir + "/mb2.toml" + dev);
  CHECK(r.status == 2);
  CHECK(r.out.empty());
  CHECK(r.err == "bandwire config: display.items: the Mi Band 3 has no \"steps\" screen (its screens after the clock: "
                 "notifications, weather, activity, more, status, heart_rate, timer, nfc; fact sheet §18)\n"
                 "bandwire config: nothing was written to the band\n");
  r = run("config show --device sim:mb3 --state-dir " + dir);
  CHECK(r.out.find("steps = 9000") == std::string::npos);  // goal.steps was not written either
  // And the Mi Band 3's on a Mi Band 2.
  r = run("config apply " + dir + "/mb3.toml --device sim --speed 20 --state-dir " + dir);
  CHECK(r.status == 2);
  CHECK(r.out.empty());
  CHECK(r.err.find("display.items: the Mi Band 2 has no \"notifications\" screen") != std::string::npos);
  CHECK(r.err.find("display.items: the Mi Band 2 has no \"weather\" screen") != std::string::npos);
  // A file with screens of both bands fits none: a file error, found without a band.
  write_file(dir + "/mixed.toml", "[display]\nitems = [\"steps\", \"nfc\"]\n");
  r = run("config apply " + dir + "/mixed.toml" + dev);
  CHECK(r.status == 2);
  CHECK(r.err.find("display.items: mixes screens of different bands") != std::string::npos);
  std::system(("rm -rf " + dir).c_str());
}

TEST_CASE("settings cli: alarms set, listed and cleared on sim:mb3; sim:mb4 takes the Mi Band 3's display items") {
  const std::string dir = bandwire::test::make_temp_dir("bandwire-settings-cli");
  const std::string dev = " --device sim:mb3 --speed 20 --state-dir " + dir;
  auto r = run("alarm set 3 06:45 --days weekdays" + dev);
  CAPTURE(r.err);
  CHECK(r.status == 0);
  CHECK(r.out == "ok alarm 3 02 83 06 2d 1f -> 10 02 01\n");
  r = run("alarm set 7 22:10 --days sat,sun --no-snooze" + dev);
  CHECK(r.status == 0);
  CHECK(r.out == "ok alarm 7 02 c7 16 0a 60 -> 10 02 01\n");
  r = run("alarm list --device sim:mb3 --state-dir " + dir);
  CHECK(r.status == 0);
  CHECK(r.out == "0 -\n1 -\n2 -\n3 06:45 weekdays enabled\n4 -\n5 -\n6 -\n7 22:10 weekend enabled no-snooze\n8 -\n9 -\n");
  r = run("alarm clear 3" + dev);
  CHECK(r.status == 0);
  CHECK(r.out == "ok alarm 3 02 03 00 00 00 -> 10 02 01\n");
  r = run("alarm list --device sim:mb3 --state-dir " + dir);
  CHECK(r.out.find("3 -\n") != std::string::npos);

  const std::string mb4 = " --device sim:mb4 --key-file " + key_file(dir) + " --speed 20 --state-dir " + dir;
  write_file(dir + "/mb3.toml", mb3_text);
  r = run("config apply " + dir + "/mb3.toml" + mb4);
  CHECK(r.status == 0);
  CHECK(r.out.find("ok display.items 0a 47 00 00 01 03 04 05 06 02 07 08 -> 10 0a 01\n") != std::string::npos);
  CHECK(r.out.find("ok heart_rate.interval_minutes 14 0a\n") != std::string::npos);  // the Mi Band 4 keeps 2A39 (§18)
  r = run("config show --device sim:mb4 --state-dir " + dir);
  CHECK(r.out.find("items = [\"clock\", \"notifications\", \"heart_rate\", \"weather\"]") != std::string::npos);
  write_file(dir + "/mb2.toml", settings_text);
  r = run("config apply " + dir + "/mb2.toml" + mb4);
  CHECK(r.status == 2);
  CHECK(r.out.empty());
  CHECK(r.err.find("display.items: the Mi Band 4 has no \"steps\" screen") != std::string::npos);
  r = run("alarm set 0 07:00 --days daily" + mb4);
  CHECK(r.status == 0);
  CHECK(r.out == "ok alarm 0 02 80 07 00 7f -> 10 02 01\n");
  std::system(("rm -rf " + dir).c_str());
}

TEST_CASE("settings cli: `bandwire sim --model mb3` logs the display items it holds, in order") {
  const std::string dir = bandwire::test::make_temp_dir("bandwire-settings-cli");
  const std::string sock = dir + "/mb3.sock";
  write_file(dir + "/k.key", "000102030405060708090a0b0c0d0e0f\n");
  ::chmod((dir + "/k.key").c_str(), 0600);
  pid_t sim = ::fork();
  REQUIRE(sim >= 0);
  if (sim == 0) {
    const int fd = ::open((dir + "/sim.err").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    ::dup2(fd, 2);
    ::execl(exe().c_str(), "bandwire", "sim", "--listen", ("unix:" + sock).c_str(), "--model", "mb3", "--key-file",
            (dir + "/k.key").c_str(), "--speed", "20", "--duration", "60", static_cast<char*>(nullptr));
    ::_exit(127);
  }
  for (int i = 0; i < 100 && ::access(sock.c_str(), F_OK) != 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  const std::string dev = " --device unix:" + sock + " --key-file " + dir + "/k.key --state-dir " + dir;
  write_file(dir + "/mb3.toml", "[display]\nitems = [\"nfc\", \"status\"]\n");
  auto r = run("config apply " + dir + "/mb3.toml" + dev);
  CAPTURE(r.err);
  CHECK(r.status == 0);
  CHECK(r.out == "ok display.items 0a 21 01 00 03 04 05 06 02 07 08 01 -> 10 0a 01\n");
  ::kill(sim, SIGTERM);  // the sim this test started, by its id
  int st = 0;
  ::waitpid(sim, &st, 0);
  const std::string log = slurp(dir + "/sim.err");
  CAPTURE(log);
  CHECK(log.find("bandwire sim: 0003 0a 21 01 00 03 04 05 06 02 07 08 01 -> 10 0a 01: display.items = [\"clock\", "
                 "\"nfc\", \"status\"]\n") != std::string::npos);
  std::system(("rm -rf " + dir).c_str());
}
