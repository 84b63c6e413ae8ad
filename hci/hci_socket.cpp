#include "hci/hci_socket.hpp"

#include <bluetooth/bluetooth.h>
#include <bluetooth/hci.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <cstring>
#include <memory>

namespace bandwire::hci {

namespace {

using boost::system::error_code;

// Kernel ABI (raw-socket-peers.md lesson 6): the sizes the kernel checks.
// HCI_FILTER is validated against sizeof(struct hci_filter) = 16 since Linux
// 6.8 (14 bytes of fields + 2 of padding).
static_assert(sizeof(hci_filter) == 16, "struct hci_filter is 16 bytes with padding");
static_assert(offsetof(hci_filter, event_mask) == 4 && offsetof(hci_filter, opcode) == 12, "hci_filter layout");
static_assert(sizeof(sockaddr_hci) == 6, "sockaddr_hci layout");
static_assert(offsetof(hci_dev_list_req, dev_req) == 4, "hci_dev_list_req layout");
static_assert(offsetof(hci_conn_list_req, conn_info) == 4, "hci_conn_list_req layout");

constexpr std::uint8_t h4_command = 0x01;  // Core 5.4 Vol 4 Part A §2
constexpr std::uint8_t h4_event = 0x04;

error_code sys_error(int e) { return {e, boost::system::system_category()}; }
error_code aborted() { return make_error_code(boost::system::errc::operation_canceled); }

// A raw HCI socket for ioctls (not bound: the device ioctls take an index).
int control_socket(std::string& message) {
  const int fd = ::socket(AF_BLUETOOTH, SOCK_RAW | SOCK_CLOEXEC, BTPROTO_HCI);
  if (fd < 0) message = explain_errno(errno, "socket(AF_BLUETOOTH)");
  return fd;
}

adapter_info from_dev_info(const hci_dev_info& di) {
  adapter_info a;
  a.index = di.dev_id;
  a.name.assign(di.name, ::strnlen(di.name, sizeof di.name));
  a.addr = address::from_le(di.bdaddr.b);
  a.flags = di.flags;
  a.up = (di.flags & (1u << HCI_UP)) != 0;
  a.running = (di.flags & (1u << HCI_RUNNING)) != 0;
  // LMP features page 0, octet 4: bit 5 BR/EDR Not Supported (37), bit 6 LE
  // Supported (Controller) (38) (Core 5.4 Vol 2 Part C §3.3).
  a.le = (di.features[4] & LMP_LE) != 0;
  a.bredr = (di.features[4] & LMP_NO_BREDR) == 0;
  a.bus = static_cast<std::uint8_t>(di.type & 0x0f);
  a.kind = static_cast<std::uint8_t>((di.type & 0x30) >> 4);
  return a;
}

void set_event_bit(hci_filter& f, unsigned ev) { f.event_mask[ev >> 5] |= 1u << (ev & 31); }

// Waits until `fd` is readable or `cancel_fd` is. 0 on data, else an error.
error_code wait_readable(int fd, int cancel_fd, std::chrono::milliseconds timeout) {
  pollfd p[2] = {{fd, POLLIN, 0}, {cancel_fd, POLLIN, 0}};
  const nfds_t n = cancel_fd >= 0 ? 2 : 1;
  const int ms = timeout.count() < 0 ? 0 : static_cast<int>(timeout.count());
  for (;;) {
    const int r = ::poll(p, n, ms);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) return sys_error(errno);
    if (r == 0) return make_error_code(errc::command_timeout);
    if (n == 2 && (p[1].revents & POLLIN)) return aborted();
    if (p[0].revents & (POLLIN | POLLHUP | POLLERR)) return {};
  }
}

std::chrono::milliseconds until(std::chrono::steady_clock::time_point deadline) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
}

