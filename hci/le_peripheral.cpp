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

error_code run_blocking(mgmt::socket& s, const std::vector<mgmt_step>& steps, std::uint16_t index,
                        std::string& message, const mgmt_event_handler& on_event) {
  for (const auto& st : steps) {
    if (st.error) {
      message = st.message;
      return st.error;
    }
    std::vector<std::uint8_t> rp;
    error_code ec = s.command(st.command, command_timeout, rp, on_event);
    if (ec && ec == st.tolerated) ec = {};
    if (ec) {
      message = std::string(st.name) + " on hci" + std::to_string(index) + ": " + ec.message();
      return ec;
    }
  }
  return {};
}

// The steps still to run, each in the previous one's completion.
struct step_runner : std::enable_shared_from_this<step_runner> {
  std::shared_ptr<detail::packet_channel> ch;
  std::uint16_t index = 0;
  std::vector<mgmt_step> steps;
  std::size_t next = 0;
  std::chrono::steady_clock::duration timeout{};
  unique_function<void(error_code, std::string)> done;

  void run() {
    if (next == steps.size()) return done({}, {});
    const mgmt_step& st = steps[next];
    if (st.error) return done(st.error, st.message);
    ch->command(st.command, timeout, [self = shared_from_this()](error_code ec, std::vector<std::uint8_t>) {
      const mgmt_step& st = self->steps[self->next];
      if (ec && ec == st.tolerated) ec = {};
      if (ec) return self->done(ec, std::string(st.name) + " on hci" + std::to_string(self->index) + ": " + ec.message());
      ++self->next;
      self->run();
    });
  }
};
}  // namespace

std::vector<mgmt_step> start_advertising_steps(const peripheral_config& c) {
  mgmt::add_advertising_params p;
  p.instance = c.instance;
  // Connectable undirected (ADV_IND, §2.1). No managed flags: the band's own
  // Flags structure (02 01 06) is part of adv_data, which the kernel allows
  // only when it manages none itself.
  p.flags = mgmt::adv_flag::connectable;
  p.adv_data = c.adv_data;
  p.scan_rsp = c.scan_rsp;
  mgmt_step st;
  st.name = "mgmt Add Advertising";
  if (error_code ec = mgmt::encode_add_advertising(c.index, p, st.command)) {
    st.error = ec;
    st.message = "advertising data: " + ec.message();
  }
  return {st};
}

std::vector<mgmt_step> stop_advertising_steps(const peripheral_config& c) {
  const std::uint8_t instance = c.instance;
  mgmt_step st;
  st.name = "mgmt Remove Advertising";
  st.command = mgmt::encode_command(mgmt::op::remove_advertising, c.index, bytes_view(&instance, 1));
  return {st};
}

std::vector<mgmt_step> setup_peripheral_steps(const peripheral_config& c) {
  std::vector<mgmt_step> v;
  auto add = [&](std::vector<std::uint8_t> cmd, const char* name) {
    mgmt_step st;
    st.command = std::move(cmd);
    st.name = name;
    v.push_back(std::move(st));
  };
  // The static address can be changed only while powered off (mgmt-api.txt).
  add(mgmt::encode_set_powered(c.index, false), "mgmt Set Powered off");
  add(mgmt::encode_set_le(c.index, true), "mgmt Set Low Energy");
  // LE only, as the band (Flags 0x06: BR/EDR not supported). With BR/EDR off
  // the kernel uses the static address as the LE identity
  // (hci_copy_identity_address), for advertising and for its connections.
  const std::uint8_t off = 0;
  add(mgmt::encode_command(op_set_bredr, c.index, bytes_view(&off, 1)), "mgmt Set BR/EDR off");
  v.back().tolerated = mgmt::make_error_code(mgmt::status::not_supported);
  mgmt_step addr;
  addr.name = "mgmt Set Static Address";
  if (error_code ec = mgmt::encode_set_static_address(c.index, c.identity, addr.command)) {
    addr.error = ec;
    addr.message = c.identity.to_string() + " is not a static random address (the two top bits must be set)";
  }
  v.push_back(std::move(addr));
  add(mgmt::encode_set_bondable(c.index, c.bondable), "mgmt Set Bondable");
  add(mgmt::encode_set_powered(c.index, true), "mgmt Set Powered on");
  for (auto& st : start_advertising_steps(c)) v.push_back(std::move(st));
  return v;
}

void run_mgmt_steps(std::shared_ptr<detail::packet_channel> ch, std::uint16_t index, std::vector<mgmt_step> steps,
                    std::chrono::steady_clock::duration timeout, unique_function<void(error_code, std::string)> done) {
  auto r = std::make_shared<step_runner>();
  r->ch = std::move(ch);
  r->index = index;
  r->steps = std::move(steps);
  r->timeout = timeout;
  r->done = std::move(done);
  r->run();
}

error_code start_advertising(mgmt::socket& s, const peripheral_config& c, std::string& message,
                             const mgmt_event_handler& on_event) {
  return run_blocking(s, start_advertising_steps(c), c.index, message, on_event);
}

error_code stop_advertising(mgmt::socket& s, const peripheral_config& c, std::string& message,
                            const mgmt_event_handler& on_event) {
  return run_blocking(s, stop_advertising_steps(c), c.index, message, on_event);
}

error_code setup_peripheral(mgmt::socket& s, const peripheral_config& c, std::string& message,
                            const mgmt_event_handler& on_event) {
  return run_blocking(s, setup_peripheral_steps(c), c.index, message, on_event);
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
