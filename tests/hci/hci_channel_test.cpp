#include "hci/hci_channel.hpp"  // first: the header is self-contained

#include <doctest/doctest.h>

#include <sys/socket.h>
#include <unistd.h>

#include <future>
#include <string>
#include <thread>
#include <vector>

#include "hci/error.hpp"
#include "hci/hci_codec.hpp"
#include "hci/status.hpp"
#include "tests/hci/scripted_controller.hpp"

// The raw HCI channel against the other end of a socketpair, driven by hand
// from the test: the test reads what the channel sent (exact bytes, H4
// indicator included) and writes the controller's answers, running the
// io_context in between. Deadlines are injected (1 ms against a silent peer,
// or an hour that cancel() must cut short), so no outcome depends on timing.

using namespace bandwire;
using namespace bandwire::hci;
using namespace bandwire::test;
using namespace std::chrono_literals;

namespace {

struct rig {
  asio::io_context io;
  int peer = -1;
  std::unique_ptr<hci_channel> ch;
  rig() {
    int sv[2];
    REQUIRE(::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == 0);
    peer = sv[1];
    ch = std::make_unique<hci_channel>(io, sv[0]);
  }
  ~rig() { ::close(peer); }
  // What the channel sent, as hex; "" when nothing is waiting.
  std::string sent() {
    std::uint8_t buf[300];
    const ssize_t n = ::recv(peer, buf, sizeof buf, MSG_DONTWAIT);
    return n <= 0 ? "" : to_hex(bytes_view(buf, static_cast<std::size_t>(n)));
  }
  void answer(const std::string& h) {
    const bytes b = hx(h);
    REQUIRE(::send(peer, b.data(), b.size(), 0) == static_cast<ssize_t>(b.size()));
  }
};

struct outcome {
  int calls = 0;
  error_code ec;
  bytes rp;
  auto handler() {
    return [this](error_code e, std::vector<std::uint8_t> p) {
      ++calls;
      ec = e;
      rp = std::move(p);
    };
  }
};

}  // namespace

TEST_CASE("hci_channel: a command's exact bytes, its Command Complete, never inline") {
  rig r;
  outcome o;
  r.ch->async_command(opcode::read_local_supported_commands, {}, o.handler());
  CHECK(o.calls == 0);
  CHECK(r.sent() == "01021000");  // on the wire already, before the loop runs
  // An ACL packet, a truncated event and a Command Complete for another
  // opcode come before the answer; the listener sees the two events.
  std::vector<std::string> heard;
  subscription sub = r.ch->subscribe([&](error_code ec, bytes_view ev) {
    REQUIRE_FALSE(ec);
    heard.push_back(to_hex(ev));
  });
  r.answer("02 4000 0000");
  r.answer("04 0e 05 01");
  r.answer("04 0e 04 01 03 0c 00");
  r.answer("04 0e 06 01 02 10 00 abcd");
  sub.reset();  // idle afterwards: run() returns
  r.io.run();
  CHECK(o.calls == 1);
  CHECK_FALSE(o.ec);
  CHECK(to_hex(o.rp) == "00abcd");  // Status first, as the codec gives it
  CHECK(heard.empty());  // dropped before the packets were read: nothing heard
  CHECK(r.sent() == "");
}

TEST_CASE("hci_channel: listeners get every event no command took; a pending Command Status is waited past") {
  rig r;
  outcome o;
  std::vector<std::string> heard;
  subscription sub = r.ch->subscribe([&](error_code ec, bytes_view ev) {
    REQUIRE_FALSE(ec);
    heard.push_back(to_hex(ev));
  });
  r.ch->async_command(encode_reset(), o.handler());
  r.io.poll();
  CHECK(r.sent() == "01030c00");
  r.answer("02 4000 0000");            // ACL: not an event, nobody hears it
  r.answer("04 0e 05 01");             // truncated event: heard as it is
  r.answer("04 0f 04 00 01 03 0c");    // Command Status, pending: ours, consumed
  r.answer("04 0e 04 01 02 10 00");    // Command Complete of another opcode: heard
  r.answer("04 0e 04 01 03 0c 00");    // ours
  while (o.calls == 0) r.io.run_one();
  CHECK_FALSE(o.ec);
  CHECK(to_hex(o.rp) == "00");
  CHECK(heard == std::vector<std::string>{"0e0501", "0e0401021000"});
  r.answer("04 3e 01 02");
  r.io.run_one();
  CHECK(heard.size() == 3);
  sub.reset();
  r.io.run();  // idle: returns
}

