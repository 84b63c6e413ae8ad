// Unit tests (no kernel Bluetooth needed) for the peripheral side the
// real-kernel suite proves for real: the management command sequence that
// makes an adapter a Mi Band 2 advertiser, the Just Works agent, and the
// band's advertising bytes. Expected bytes come from BlueZ doc/mgmt-api.txt's
// field lists and the fact sheet's §20.8 capture, not from the encoders.
#include <doctest/doctest.h>

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>
#include <thread>
#include <vector>

#include "hci/l2cap_listener.hpp"
#include "hci/le_peripheral.hpp"
#include "hci/pairing_agent.hpp"
#include "tools/sim_adapter.hpp"
#include "tests/support/hex.hpp"

using namespace bandwire;
using bytes = std::vector<std::uint8_t>;

namespace {

using bandwire::test::hx;

const std::string cap_a_adv = "0201061bff5701002c04e3a09ee1beab4773fa4501ec4fd703fa8ee312b4a9";  // §20.8
const std::string cap_a_rsp = "0a094d492042616e642032" "0302e0fe";  // "MI Band 2" + FEE0

// A scripted kernel on the other end of a socketpair: answers every mgmt
// command with Command Complete (status from `status_for`) and records it.
struct scripted_kernel {
  int fd;
  std::vector<bytes> commands;
  std::function<std::uint8_t(std::uint16_t)> status_for = [](std::uint16_t) { return 0; };

  void serve(std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) {
      pollfd p{fd, POLLIN, 0};
      if (::poll(&p, 1, 2000) != 1) return;
      bytes c(1024);
      const ssize_t len = ::recv(fd, c.data(), c.size(), 0);
      if (len < 6) return;
      c.resize(static_cast<std::size_t>(len));
      commands.push_back(c);
      // Command Complete: code 0x0001, the command's index, opcode, status,
      // 4 octets of return parameters (Current_Settings).
      const std::uint8_t st = status_for(static_cast<std::uint16_t>(c[0] | c[1] << 8));
      const bytes ev = {0x01, 0x00, c[2], c[3], 0x07, 0x00, c[0], c[1], st, 0, 0, 0, 0};
      REQUIRE(::send(fd, ev.data(), ev.size(), 0) == static_cast<ssize_t>(ev.size()));
    }
  }
};

}  // namespace

TEST_CASE("the band's advertising on air is CAP-A's, byte for byte (fact sheet §20.8)") {
  const auto c = tools::miband2_peripheral(1, *hci::address::parse("FA:8E:E3:12:B4:A9"));
  CHECK(to_hex(c.adv_data) == cap_a_adv);
  CHECK(to_hex(c.scan_rsp) == cap_a_rsp);
  CHECK(c.adv_data.size() == 31);
  // Another identity moves into the manufacturer data's last six octets.
  const auto d = tools::miband2_peripheral(0, *hci::address::parse("C0:11:22:33:44:55"));
  CHECK(to_hex(d.adv_data) == cap_a_adv.substr(0, 50) + "c01122334455");
}

TEST_CASE("setup_peripheral: power off, LE on, BR/EDR off, static address, bondable, power on, Add Advertising") {
  int fds[2];
  REQUIRE(::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, fds) == 0);
  hci::mgmt::socket s(fds[0]);
  scripted_kernel k{fds[1], {}};
  // An LE-only controller answers Set BR/EDR with Not Supported (0x0c): fine.
  k.status_for = [](std::uint16_t op) -> std::uint8_t { return op == 0x002a ? 0x0c : 0x00; };
  std::thread t([&] { k.serve(7); });
  const auto cfg = tools::miband2_peripheral(1, *hci::address::parse("FA:8E:E3:12:B4:A9"));
  std::string message;
  const auto ec = hci::setup_peripheral(s, cfg, message);
  t.join();
  ::close(fds[1]);
  CHECK_MESSAGE(!ec, message);
  REQUIRE(k.commands.size() == 7);
  // code | index | length | parameters (mgmt-api.txt)
  CHECK(to_hex(k.commands[0]) == "050001000100" "00");              // Set Powered off
  CHECK(to_hex(k.commands[1]) == "0d0001000100" "01");              // Set Low Energy on
  CHECK(to_hex(k.commands[2]) == "2a0001000100" "00");              // Set BR/EDR off
  CHECK(to_hex(k.commands[3]) == "2b0001000600" "a9b412e38efa");    // Set Static Address, LSB first
  CHECK(to_hex(k.commands[4]) == "090001000100" "01");              // Set Bondable on
  CHECK(to_hex(k.commands[5]) == "050001000100" "01");              // Set Powered on
  // Add Advertising: instance 1, flags 0x00000001 (connectable, no managed
  // flags), duration 0, timeout 0, adv len 31, scan rsp len 15, data.
  CHECK(to_hex(k.commands[6]) == "3e0001003900" "01" "01000000" "0000" "0000" "1f" "0f" + cap_a_adv + cap_a_rsp);
}