std::string op_name(std::uint16_t op) {
  switch (op) {
    case opcode::read_local_supported_commands: return "Read Local Supported Commands";
    case opcode::le_set_scan_parameters: return "LE Set Scan Parameters";
    case opcode::le_set_scan_enable: return "LE Set Scan Enable";
    case opcode::le_set_extended_scan_parameters: return "LE Set Extended Scan Parameters";
    case opcode::le_set_extended_scan_enable: return "LE Set Extended Scan Enable";
    default: {
      char b[16];
      std::snprintf(b, sizeof b, "opcode 0x%04x", op);
      return b;
    }
  }
}

std::string explain_command_error(const error_code& ec, std::uint16_t op) {
  const std::string what = op_name(op);
  if (ec.category() == boost::system::system_category()) {
    if (ec.value() == EPERM || ec.value() == EACCES)
      return what + ": permission denied: LE scanning needs CAP_NET_RAW; run as root or "
                    "`sudo setcap cap_net_raw,cap_net_admin+ep $(command -v bandwire)`";
    return explain_errno(ec.value(), what);
  }
  if (ec == errc::command_timeout)
    return what + ": the controller did not answer (wedged? try: bandwire adapter reset)";
  return what + ": " + ec.message();
}

}  // namespace

// ------------------------------------------------------------- adapters ----

std::string bus_name(std::uint8_t bus) {
  switch (bus) {
    case HCI_VIRTUAL: return "virtual";
    case HCI_USB: return "usb";
    case HCI_PCCARD: return "pccard";
    case HCI_UART: return "uart";
    case HCI_RS232: return "rs232";
    case HCI_PCI: return "pci";
    case HCI_SDIO: return "sdio";
    case HCI_SPI: return "spi";
    case HCI_I2C: return "i2c";
    case HCI_SMD: return "smd";
    default: return "bus" + std::to_string(bus);
  }
}

std::string explain_errno(int e, std::string_view what_v) {
  const std::string what(what_v);
  switch (e) {
    case EAFNOSUPPORT:
      return "no Bluetooth support in this kernel (socket(AF_BLUETOOTH) failed); load the bluetooth "
             "module, or use a kernel built with CONFIG_BT (a container shares its host's kernel)";
    case EPERM:
    case EACCES:
      return what + ": permission denied: needs CAP_NET_ADMIN (adapter up/reset) or CAP_NET_RAW (scanning); "
                    "run as root or `sudo setcap cap_net_admin,cap_net_raw+ep $(command -v bandwire)`";
    case ENODEV:
      return what + ": no such adapter (see: bandwire adapters)";
    case ENETDOWN:
      return what + ": the adapter is down (try: bandwire adapter up)";
    case ERFKILL:
      return what + ": the adapter is blocked by rfkill (try: rfkill unblock bluetooth)";
    case EBUSY:
      return what + ": the adapter is busy (another program holds it exclusively, e.g. an HCI user channel)";
    case EOPNOTSUPP:
      return what + ": not supported by this adapter (unconfigured or raw-only?)";
    case ETIMEDOUT:
      return what + ": the controller did not answer in time";
    default:
      return what + ": " + std::strerror(e);
  }
}

std::optional<int> parse_adapter_name(std::string_view s) {
  if (s.size() > 3 && s.substr(0, 3) == "hci") s.remove_prefix(3);
  if (s.empty() || s.size() > 4) return std::nullopt;
  int v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + (c - '0');
  }
  return v;
}

