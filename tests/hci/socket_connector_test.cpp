#include "hci/socket_connector.hpp"  // first: the header is self-contained

#include <doctest/doctest.h>

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <future>
#include <string>
#include <thread>

#include "hci/l2cap_socket.hpp"
#include "hci/system_check.hpp"

// The non-blocking connect with its deadline, on AF_UNIX SOCK_SEQPACKET
// sockets (this machine has no Bluetooth; the L2CAP path itself runs in the
// VM suite). A unix connect never returns EINPROGRESS, so the waiting half
// (async_wait_connected) is driven with a socket that is made unwritable the
// way an L2CAP socket is until the link is up: its peer's queue is full. The
// socket then becomes writable (peer drains: connected), gets an SO_ERROR
// (peer closes with unread data: ECONNRESET), or never changes (the
// deadline, injected as 1 ms, or cancel()). Nothing here depends on timing.

using namespace bandwire;
using namespace bandwire::hci;
using namespace std::chrono_literals;

namespace {

const socket_connector::protocol unix_seqpacket(AF_UNIX, 0);

bool fd_open(int fd) { return ::fcntl(fd, F_GETFD) != -1; }

// An abstract unix address (no file): "\0bandwire-<tag>-<pid>".
sockaddr_un abstract(const std::string& tag, socklen_t& len) {
  sockaddr_un a{};
  a.sun_family = AF_UNIX;
  const std::string name = "bandwire-" + tag + "-" + std::to_string(::getpid());
  std::memcpy(a.sun_path + 1, name.data(), name.size());
  len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + 1 + name.size());
  return a;
}

int new_socket() {
  const int fd = ::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
  REQUIRE(fd >= 0);
  return fd;
}

// A connected pair whose first end cannot write: its sends filled the
// buffer the kernel charges to it.
struct stalled_pair {
  int a = -1, b = -1;
  stalled_pair() {
    int sv[2];
    REQUIRE(::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == 0);
    a = sv[0];
    b = sv[1];
    const int small = 4096;
    ::setsockopt(a, SOL_SOCKET, SO_SNDBUF, &small, sizeof small);
    char chunk[512] = {};
    int sent = 0;
    while (::send(a, chunk, sizeof chunk, MSG_DONTWAIT) > 0) ++sent;
    REQUIRE(errno == EAGAIN);
    REQUIRE(sent > 0);
  }
  ~stalled_pair() {
    if (b >= 0) ::close(b);
  }
  void drain() {
    char buf[512];
    while (::recv(b, buf, sizeof buf, MSG_DONTWAIT) > 0) {
    }
  }
};

struct outcome {
  int calls = 0;
  error_code ec;
  bool socket_open = false;
  auto handler() {
    return [this](error_code e, seqpacket_socket s) {
      ++calls;
      ec = e;
      socket_open = s.is_open();
    };
  }
};

}  // namespace

TEST_CASE("socket_connector: a connect that completes at once hands over a working socket, posted") {
  asio::io_context io;
  socklen_t len = 0;
  const sockaddr_un addr = abstract("listen", len);
  const int listener = new_socket();
  REQUIRE(::bind(listener, reinterpret_cast<const sockaddr*>(&addr), len) == 0);
  REQUIRE(::listen(listener, 1) == 0);
  socket_connector c(io);
  int calls = 0;
  seqpacket_socket connected(io);
  c.async_connect(new_socket(), unix_seqpacket, reinterpret_cast<const sockaddr*>(&addr), len, 1h,
                  [&](error_code ec, seqpacket_socket s) {
                    ++calls;
                    CHECK_FALSE(ec);
                    connected = std::move(s);
                  });
  CHECK(calls == 0);
  io.run();
  REQUIRE(calls == 1);
  REQUIRE(connected.is_open());
  const int accepted = ::accept(listener, nullptr, nullptr);
  REQUIRE(accepted >= 0);
  connected.send(asio::buffer("\x0a\x03\x00", 3), 0);
  char buf[8];
  CHECK(::recv(accepted, buf, sizeof buf, 0) == 3);
  ::close(accepted);
  ::close(listener);
}

TEST_CASE("socket_connector: a connect that fails at once: the errno, once, the descriptor closed") {
  asio::io_context io;
  socklen_t len = 0;
  const sockaddr_un addr = abstract("nobody", len);
  socket_connector c(io);
  outcome o;
  const int fd = new_socket();
  c.async_connect(fd, unix_seqpacket, reinterpret_cast<const sockaddr*>(&addr), len, 1h, o.handler());
  io.run();
  CHECK(o.calls == 1);
  CHECK(o.ec == error_code(ECONNREFUSED, boost::system::system_category()));
  CHECK_FALSE(o.socket_open);
  CHECK_FALSE(fd_open(fd));
}

