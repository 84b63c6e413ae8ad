#include "hci/mgmt_channel.hpp"  // first: the header is self-contained

#include <doctest/doctest.h>

#include <sys/socket.h>
#include <unistd.h>

#include <future>
#include <string>
#include <thread>
#include <vector>

#include "hci/error.hpp"
#include "hci/le_peripheral.hpp"
#include "tests/support/hex.hpp"

// The management channel and the peripheral sequence on it, against a
// scripted kernel on the other end of a socketpair. The kernel is an Asio
// socket on the same io_context as the channel, so the whole exchange runs
// on one thread in a fixed order; deadlines are injected (1 ms against a
// silent kernel). Expected bytes are written from BlueZ doc/mgmt-api.txt.

using namespace bandwire;
using namespace bandwire::hci;
using namespace std::chrono_literals;
using bandwire::test::hx;
using bytes = std::vector<std::uint8_t>;

namespace {

const std::string cap_a_adv = "0201061bff5701002c04e3a09ee1beab4773fa4501ec4fd703fa8ee312b4a9";  // §20.8
const std::string cap_a_rsp = "0a094d492042616e642032" "0302e0fe";

// Command Complete (0x0001) for `op` on controller `index`, status `st`.
std::string cc(std::uint16_t op, std::uint16_t index, std::uint8_t st, const std::string& more = "") {
  char b[64];
  const std::size_t len = 3 + more.size() / 2;
  std::snprintf(b, sizeof b, "0100%02x%02x%02x%02x%02x%02x%02x", index & 0xff, index >> 8, unsigned(len & 0xff),
                unsigned(len >> 8), op & 0xff, op >> 8, st);
  return b + more;
}

// The kernel's end: records every command; answers each with `answer(cmd)`
// (hex packets, in order; none = silence).
struct kernel {
  seqpacket_socket s;
  std::vector<std::string> commands;
  std::function<std::vector<std::string>(const bytes&)> answer;
  std::array<std::uint8_t, 2048> buf{};
  asio::socket_base::message_flags flags{};

  kernel(asio::io_context& io, int fd) : s(io, asio::generic::seq_packet_protocol(AF_UNIX, 0), fd) {}
  void serve() {
    s.async_receive(asio::buffer(buf), flags, [this](error_code ec, std::size_t n) {
      if (ec || n == 0) return;
      const bytes c(buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(n));
      commands.push_back(to_hex(c));
      if (answer)
        for (const auto& h : answer(c)) send(h);
      serve();
    });
  }
  void send(const std::string& h) {
    const bytes b = hx(h);
    s.send(asio::buffer(b), 0);
  }
};

struct rig {
  asio::io_context io;
  std::unique_ptr<mgmt_channel> ch;
  std::unique_ptr<kernel> k;
  rig() {
    int sv[2];
    REQUIRE(::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == 0);
    ch = std::make_unique<mgmt_channel>(io, sv[0]);
    k = std::make_unique<kernel>(io, sv[1]);
    k->serve();
  }
  // Answers every command with Command Complete, status from `status_for`.
  void answer_all(std::function<std::uint8_t(std::uint16_t)> status_for = {}) {
    k->answer = [status_for](const bytes& c) {
      const auto op = static_cast<std::uint16_t>(c[0] | c[1] << 8);
      const auto index = static_cast<std::uint16_t>(c[2] | c[3] << 8);
      return std::vector<std::string>{cc(op, index, status_for ? status_for(op) : 0, "00000000")};
    };
  }
  // Runs until `done` holds (the kernel keeps the loop busy otherwise).
  template <class F> void run_until(F done) {
    while (!done()) REQUIRE(io.run_one() > 0);
  }
};

}  // namespace

TEST_CASE("mgmt_channel: exact bytes; the answer matches opcode and index; others go to the listeners") {
  rig r;
  std::vector<std::string> heard;
  subscription sub = r.ch->subscribe([&](error_code ec, const mgmt::event& e) {
    REQUIRE_FALSE(ec);
    heard.push_back(std::to_string(e.code) + "/" + std::to_string(e.index));
  });
  r.k->answer = [](const bytes&) {
    return std::vector<std::string>{
        cc(0x0004, 1, 0x00),              // Read Controller Information, but hci1: not ours
        "0200000003000400",               // Command Status "pending" for ours: waited past
        "060000000400" "01020000",       // New Settings on hci0: heard
        cc(0x0004, 0, 0x00, "aabb"),      // ours
    };
  };
  int calls = 0;
  bytes rp;
  r.ch->async_command(mgmt::encode_read_controller_info(0), [&](error_code ec, std::vector<std::uint8_t> p) {
    ++calls;
    CHECK_FALSE(ec);
    rp = std::move(p);
  });
  CHECK(calls == 0);
  r.run_until([&] { return calls == 1; });
  CHECK(r.k->commands == std::vector<std::string>{"040000000000"});
  CHECK(to_hex(rp) == "aabb");
  CHECK(heard == std::vector<std::string>{"1/1", "6/0"});
}