TEST_CASE("hci_channel: a failing status is a hci::status error; a failing Command Status too") {
  rig r;
  outcome a, b;
  r.ch->async_command(encode_reset(), a.handler());
  r.ch->async_command(encode_read_local_supported_commands(), b.handler());
  r.io.poll();
  CHECK(r.sent() == "01030c00");
  CHECK(r.sent() == "");  // one command in flight: the second waits
  r.answer("04 0e 04 01 03 0c 0c");
  while (a.calls == 0) r.io.run_one();
  CHECK(a.ec == status::command_disallowed);
  r.io.poll();
  CHECK(r.sent() == "01021000");
  r.answer("04 0f 04 01 01 02 10");
  r.io.run();
  CHECK(b.calls == 1);
  CHECK(b.ec == status::unknown_command);
}

TEST_CASE("hci_channel: each command has its own deadline; a late answer goes to the listeners") {
  rig r;
  outcome a, b;
  r.ch->async_command(encode_reset(), 1ms, a.handler());  // the peer stays silent
  r.ch->async_command(encode_read_local_supported_commands(), 1h, b.handler());
  while (a.calls == 0) r.io.run_one();
  CHECK(a.ec == errc::command_timeout);
  CHECK(r.sent() == "01030c00");
  r.io.poll();
  CHECK(r.sent() == "01021000");  // the next one goes out after the deadline
  std::vector<std::string> heard;
  subscription sub = r.ch->subscribe([&](error_code, bytes_view ev) { heard.push_back(to_hex(ev)); });
  r.answer("04 0e 04 01 03 0c 00");  // Reset's late answer
  r.answer("04 0e 05 01 02 10 00 ff");
  while (b.calls == 0) r.io.run_one();
  CHECK_FALSE(b.ec);
  CHECK(to_hex(b.rp) == "00ff");
  CHECK(heard == std::vector<std::string>{"0e0401030c00"});
  CHECK(a.calls == 1);
}

TEST_CASE("hci_channel: cancel() completes every command once with operation_aborted; the channel goes on") {
  rig r;
  outcome a, b, c;
  r.ch->async_command(encode_reset(), 1h, a.handler());
  r.ch->async_command(encode_reset(), 1h, b.handler());
  r.io.poll();
  r.ch->cancel();
  r.ch->cancel();
  r.io.run();  // nothing keeps it busy: the deadlines are cancelled too
  CHECK(a.calls == 1);
  CHECK(b.calls == 1);
  CHECK(a.ec == asio::error::operation_aborted);
  CHECK(b.ec == asio::error::operation_aborted);
  CHECK(r.sent() == "01030c00");
  CHECK(r.sent() == "");  // the queued one never went out
  r.io.restart();
  r.ch->async_command(encode_reset(), c.handler());
  r.io.poll();
  CHECK(r.sent() == "01030c00");
  r.answer("04 0e 04 01 03 0c 00");
  r.io.run();
  CHECK(c.calls == 1);
  CHECK_FALSE(c.ec);
}

TEST_CASE("hci_channel: close and destruction; a peer that goes away; bad input") {
  SUBCASE("destroyed with a command pending: the handler still runs once, aborted") {
    rig r;
    outcome a;
    int heard = 0;
    error_code heard_ec;
    subscription sub = r.ch->subscribe([&](error_code ec, bytes_view) {
      ++heard;
      heard_ec = ec;
    });
    r.ch->async_command(encode_reset(), 1h, a.handler());
    r.io.poll();
    r.ch.reset();
    CHECK_FALSE(sub.active());  // outliving the channel is fine
    sub.reset();
    r.io.run();
    CHECK(a.calls == 1);
    CHECK(a.ec == asio::error::operation_aborted);
    CHECK(heard == 1);
    CHECK(heard_ec == asio::error::operation_aborted);
  }
  SUBCASE("closed: later commands fail at once, posted") {
    rig r;
    outcome a;
    r.ch->close();
    r.ch->async_command(encode_reset(), a.handler());
    CHECK(a.calls == 0);
    r.io.run();
    CHECK(a.calls == 1);
    CHECK(a.ec == asio::error::bad_descriptor);
  }
  SUBCASE("the peer closes: the command and the listeners get connection_reset, once") {
    rig r;
    outcome a, b;
    int heard = 0;
    subscription sub = r.ch->subscribe([&](error_code ec, bytes_view) {
      CHECK(ec == asio::error::connection_reset);
      ++heard;
    });
    r.ch->async_command(encode_reset(), 1h, a.handler());
    r.io.poll();
    ::shutdown(r.peer, SHUT_RDWR);
    r.io.run();  // no busy loop after the error: run() returns
    CHECK(a.calls == 1);
    CHECK(a.ec == asio::error::connection_reset);
    CHECK(heard == 1);
    r.io.restart();
    r.ch->async_command(encode_reset(), b.handler());
    r.io.run();
    CHECK(b.ec == asio::error::connection_reset);
  }
  SUBCASE("malformed commands are refused before anything is sent") {
    rig r;
    outcome a, b;
    r.ch->async_command(hx("030c01"), a.handler());
    r.ch->async_command(0x0c03, bytes(256, 0), b.handler());
    r.io.run();
    CHECK(a.ec == errc::truncated_packet);
    CHECK(b.ec == errc::invalid_argument);
    CHECK(r.sent() == "");
  }
}

