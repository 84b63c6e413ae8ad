#include "hci/l2cap_socket.hpp"

#include "att/error.hpp"

#include <bluetooth/bluetooth.h>
#include <bluetooth/hci.h>
#include <bluetooth/l2cap.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
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

error_code connect_le_att(asio::io_context& io, const le_connect_options& o, seqpacket_socket& out,
                          std::string& message) {
  int fd = ::socket(AF_BLUETOOTH, SOCK_SEQPACKET | SOCK_CLOEXEC, BTPROTO_L2CAP);
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
  // Non-blocking connect bounded by our own timeout.
  ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
  sockaddr_l2 peer{};
  peer.l2_family = AF_BLUETOOTH;
  peer.l2_cid = htobs(att_cid);
  peer.l2_bdaddr_type = static_cast<uint8_t>(o.type);
  const auto le = o.peer.le();
  std::memcpy(peer.l2_bdaddr.b, le.data(), 6);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&peer), sizeof peer) < 0) {
    if (errno != EINPROGRESS && errno != EAGAIN) return fail("connect");
    pollfd p{fd, POLLOUT, 0};
    const int r = ::poll(&p, 1, static_cast<int>(o.timeout.count()));
    if (r == 0) {
      errno = ETIMEDOUT;
      message = "connect to " + o.peer.to_string() + " timed out after " +
                std::to_string(o.timeout.count() / 1000.0).substr(0, 4) +
                " s: the device did not answer (out of range, off, or connected elsewhere)";
      ::close(fd);
      return sys_error(ETIMEDOUT);
    }
    if (r < 0) return fail("connect");
    int err = 0;
    socklen_t len = sizeof err;
    ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
    if (err != 0) {
      errno = err;
      return fail("connect");
    }
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
