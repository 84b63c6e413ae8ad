#include "hci/hci_socket.hpp"  // first: the header is self-contained

#include <doctest/doctest.h>

#include "hci/system_check.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <string>
#include <thread>
#include <vector>
#include "tests/support/hex.hpp"

// The raw-socket shell against a scripted controller: one end of an AF_UNIX
// SOCK_SEQPACKET socketpair carries H4-framed packets exactly as a raw HCI
// socket does (indicator 0x01 + command, 0x04 + event). Each script lists the
// command bytes bandwire must send, in order, and what the controller answers;
// any extra or missing command fails the test. Expected commands are written
// from Core 5.4 Vol 4 Part E §7.8.10-11, §7.8.64-65.
//
// What this cannot show (it needs the VM suite): the kernel's socket filter
// and privilege checks, HCIGETDEVLIST/HCIGETDEVINFO/HCIDEVUP/HCIDEVRESET, and
// a real controller's Command Disallowed rules.

using namespace bandwire;
using namespace bandwire::hci;
using namespace std::chrono_literals;

namespace {

using bytes = std::vector<std::uint8_t>;

using bandwire::test::hx;

std::string hex2(unsigned v) {
  char b[8];
  std::snprintf(b, sizeof b, "%02x", v & 0xffu);
  return b;
}

// Command Complete for `op` with Status `st` and further return parameters.
std::string cc(std::uint16_t op, std::uint8_t st, const std::string& more = "") {
  const std::size_t more_len = bytes(hx(more)).size();
  return "0e" + hex2(static_cast<unsigned>(4 + more_len)) + "01" + hex2(op) + hex2(op >> 8) + hex2(st) + more;
}
std::string cs(std::uint16_t op, std::uint8_t st) { return "0f04" + hex2(st) + "01" + hex2(op) + hex2(op >> 8); }

// Read Local Supported Commands' 64 octets with the scan bits chosen.
std::string supported(bool legacy, bool extended) {
  bytes o(64, 0);
  if (legacy) o[26] = 0x0c;
  if (extended) o[37] = 0x60;
  return to_hex(o);
}

const std::string legacy_params = "0b2007" "01" "6000" "3000" "00" "00";
const std::string legacy_enable = "0c20020101";
const std::string legacy_disable = "0c20020000";
const std::string ext_params = "412008" "00" "00" "01" "01" "6000" "3000";
const std::string ext_enable = "422006" "01" "01" "0000" "0000";
const std::string ext_disable = "422006" "00" "00" "0000" "0000";
const std::string read_commands = "021000";

// A legacy report event with one ADV_IND of the band (31 octets) and one
// SCAN_RSP of it.
const std::string legacy_reports =
    "3e44" "0202"
    "0001a9b412e38efa1f" "0201061bff5701002c04e3a09ee1beab4773fa4501ec4fd703fa8ee312b4a9" "c5"
    "0401a9b412e38efa0f" "0a094d492042616e64203203 02e0fe" "c4";
const std::string ext_reports =
    "3e" "38" "0d02"
    "1300" "01a9b412e38efa" "0100ff7fc5" "0000" "00000000000000" "03" "020106"
    "0100" "00665544332211" "010203fcba" "0000" "00000000000000" "03" "020106";

struct step {
  std::string expect;                ///< a command, hex, without the H4 indicator
  std::vector<std::string> replies;  ///< events, hex, without the H4 indicator
};

// Plays a script on its end of the pair in a thread. After the last step it
// watches for stray commands until finish() is called.
class controller {
 public:
  explicit controller(std::vector<step> script, std::vector<std::string> before = {}) {
    REQUIRE(::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv_) == 0);
    for (const auto& e : before) send_event(e);
    thread_ = std::thread([this, s = std::move(script)] { play(s); });
  }
  ~controller() {
    if (thread_.joinable()) finish();
    ::close(sv_[1]);
  }
  /// The host's end, owned by the hci_socket made from it.
  int host_fd() const noexcept { return sv_[0]; }
  /// Joins the thread; returns every problem seen.
  std::vector<std::string> finish() {
    ::shutdown(sv_[1], SHUT_WR);  // stop the watch loop once the host is done
    done_ = true;
    thread_.join();
    return problems_;
  }
  std::vector<std::string> problems() const { return problems_; }

