// What bandwire last applied, under the state directory: saved, loaded back,
// private, and a damaged file reported with its place instead of being used.
#include "miband/settings_store.hpp"

#include <doctest/doctest.h>

#include <sys/stat.h>

#include <cstdlib>
#include <fstream>
#include <string>

using namespace bandwire::miband;

namespace {

std::string temp_dir() {
  std::string t = "/tmp/bandwire-settings-store-XXXXXX";
  REQUIRE(::mkdtemp(t.data()) != nullptr);
  return t;
}

unsigned mode_of(const std::string& p) {
  struct stat st {};
  REQUIRE(::stat(p.c_str(), &st) == 0);
  return st.st_mode & 0777;
}

}  // namespace

TEST_CASE("settings store: nothing stored reads as empty; saved settings and alarms read back, mode 0600") {
  const std::string dir = temp_dir();
  settings_store st(dir + "/state");
  std::string err;
  CHECK(st.load_settings("sim", err).empty());
  CHECK(err.empty());
  CHECK(st.load_alarms("sim", err) == alarm_table{});
  CHECK(err.empty());

  band_settings s;
  s.step_goal = 12000;
  s.dnd = do_not_disturb{dnd_mode::automatic, {{22, 0}, {7, 0}}, true};
  s.user = user_info{1970, 6, 15, gender::female, 165, 12345, 42};
  REQUIRE(st.save_settings("FA8EE312B4A9", s).empty());
  CHECK(st.settings_path("FA8EE312B4A9") == dir + "/state/settings/FA8EE312B4A9.toml");
  CHECK(mode_of(st.settings_path("FA8EE312B4A9")) == 0600);
  CHECK(mode_of(dir + "/state/settings") == 0700);
  CHECK(st.load_settings("FA8EE312B4A9", err) == s);
  CHECK(err.empty());

  alarm_table a{};
  a[5] = band_alarm{5, {5, 55}, alarm_day::saturday, true, false};
  REQUIRE(st.save_alarms("FA8EE312B4A9", a).empty());
  CHECK(mode_of(st.alarms_path("FA8EE312B4A9")) == 0600);
  CHECK(st.load_alarms("FA8EE312B4A9", err) == a);
  CHECK(err.empty());
  std::system(("rm -rf " + dir).c_str());
}

TEST_CASE("settings store: a damaged file is an error naming the file and the place, never half-used") {
  const std::string dir = temp_dir();
  settings_store st(dir);
  ::mkdir((dir + "/settings").c_str(), 0700);
  std::ofstream(st.settings_path("sim")) << "[goal]\nsteps = 9000\n[display]\ntime_format = 7\n";
  std::string err;
  CHECK(st.load_settings("sim", err).empty());
  CHECK(err == st.settings_path("sim") + ":4:15: display.time_format: must be one of 12h, 24h (a string), not an integer");
  ::mkdir((dir + "/alarms").c_str(), 0700);
  std::ofstream(st.alarms_path("sim")) << "[[alarm]\n";
  err.clear();
  CHECK(st.load_alarms("sim", err) == alarm_table{});
  CHECK(err.rfind(st.alarms_path("sim") + ":1:", 0) == 0);
  std::system(("rm -rf " + dir).c_str());
}
