#include "hci/l2cap_listener.hpp"

#include <bluetooth/bluetooth.h>
#include <bluetooth/l2cap.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstring>

namespace bandwire::hci {

namespace {
constexpr unsigned short att_cid = 4;  // Vol 3 Part A §2.1, Table 2.3

// Kernel ABI (raw-socket-peers.md lesson 6): the layout bind() and accept() use.
static_assert(sizeof(sockaddr_l2) == 14, "sockaddr_l2 layout");
static_assert(offsetof(sockaddr_l2, l2_cid) == 10 && offsetof(sockaddr_l2, l2_bdaddr_type) == 12,
              "sockaddr_l2 layout");

std::string explain(int e, const char* what) {
  switch (e) {
    case EAFNOSUPPORT:
      return "this kernel has no Bluetooth support (socket(AF_BLUETOOTH) failed)";
    case EADDRINUSE:
      return std::string(what) + ": another program already listens on this adapter's ATT channel "
                                 "(bluetoothd's GATT server?)";
    case EACCES:
    case EPERM:
      return std::string(what) + ": permission denied; run as root or grant cap_net_raw,cap_net_admin";
    default:
      return std::string(what) + ": " + std::strerror(e);
  }
}
}  // namespace

l2cap_listener::l2cap_listener(asio::io_context& io) : acceptor_(io) {}

error_code l2cap_listener::open(const address& local, address_type type, std::string& message) {
  close();
  int fd = ::socket(AF_BLUETOOTH, SOCK_SEQPACKET | SOCK_CLOEXEC, BTPROTO_L2CAP);
  if (fd < 0) {
    const int e = errno;
    message = explain(e, "socket");
    return {e, boost::system::system_category()};
  }
  sockaddr_l2 a{};
  a.l2_family = AF_BLUETOOTH;
  a.l2_cid = htobs(att_cid);  // a fixed channel: no PSM
  a.l2_bdaddr_type = static_cast<std::uint8_t>(type);
  const auto le = local.le();
  std::memcpy(a.l2_bdaddr.b, le.data(), 6);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) < 0 || ::listen(fd, 1) < 0) {
    const int e = errno;
    message = explain(e, ("listen on " + local.to_string() + " ATT channel").c_str());
    ::close(fd);
    return {e, boost::system::system_category()};
  }
  error_code ec;
  acceptor_.assign(asio::generic::seq_packet_protocol(AF_BLUETOOTH, BTPROTO_L2CAP), fd, ec);
  if (ec) {
    message = "listen: " + ec.message();
    ::close(fd);
  }
  return ec;
}

void l2cap_listener::async_accept(accept_handler handler) {
  acceptor_.async_accept(peer_, [this, h = std::move(handler)](error_code ec, seqpacket_socket s) {
    l2cap_peer p;
    if (!ec && peer_.size() >= sizeof(sockaddr_l2)) {
      sockaddr_l2 a{};
      std::memcpy(&a, peer_.data(), sizeof a);
      p.addr = address::from_le(a.l2_bdaddr.b);
      p.type = static_cast<address_type>(a.l2_bdaddr_type);
      p.cid = btohs(a.l2_cid);
    }
    h(ec, std::move(s), p);
  });
}

void l2cap_listener::close() {
  error_code ignored;
  acceptor_.close(ignored);
}

}  // namespace bandwire::hci
