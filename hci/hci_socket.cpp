#include "hci/hci_socket.hpp"

#include <bluetooth/bluetooth.h>
#include <bluetooth/hci.h>
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
static_assert(sizeof(sockaddr_hci) == 6, "sockaddr_hci layout");
static_assert(offsetof(hci_dev_list_req, dev_req) == 4, "hci_dev_list_req layout");
static_assert(offsetof(hci_conn_list_req, conn_info) == 4, "hci_conn_list_req layout");

error_code sys_error(int e) { return {e, boost::system::system_category()}; }

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

}  // namespace bandwire::hci
