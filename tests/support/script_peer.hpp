// Scripted ATT peers for tests (the BlueZ unit/test-gatt.c idea): the test
// lists the PDUs each side sends, the real bearer runs over one end of a
// socketpair(AF_UNIX, SOCK_SEQPACKET), and the peer end checks every byte.
#pragma once

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include <doctest/doctest.h>

#include "common/asio.hpp"
#include "common/bytes.hpp"
#include "tests/support/hex.hpp"

namespace bandwire::test {


/// One end for the code under test (an Asio socket), one raw fd for the peer.
struct socket_pair {
  seqpacket_socket local;
  int peer_fd = -1;
};

inline socket_pair make_socket_pair(asio::io_context& io) {
  int fds[2];
  REQUIRE(::socketpair(AF_UNIX, SOCK_SEQPACKET, 0, fds) == 0);
  seqpacket_socket s(io, asio::generic::seq_packet_protocol(AF_UNIX, 0), fds[0]);
  return {std::move(s), fds[1]};
}

class peer {
 public:
  peer(asio::io_context& io, int fd) : io_(io), fd_(fd) {}
  ~peer() { close(); }
  peer(const peer&) = delete;
  peer& operator=(const peer&) = delete;

  void close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }
  int fd() const { return fd_; }

  /// Runs ready handlers once.
  void pump() {
    io_.restart();
    io_.poll();
  }
  /// Runs the io_context until pred() or the deadline; returns pred().
  template <class Pred> bool run_until(Pred pred, std::chrono::milliseconds limit = std::chrono::milliseconds(3000)) {
    const auto end = std::chrono::steady_clock::now() + limit;
    while (!pred()) {
      if (std::chrono::steady_clock::now() > end) return false;
      io_.restart();
      io_.run_for(std::chrono::milliseconds(1));
    }
    return true;
  }
  /// The next PDU the code under test sends, or nullopt after `limit`
  /// (or when it closed its end: then closed() is true).
  std::optional<std::vector<std::uint8_t>> recv(std::chrono::milliseconds limit = std::chrono::milliseconds(3000)) {
    std::optional<std::vector<std::uint8_t>> got;
    run_until([&] {
      std::uint8_t buf[1024];
      ssize_t n = ::recv(fd_, buf, sizeof buf, MSG_DONTWAIT);
      if (n > 0) got.emplace(buf, buf + n);
      if (n == 0) closed_ = true;
      return got.has_value() || closed_;
    }, limit);
    return got;
  }
  /// True when nothing arrives within `wait` while handlers run.
  bool silent(std::chrono::milliseconds wait = std::chrono::milliseconds(30)) {
    return !recv(wait).has_value();
  }
  void send(const std::vector<std::uint8_t>& pdu) {
    REQUIRE(::send(fd_, pdu.data(), pdu.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(pdu.size()));
  }
  void send(std::string_view hex) { send(hx(hex)); }
  /// Expects the code under test to send exactly these bytes next.
  void expect(std::string_view hex) {
    auto got = recv();
    REQUIRE_MESSAGE(got.has_value(), "expected PDU " << std::string(hex) << " but nothing came");
    CHECK(to_hex(*got) == to_hex(hx(hex)));
  }
  bool closed() const { return closed_; }

 private:
  asio::io_context& io_;
  int fd_;
  bool closed_ = false;
};

/// A handler that must be called exactly once.
template <class... Args> struct once {
  int calls = 0;
  std::tuple<std::decay_t<Args>...> args;
  auto fn() {
    return [this](Args... a) {
      ++calls;
      args = std::tuple<std::decay_t<Args>...>(a...);
    };
  }
};

}  // namespace bandwire::test