 private:
  void send_event(const std::string& h) {
    bytes v = hx(h);
    v.insert(v.begin(), 0x04);
    (void)::send(sv_[1], v.data(), v.size(), MSG_NOSIGNAL);
  }
  bool receive(int ms, std::string& out) {
    pollfd p{sv_[1], POLLIN, 0};
    if (::poll(&p, 1, ms) <= 0) return false;
    std::uint8_t buf[600];
    const ssize_t n = ::recv(sv_[1], buf, sizeof buf, MSG_DONTWAIT);
    if (n <= 0) return false;
    if (buf[0] != 0x01) {
      problems_.push_back("not a command packet: " + to_hex(bytes_view(buf, static_cast<std::size_t>(n))));
      return true;
    }
    out = to_hex(bytes_view(buf + 1, static_cast<std::size_t>(n - 1)));
    return true;
  }
  void play(const std::vector<step>& script) {
    for (const auto& s : script) {
      std::string got;
      if (!receive(3000, got)) {
        problems_.push_back("missing command " + s.expect);
        return;
      }
      const std::string want = to_hex(hx(s.expect));
      if (got != want) problems_.push_back("expected " + want + ", got " + got);
      for (const auto& r : s.replies) send_event(r);
    }
    while (!done_) {
      std::string got;
      if (receive(20, got)) problems_.push_back("unexpected command " + got);
    }
  }

  int sv_[2] = {-1, -1};
  std::thread thread_;
  std::vector<std::string> problems_;
  std::atomic<bool> done_{false};
};

// Every problem on one line; empty when the script ran exactly.
std::string joined(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : "; ") + x;
  return s;
}

scan_options quick() {
  scan_options o;
  o.command_timeout = 1000ms;
  return o;
}

}  // namespace

TEST_CASE("extended scanning when Read Local Supported Commands lists it; every report; restored on stop") {
  controller c({
      {read_commands, {cc(0x1002, 0, supported(true, true))}},
      {ext_params, {cc(0x2041, 0)}},
      {ext_enable, {cc(0x2042, 0), ext_reports, "3e020d00" /* zero reports: malformed */}},
      {ext_disable, {cc(0x2042, 0)}},
  });
  hci_socket s(c.host_fd());
  std::vector<std::string> seen;
  {
    le_scanner sc(s);
    std::string msg;
    REQUIRE_MESSAGE(!sc.start(quick(), msg), msg);
    CHECK(sc.state().extended);
    CHECK(sc.state().enabled_by_us);
    CHECK_FALSE(sc.state().already_scanning);
    REQUIRE_FALSE(sc.run(std::chrono::steady_clock::now() + 200ms, [&](const adv_report& r) {
      seen.push_back(r.addr.to_string() + (r.format == report_format::extended ? " ext" : " legacy"));
    }));
    CHECK(sc.malformed() == 1);
    REQUIRE_FALSE(sc.stop(msg));
    CHECK_FALSE(sc.stop(msg));  // idempotent: nothing more is sent
  }
  CHECK(seen == std::vector<std::string>{"FA:8E:E3:12:B4:A9 ext", "11:22:33:44:55:66 ext"});
  const auto problems = c.finish();
  CHECK(joined(problems) == "");
}

