#include "hci/mgmt.hpp"

#include <bluetooth/bluetooth.h>
#include <bluetooth/hci.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace bandwire::hci::mgmt {

namespace {

using boost::system::error_code;

// The kernel ABI this file relies on (see raw-socket-peers.md lesson 6):
// sockaddr_hci is family, device, channel.
static_assert(sizeof(sockaddr_hci) == 6, "sockaddr_hci layout");
static_assert(offsetof(sockaddr_hci, hci_dev) == 2 && offsetof(sockaddr_hci, hci_channel) == 4,
              "sockaddr_hci layout");

error_code sys_error(int e) { return {e, boost::system::system_category()}; }

void put_address(std::vector<std::uint8_t>& v, const address& a) {
  const auto le = a.le();
  v.insert(v.end(), le.begin(), le.end());
}

const char* status_name(int s) noexcept {
  switch (s) {
    case 0x00: return "Success";
    case 0x01: return "Unknown Command";
    case 0x02: return "Not Connected";
    case 0x03: return "Failed";
    case 0x04: return "Connect Failed";
    case 0x05: return "Authentication Failed";
    case 0x06: return "Not Paired";
    case 0x07: return "No Resources";
    case 0x08: return "Timeout";
    case 0x09: return "Already Connected";
    case 0x0a: return "Busy";
    case 0x0b: return "Rejected";
    case 0x0c: return "Not Supported";
    case 0x0d: return "Invalid Parameters";
    case 0x0e: return "Disconnected";
    case 0x0f: return "Not Powered";
    case 0x10: return "Cancelled";
    case 0x11: return "Invalid Index";
    case 0x12: return "RFKilled";
    case 0x13: return "Already Paired";
    case 0x14: return "Permission Denied";
    default: return nullptr;
  }
}

class mgmt_category final : public boost::system::error_category {
 public:
  const char* name() const noexcept override { return "bandwire.mgmt"; }
  std::string message(int ev) const override {
    if (const char* n = status_name(ev)) {
      std::string m = std::string("mgmt: ") + n;
      if (ev == 0x14) m += " (needs CAP_NET_ADMIN)";
      if (ev == 0x12) m += " (rfkill: try `rfkill unblock bluetooth`)";
      return m;
    }
    return "mgmt: unknown status " + std::to_string(ev);
  }
};

error_code decode_header(bytes_view packet, event& out) noexcept {
  if (packet.size() < header_size) return make_error_code(errc::truncated_packet);
  const std::size_t len = get_le16(packet.data() + 4);
  if (packet.size() - header_size < len) return make_error_code(errc::truncated_packet);
  if (packet.size() - header_size > len) return make_error_code(errc::trailing_bytes);
  out.code = get_le16(packet.data());
  out.index = get_le16(packet.data() + 2);
  out.params = packet.subspan(header_size, len);
  return {};
}

std::string c_string(bytes_view field) {
  std::string s;
  for (auto c : field) {
    if (c == 0) break;
    s.push_back(static_cast<char>(c));
  }
  return s;
}

}  // namespace

const boost::system::error_category& status_category() noexcept {
  static const mgmt_category c;
  return c;
}

// ---------------------------------------------------------------- commands --

std::vector<std::uint8_t> encode_command(std::uint16_t opcode, std::uint16_t index, bytes_view params) {
  // Sized once and filled in place (inserting a span after the header trips
  // a false -Warray-bounds in GCC 12).
  std::vector<std::uint8_t> v(header_size + params.size());
  put_le16(v.data(), opcode);
  put_le16(v.data() + 2, index);
  put_le16(v.data() + 4, static_cast<std::uint16_t>(params.size()));
  std::copy(params.begin(), params.end(), v.begin() + header_size);
  return v;
}

std::vector<std::uint8_t> encode_read_controller_info(std::uint16_t index) {
  return encode_command(op::read_controller_info, index, {});
}

// Set Powered / Set Low Energy / Set Bondable: one octet, 0x00 or 0x01.
std::vector<std::uint8_t> encode_set_powered(std::uint16_t index, bool on) {
  const std::uint8_t p[1] = {static_cast<std::uint8_t>(on ? 1 : 0)};
  return encode_command(op::set_powered, index, p);
}
std::vector<std::uint8_t> encode_set_le(std::uint16_t index, bool on) {
  const std::uint8_t p[1] = {static_cast<std::uint8_t>(on ? 1 : 0)};
  return encode_command(op::set_le, index, p);
}
std::vector<std::uint8_t> encode_set_bondable(std::uint16_t index, bool on) {
  const std::uint8_t p[1] = {static_cast<std::uint8_t>(on ? 1 : 0)};
  return encode_command(op::set_bondable, index, p);
}

