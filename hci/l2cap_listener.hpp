// The peripheral side of LE ATT over L2CAP: a listening SOCK_SEQPACKET socket
// on the fixed ATT channel (CID 4, Core 5.4 Vol 3 Part A §2.1) of one local
// identity address. The kernel hands it a channel only when a NEW LE link
// comes up (kernel-test-recipe.md pitfall 4), so one accept is one link.
// Accepted connections are the same seqpacket_socket type the unix transport
// and connect_le_att use, so virtual_band::serve takes them as they are.
#pragma once

#include <functional>
#include <string>

#include "common/asio.hpp"
#include "hci/address.hpp"

namespace bandwire::hci {

/// Who connected: the peer's identity as the kernel reports it in accept().
struct l2cap_peer {
  address addr{};
  address_type type = address_type::le_public;
  unsigned short cid = 0;
};

class l2cap_listener {
 public:
  using accept_handler = std::function<void(error_code, seqpacket_socket, l2cap_peer)>;

  explicit l2cap_listener(asio::io_context& io);
  l2cap_listener(const l2cap_listener&) = delete;
  l2cap_listener& operator=(const l2cap_listener&) = delete;

  /// Binds {local, type, CID 4} and listens. `local` and `type` must be the
  /// adapter's LE identity: its static random address with le_random when it
  /// has one and BR/EDR is off, else its public address with le_public (the
  /// kernel matches a fixed-channel listener on both, l2cap_global_fixed_chan).
  /// On failure `message` says what a user can do about it.
  error_code open(const address& local, address_type type, std::string& message);

  /// Accepts the next link's ATT channel. One accept at a time; the handler
  /// runs on the io_context with operation_aborted after close().
  void async_accept(accept_handler handler);

  void close();
  bool is_open() const noexcept { return acceptor_.is_open(); }

 private:
  asio::basic_socket_acceptor<asio::generic::seq_packet_protocol> acceptor_;
  asio::generic::seq_packet_protocol::endpoint peer_;  // filled by the pending accept
};

}  // namespace bandwire::hci