TEST_CASE("legacy scanning on a 4.x controller; reports that race the enable are kept; passive, no duplicate filter") {
  controller c({
      {read_commands, {cc(0x1002, 0, supported(true, false))}},
      {"0b2007" "00" "1000" "1000" "01" "00", {cc(0x200b, 0)}},
      {"0c20020100", {legacy_reports, cc(0x200c, 0)}},
      {legacy_disable, {cc(0x200c, 0)}},
  });
  hci_socket s(c.host_fd());
  std::vector<adv_report> seen;
  std::vector<bytes> data;  // the reports' data outlive their events
  {
    le_scanner sc(s);
    scan_options o = quick();
    o.params.type = scan_type::passive;
    o.params.interval = 0x0010;
    o.params.window = 0x0010;
    o.params.own = own_address::random_address;
    o.filter_duplicates = false;
    std::string msg;
    REQUIRE_MESSAGE(!sc.start(o, msg), msg);
    CHECK_FALSE(sc.state().extended);
    CHECK(sc.state().enabled_by_us);
    REQUIRE_FALSE(sc.run(std::chrono::steady_clock::now() + 100ms, [&](const adv_report& r) {
      seen.push_back(r);
      data.emplace_back(r.data.begin(), r.data.end());
    }));
    // The destructor disables the scan.
  }
  REQUIRE(seen.size() == 2);
  CHECK(seen[0].event_type == legacy_event::adv_ind);
  CHECK(seen[1].event_type == legacy_event::scan_rsp);
  CHECK(data[1].size() == 15);
  const auto problems = c.finish();
  CHECK(joined(problems) == "");
}

TEST_CASE("an adapter that is already scanning is listened to and left running") {
  controller c({
      {read_commands, {cc(0x1002, 0, supported(true, false))}},
      {legacy_params, {cc(0x200b, 0x0c), legacy_reports}},  // Command Disallowed: scanning is on
  });
  hci_socket s(c.host_fd());
  std::size_t reports = 0;
  {
    le_scanner sc(s);
    std::string msg;
    REQUIRE_MESSAGE(!sc.start(quick(), msg), msg);
    CHECK(sc.state().already_scanning);
    CHECK_FALSE(sc.state().enabled_by_us);
    CHECK(sc.state().note.find("already scanning") != std::string::npos);
    REQUIRE_FALSE(sc.run(std::chrono::steady_clock::now() + 100ms, [&](const adv_report&) { ++reports; }));
    CHECK_FALSE(sc.stop(msg));  // sends nothing: the other scanner's scan stays on
  }
  CHECK(reports == 2);
  const auto problems = c.finish();
  CHECK(joined(problems) == "");
}

TEST_CASE("extended commands refused (controller locked to legacy): falls back to legacy") {
  controller c({
      {read_commands, {cc(0x1002, 0, supported(true, true))}},
      {ext_params, {cc(0x2041, 0x0c)}},
      {legacy_params, {cc(0x200b, 0)}},
      {legacy_enable, {cc(0x200c, 0)}},
      {legacy_disable, {cc(0x200c, 0)}},
  });
  hci_socket s(c.host_fd());
  le_scanner sc(s);
  std::string msg;
  REQUIRE_MESSAGE(!sc.start(quick(), msg), msg);
  CHECK_FALSE(sc.state().extended);
  CHECK(sc.state().enabled_by_us);
  CHECK(sc.state().note.find("legacy") != std::string::npos);
  CHECK_FALSE(sc.stop(msg));
  const auto problems = c.finish();
  CHECK(joined(problems) == "");
}

TEST_CASE("both families refused: someone scans with extended commands; listen only") {
  controller c({
      {read_commands, {cc(0x1002, 0, supported(true, true))}},
      {ext_params, {cc(0x2041, 0x0c)}},
      {legacy_params, {cc(0x200b, 0x0c)}},
  });
  hci_socket s(c.host_fd());
  le_scanner sc(s);
  std::string msg;
  REQUIRE_MESSAGE(!sc.start(quick(), msg), msg);
  CHECK(sc.state().already_scanning);
  CHECK_FALSE(sc.state().enabled_by_us);
  CHECK_FALSE(sc.stop(msg));
  const auto problems = c.finish();
  CHECK(joined(problems) == "");
}

