// LE ATT over L2CAP: a SOCK_SEQPACKET socket on the fixed ATT channel (CID 4,
// Core 5.4 Vol 3 Part A §2.1) connected through the kernel, which runs LE
// Create Connection for us. Only this file and hci/ know AF_BLUETOOTH; the
// result is the same seqpacket_socket type the unix transport uses.
//
// The connect runs on the io_context (hci/socket_connector.hpp: non-blocking
// connect, writable + SO_ERROR, racing its own deadline, cancel() closes).
#pragma once

#include <chrono>
#include <string>

#include <bluetooth/bluetooth.h>
#include <bluetooth/l2cap.h>

#include "att/security.hpp"
#include "common/asio.hpp"
#include "hci/address.hpp"
#include "hci/socket_connector.hpp"

namespace bandwire::hci {

struct le_connect_options {
  address peer;
  address_type type = address_type::le_random;  ///< the Mi Band uses a static random address
  int adapter = -1;                              ///< hciN, or -1 for the kernel's choice
  int security = 0;                              ///< BT_SECURITY level to request, 0 = leave default
  /// The kernel would otherwise block for 40 s or more on an absent peer.
  std::chrono::milliseconds timeout{10000};
};

/// The socket before connect(): L2CAP LE on CID 4, bound to the adapter's
/// address (or any), BT_SECURITY set. `peer` is filled from `opts`. On
/// failure `message` says what a user can do about it.
error_code prepare_le_att_socket(const le_connect_options& opts, int& fd, sockaddr_l2& peer, std::string& message);

/// One line a user can act on for a failed connect (timeouts name the peer
/// and the deadline).
std::string explain_connect_error(const error_code& ec, const le_connect_options& opts);

/// Connects to an LE peer's ATT channel on the io_context; cancel() ends it
/// (the socket closes, the handler gets operation_aborted).
class le_connector {
 public:
  using connect_signature = socket_connector::connect_signature;

  explicit le_connector(asio::io_context& io)
      : io_(io), connector_(io), message_(std::make_shared<std::string>()) {}
  /// Completes with (error_code, seqpacket_socket); opts.timeout is the
  /// deadline (asio::error::timed_out). After a failure, message() explains it.
  template <class Token> auto async_connect(const le_connect_options& opts, Token&& token) {
    return detail::initiate_posted<connect_signature>(std::forward<Token>(token), io_.get_executor(),
                                                      [this, opts](auto h) mutable { start(opts, std::move(h)); });
  }
  void cancel() { connector_.cancel(); }
  const std::string& message() const noexcept { return *message_; }

 private:
  void start(const le_connect_options& opts, unique_function<void(error_code, seqpacket_socket)> h);

  asio::io_context& io_;
  socket_connector connector_;
  std::shared_ptr<std::string> message_;  ///< shared: a handler may outlive this object
};

void start_connect_le_att(asio::io_context& io, const le_connect_options& opts,
                          unique_function<void(error_code, seqpacket_socket)> h);

/// The same without a cancel(): the deadline is its only end. Completes
/// with (error_code, seqpacket_socket); explain_connect_error() words it.
template <class Token> auto async_connect_le_att(asio::io_context& io, const le_connect_options& opts, Token&& token) {
  return detail::initiate_posted<le_connector::connect_signature>(
      std::forward<Token>(token), io.get_executor(),
      [&io, opts](auto h) mutable { start_connect_le_att(io, opts, std::move(h)); });
}

/// Blocking form for callers not yet on a loop (tools/target.cpp
/// open_target, the VM suite's probe): runs the same connect on a private
/// io_context; the socket is then moved onto `io`.
error_code connect_le_att(asio::io_context& io, const le_connect_options& opts, seqpacket_socket& out,
                          std::string& message);

/// The bearer's security seam on a real link: BT_SECURITY via setsockopt
/// (SOL_BLUETOOTH), which makes the kernel pair/encrypt (SMP).
class l2cap_security final : public att::link_security {
 public:
  explicit l2cap_security(int fd) : fd_(fd) {}
  att::security_level level() const noexcept override;
  error_code raise() override;

 private:
  int fd_;
};

/// The address of adapter hciN, read with HCIGETDEVINFO.
error_code adapter_address(int index, address& out);

}  // namespace bandwire::hci
