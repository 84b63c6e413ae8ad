#include "hci/l2cap_socket.hpp"

#include "att/error.hpp"

#include <bluetooth/bluetooth.h>
#include <bluetooth/hci.h>
#include <bluetooth/l2cap.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace bandwire::hci {

namespace {
constexpr unsigned short att_cid = 4;  // Vol 3 Part A §2.1, Table 2.3

error_code sys_error(int e) { return {e, boost::system::system_category()}; }

std::string explain(int e, const char* what) {
  switch (e) {
    case EAFNOSUPPORT:
      return "this kernel has no Bluetooth support (socket(AF_BLUETOOTH) failed); "
             "load the bluetooth module or run on a machine with an adapter";
    case EACCES:
    case EPERM:
      return std::string(what) + ": permission denied; run as root or grant cap_net_raw,cap_net_admin (see README)";
    case ENODEV:
      return std::string(what) + ": no such adapter, or it is down (try: bandwire adapters)";
    case EHOSTUNREACH:
    case ETIMEDOUT:
      return std::string(what) + ": the device did not answer (out of range, off, or connected elsewhere)";
    case EBUSY:
      return std::string(what) + ": busy; bluetoothd may hold the ATT channel (see bandwire doctor)";
    case ECONNREFUSED:
      return std::string(what) + ": connection refused by the device";
    case ENETDOWN:
      return std::string(what) + ": the adapter is down (try: bandwire adapter up)";
    default:
      return std::string(what) + ": " + std::strerror(e);
  }
}
}  // namespace

error_code adapter_address(int index, address& out) {
  int s = ::socket(AF_BLUETOOTH, SOCK_RAW | SOCK_CLOEXEC, BTPROTO_HCI);
  if (s < 0) return sys_error(errno);
  hci_dev_info di{};
  di.dev_id = static_cast<uint16_t>(index);
  const int r = ::ioctl(s, HCIGETDEVINFO, &di);
  const int e = errno;
  ::close(s);
  if (r < 0) return sys_error(e);
  out = address::from_le(di.bdaddr.b);
  return {};
}

error_code prepare_le_att_socket(const le_connect_options& o, int& fd_out, sockaddr_l2& peer, std::string& message) {
  fd_out = -1;
  const int fd = ::socket(AF_BLUETOOTH, SOCK_SEQPACKET | SOCK_CLOEXEC, BTPROTO_L2CAP);
  if (fd < 0) {
    const int e = errno;
    message = explain(e, "socket");
    return sys_error(e);
  }
  auto fail = [&](const char* what) {
    const int e = errno;
    message = explain(e, what);
    ::close(fd);
    return sys_error(e);
  };
  sockaddr_l2 local{};
  local.l2_family = AF_BLUETOOTH;
  local.l2_cid = htobs(att_cid);
  local.l2_bdaddr_type = BDADDR_LE_PUBLIC;
  if (o.adapter >= 0) {
    address a;
    if (error_code ec = adapter_address(o.adapter, a)) {
      message = explain(ec.value(), ("adapter hci" + std::to_string(o.adapter)).c_str());
      ::close(fd);
      return ec;
    }
    const auto le = a.le();
    std::memcpy(local.l2_bdaddr.b, le.data(), 6);
  }
  if (::bind(fd, reinterpret_cast<sockaddr*>(&local), sizeof local) < 0) return fail("bind");
  if (o.security > 0) {
    bt_security sec{};
    sec.level = static_cast<uint8_t>(o.security);
    if (::setsockopt(fd, SOL_BLUETOOTH, BT_SECURITY, &sec, sizeof sec) < 0) return fail("set security");
  }
  peer = sockaddr_l2{};
  peer.l2_family = AF_BLUETOOTH;
  peer.l2_cid = htobs(att_cid);
  peer.l2_bdaddr_type = static_cast<uint8_t>(o.type);
  const auto le = o.peer.le();
  std::memcpy(peer.l2_bdaddr.b, le.data(), 6);
  fd_out = fd;
  return {};
}

std::string explain_connect_error(const error_code& ec, const le_connect_options& o) {
  if (ec == asio::error::timed_out) {
    char secs[16];
    std::snprintf(secs, sizeof secs, "%.1f", static_cast<double>(o.timeout.count()) / 1000.0);
    return "connect to " + o.peer.to_string() + " timed out after " + secs +
           " s: the device did not answer (out of range, off, or connected elsewhere)";
  }
  if (ec == asio::error::operation_aborted) return "connect to " + o.peer.to_string() + " cancelled";
  if (ec.category() == boost::system::system_category()) return explain(ec.value(), "connect");
  return "connect: " + ec.message();
}

void le_connector::start(const le_connect_options& o, unique_function<void(error_code, seqpacket_socket)> h) {
  int fd = -1;
  sockaddr_l2 peer{};
  message_->clear();
  if (error_code ec = prepare_le_att_socket(o, fd, peer, *message_)) return h(ec, seqpacket_socket(io_));
  connector_.async_connect(fd, asio::generic::seq_packet_protocol(AF_BLUETOOTH, BTPROTO_L2CAP),
                           reinterpret_cast<const sockaddr*>(&peer), sizeof peer, o.timeout,
                           [m = message_, o, h = std::move(h)](error_code ec, seqpacket_socket s) mutable {
                             if (ec) *m = explain_connect_error(ec, o);
                             h(ec, std::move(s));
                           });
}

void start_connect_le_att(asio::io_context& io, const le_connect_options& o,
                          unique_function<void(error_code, seqpacket_socket)> h) {
  auto c = std::make_shared<le_connector>(io);
  c->async_connect(o, [c, h = std::move(h)](error_code ec, seqpacket_socket s) mutable { h(ec, std::move(s)); });
}

error_code connect_le_att(asio::io_context& io, const le_connect_options& o, seqpacket_socket& out,
                          std::string& message) {
  // A private loop: the caller's io_context is not run from inside a call.
  asio::io_context own;
  le_connector c(own);
  error_code result = asio::error::operation_aborted;
  seqpacket_socket s(own);
  c.async_connect(o, [&](error_code ec, seqpacket_socket connected) {
    result = ec;
    s = std::move(connected);
  });
  own.run();
  if (result) {
    message = c.message();
    return result;
  }
  error_code ec;
  const int fd = s.release(ec);
  if (ec) {
    message = "connect: " + ec.message();
    return ec;
  }
  out = seqpacket_socket(io, asio::generic::seq_packet_protocol(AF_BLUETOOTH, BTPROTO_L2CAP), fd);
  return {};
}

att::security_level l2cap_security::level() const noexcept {
  bt_security sec{};
  socklen_t len = sizeof sec;
  if (::getsockopt(fd_, SOL_BLUETOOTH, BT_SECURITY, &sec, &len) < 0) return att::security_level::low;
  return static_cast<att::security_level>(sec.level);
}

error_code l2cap_security::raise() {
  const int next = static_cast<int>(level()) + 1;
  if (next > BT_SECURITY_FIPS) return att::make_error_code(att::errc::security_failed);
  bt_security sec{};
  sec.level = static_cast<uint8_t>(next);
  if (::setsockopt(fd_, SOL_BLUETOOTH, BT_SECURITY, &sec, sizeof sec) < 0)
    return att::make_error_code(att::errc::security_failed);
  return {};
}

}  // namespace bandwire::hci