TEST_CASE("mgmt_channel: failures: a status, a failing Command Status, the deadline, cancel(), bad input") {
  rig r;
  std::vector<error_code> got;
  auto h = [&](error_code ec, std::vector<std::uint8_t>) { got.push_back(ec); };
  SUBCASE("statuses") {
    r.k->answer = [](const bytes& c) {
      if (c[0] == 0x05) return std::vector<std::string>{cc(0x0005, 0, 0x14)};  // Permission Denied
      return std::vector<std::string>{"020000000300" "0d0012"};               // Command Status RFKilled
    };
    r.ch->async_command(mgmt::encode_set_powered(0, true), h);
    r.ch->async_command(mgmt::encode_set_le(0, true), h);
    r.run_until([&] { return got.size() == 2; });
    CHECK(got[0] == mgmt::make_error_code(mgmt::status::permission_denied));
    CHECK(got[1] == mgmt::make_error_code(mgmt::status::rfkilled));
    CHECK(got[0].message() == "mgmt: Permission Denied (needs CAP_NET_ADMIN)");
  }
  SUBCASE("a silent kernel: the injected deadline, then the next command goes out") {
    r.ch->async_command(mgmt::encode_set_powered(0, true), 1ms, h);
    r.ch->async_command(mgmt::encode_set_le(0, true), 1h, h);
    r.run_until([&] { return got.size() == 1; });
    CHECK(got[0] == errc::command_timeout);
    r.run_until([&] { return r.k->commands.size() == 2; });
    r.ch->cancel();
    r.run_until([&] { return got.size() == 2; });
    CHECK(got[1] == asio::error::operation_aborted);
  }
  SUBCASE("a packet that is not a command is refused before anything is sent") {
    r.ch->async_command(hx("0500000001"), h);
    r.run_until([&] { return got.size() == 1; });
    CHECK(got[0] == errc::truncated_packet);
    CHECK(r.k->commands.empty());
  }
}

TEST_CASE("mgmt_channel: a subscription is undone by its destructor; listeners outlive nothing") {
  rig r;
  int heard = 0;
  {
    subscription sub = r.ch->subscribe([&](error_code, const mgmt::event&) { ++heard; });
    r.k->send("0600000004000102" "0000");
    r.run_until([&] { return heard == 1; });
  }
  r.k->send("0600000004000102" "0000");
  r.answer_all();
  int calls = 0;
  r.ch->async_command(mgmt::encode_set_le(0, true), [&](error_code, std::vector<std::uint8_t>) { ++calls; });
  r.run_until([&] { return calls == 1; });  // the New Settings came first, to nobody
  CHECK(heard == 1);
  subscription late = r.ch->subscribe([&](error_code ec, const mgmt::event&) {
    CHECK(ec == asio::error::operation_aborted);
    ++heard;
  });
  r.ch.reset();  // the listener hears the end once
  CHECK(heard == 2);
  CHECK_FALSE(late.active());
}