error_code encode_set_static_address(std::uint16_t index, const address& a, std::vector<std::uint8_t>& out) {
  // A static random address has its two most significant bits set (Core 5.4
  // Vol 6 Part B §1.3.2.1); all zeros clears it (mgmt-api.txt).
  const bool zero = a == address{};
  if (!zero && (a.b[0] & 0xc0) != 0xc0) return make_error_code(errc::invalid_argument);
  std::vector<std::uint8_t> p;
  put_address(p, a);
  out = encode_command(op::set_static_address, index, p);
  return {};
}

std::vector<std::uint8_t> encode_user_confirm_reply(std::uint16_t index, const address& a, address_kind kind,
                                                    bool accept) {
  // Address (6), Address_Type (1).
  std::vector<std::uint8_t> p;
  put_address(p, a);
  p.push_back(static_cast<std::uint8_t>(kind));
  return encode_command(accept ? op::user_confirm_reply : op::user_confirm_negative_reply, index, p);
}

error_code encode_add_advertising(std::uint16_t index, const add_advertising_params& a,
                                  std::vector<std::uint8_t>& out) {
  if (a.instance == 0 || a.instance == 0xff || a.adv_data.size() > 255 || a.scan_rsp.size() > 255)
    return make_error_code(errc::invalid_argument);
  // Instance (1), Flags (4), Duration (2), Timeout (2), Adv_Data_Len (1),
  // Scan_Rsp_Len (1), Adv_Data, Scan_Rsp.
  std::vector<std::uint8_t> p(11);
  p[0] = a.instance;
  put_le32(p.data() + 1, a.flags);
  put_le16(p.data() + 5, a.duration);
  put_le16(p.data() + 7, a.timeout);
  p[9] = static_cast<std::uint8_t>(a.adv_data.size());
  p[10] = static_cast<std::uint8_t>(a.scan_rsp.size());
  p.insert(p.end(), a.adv_data.begin(), a.adv_data.end());
  p.insert(p.end(), a.scan_rsp.begin(), a.scan_rsp.end());
  out = encode_command(op::add_advertising, index, p);
  return {};
}

// ------------------------------------------------------------------ events --

error_code decode_event(bytes_view packet, event& out) noexcept { return decode_header(packet, out); }
error_code decode_command(bytes_view packet, event& out) noexcept { return decode_header(packet, out); }

error_code decode_command_complete(const event& e, command_complete& out) noexcept {
  if (e.code != ev::command_complete) return make_error_code(errc::unexpected_event);
  // Command_Opcode (2), Status (1), Return_Parameters.
  if (e.params.size() < 3) return make_error_code(errc::truncated_parameters);
  out.opcode = get_le16(e.params.data());
  out.status = e.params[2];
  out.return_params = e.params.subspan(3);
  return {};
}

error_code decode_command_status(const event& e, command_status& out) noexcept {
  if (e.code != ev::command_status) return make_error_code(errc::unexpected_event);
  // Command_Opcode (2), Status (1).
  if (e.params.size() < 3) return make_error_code(errc::truncated_parameters);
  out.opcode = get_le16(e.params.data());
  out.status = e.params[2];
  return {};
}

error_code decode_controller_info(bytes_view p, controller_info& out) {
  // Address (6), Bluetooth_Version (1), Manufacturer (2),
  // Supported_Settings (4), Current_Settings (4), Class_Of_Device (3),
  // Name (249), Short_Name (11): 280 octets.
  if (p.size() < controller_info_size) return make_error_code(errc::truncated_parameters);
  controller_info c;
  c.addr = address::from_le(p.data());
  c.version = p[6];
  c.manufacturer = get_le16(p.data() + 7);
  c.supported_settings = get_le32(p.data() + 9);
  c.current_settings = get_le32(p.data() + 13);
  c.class_of_device = {p[17], p[18], p[19]};
  c.name = c_string(p.subspan(20, 249));
  c.short_name = c_string(p.subspan(269, 11));
  out = std::move(c);
  return {};
}

error_code decode_device_found(const event& e, device_found& out) noexcept {
  if (e.code != ev::device_found) return make_error_code(errc::unexpected_event);
  // Address (6), Address_Type (1), RSSI (1), Flags (4), EIR_Data_Length (2), EIR_Data.
  const bytes_view p = e.params;
  if (p.size() < 14) return make_error_code(errc::truncated_parameters);
  const std::size_t len = get_le16(p.data() + 12);
  if (p.size() - 14 < len) return make_error_code(errc::truncated_parameters);
  if (p[6] > 2) return make_error_code(errc::invalid_field);
  device_found d;
  d.addr = address::from_le(p.data());
  d.kind = static_cast<address_kind>(p[6]);
  d.rssi = static_cast<std::int8_t>(p[7]);
  d.flags = get_le32(p.data() + 8);
  d.eir = p.subspan(14, len);
  out = d;
  return {};
}

