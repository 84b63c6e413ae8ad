#include "hci/le_peripheral.hpp"

#include <bluetooth/bluetooth.h>
#include <bluetooth/hci.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <memory>
#include <vector>

namespace bandwire::hci {

using boost::system::error_code;

namespace {
using namespace std::chrono_literals;

// TCG guests and USB dongles both take a while to power on.
constexpr auto command_timeout = 10s;
constexpr std::uint16_t op_set_bredr = 0x002a;  // mgmt-api.txt "Set BR/EDR Command"
// hci_conn_info.type of an LE link: the kernel's LE_LINK (include/net/bluetooth/hci.h),
// which libbluetooth's hci.h does not define.
constexpr std::uint8_t le_link_type = 0x80;

error_code run(mgmt::socket& s, const std::vector<std::uint8_t>& cmd, const char* step, std::uint16_t index,
               std::string& message, const mgmt_event_handler& on_event) {
  std::vector<std::uint8_t> rp;
  error_code ec = s.command(cmd, command_timeout, rp, on_event);
  if (ec) message = std::string(step) + " on hci" + std::to_string(index) + ": " + ec.message();
  return ec;
}
}  // namespace

error_code start_advertising(mgmt::socket& s, const peripheral_config& c, std::string& message,
                             const mgmt_event_handler& on_event) {
  mgmt::add_advertising_params p;
  p.instance = c.instance;
  // Connectable undirected (ADV_IND, §2.1). No managed flags: the band's own
  // Flags structure (02 01 06) is part of adv_data, which the kernel allows
  // only when it manages none itself.
  p.flags = mgmt::adv_flag::connectable;
  p.adv_data = c.adv_data;
  p.scan_rsp = c.scan_rsp;
  std::vector<std::uint8_t> cmd;
  if (error_code ec = mgmt::encode_add_advertising(c.index, p, cmd)) {
    message = "advertising data: " + ec.message();
    return ec;
  }
  return run(s, cmd, "mgmt Add Advertising", c.index, message, on_event);
}

error_code stop_advertising(mgmt::socket& s, const peripheral_config& c, std::string& message,
                            const mgmt_event_handler& on_event) {
  const std::uint8_t instance = c.instance;
  return run(s, mgmt::encode_command(mgmt::op::remove_advertising, c.index, bytes_view(&instance, 1)),
             "mgmt Remove Advertising", c.index, message, on_event);
}

error_code setup_peripheral(mgmt::socket& s, const peripheral_config& c, std::string& message,
                            const mgmt_event_handler& on_event) {
  std::vector<std::uint8_t> cmd;
  // The static address can be changed only while powered off (mgmt-api.txt).
  if (error_code ec = run(s, mgmt::encode_set_powered(c.index, false), "mgmt Set Powered off", c.index, message,
                          on_event))
    return ec;
  if (error_code ec = run(s, mgmt::encode_set_le(c.index, true), "mgmt Set Low Energy", c.index, message, on_event))
    return ec;
  // LE only, as the band (Flags 0x06: BR/EDR not supported). With BR/EDR off
  // the kernel uses the static address as the LE identity
  // (hci_copy_identity_address), for advertising and for its connections.
  const std::uint8_t off = 0;
  if (error_code ec = run(s, mgmt::encode_command(op_set_bredr, c.index, bytes_view(&off, 1)), "mgmt Set BR/EDR off",
                          c.index, message, on_event);
      ec && ec != mgmt::make_error_code(mgmt::status::not_supported))
    return ec;
  if (error_code ec = mgmt::encode_set_static_address(c.index, c.identity, cmd)) {
    message = c.identity.to_string() + " is not a static random address (the two top bits must be set)";
    return ec;
  }
  if (error_code ec = run(s, cmd, "mgmt Set Static Address", c.index, message, on_event)) return ec;
  if (error_code ec =
          run(s, mgmt::encode_set_bondable(c.index, c.bondable), "mgmt Set Bondable", c.index, message, on_event))
    return ec;
  if (error_code ec = run(s, mgmt::encode_set_powered(c.index, true), "mgmt Set Powered on", c.index, message, on_event))
    return ec;
  return start_advertising(s, c, message, on_event);
}

error_code le_link_count(int index, std::size_t& out) {
  out = 0;
  const int s = ::socket(AF_BLUETOOTH, SOCK_RAW | SOCK_CLOEXEC, BTPROTO_HCI);
  if (s < 0) return {errno, boost::system::system_category()};
  constexpr std::size_t max_conns = 16;
  // hci_conn_list_req ends in a flexible array of hci_conn_info.
  // Storage of 32-bit words, so the request is aligned for its fields (a
  // byte buffer would not be, as far as the compiler knows: -Wcast-align=strict).
  static_assert(alignof(hci_conn_list_req) <= alignof(std::uint32_t));
  std::vector<std::uint32_t> req_storage((sizeof(hci_conn_list_req) + max_conns * sizeof(hci_conn_info) + 3) / 4, 0);
  auto* req = reinterpret_cast<hci_conn_list_req*>(req_storage.data());
  req->dev_id = static_cast<std::uint16_t>(index);
  req->conn_num = max_conns;
  const int r = ::ioctl(s, HCIGETCONNLIST, req);
  const int e = errno;
  ::close(s);
  if (r < 0) return {e, boost::system::system_category()};
  for (std::uint16_t i = 0; i < req->conn_num && i < max_conns; ++i)
    if (req->conn_info[i].type == le_link_type) ++out;
  return {};
}

}  // namespace bandwire::hci