error_code list_adapters(std::vector<adapter_info>& out, std::string& message) {
  out.clear();
  const int fd = control_socket(message);
  if (fd < 0) return sys_error(errno);
  // hci_dev_list_req is dev_num (2, padded to 4) followed by dev_num
  // hci_dev_req entries; sized for HCI_MAX_DEV.
  const std::size_t size = offsetof(hci_dev_list_req, dev_req) + HCI_MAX_DEV * sizeof(hci_dev_req);
  std::vector<std::uint32_t> buf((size + 3) / 4, 0);
  auto* req = reinterpret_cast<hci_dev_list_req*>(buf.data());
  req->dev_num = HCI_MAX_DEV;
  if (::ioctl(fd, HCIGETDEVLIST, req) < 0) {
    const int e = errno;
    message = explain_errno(e, "list adapters (HCIGETDEVLIST)");
    ::close(fd);
    return sys_error(e);
  }
  // Entries are copied out rather than cast to, so no alignment is assumed.
  const char* entries = reinterpret_cast<const char*>(req) + offsetof(hci_dev_list_req, dev_req);
  const std::size_t n = req->dev_num < HCI_MAX_DEV ? req->dev_num : HCI_MAX_DEV;
  for (std::size_t i = 0; i < n; ++i) {
    hci_dev_req entry;
    std::memcpy(&entry, entries + i * sizeof entry, sizeof entry);
    hci_dev_info di{};
    di.dev_id = entry.dev_id;
    if (::ioctl(fd, HCIGETDEVINFO, &di) < 0) continue;  // removed meanwhile
    out.push_back(from_dev_info(di));
  }
  ::close(fd);
  // The kernel lists the newest adapter first; callers expect hci0 first.
  std::sort(out.begin(), out.end(), [](const adapter_info& x, const adapter_info& y) { return x.index < y.index; });
  return {};
}

error_code get_adapter(int index, adapter_info& out, std::string& message) {
  const std::string name = "hci" + std::to_string(index);
  if (index < 0 || index > 0xfffe) {
    message = name + ": no such adapter (see: bandwire adapters)";
    return sys_error(ENODEV);
  }
  const int fd = control_socket(message);
  if (fd < 0) return sys_error(errno);
  hci_dev_info di{};
  di.dev_id = static_cast<std::uint16_t>(index);
  const int r = ::ioctl(fd, HCIGETDEVINFO, &di);
  const int e = errno;
  ::close(fd);
  if (r < 0) {
    message = explain_errno(e, name);
    return sys_error(e);
  }
  out = from_dev_info(di);
  return {};
}

error_code adapter_up(int index, bool& was_up, std::string& message) {
  was_up = false;
  const int fd = control_socket(message);
  if (fd < 0) return sys_error(errno);
  const int r = ::ioctl(fd, HCIDEVUP, index);
  const int e = errno;
  ::close(fd);
  if (r < 0 && e == EALREADY) {
    was_up = true;
    return {};
  }
  if (r < 0) {
    message = explain_errno(e, "bring up hci" + std::to_string(index) + " (HCIDEVUP)");
    return sys_error(e);
  }
  return {};
}

error_code adapter_reset(int index, std::string& message) {
  const int fd = control_socket(message);
  if (fd < 0) return sys_error(errno);
  const int r = ::ioctl(fd, HCIDEVRESET, index);
  const int e = errno;
  ::close(fd);
  if (r < 0) {
    message = explain_errno(e, "reset hci" + std::to_string(index) + " (HCIDEVRESET)");
    return sys_error(e);
  }
  return {};
}

error_code adapter_connections(int index, std::size_t& count, std::string& message) {
  count = 0;
  const int fd = control_socket(message);
  if (fd < 0) return sys_error(errno);
  constexpr std::size_t max_conn = 16;
  const std::size_t size = offsetof(hci_conn_list_req, conn_info) + max_conn * sizeof(hci_conn_info);
  std::vector<std::uint32_t> buf((size + 3) / 4, 0);
  auto* req = reinterpret_cast<hci_conn_list_req*>(buf.data());
  req->dev_id = static_cast<std::uint16_t>(index);
  req->conn_num = max_conn;
  const int r = ::ioctl(fd, HCIGETCONNLIST, req);
  const int e = errno;
  ::close(fd);
  if (r < 0) {
    message = explain_errno(e, "list connections of hci" + std::to_string(index) + " (HCIGETCONNLIST)");
    return sys_error(e);
  }
  count = req->conn_num;
  return {};
}

