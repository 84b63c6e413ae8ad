// A scripted controller for the HCI tests: one end of an AF_UNIX
// SOCK_SEQPACKET socketpair carries H4-framed packets exactly as a raw HCI
// socket does (indicator 0x01 + command, 0x04 + event). Each script lists
// the command bytes the host must send, in order, and what the controller
// answers; any extra or missing command is a problem the test reports.
// Expected commands are written from Core 5.4 Vol 4 Part E §7.8.10-11,
// §7.8.64-65.
//
// The controller plays in its own thread so the host side can be anything:
// an io_context run by the test. Its waits only bound how long a missing
// command is waited for; they decide no test's outcome when the host is right.
#pragma once

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <doctest/doctest.h>

#include <atomic>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include "common/bytes.hpp"
#include "tests/support/hex.hpp"

namespace bandwire::test {

using bytes = std::vector<std::uint8_t>;

inline std::string hex2(unsigned v) {
  char b[8];
  std::snprintf(b, sizeof b, "%02x", v & 0xffu);
  return b;
}

// Command Complete for `op` with Status `st` and further return parameters.
inline std::string cc(std::uint16_t op, std::uint8_t st, const std::string& more = "") {
  const std::size_t more_len = bytes(hx(more)).size();
  return "0e" + hex2(static_cast<unsigned>(4 + more_len)) + "01" + hex2(op) + hex2(op >> 8) + hex2(st) + more;
}
inline std::string cs(std::uint16_t op, std::uint8_t st) { return "0f04" + hex2(st) + "01" + hex2(op) + hex2(op >> 8); }

// Read Local Supported Commands' 64 octets with the scan bits chosen.
inline std::string supported(bool legacy, bool extended) {
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
  /// Sends an event (hex, without the H4 indicator) now.
  void send_event(const std::string& h) {
    bytes v = hx(h);
    v.insert(v.begin(), 0x04);
    (void)::send(sv_[1], v.data(), v.size(), MSG_NOSIGNAL);
  }
  /// The host's end, owned by the channel made from it.
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
inline std::string joined(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : "; ") + x;
  return s;
}

}  // namespace bandwire::test