TEST_CASE("Read Local Supported Commands unknown: legacy; others' events and replies are not taken for ours") {
  controller c({
      // First the kernel's own Command Complete for Reset, then ours: unknown command.
      {read_commands, {cc(0x0c03, 0), cc(0x1002, 0x01)}},
      {legacy_params, {cs(0x2006, 0x0c), cc(0x200b, 0)}},  // a Command Status for another opcode
      {legacy_enable, {"0504004000" "13", cc(0x200c, 0)}},  // a Disconnection Complete in between
      {legacy_disable, {cc(0x200c, 0)}},
  });
  hci_socket s(c.host_fd());
  le_scanner sc(s);
  std::string msg;
  REQUIRE_MESSAGE(!sc.start(quick(), msg), msg);
  CHECK_FALSE(sc.state().extended);
  CHECK_FALSE(sc.stop(msg));
  const auto problems = c.finish();
  CHECK(joined(problems) == "");
}

TEST_CASE("forced extended mode on a legacy controller fails with a message, sending nothing else") {
  controller c({{read_commands, {cc(0x1002, 0, supported(true, false))}}});
  hci_socket s(c.host_fd());
  le_scanner sc(s);
  scan_options o = quick();
  o.mode = scan_mode::extended;
  std::string msg;
  CHECK(sc.start(o, msg) == status::unknown_command);
  CHECK(msg.find("extended scan") != std::string::npos);
  const auto problems = c.finish();
  CHECK(joined(problems) == "");
}

TEST_CASE("controller failures become one-line messages") {
  SUBCASE("silence: a timeout naming the command") {
    controller c({{read_commands, {}}});
    hci_socket s(c.host_fd());
    le_scanner sc(s);
    scan_options o = quick();
    o.command_timeout = 100ms;
    std::string msg;
    const auto t0 = std::chrono::steady_clock::now();
    CHECK(sc.start(o, msg) == errc::command_timeout);
    CHECK(std::chrono::steady_clock::now() - t0 < 2s);
    CHECK(msg == "Read Local Supported Commands: the controller did not answer (wedged? try: bandwire adapter reset)");
    CHECK(joined(c.finish()) == "");
  }
  SUBCASE("a failing Command Status for our opcode") {
    controller c({
        {read_commands, {cc(0x1002, 0, supported(true, false))}},
        {legacy_params, {cs(0x200b, 0x12)}},
    });
    hci_socket s(c.host_fd());
    le_scanner sc(s);
    std::string msg;
    CHECK(sc.start(quick(), msg) == status::invalid_parameters);
    CHECK(msg == "LE Set Scan Parameters: controller: Invalid HCI Command Parameters (0x12)");
    CHECK(joined(c.finish()) == "");
  }
  SUBCASE("enable refused with another error") {
    controller c({
        {read_commands, {cc(0x1002, 0, supported(true, false))}},
        {legacy_params, {cc(0x200b, 0)}},
        {legacy_enable, {cc(0x200c, 0x07)}},
    });
    hci_socket s(c.host_fd());
    le_scanner sc(s);
    std::string msg;
    CHECK(sc.start(quick(), msg) == status_error(0x07));
    CHECK(msg.find("LE Set Scan Enable") == 0);
    CHECK_FALSE(sc.state().enabled_by_us);
    CHECK(joined(c.finish()) == "");  // nothing to restore: it never started
  }
}

TEST_CASE("a cancel descriptor (Ctrl-C) ends run() early; stop() still restores") {
  controller c({
      {read_commands, {cc(0x1002, 0, supported(true, false))}},
      {legacy_params, {cc(0x200b, 0)}},
      {legacy_enable, {cc(0x200c, 0)}},
      {legacy_disable, {cc(0x200c, 0)}},
  });
  int p[2];
  REQUIRE(::pipe(p) == 0);
  hci_socket s(c.host_fd());
  s.set_cancel_fd(p[0]);
  le_scanner sc(s);
  std::string msg;
  REQUIRE_MESSAGE(!sc.start(quick(), msg), msg);
  REQUIRE(::write(p[1], "x", 1) == 1);
  const auto t0 = std::chrono::steady_clock::now();
  CHECK(sc.run(t0 + 10s, [](const adv_report&) {}) == boost::system::errc::operation_canceled);
  CHECK(std::chrono::steady_clock::now() - t0 < 2s);
  CHECK_FALSE(sc.stop(msg));
  CHECK(s.cancel_fd() == p[0]);
  const auto problems = c.finish();
  CHECK(joined(problems) == "");
  ::close(p[0]);
  ::close(p[1]);
}