// --------------------------------------------------------------- socket ----

hci_socket::~hci_socket() {
  restore_filter();
  if (fd_ >= 0) ::close(fd_);
}

hci_socket::hci_socket(hci_socket&& o) noexcept
    : fd_(o.fd_), cancel_fd_(o.cancel_fd_), filter_saved_(o.filter_saved_), saved_filter_(o.saved_filter_) {
  o.fd_ = -1;
  o.filter_saved_ = false;
}

hci_socket& hci_socket::operator=(hci_socket&& o) noexcept {
  if (this != &o) {
    restore_filter();
    if (fd_ >= 0) ::close(fd_);
    fd_ = o.fd_;
    cancel_fd_ = o.cancel_fd_;
    filter_saved_ = o.filter_saved_;
    saved_filter_ = o.saved_filter_;
    o.fd_ = -1;
    o.filter_saved_ = false;
  }
  return *this;
}

void hci_socket::restore_filter() noexcept {
  if (fd_ < 0 || !filter_saved_) return;
  hci_filter f{};
  std::memcpy(&f, saved_filter_.data(), sizeof f);
  ::setsockopt(fd_, SOL_HCI, HCI_FILTER, &f, sizeof f);
  filter_saved_ = false;
}

error_code hci_socket::open(int adapter, hci_socket& out, std::string& message) {
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
  hci_socket s(fd);
  sockaddr_hci a{};
  a.hci_family = AF_BLUETOOTH;
  a.hci_dev = static_cast<unsigned short>(adapter);
  a.hci_channel = HCI_CHANNEL_RAW;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) < 0) {
    const int e = errno;
    message = explain_errno(e, "bind raw HCI socket to " + info.name);
    return sys_error(e);
  }
  hci_filter old{};
  socklen_t len = sizeof old;
  if (::getsockopt(fd, SOL_HCI, HCI_FILTER, &old, &len) == 0 && len == sizeof old) {
    std::memcpy(s.saved_filter_.data(), &old, sizeof old);
    s.filter_saved_ = true;
  }
  hci_filter f{};
  f.type_mask = 1u << HCI_EVENT_PKT;
  for (unsigned ev : {event_code::command_complete, event_code::command_status, event_code::disconnection_complete,
                      event_code::le_meta})
    set_event_bit(f, ev);
  if (::setsockopt(fd, SOL_HCI, HCI_FILTER, &f, sizeof f) < 0) {
    const int e = errno;
    message = explain_errno(e, "set HCI socket filter");
    return sys_error(e);
  }
  out = std::move(s);
  return {};
}

error_code hci_socket::send_command(bytes_view command) {
  if (fd_ < 0) return sys_error(EBADF);
  std::vector<std::uint8_t> pkt;
  pkt.reserve(1 + command.size());
  pkt.push_back(h4_command);
  pkt.insert(pkt.end(), command.begin(), command.end());
  const ssize_t n = ::send(fd_, pkt.data(), pkt.size(), MSG_NOSIGNAL);
  if (n < 0) return sys_error(errno);
  if (static_cast<std::size_t>(n) != pkt.size()) return sys_error(EMSGSIZE);
  return {};
}

error_code hci_socket::read_event(std::chrono::milliseconds timeout, std::vector<std::uint8_t>& event) {
  if (fd_ < 0) return sys_error(EBADF);
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  // An H4 event is at most 1 + 2 + 255 octets; the buffer leaves room for
  // anything else the filter lets through, which is skipped.
  std::uint8_t buf[1024];
  for (;;) {
    if (error_code ec = wait_readable(fd_, cancel_fd_, until(deadline))) return ec;
    const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (n < 0) return sys_error(errno);
    if (n == 0) return sys_error(ECONNRESET);
    if (buf[0] != h4_event) continue;
    event.assign(buf + 1, buf + n);
    return {};
  }
}