error_code decode_user_confirm_request(const event& e, user_confirm_request& out) noexcept {
  if (e.code != ev::user_confirm_request) return make_error_code(errc::unexpected_event);
  // Address (6), Address_Type (1), Confirm_Hint (1), Value (4).
  const bytes_view p = e.params;
  if (p.size() < 12) return make_error_code(errc::truncated_parameters);
  if (p[6] > 2) return make_error_code(errc::invalid_field);
  user_confirm_request r;
  r.addr = address::from_le(p.data());
  r.kind = static_cast<address_kind>(p[6]);
  r.confirm_hint = p[7];
  r.value = get_le32(p.data() + 8);
  out = r;
  return {};
}

bool agent_reply(bytes_view packet, std::vector<std::uint8_t>& reply, bool accept_numeric) {
  event e;
  user_confirm_request r;
  if (decode_event(packet, e) || decode_user_confirm_request(e, r)) return false;
  // Kernel LE pairing asks to confirm Just Works too (kernel-test-recipe.md
  // pitfall 6); hint 1 says no number needs comparing.
  const bool accept = r.confirm_hint == 1 || accept_numeric;
  reply = encode_user_confirm_reply(e.index, r.addr, r.kind, accept);
  return true;
}

// ------------------------------------------------------------------ client --

socket::~socket() {
  if (fd_ >= 0) ::close(fd_);
}

socket& socket::operator=(socket&& o) noexcept {
  if (this != &o) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = o.fd_;
    o.fd_ = -1;
  }
  return *this;
}

error_code socket::open(socket& out, std::string& message) {
  const int fd = ::socket(AF_BLUETOOTH, SOCK_RAW | SOCK_CLOEXEC, BTPROTO_HCI);
  if (fd < 0) {
    const int e = errno;
    message = e == EAFNOSUPPORT ? "no Bluetooth support in this kernel (socket(AF_BLUETOOTH) failed)"
                                : std::string("management socket: ") + std::strerror(e);
    return sys_error(e);
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
    return sys_error(e);
  }
  out = socket(fd);
  return {};
}

error_code socket::send(bytes_view packet) {
  if (fd_ < 0) return sys_error(EBADF);
  const ssize_t n = ::send(fd_, packet.data(), packet.size(), MSG_NOSIGNAL);
  if (n < 0) return sys_error(errno);
  if (static_cast<std::size_t>(n) != packet.size()) return sys_error(EMSGSIZE);
  return {};
}

error_code socket::read(std::chrono::milliseconds timeout, std::vector<std::uint8_t>& packet) {
  if (fd_ < 0) return sys_error(EBADF);
  pollfd p{fd_, POLLIN, 0};
  for (;;) {
    const int r = ::poll(&p, 1, static_cast<int>(timeout.count()));
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) return sys_error(errno);
    if (r == 0) return make_error_code(errc::command_timeout);
    break;
  }
  // Events are at most 6 + 65,535 octets.
  packet.resize(header_size + 0xffff);
  const ssize_t n = ::recv(fd_, packet.data(), packet.size(), 0);
  if (n < 0) {
    const int e = errno;
    packet.clear();
    return sys_error(e);
  }
  if (n == 0) {
    packet.clear();
    return sys_error(ECONNRESET);
  }
  packet.resize(static_cast<std::size_t>(n));
  return {};
}

error_code socket::command(bytes_view packet, std::chrono::milliseconds timeout,
                           std::vector<std::uint8_t>& return_params,
                           const std::function<void(const event&)>& on_event) {
  event cmd;
  if (error_code ec = decode_command(packet, cmd)) return ec;
  if (error_code ec = send(packet)) return ec;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::vector<std::uint8_t> in;
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return make_error_code(errc::command_timeout);
    if (error_code ec = read(left, in)) return ec;
    event e;
    if (decode_event(in, e)) continue;  // not a management packet: ignore it
    if (e.index == cmd.index) {
      command_complete cc;
      if (!decode_command_complete(e, cc) && cc.opcode == cmd.code) {
        return_params.assign(cc.return_params.begin(), cc.return_params.end());
        return status_error(cc.status);
      }
      command_status cs;
      if (!decode_command_status(e, cs) && cs.opcode == cmd.code) {
        return_params.clear();
        // Commands bandwire sends answer with Command Complete; a Command
        // Status carries a failure (or an early "pending", kept waiting for).
        if (cs.status != 0) return status_error(cs.status);
        continue;
      }
    }
    if (on_event) on_event(e);
  }
}

}  // namespace bandwire::hci::mgmt