TEST_CASE("hci_socket::command ignores packets that are not events and checks its input") {
  int sv[2];
  REQUIRE(::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == 0);
  hci_socket s(sv[0]);
  // An ACL packet and a truncated event arrive before the answer.
  const bytes junk1 = hx("02 4000 0000");
  const bytes junk2 = hx("04 0e 05 01");
  const bytes answer = hx("04 0e 04 01 03 0c 00");
  for (const bytes* b : {&junk1, &junk2, &answer}) REQUIRE(::send(sv[1], b->data(), b->size(), 0) > 0);
  std::vector<std::uint8_t> rp;
  std::size_t others = 0;
  CHECK_FALSE(s.command(encode_reset(), 1000ms, rp, [&](bytes_view) { ++others; }));
  CHECK(to_hex(rp) == "00");
  CHECK(others == 1);  // the truncated event; the ACL packet is not an event at all
  std::uint8_t buf[16];
  CHECK(::recv(sv[1], buf, sizeof buf, 0) == 4);
  CHECK(to_hex(bytes_view(buf, 4)) == "01030c00");
  CHECK(s.command(hx("030c01"), 100ms, rp) == errc::truncated_packet);  // nothing sent
  ::close(sv[1]);
  CHECK(s.command(encode_reset(), 1000ms, rp));  // peer gone: an error, not a hang
}

TEST_CASE("adapter names and errno explanations") {
  CHECK(parse_adapter_name("hci0") == 0);
  CHECK(parse_adapter_name("hci12") == 12);
  CHECK(parse_adapter_name("3") == 3);
  CHECK_FALSE(parse_adapter_name("hci"));
  CHECK_FALSE(parse_adapter_name("hcix"));
  CHECK_FALSE(parse_adapter_name("wlan0"));
  CHECK_FALSE(parse_adapter_name(""));
  CHECK_FALSE(parse_adapter_name("hci99999"));
  CHECK(explain_errno(EAFNOSUPPORT, "x").rfind("no Bluetooth support in this kernel", 0) == 0);
  CHECK(explain_errno(EPERM, "bring up hci0").find("CAP_NET_ADMIN") != std::string::npos);
  CHECK(explain_errno(ERFKILL, "bring up hci0").find("rfkill unblock bluetooth") != std::string::npos);
  CHECK(explain_errno(ENETDOWN, "hci0").find("bandwire adapter up") != std::string::npos);
  CHECK(explain_errno(ENODEV, "hci7") == "hci7: no such adapter (see: bandwire adapters)");
  CHECK(bus_name(1) == "usb");
  CHECK(bus_name(0) == "virtual");
  CHECK(bus_name(42) == "bus42");
}

TEST_CASE("without kernel Bluetooth every adapter call fails fast with the same clear message") {
  if (!probe_bluetooth_socket()) {
    MESSAGE("SKIPPED: this kernel has Bluetooth; the VM suite covers the ioctls");
    return;
  }
  std::vector<adapter_info> list;
  std::string msg;
  CHECK(list_adapters(list, msg).value() == EAFNOSUPPORT);
  CHECK(msg.rfind("no Bluetooth support in this kernel", 0) == 0);
  bool was_up = false;
  msg.clear();
  CHECK(adapter_up(0, was_up, msg).value() == EAFNOSUPPORT);
  CHECK(msg.rfind("no Bluetooth support", 0) == 0);
  msg.clear();
  CHECK(adapter_reset(0, msg).value() == EAFNOSUPPORT);
  hci_socket s;
  msg.clear();
  CHECK(hci_socket::open(0, s, msg).value() == EAFNOSUPPORT);
  CHECK(msg.rfind("no Bluetooth support", 0) == 0);
}