error_code hci_socket::command(bytes_view cmd, std::chrono::milliseconds timeout, std::vector<std::uint8_t>& cc_params,
                               const event_sink& other) {
  std::uint16_t op = 0;
  bytes_view params;
  if (error_code ec = decode_command(cmd, op, params)) return ec;
  if (error_code ec = send_command(cmd)) return ec;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::vector<std::uint8_t> ev;
  for (;;) {
    if (error_code ec = read_event(until(deadline), ev)) return ec;
    event_packet p;
    if (!decode_event_packet(ev, p)) {
      command_complete cc;
      if (!decode_command_complete(p, cc) && cc.opcode == op) {
        cc_params.assign(cc.return_params.begin(), cc.return_params.end());
        return command_complete_status(cc);
      }
      command_status cs;
      if (!decode_command_status(p, cs) && cs.opcode == op) {
        cc_params.clear();
        // The commands sent here all finish with Command Complete; a Command
        // Status reports a failure (or an early "pending", waited past).
        if (cs.status != 0) return status_error(cs.status);
        continue;
      }
    }
    if (other) other(ev);
  }
}

// ----------------------------------------------------------------- scan ----

le_scanner::~le_scanner() {
  std::string ignored;
  stop(ignored);
}

void le_scanner::keep(bytes_view event) {
  if (!event.empty() && event[0] == event_code::le_meta) pending_.emplace_back(event.begin(), event.end());
}

error_code le_scanner::set_parameters(bool extended, std::vector<std::uint8_t>& rp) {
  std::vector<std::uint8_t> cmd;
  error_code ec = extended ? encode_le_set_extended_scan_parameters(opts_.params, phy_1m, cmd)
                           : encode_le_set_scan_parameters(opts_.params, cmd);
  if (ec) return ec;
  return s_.command(cmd, opts_.command_timeout, rp, [this](bytes_view e) { keep(e); });
}