TEST_CASE("socket_connector: waiting for a connect in progress") {
  asio::io_context io;
  socket_connector c(io);
  outcome o;
  stalled_pair p;
  SUBCASE("it becomes writable with SO_ERROR 0: connected") {
    c.async_wait_connected(p.a, unix_seqpacket, 1h, o.handler());
    io.poll();
    CHECK(o.calls == 0);  // still stalled
    asio::post(io, [&] { p.drain(); });
    io.run();
    CHECK(o.calls == 1);
    CHECK_FALSE(o.ec);
    CHECK(o.socket_open);
  }
  SUBCASE("SO_ERROR set (the peer went away): that error, the descriptor closed") {
    c.async_wait_connected(p.a, unix_seqpacket, 1h, o.handler());
    io.poll();
    CHECK(o.calls == 0);
    asio::post(io, [&] {
      ::close(p.b);  // with unread data: the kernel sets ECONNRESET on the other end
      p.b = -1;
    });
    io.run();
    CHECK(o.calls == 1);
    CHECK(o.ec == error_code(ECONNRESET, boost::system::system_category()));
    CHECK_FALSE(fd_open(p.a));
  }
  SUBCASE("the deadline (1 ms, the peer never moves): timed_out, the descriptor closed") {
    c.async_wait_connected(p.a, unix_seqpacket, 1ms, o.handler());
    io.run();
    CHECK(o.calls == 1);
    CHECK(o.ec == asio::error::timed_out);
    CHECK_FALSE(fd_open(p.a));
  }
  SUBCASE("cancel(): operation_aborted once, the descriptor closed, the deadline gone") {
    c.async_wait_connected(p.a, unix_seqpacket, 1h, o.handler());
    io.poll();
    c.cancel();
    c.cancel();
    io.run();  // returns: neither the wait nor the hour-long timer is left
    CHECK(o.calls == 1);
    CHECK(o.ec == asio::error::operation_aborted);
    CHECK_FALSE(fd_open(p.a));
  }
  SUBCASE("one connect at a time; the extra descriptor is closed") {
    c.async_wait_connected(p.a, unix_seqpacket, 1h, o.handler());
    io.poll();
    outcome second;
    const int extra = new_socket();
    c.async_wait_connected(extra, unix_seqpacket, 1h, second.handler());
    io.poll();
    CHECK(second.calls == 1);
    CHECK(second.ec == asio::error::already_started);
    CHECK_FALSE(fd_open(extra));
    c.cancel();
    io.run();
    CHECK(o.calls == 1);
  }
}

TEST_CASE("socket_connector: destroyed while waiting: the handler runs once, aborted") {
  asio::io_context io;
  outcome o;
  stalled_pair p;
  {
    socket_connector c(io);
    c.async_wait_connected(p.a, unix_seqpacket, 1h, o.handler());
    io.poll();
  }
  io.run();
  CHECK(o.calls == 1);
  CHECK(o.ec == asio::error::operation_aborted);
}

TEST_CASE("socket_connector: use_future and use_awaitable") {
  SUBCASE("use_future: the deadline becomes an exception") {
    asio::io_context io;
    socket_connector c(io);
    stalled_pair p;
    auto f = c.async_wait_connected(p.a, unix_seqpacket, 1ms, asio::use_future);
    std::thread t([&] { io.run(); });
    try {
      f.get();
      FAIL("connected");
    } catch (const boost::system::system_error& e) {
      CHECK(e.code() == asio::error::timed_out);
    }
    t.join();
  }
  SUBCASE("use_awaitable") {
    asio::io_context io;
    socket_connector c(io);
    stalled_pair p;
    bool connected = false;
    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
          asio::post(io, [&] { p.drain(); });
          seqpacket_socket s = co_await c.async_wait_connected(p.a, unix_seqpacket, 1h, asio::use_awaitable);
          connected = s.is_open();
        },
        asio::detached);
    io.run();
    CHECK(connected);
  }
}

TEST_CASE("L2CAP LE connect without kernel Bluetooth: a clear error, on the loop and in the blocking form") {
  if (!probe_bluetooth_socket()) {
    MESSAGE("SKIPPED: this kernel has Bluetooth; the VM suite connects for real");
    return;
  }
  asio::io_context io;
  le_connect_options o;
  o.peer = *address::parse("FA:8E:E3:12:B4:A9");
  le_connector c(io);
  outcome r;
  c.async_connect(o, r.handler());
  CHECK(r.calls == 0);
  io.run();
  CHECK(r.calls == 1);
  CHECK(r.ec.value() == EAFNOSUPPORT);
  CHECK(c.message().rfind("this kernel has no Bluetooth support", 0) == 0);
  outcome f;
  io.restart();
  async_connect_le_att(io, o, f.handler());
  io.run();
  CHECK(f.ec.value() == EAFNOSUPPORT);
  seqpacket_socket s(io);
  std::string message;
  CHECK(connect_le_att(io, o, s, message).value() == EAFNOSUPPORT);
  CHECK(message.rfind("this kernel has no Bluetooth support", 0) == 0);
  o.timeout = 3000ms;
  CHECK(explain_connect_error(asio::error::timed_out, o) ==
        "connect to FA:8E:E3:12:B4:A9 timed out after 3.0 s: the device did not answer (out of range, off, or "
        "connected elsewhere)");
}