TEST_CASE("async_setup_peripheral: the mgmt sequence, byte for byte; a pairing request meanwhile reaches a listener") {
  rig r;
  // An LE-only controller answers Set BR/EDR with Not Supported (0x0c): fine.
  r.answer_all([](std::uint16_t op) -> std::uint8_t { return op == 0x002a ? 0x0c : 0x00; });
  auto plain = r.k->answer;
  r.k->answer = [plain](const bytes& c) {
    auto v = plain(c);
    // With Set Bondable, a User Confirmation Request (hint 1) arrives first.
    if (c[0] == 0x09) v.insert(v.begin(), "0f0001000c00" "a9b412e38efa" "02" "01" "00000000");
    return v;
  };
  std::vector<std::string> requests;
  subscription agent = r.ch->subscribe([&](error_code, const mgmt::event& e) {
    mgmt::user_confirm_request q;
    if (!mgmt::decode_user_confirm_request(e, q)) requests.push_back(q.addr.to_string());
  });
  peripheral_config cfg;
  cfg.index = 1;
  cfg.identity = *address::parse("FA:8E:E3:12:B4:A9");
  cfg.adv_data = hx(cap_a_adv);
  cfg.scan_rsp = hx(cap_a_rsp);
  int calls = 0;
  error_code result;
  std::string message;
  async_setup_peripheral(*r.ch, cfg, [&](error_code ec, std::string m) {
    ++calls;
    result = ec;
    message = std::move(m);
  });
  r.run_until([&] { return calls == 1; });
  CHECK_MESSAGE(!result, message);
  CHECK(r.k->commands == std::vector<std::string>{
                             "050001000100" "00",            // Set Powered off
                             "0d0001000100" "01",            // Set Low Energy on
                             "2a0001000100" "00",            // Set BR/EDR off
                             "2b0001000600" "a9b412e38efa",  // Set Static Address, LSB first
                             "090001000100" "01",            // Set Bondable on
                             "050001000100" "01",            // Set Powered on
                             "3e0001003900" "01" "01000000" "0000" "0000" "1f" "0f" + cap_a_adv + cap_a_rsp,
                         });
  CHECK(requests == std::vector<std::string>{"FA:8E:E3:12:B4:A9"});

  // Stop and start advertising again: Remove Advertising (instance 1), Add Advertising.
  calls = 0;
  async_stop_advertising(*r.ch, cfg, [&](error_code ec, std::string) {
    ++calls;
    CHECK_FALSE(ec);
  });
  r.run_until([&] { return calls == 1; });
  CHECK(r.k->commands.back() == "3f0001000100" "01");
}

TEST_CASE("async_setup_peripheral names the failing step; a public address is refused before it is sent") {
  SUBCASE("Rejected at Set Static Address") {
    rig r;
    r.answer_all([](std::uint16_t op) -> std::uint8_t { return op == 0x002b ? 0x0b : 0x00; });
    peripheral_config cfg;
    cfg.index = 2;
    cfg.identity = *address::parse("FA:8E:E3:12:B4:A9");
    error_code result;
    std::string message;
    bool done = false;
    async_setup_peripheral(*r.ch, cfg, [&](error_code ec, std::string m) {
      done = true;
      result = ec;
      message = std::move(m);
    });
    r.run_until([&] { return done; });
    CHECK(result == mgmt::make_error_code(mgmt::status::rejected));
    CHECK(message == "mgmt Set Static Address on hci2: mgmt: Rejected");
    CHECK(r.k->commands.size() == 4);
  }
  SUBCASE("not a static random address") {
    rig r;
    r.answer_all();
    peripheral_config cfg;
    cfg.identity = *address::parse("00:11:22:33:44:55");
    std::string message;
    bool done = false;
    async_setup_peripheral(*r.ch, cfg, [&](error_code ec, std::string m) {
      done = true;
      CHECK(ec == errc::invalid_argument);
      message = std::move(m);
    });
    r.run_until([&] { return done; });
    CHECK(message.find("not a static random address") != std::string::npos);
    CHECK(r.k->commands.size() == 3);  // power off, LE, BR/EDR; no Set Static Address
  }
}

TEST_CASE("async_start_advertising: a silent kernel ends at the channel's (injected) deadline") {
  rig r;  // no answers
  r.ch->set_command_timeout(1ms);
  peripheral_config cfg;
  cfg.index = 3;
  bool done = false;
  async_start_advertising(*r.ch, cfg, [&](error_code ec, std::string m) {
    done = true;
    CHECK(ec == errc::command_timeout);
    CHECK(m.rfind("mgmt Add Advertising on hci3: ", 0) == 0);
  });
  r.run_until([&] { return done; });
  CHECK(r.k->commands.size() == 1);
}

TEST_CASE("mgmt_channel: use_future and use_awaitable") {
  SUBCASE("use_future") {
    rig r;
    r.answer_all();
    auto f = r.ch->async_command(mgmt::encode_set_le(0, true), asio::use_future);
    std::thread t([&] { r.io.run_for(std::chrono::seconds(30)); });  // ends when the kernel socket closes
    CHECK(to_hex(f.get()) == "00000000");
    r.io.stop();
    t.join();
  }
  SUBCASE("use_awaitable") {
    rig r;
    r.answer_all([](std::uint16_t) -> std::uint8_t { return 0x0a; });  // Busy
    std::string got;
    asio::co_spawn(
        r.io,
        [&]() -> asio::awaitable<void> {
          try {
            co_await r.ch->async_command(mgmt::encode_set_le(0, true), asio::use_awaitable);
          } catch (const boost::system::system_error& e) {
            got = e.code().message();
          }
        },
        asio::detached);
    r.run_until([&] { return !got.empty(); });
    CHECK(got == "mgmt: Busy");
  }
}
