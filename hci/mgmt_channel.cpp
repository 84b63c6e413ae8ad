#include "hci/mgmt_channel.hpp"

#include <bluetooth/bluetooth.h>
#include <bluetooth/hci.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "hci/error.hpp"

namespace bandwire::hci {

namespace {

bool unwrap_mgmt(bytes_view in, bytes_view& out) {
  out = in;
  return true;
}

detail::answer match_mgmt(bytes_view command, bytes_view packet, error_code& ec, std::vector<std::uint8_t>& rp) {
  mgmt::event cmd, e;
  if (mgmt::decode_command(command, cmd) || mgmt::decode_event(packet, e)) return detail::answer::other;
  if (e.index != cmd.index) return detail::answer::other;
  mgmt::command_complete cc;
  if (!mgmt::decode_command_complete(e, cc) && cc.opcode == cmd.code) {
    rp.assign(cc.return_params.begin(), cc.return_params.end());
    ec = mgmt::status_error(cc.status);
    return detail::answer::final;
  }
  mgmt::command_status cs;
  if (!mgmt::decode_command_status(e, cs) && cs.opcode == cmd.code) {
    // Commands bandwire sends answer with Command Complete; a Command Status
    // carries a failure (or an early "pending", kept waiting for).
    if (cs.status == 0) return detail::answer::progress;
    ec = mgmt::status_error(cs.status);
    return detail::answer::final;
  }
  return detail::answer::other;
}

// Events are at most 6 + 65,535 octets.
const detail::rules rules_mgmt{false, 0, mgmt::header_size + 0xffff, &unwrap_mgmt, &match_mgmt};

}  // namespace

const detail::rules& mgmt_channel::mgmt_rules() noexcept { return rules_mgmt; }

mgmt_channel::mgmt_channel(asio::io_context& io) : core_(std::make_shared<detail::packet_channel>(io, rules_mgmt)) {}

mgmt_channel::mgmt_channel(asio::io_context& io, int fd) : mgmt_channel(io) {
  core_->assign(detail::packet_channel::protocol(AF_UNIX, 0), fd);
}

mgmt_channel::~mgmt_channel() { core_->close(); }

void mgmt_channel::submit(detail::packet_channel& core, std::vector<std::uint8_t> c,
                          std::chrono::steady_clock::duration timeout, detail::packet_channel::command_handler h) {
  mgmt::event cmd;
  if (error_code ec = mgmt::decode_command(c, cmd)) return h(ec, {});
  core.command(std::move(c), timeout, std::move(h));
}

subscription mgmt_channel::subscribe(event_listener l) {
  return core_->subscribe([l = std::move(l)](error_code ec, bytes_view packet) {
    mgmt::event e;
    if (ec) return l(ec, e);
    if (mgmt::decode_event(packet, e)) return;
    l({}, e);
  });
}

error_code mgmt_channel::open(std::string& message) {
  if (core_->is_open()) {
    message = "the management channel is already open";
    return asio::error::already_open;
  }
  const int fd = ::socket(AF_BLUETOOTH, SOCK_RAW | SOCK_CLOEXEC, BTPROTO_HCI);
  if (fd < 0) {
    const int e = errno;
    message = e == EAFNOSUPPORT ? "no Bluetooth support in this kernel (socket(AF_BLUETOOTH) failed)"
                                : std::string("management socket: ") + std::strerror(e);
    return {e, boost::system::system_category()};
  }
  sockaddr_hci a{};
  a.hci_family = AF_BLUETOOTH;
  a.hci_dev = HCI_DEV_NONE;
  a.hci_channel = HCI_CHANNEL_CONTROL;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) < 0) {
    const int e = errno;
    message = std::string("bind management channel: ") + std::strerror(e) +
              (e == EPERM || e == EACCES ? " (needs CAP_NET_ADMIN)" : "");
    ::close(fd);
    return {e, boost::system::system_category()};
  }
  if (error_code ec = core_->assign(detail::packet_channel::protocol(AF_BLUETOOTH, BTPROTO_HCI), fd)) {
    message = "management socket: " + ec.message();
    ::close(fd);
    return ec;
  }
  return {};
}

}  // namespace bandwire::hci