TEST_CASE("hci_channel: junk from the controller while a command waits is skipped, never fatal") {
  rig r;
  outcome o;
  int heard = 0;
  subscription sub = r.ch->subscribe([&](error_code, bytes_view) { ++heard; });
  r.ch->async_command(encode_reset(), 1h, o.handler());
  // 300 packets of pseudo-random length (0..299) and content (a fixed LCG):
  // truncated events, wrong indicators, lengths that lie, oversize packets.
  std::uint32_t x = 12345;
  auto next = [&] { return x = x * 1664525u + 1013904223u; };
  for (int i = 0; i < 300; ++i) {
    bytes b(next() % 300);
    for (auto& v : b) v = static_cast<std::uint8_t>(next() >> 24);
    if (!b.empty() && i % 2 == 0) b[0] = 0x04;  // half of them claim to be events
    if (b.size() > 3 && i % 4 == 0) b[1] = 0x0e;  // a quarter look like Command Complete
    if (b.empty()) b.push_back(0x04);
    REQUIRE(::send(r.peer, b.data(), b.size(), 0) == static_cast<ssize_t>(b.size()));
    while (r.io.poll() > 0) {
    }
  }
  r.answer("04 0e 04 01 03 0c 00");
  while (o.calls == 0) r.io.run_one();
  CHECK_FALSE(o.ec);
  CHECK(to_hex(o.rp) == "00");
  CHECK(heard > 0);  // the event-looking ones reached the listener
  CHECK(heard <= 150);
}

TEST_CASE("hci_channel: a listener may drop its own and another's subscription while being called") {
  rig r;
  int first = 0, second = 0;
  subscription s2;
  subscription s1 = r.ch->subscribe([&](error_code, bytes_view) {
    ++first;
    s1.reset();
    s2.reset();
  });
  s2 = r.ch->subscribe([&](error_code, bytes_view) { ++second; });
  r.answer("04 3e 01 02");
  r.answer("04 3e 01 02");
  r.io.run();  // both gone after the first event: the channel goes idle
  CHECK(first == 1);
  CHECK(second == 0);
}

TEST_CASE("hci_channel: use_future and use_awaitable") {
  SUBCASE("use_future") {
    rig r;
    auto work = asio::make_work_guard(r.io);
    std::thread t([&] { r.io.run(); });
    // The channel lives on the loop's thread: operations start there.
    auto start = [&](std::chrono::steady_clock::duration d) {
      std::promise<std::future<std::vector<std::uint8_t>>> p;
      asio::post(r.io, [&] { p.set_value(r.ch->async_command(encode_reset(), d, asio::use_future)); });
      return p.get_future().get();
    };
    auto f = start(1h);
    // The peer answers once the command is there (a blocking read).
    std::uint8_t buf[16];
    REQUIRE(::recv(r.peer, buf, sizeof buf, 0) == 4);
    r.answer("04 0e 05 01 03 0c 00 7f");
    const std::vector<std::uint8_t> rp = f.get();
    CHECK(to_hex(rp) == "007f");
    auto f2 = start(1ms);
    CHECK_THROWS_AS(f2.get(), boost::system::system_error);
    work.reset();
    t.join();
  }
  SUBCASE("use_awaitable") {
    rig r;
    std::string got;
    asio::co_spawn(
        r.io,
        [&]() -> asio::awaitable<void> {
          r.answer("04 0e 05 01 03 0c 00 42");  // queued before the command: read once it waits
          auto rp = co_await r.ch->async_command(encode_reset(), asio::use_awaitable);
          got = to_hex(rp);
          try {
            co_await r.ch->async_command(encode_reset(), 1ms, asio::use_awaitable);
          } catch (const boost::system::system_error& e) {
            got += e.code() == errc::command_timeout ? " timeout" : " other";
          }
        },
        asio::detached);
    r.io.run();
    CHECK(got == "0042 timeout");
  }
}