error_code le_scanner::start(const scan_options& o, std::string& message) {
  if (started_) {
    message = "scan already started";
    return make_error_code(errc::invalid_argument);
  }
  opts_ = o;
  state_ = {};
  pending_.clear();
  auto sink = [this](bytes_view e) { keep(e); };
  std::vector<std::uint8_t> rp;

  // 1. What does the controller support? (Vol 4 Part E §7.4.2, bit table §6.27)
  supported_commands sc;
  bool sc_known = false;
  {
    const auto cmd = encode_read_local_supported_commands();
    error_code ec = s_.command(cmd, opts_.command_timeout, rp, sink);
    // Transport trouble ends here; a controller status (Unknown HCI Command
    // on a 4.0 controller) just means "assume legacy".
    if (ec && (ec.category() == boost::system::system_category() || ec == errc::command_timeout ||
               ec == boost::system::errc::operation_canceled)) {
      message = explain_command_error(ec, opcode::read_local_supported_commands);
      return ec;
    }
    if (!ec) {
      command_complete cc;
      cc.opcode = opcode::read_local_supported_commands;
      cc.return_params = bytes_view(rp);
      sc_known = !decode_read_local_supported_commands(cc, sc);
    }
  }
  const bool ext_supported = sc_known && sc.extended_scan();
  bool ext = false;
  switch (o.mode) {
    case scan_mode::automatic: ext = ext_supported; break;
    case scan_mode::legacy: ext = false; break;
    case scan_mode::extended:
      if (!ext_supported) {
        message = "this controller does not list the LE extended scan commands (Read Local Supported Commands)";
        return make_error_code(status::unknown_command);
      }
      ext = true;
      break;
  }

  // 2. Parameters. Command Disallowed here means scanning is on already, or
  // the controller is locked to the other command family.
  error_code ec = set_parameters(ext, rp);
  const bool refused = ec == status::command_disallowed || ec == status::unknown_command;
  if (refused && ext && o.mode == scan_mode::automatic && (!sc_known || sc.legacy_scan())) {
    const error_code legacy_ec = set_parameters(false, rp);
    if (!legacy_ec) {
      ext = false;
      state_.note = "the controller refused the extended scan commands; using legacy scanning";
      ec = {};
    } else if (legacy_ec == status::command_disallowed) {
      ec = legacy_ec;
    } else {
      message = explain_command_error(legacy_ec, opcode::le_set_scan_parameters);
      return legacy_ec;
    }
  }
  state_.extended = ext;
  if (ec == status::command_disallowed) {
    state_.already_scanning = true;
    // Listening only: that scan's duplicate filter may already have
    // swallowed devices it reported before we came (seen with BlueZ's
    // discovery on btvirt); toggling it to reset the filter would fight its
    // owner (raw-socket-peers.md lesson 7).
    state_.note = "the adapter is already scanning (its scan parameters are locked); listening to that scan "
                  "and leaving it running; devices it already reported may not repeat";
    started_ = true;
    return {};
  }
  if (ec) {
    message = explain_command_error(ec, ext ? opcode::le_set_extended_scan_parameters : opcode::le_set_scan_parameters);
    return ec;
  }

  // 3. Enable, with duplicate filtering as asked (§7.8.11, §7.8.65).
  const auto enable = ext ? encode_le_set_extended_scan_enable(
                                true, o.filter_duplicates ? duplicates::filter : duplicates::report_all)
                          : encode_le_set_scan_enable(true, o.filter_duplicates);
  ec = s_.command(enable, opts_.command_timeout, rp, sink);
  if (ec == status::command_disallowed) {
    state_.already_scanning = true;
    state_.note = "the adapter refused to start scanning (Command Disallowed); listening anyway";
    started_ = true;
    return {};
  }
  if (ec) {
    message = explain_command_error(ec, ext ? opcode::le_set_extended_scan_enable : opcode::le_set_scan_enable);
    return ec;
  }
  state_.enabled_by_us = true;
  if (state_.note.empty())
    state_.note = ext ? "extended scanning (the controller supports LE Set Extended Scan Parameters/Enable)"
                      : "legacy scanning";
  started_ = true;
  return {};
}

error_code le_scanner::run(std::chrono::steady_clock::time_point deadline,
                           const std::function<void(const adv_report&)>& on_report) {
  auto handle = [&](bytes_view packet) {
    event e;
    if (decode_event(packet, e)) {
      ++malformed_;
      return;
    }
    if (const auto* r = std::get_if<le_advertising_reports>(&e))
      for (const adv_report& a : r->reports) on_report(a);
  };
  for (const auto& p : pending_) handle(p);
  pending_.clear();
  std::vector<std::uint8_t> ev;
  for (;;) {
    const auto left = until(deadline);
    if (left.count() <= 0) return {};
    error_code ec = s_.read_event(left, ev);
    if (ec == errc::command_timeout) return {};  // the deadline, not a failure
    if (ec) return ec;
    handle(ev);
  }
}

error_code le_scanner::stop(std::string& message) {
  if (!started_) return {};
  started_ = false;
  if (!state_.enabled_by_us) return {};
  state_.enabled_by_us = false;
  // Restore: scanning was off before start() (its parameters were accepted).
  const auto disable = state_.extended ? encode_le_set_extended_scan_enable(false, duplicates::report_all)
                                       : encode_le_set_scan_enable(false, false);
  std::vector<std::uint8_t> rp;
  // A pending Ctrl-C must not cut this wait short: the scan is ours to end.
  const int cancel = s_.cancel_fd();
  s_.set_cancel_fd(-1);
  error_code ec = s_.command(disable, opts_.command_timeout, rp, {});
  s_.set_cancel_fd(cancel);
  if (ec)
    message = explain_command_error(ec, state_.extended ? opcode::le_set_extended_scan_enable : opcode::le_set_scan_enable);
  return ec;
}

}  // namespace bandwire::hci
