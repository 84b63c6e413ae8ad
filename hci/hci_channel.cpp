#include "hci/hci_channel.hpp"

#include <bluetooth/bluetooth.h>
#include <bluetooth/hci.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "hci/error.hpp"
#include "hci/hci_codec.hpp"
#include "hci/hci_socket.hpp"
#include "hci/status.hpp"

namespace bandwire::hci {

namespace {

// Kernel ABI (raw-socket-peers.md lesson 6): HCI_FILTER is validated against
// sizeof(struct hci_filter) = 16 since Linux 6.8 (14 bytes of fields + 2 of
// padding).
static_assert(sizeof(hci_filter) == 16, "struct hci_filter is 16 bytes with padding");
static_assert(offsetof(hci_filter, event_mask) == 4 && offsetof(hci_filter, opcode) == 12, "hci_filter layout");
static_assert(sizeof(sockaddr_hci) == 6, "sockaddr_hci layout");

constexpr std::uint8_t h4_command = 0x01;  // Core 5.4 Vol 4 Part A §2
constexpr std::uint8_t h4_event = 0x04;

error_code sys_error(int e) { return {e, boost::system::system_category()}; }

void set_event_bit(hci_filter& f, unsigned ev) { f.event_mask[ev >> 5] |= 1u << (ev & 31); }

// Only event packets reach listeners; anything else the filter let through
// (or a scripted peer sent) is skipped.
bool unwrap_h4(bytes_view in, bytes_view& out) {
  if (in.size() < 1 || in[0] != h4_event) return false;
  out = in.subspan(1);
  return true;
}

detail::answer match_command(bytes_view command, bytes_view packet, error_code& ec, std::vector<std::uint8_t>& rp) {
  const std::uint16_t op = get_le16(command.data());
  event_packet p;
  if (decode_event_packet(packet, p)) return detail::answer::other;
  command_complete cc;
  if (!decode_command_complete(p, cc) && cc.opcode == op) {
    rp.assign(cc.return_params.begin(), cc.return_params.end());
    ec = command_complete_status(cc);
    return detail::answer::final;
  }
  command_status cs;
  if (!decode_command_status(p, cs) && cs.opcode == op) {
    // The commands bandwire sends finish with Command Complete; a Command
    // Status reports a failure, or an early "pending" that is waited past.
    if (cs.status == 0) return detail::answer::progress;
    ec = status_error(cs.status);
    return detail::answer::final;
  }
  return detail::answer::other;
}

const detail::rules rules_h4{true, h4_command, 1024, &unwrap_h4, &match_command};

}  // namespace

const detail::rules& hci_channel::hci_rules() noexcept { return rules_h4; }

hci_channel::hci_channel(asio::io_context& io) : core_(std::make_shared<detail::packet_channel>(io, rules_h4)) {}

hci_channel::hci_channel(asio::io_context& io, int fd) : hci_channel(io) {
  core_->assign(detail::packet_channel::protocol(AF_UNIX, 0), fd);
}

hci_channel::~hci_channel() { core_->close(); }

error_code hci_channel::encode(std::uint16_t opcode, bytes_view params, std::vector<std::uint8_t>& out) {
  // Opcode (2), Parameter_Total_Length (1), parameters (Vol 4 Part E §5.4.1).
  if (params.size() > 255) return make_error_code(errc::invalid_argument);
  out.resize(3 + params.size());
  put_le16(out.data(), opcode);
  out[2] = static_cast<std::uint8_t>(params.size());
  std::copy(params.begin(), params.end(), out.begin() + 3);
  return {};
}

void hci_channel::submit(detail::packet_channel& core, std::vector<std::uint8_t> c,
                         std::chrono::steady_clock::duration timeout, detail::packet_channel::command_handler h) {
  std::uint16_t op = 0;
  bytes_view params;
  if (error_code ec = decode_command(c, op, params)) return h(ec, {});
  core.command(std::move(c), timeout, std::move(h));
}

error_code hci_channel::open(int adapter, std::string& message) {
  if (core_->is_open()) {
    message = "the HCI channel is already open";
    return asio::error::already_open;
  }
  // Check the adapter first: a raw socket binds to a down adapter happily
  // and only fails (ENETDOWN) on the first command.
  adapter_info info;
  if (error_code ec = get_adapter(adapter, info, message)) return ec;
  if (!info.up) {
    message = info.name + " is down (try: bandwire adapter up --adapter " + info.name + ")";
    return sys_error(ENETDOWN);
  }
  const int fd = ::socket(AF_BLUETOOTH, SOCK_RAW | SOCK_CLOEXEC, BTPROTO_HCI);
  if (fd < 0) {
    const int e = errno;
    message = explain_errno(e, "socket(AF_BLUETOOTH)");
    return sys_error(e);
  }
  auto fail = [&](const std::string& what) {
    const int e = errno;
    message = explain_errno(e, what);
    ::close(fd);
    return sys_error(e);
  };
  sockaddr_hci a{};
  a.hci_family = AF_BLUETOOTH;
  a.hci_dev = static_cast<unsigned short>(adapter);
  a.hci_channel = HCI_CHANNEL_RAW;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) < 0) return fail("bind raw HCI socket to " + info.name);
  // The filter is per socket; saving and restoring it keeps the rule "leave
  // what you found" even for a descriptor handed on.
  hci_filter old{};
  socklen_t len = sizeof old;
  const bool saved = ::getsockopt(fd, SOL_HCI, HCI_FILTER, &old, &len) == 0 && len == sizeof old;
  hci_filter f{};
  f.type_mask = 1u << HCI_EVENT_PKT;
  for (unsigned ev : {event_code::command_complete, event_code::command_status, event_code::disconnection_complete,
                      event_code::le_meta})
    set_event_bit(f, ev);
  if (::setsockopt(fd, SOL_HCI, HCI_FILTER, &f, sizeof f) < 0) return fail("set HCI socket filter");
  if (error_code ec = core_->assign(detail::packet_channel::protocol(AF_BLUETOOTH, BTPROTO_HCI), fd)) {
    message = "raw HCI socket: " + ec.message();
    ::close(fd);
    return ec;
  }
  if (saved)
    core_->on_close([old](int d) { ::setsockopt(d, SOL_HCI, HCI_FILTER, &old, sizeof old); });
  return {};
}

}  // namespace bandwire::hci