TEST_CASE("setup_peripheral names the failing step") {
  int fds[2];
  REQUIRE(::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, fds) == 0);
  hci::mgmt::socket s(fds[0]);
  scripted_kernel k{fds[1], {}};
  k.status_for = [](std::uint16_t op) -> std::uint8_t { return op == 0x002b ? 0x0b : 0x00; };  // Rejected
  std::thread t([&] { k.serve(4); });
  std::string message;
  const auto ec = hci::setup_peripheral(s, tools::miband2_peripheral(2, *hci::address::parse("FA:8E:E3:12:B4:A9")),
                                        message);
  t.join();
  ::close(fds[1]);
  CHECK(ec == hci::mgmt::make_error_code(hci::mgmt::status::rejected));
  CHECK(message.find("Set Static Address on hci2") != std::string::npos);

  // A public-looking address is refused before anything is sent.
  int fds2[2];
  REQUIRE(::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, fds2) == 0);
  hci::mgmt::socket s2(fds2[0]);
  scripted_kernel k2{fds2[1], {}};
  std::thread t2([&] { k2.serve(3); });
  CHECK(hci::setup_peripheral(s2, tools::miband2_peripheral(0, *hci::address::parse("00:11:22:33:44:55")), message));
  t2.join();
  ::close(fds2[1]);
  CHECK(message.find("not a static random address") != std::string::npos);
  CHECK(k2.commands.size() == 3);  // power off, LE, BR/EDR; no Set Static Address
}

TEST_CASE("pairing_agent confirms Just Works for its adapter only, refuses numeric comparison") {
  int fds[2];
  REQUIRE(::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, fds) == 0);
  asio::io_context io;
  hci::pairing_agent agent(io, hci::mgmt::socket(fds[0]), std::uint16_t{1});
  std::vector<hci::pairing_agent::decision> seen;
  agent.on_decision([&](const hci::pairing_agent::decision& d) { seen.push_back(d); });
  agent.start();
  auto send = [&](const std::string& h) {
    const bytes b = hx(h);
    REQUIRE(::send(fds[1], b.data(), b.size(), 0) == static_cast<ssize_t>(b.size()));
    io.run_for(std::chrono::milliseconds(50));
  };
  auto reply = [&] {
    pollfd p{fds[1], POLLIN, 0};
    if (::poll(&p, 1, 0) != 1) return std::string();
    bytes b(64);
    const ssize_t n = ::recv(fds[1], b.data(), b.size(), 0);
    b.resize(n > 0 ? static_cast<std::size_t>(n) : 0);
    return to_hex(b);
  };
  // User Confirmation Request (0x000F) on hci1: address 00:AA:01:00:00:00 LE
  // public, Confirm_Hint 1 (Just Works), value 0.
  send("0f00 0100 0c00 000000 01aa00 01 01 00000000");
  CHECK(reply() == "1c0001000700" "000000" "01aa00" "01");  // User Confirmation Reply
  // The same on hci0: not ours, no answer.
  send("0f00 0000 0c00 000000 01aa00 01 01 00000000");
  CHECK(reply().empty());
  // Numeric comparison (hint 0): a NoInputNoOutput band must not accept it.
  send("0f00 0100 0c00 000000 01aa00 01 00 40e20100");
  CHECK(reply() == "1d0001000700" "000000" "01aa00" "01");  // Negative Reply
  // Other events pass by.
  send("0600 0100 0400 01020000");
  CHECK(reply().empty());
  REQUIRE(seen.size() == 2);
  CHECK(seen[0].accepted);
  CHECK(seen[0].index == 1);
  CHECK(seen[0].request.addr.to_string() == "00:AA:01:00:00:00");
  CHECK_FALSE(seen[1].accepted);
  CHECK(seen[1].request.value == 123456);
  agent.stop();
  ::close(fds[1]);
}

TEST_CASE("l2cap_listener fails with a clear message where the kernel lacks Bluetooth") {
  asio::io_context io;
  hci::l2cap_listener l(io);
  std::string message;
  const auto ec = l.open(*hci::address::parse("FA:8E:E3:12:B4:A9"), hci::address_type::le_random, message);
  if (ec == boost::system::errc::address_family_not_supported) {
    CHECK(message.find("no Bluetooth support") != std::string::npos);
    CHECK_FALSE(l.is_open());
  } else {
    // A kernel with Bluetooth: binding the ATT channel of an address no
    // adapter has still succeeds (the kernel matches on link setup).
    CHECK_MESSAGE(!ec, message);
  }
}
