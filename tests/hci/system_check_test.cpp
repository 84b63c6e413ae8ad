#include "hci/system_check.hpp"  // first: the header is self-contained

#include <doctest/doctest.h>

#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <fstream>
#include <string>

// doctor's inputs, from prepared text and directory trees shaped like
// /proc and /sys/class/rfkill.

using namespace bandwire::hci;

namespace {

struct temp_dir {
  std::filesystem::path path;
  temp_dir() {
    char tmpl[] = "/tmp/bandwire-syscheck-XXXXXX";
    REQUIRE(::mkdtemp(tmpl) != nullptr);
    path = tmpl;
  }
  ~temp_dir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
  void write(const std::filesystem::path& rel, const std::string& text) const {
    std::filesystem::create_directories((path / rel).parent_path());
    std::ofstream(path / rel) << text;
  }
};

// The lines around CapEff in a real /proc/self/status.
const char* const status_root =
    "Name:\tcat\nUmask:\t0022\nState:\tR (running)\n"
    "CapInh:\t0000000000000000\nCapPrm:\t000001ffffffffff\nCapEff:\t000001ffffffffff\n"
    "CapBnd:\t000001ffffffffff\nCapAmb:\t0000000000000000\nNoNewPrivs:\t0\n";
const char* const status_user =
    "Name:\tcat\nCapInh:\t0000000000000000\nCapPrm:\t0000000000000000\nCapEff:\t0000000000000000\n";
// setcap cap_net_raw+ep only: bit 13 = 0x2000.
const char* const status_net_raw = "CapEff:\t0000000000002000\n";
// cap_net_admin+ep only: bit 12 = 0x1000.
const char* const status_net_admin = "CapPrm:\t0000000000001000\nCapEff:\t0000000000001000";

}  // namespace

TEST_CASE("CapEff parsing: bits 12 (NET_ADMIN) and 13 (NET_RAW)") {
  REQUIRE(parse_cap_eff(status_root) == std::uint64_t{0x000001ffffffffff});
  auto c = capabilities_from(*parse_cap_eff(status_root));
  CHECK(c.net_admin);
  CHECK(c.net_raw);
  c = capabilities_from(*parse_cap_eff(status_user));
  CHECK_FALSE(c.net_admin);
  CHECK_FALSE(c.net_raw);
  c = capabilities_from(*parse_cap_eff(status_net_raw));
  CHECK_FALSE(c.net_admin);
  CHECK(c.net_raw);
  c = capabilities_from(*parse_cap_eff(status_net_admin));  // no trailing newline
  CHECK(c.net_admin);
  CHECK_FALSE(c.net_raw);
  CHECK(parse_cap_eff("CapEff:\t3000\n") == std::uint64_t{0x3000});
  CHECK(parse_cap_eff("CapEff: FFFFFFFFFFFFFFFF\n") == ~std::uint64_t{0});
  // Missing or malformed: no answer rather than a guess.
  CHECK_FALSE(parse_cap_eff(""));
  CHECK_FALSE(parse_cap_eff("CapPrm:\t0000000000003000\n"));
  CHECK_FALSE(parse_cap_eff("CapEff:\t\n"));
  CHECK_FALSE(parse_cap_eff("CapEff:\t00000000000030zz\n"));
  CHECK_FALSE(parse_cap_eff("CapEff:\t10000000000000000\n"));  // 17 digits
  CHECK_FALSE(parse_cap_eff("XCapEff:\t3000\n"));
}

TEST_CASE("this process's own status parses") {
  const auto text = read_text("/proc/self/status");
  REQUIRE(text);
  CHECK(parse_cap_eff(*text).has_value());
}

TEST_CASE("rfkill switches from a sysfs-shaped tree") {
  temp_dir d;
  d.write("rfkill0/type", "wlan\n");
  d.write("rfkill0/name", "phy0\n");
  d.write("rfkill0/soft", "0\n");
  d.write("rfkill0/hard", "0\n");
  d.write("rfkill1/type", "bluetooth\n");
  d.write("rfkill1/name", "hci0\n");
  d.write("rfkill1/soft", "1\n");
  d.write("rfkill1/hard", "0\n");
  d.write("rfkill2/type", "bluetooth\n");
  d.write("rfkill2/name", "hci1\n");
  d.write("rfkill2/soft", "0\n");
  d.write("rfkill2/hard", "1\n");
  d.write("not-a-switch/uevent", "x\n");
  const auto s = read_rfkill(d.path);
  REQUIRE(s.size() == 3);
  CHECK(s[0].id == "rfkill0");
  CHECK(s[0].type == "wlan");
  CHECK(s[1].name == "hci0");
  CHECK(s[1].type == "bluetooth");
  CHECK(s[1].soft);
  CHECK_FALSE(s[1].hard);
  CHECK_FALSE(s[2].soft);
  CHECK(s[2].hard);
  CHECK(read_rfkill(d.path / "missing").empty());
}

TEST_CASE("bluetoothd is found by /proc/<pid>/comm") {
  temp_dir d;
  d.write("1/comm", "init\n");
  d.write("412/comm", "bluetoothd\n");
  d.write("77/comm", "bluetoothd-helper\n");
  d.write("self/comm", "bluetoothd\n");  // not a pid directory
  d.write("9000/status", "no comm file\n");
  CHECK(find_processes("bluetoothd", d.path) == std::vector<int>{412});
  CHECK(find_processes("init", d.path) == std::vector<int>{1});
  CHECK(find_processes("btmon", d.path).empty());
  CHECK(find_processes("bluetoothd", d.path / "missing").empty());
  // The real /proc has this very process.
  const auto self = read_text("/proc/self/comm");
  REQUIRE(self);
  std::string comm = *self;
  if (!comm.empty() && comm.back() == '\n') comm.pop_back();
  const auto pids = find_processes(comm);
  CHECK(std::find(pids.begin(), pids.end(), static_cast<int>(::getpid())) != pids.end());
}

TEST_CASE("probing AF_BLUETOOTH reports the kernel's answer") {
  const auto ec = probe_bluetooth_socket();
  if (ec) {
    MESSAGE("this kernel: ", ec.message());
    CHECK((ec.value() == EAFNOSUPPORT || ec.value() == EPERM || ec.value() == EACCES));
  } else {
    MESSAGE("this kernel has Bluetooth sockets");
  }
}
