// A virtual Mi Band 2 behind a relay, served on a unix: listening socket:
// the code under test connects with device "unix:<path>" as to any band; each
// accepted link gets its own socketpair to the virtual band, and every PDU
// crosses the relay, where the test can swallow it (an answer that never
// comes), cut the link right after it, or inject PDUs of its own (a hostile
// band). Runs on the test's io_context, so on virtual time too.
#pragma once

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <doctest/doctest.h>

#include "common/asio.hpp"
#include "miband/virtual_band.hpp"

namespace bandwire::test {

class relay_band {
 public:
  enum class verdict { forward, swallow, cut_after };
  /// `to_band`: client → band. May edit the PDU.
  using filter_fn = std::function<verdict(bool to_band, std::vector<std::uint8_t>& pdu)>;

  relay_band(asio::io_context& io, miband::virtual_band& vb, std::string path)
      : io_(io), vb_(vb), path_(std::move(path)), acceptor_(io) {
    const int fd = ::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
    REQUIRE(fd >= 0);
    sockaddr_un sa{};
    sa.sun_family = AF_UNIX;
    std::strncpy(sa.sun_path, path_.c_str(), sizeof sa.sun_path - 1);
    ::unlink(path_.c_str());
    REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0);
    REQUIRE(::listen(fd, 8) == 0);
    acceptor_.assign(asio::generic::seq_packet_protocol(AF_UNIX, 0), fd);
    accept();
  }
  ~relay_band() {
    *alive_ = false;
    error_code ec;
    acceptor_.close(ec);
    cut();
    ::unlink(path_.c_str());
  }
  relay_band(const relay_band&) = delete;
  relay_band& operator=(const relay_band&) = delete;

  std::string device() const { return "unix:" + path_; }
  filter_fn filter;
  std::size_t links = 0;

  /// Sends a PDU to the client on the current link; false when there is
  /// no link or the socket is full (run the loop, then try again).
  bool inject(const std::vector<std::uint8_t>& pdu) {
    if (!link_) return false;
    error_code ec, ignored;
    link_->client.non_blocking(true, ignored);
    link_->client.send(asio::buffer(pdu), 0, ec);
    link_->client.non_blocking(false, ignored);
    return !ec;
  }
  /// Closes the current link on both sides.
  void cut() {
    if (!link_) return;
    error_code ec;
    link_->client.close(ec);
    link_->band.close(ec);
    link_.reset();
  }
  bool linked() const { return link_ != nullptr; }

 private:
  struct link {
    link(seqpacket_socket c, seqpacket_socket b) : client(std::move(c)), band(std::move(b)) {}
    seqpacket_socket client, band;
  };

  void accept() {
    acceptor_.async_accept([this, alive = alive_](error_code ec, seqpacket_socket s) {
      if (ec || !*alive) return;
      int fds[2];
      REQUIRE(::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, fds) == 0);
      cut();  // one link at a time, as the band
      seqpacket_socket band_end(io_, asio::generic::seq_packet_protocol(AF_UNIX, 0), fds[0]);
      vb_.serve(seqpacket_socket(io_, asio::generic::seq_packet_protocol(AF_UNIX, 0), fds[1]));
      link_ = std::make_shared<link>(std::move(s), std::move(band_end));
      ++links;
      pump(link_, true);
      pump(link_, false);
      accept();
    });
  }

  void pump(std::shared_ptr<link> l, bool to_band) {
    auto& from = to_band ? l->client : l->band;
    from.async_wait(asio::socket_base::wait_read, [this, l, to_band, alive = alive_](error_code ec) {
      if (ec || !*alive || link_ != l) return;
      auto& src = to_band ? l->client : l->band;
      auto& dst = to_band ? l->band : l->client;
      std::vector<std::uint8_t> buf(1024);
      asio::socket_base::message_flags flags = 0;
      const std::size_t n = src.receive(asio::buffer(buf), 0, flags, ec);
      if (ec || n == 0) return cut();
      buf.resize(n);
      const verdict v = filter ? filter(to_band, buf) : verdict::forward;
      if (!*alive || link_ != l) return;
      if (v != verdict::swallow) dst.send(asio::buffer(buf), 0, ec);
      if (v == verdict::cut_after) return cut();
      pump(l, to_band);
    });
  }

  asio::io_context& io_;
  miband::virtual_band& vb_;
  std::string path_;
  asio::basic_socket_acceptor<asio::generic::seq_packet_protocol> acceptor_;
  std::shared_ptr<link> link_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace bandwire::test
