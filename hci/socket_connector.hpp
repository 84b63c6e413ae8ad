// One non-blocking connect() on the io_context, bounded by its own deadline:
// the shape of every connection bandwire makes through the kernel (L2CAP LE
// ATT, hci/l2cap_socket.hpp), factored out so that its rules are tested on
// AF_UNIX sockets (tests/hci/socket_connector_test.cpp) where the machine
// has no Bluetooth.
//
// Invariants:
//  * The socket is non-blocking before connect(). A connect that completes
//    at once (0) or fails at once (anything but EINPROGRESS) finishes there;
//    EINPROGRESS waits for the socket to become writable and then reads
//    SO_ERROR (connect(2)), racing a steady_timer: the first to come wins,
//    the other's completion is ignored.
//  * The deadline closes the socket and completes with asio::error::timed_out
//    (the kernel alone would wait 40 s or more for an absent LE peer).
//  * cancel() (and the destructor) close the socket; the handler runs once
//    with operation_aborted. The handler runs exactly once in every case,
//    posted, never inside async_connect.
//  * On failure the descriptor is closed; on success it is handed over as a
//    seqpacket_socket on the connector's io_context.
#pragma once

#include <sys/socket.h>

#include <chrono>
#include <cstring>
#include <memory>

#include "common/asio.hpp"
#include "common/unique_function.hpp"
#include "hci/packet_channel.hpp"  // detail::initiate_posted

namespace bandwire::hci {

class socket_connector {
 public:
  using connect_signature = void(error_code, seqpacket_socket);
  using protocol = asio::generic::seq_packet_protocol;

  explicit socket_connector(asio::io_context& io) : io_(io) {}
  ~socket_connector() { cancel(); }
  socket_connector(const socket_connector&) = delete;
  socket_connector& operator=(const socket_connector&) = delete;

  /// Connects `fd` (open, bound and configured as needed; taken over) to
  /// `peer` of `peer_len` octets. One connect at a time per connector.
  template <class Token> auto async_connect(int fd, const protocol& p, const sockaddr* peer, socklen_t peer_len,
                                            std::chrono::steady_clock::duration timeout, Token&& token) {
    sockaddr_storage sa{};
    const socklen_t len = peer_len <= sizeof sa ? peer_len : 0;
    if (len) std::memcpy(&sa, peer, len);
    return detail::initiate_posted<connect_signature>(
        std::forward<Token>(token), io_.get_executor(),
        [this, fd, p, sa, len, timeout](auto h) mutable {
          start(fd, p, &sa, len, timeout, std::move(h));
        });
  }
  /// The second half alone: `fd` already has a connect in progress.
  template <class Token> auto async_wait_connected(int fd, const protocol& p,
                                                   std::chrono::steady_clock::duration timeout, Token&& token) {
    return detail::initiate_posted<connect_signature>(
        std::forward<Token>(token), io_.get_executor(),
        [this, fd, p, timeout](auto h) mutable { start(fd, p, nullptr, 0, timeout, std::move(h)); });
  }
  /// Ends the connect in progress (if any): the socket closes, the handler
  /// gets operation_aborted.
  void cancel();

  struct operation;

 private:
  void start(int fd, const protocol& p, const sockaddr_storage* peer, socklen_t len,
             std::chrono::steady_clock::duration timeout, unique_function<void(error_code, seqpacket_socket)> h);

  asio::io_context& io_;
  std::weak_ptr<operation> running_;
};

}  // namespace bandwire::hci
