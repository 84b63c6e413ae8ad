// The Linux Bluetooth management interface ("mgmt", BlueZ doc/mgmt-api.txt):
// a pure codec for the commands and events bandwire needs, and a small
// blocking client on an HCI_CHANNEL_CONTROL socket.
//
//   command | Command Code (2) | Controller Index (2) | Parameter Length (2) | parameters |
//   event   | Event Code (2)   | Controller Index (2) | Parameter Length (2) | parameters |
//
// All fields are little-endian. Controller index 0xFFFF means "no
// controller". Addresses in mgmt packets are BD_ADDRs, least significant
// octet first, followed where named by an Address_Type (0 BR/EDR, 1 LE
// public, 2 LE random).
//
// The kernel headers that ship with libbluetooth-dev do not include mgmt.h,
// so the layouts are written out here from the API document, field by field,
// and read byte-wise (no struct casts).
//
// Views: the bytes_views in decoded structs point into the packet given to
// the decoder.
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <boost/system/error_code.hpp>

#include "common/bytes.hpp"
#include "hci/address.hpp"
#include "hci/error.hpp"

namespace bandwire::hci::mgmt {

inline constexpr std::uint16_t index_none = 0xffff;
inline constexpr std::size_t header_size = 6;

/// Command codes (mgmt-api.txt).
namespace op {
inline constexpr std::uint16_t read_controller_index_list = 0x0003;
inline constexpr std::uint16_t read_controller_info = 0x0004;
inline constexpr std::uint16_t set_powered = 0x0005;
inline constexpr std::uint16_t set_bondable = 0x0009;
inline constexpr std::uint16_t set_le = 0x000d;
inline constexpr std::uint16_t user_confirm_reply = 0x001c;
inline constexpr std::uint16_t user_confirm_negative_reply = 0x001d;
inline constexpr std::uint16_t set_static_address = 0x002b;
inline constexpr std::uint16_t add_advertising = 0x003e;
inline constexpr std::uint16_t remove_advertising = 0x003f;
}  // namespace op

/// Event codes (mgmt-api.txt).
namespace ev {
inline constexpr std::uint16_t command_complete = 0x0001;
inline constexpr std::uint16_t command_status = 0x0002;
inline constexpr std::uint16_t new_settings = 0x0006;
inline constexpr std::uint16_t user_confirm_request = 0x000f;
inline constexpr std::uint16_t device_found = 0x0012;
}  // namespace ev

/// Address_Type of mgmt commands and events.
enum class address_kind : std::uint8_t { bredr = 0, le_public = 1, le_random = 2 };

/// Current_Settings / Supported_Settings bits (Read Controller Information).
namespace setting {
inline constexpr std::uint32_t powered = 1u << 0;
inline constexpr std::uint32_t connectable = 1u << 1;
inline constexpr std::uint32_t bondable = 1u << 4;
inline constexpr std::uint32_t bredr = 1u << 7;
inline constexpr std::uint32_t le = 1u << 9;
inline constexpr std::uint32_t advertising = 1u << 10;
inline constexpr std::uint32_t secure_connections = 1u << 11;
inline constexpr std::uint32_t privacy = 1u << 13;
inline constexpr std::uint32_t static_address = 1u << 15;
}  // namespace setting

/// Flags of Add Advertising.
namespace adv_flag {
inline constexpr std::uint32_t connectable = 1u << 0;
inline constexpr std::uint32_t discoverable = 1u << 1;
inline constexpr std::uint32_t limited_discoverable = 1u << 2;
inline constexpr std::uint32_t managed_flags = 1u << 3;  ///< the kernel adds the Flags AD structure
inline constexpr std::uint32_t tx_power = 1u << 4;
inline constexpr std::uint32_t appearance = 1u << 5;
inline constexpr std::uint32_t local_name = 1u << 6;
}  // namespace adv_flag

/// mgmt status codes (mgmt-api.txt "Error Codes"), category "bandwire.mgmt".
enum class status : std::uint8_t {
  success = 0x00,
  unknown_command = 0x01,
  not_connected = 0x02,
  failed = 0x03,
  connect_failed = 0x04,
  authentication_failed = 0x05,
  not_paired = 0x06,
  no_resources = 0x07,
  timeout = 0x08,
  already_connected = 0x09,
  busy = 0x0a,
  rejected = 0x0b,
  not_supported = 0x0c,
  invalid_parameters = 0x0d,
  disconnected = 0x0e,
  not_powered = 0x0f,
  cancelled = 0x10,
  invalid_index = 0x11,
  rfkilled = 0x12,
  already_paired = 0x13,
  permission_denied = 0x14,
};
const boost::system::error_category& status_category() noexcept;
inline boost::system::error_code make_error_code(status s) noexcept {
  return {static_cast<int>(s), status_category()};
}
inline boost::system::error_code status_error(std::uint8_t code) noexcept {
  if (code == 0) return {};
  return {static_cast<int>(code), status_category()};
}

// ---------------------------------------------------------------- commands --

/// Any command: header + parameters (at most 65,535 octets, the length field's range).
std::vector<std::uint8_t> encode_command(std::uint16_t opcode, std::uint16_t index, bytes_view params);

std::vector<std::uint8_t> encode_read_controller_info(std::uint16_t index);
std::vector<std::uint8_t> encode_set_powered(std::uint16_t index, bool on);
std::vector<std::uint8_t> encode_set_le(std::uint16_t index, bool on);
std::vector<std::uint8_t> encode_set_bondable(std::uint16_t index, bool on);
/// Set Static Address: the address must be static random (top two bits set)
/// or 00:00:00:00:00:00 to clear it; anything else fails with invalid_argument.
boost::system::error_code encode_set_static_address(std::uint16_t index, const address& a,
                                                    std::vector<std::uint8_t>& out);
/// User Confirmation Reply (accept) or Negative Reply.
std::vector<std::uint8_t> encode_user_confirm_reply(std::uint16_t index, const address& a, address_kind kind,
                                                    bool accept);

/// Parameters of Add Advertising.
struct add_advertising_params {
  std::uint8_t instance = 1;  ///< 1..254
  std::uint32_t flags = adv_flag::connectable;
  std::uint16_t duration = 0;  ///< seconds; 0 = default
  std::uint16_t timeout = 0;   ///< seconds; 0 = forever
  std::vector<std::uint8_t> adv_data;
  std::vector<std::uint8_t> scan_rsp;
};
/// Add Advertising. Fails with invalid_argument for instance 0 or 255, or
/// data longer than 255 octets (the kernel applies its own, smaller, limit).
boost::system::error_code encode_add_advertising(std::uint16_t index, const add_advertising_params& p,
                                                 std::vector<std::uint8_t>& out);

// ------------------------------------------------------------------ events --

struct event {
  std::uint16_t code = 0;
  std::uint16_t index = 0;
  bytes_view params;
};
/// Checks the header: the packet must be exactly 6 + Parameter Length bytes
/// (truncated_packet / trailing_bytes).
boost::system::error_code decode_event(bytes_view packet, event& out) noexcept;
/// The same header layout for commands (for scripted kernels in tests).
boost::system::error_code decode_command(bytes_view packet, event& out) noexcept;

struct command_complete {
  std::uint16_t opcode = 0;
  std::uint8_t status = 0;
  bytes_view return_params;
};
struct command_status {
  std::uint16_t opcode = 0;
  std::uint8_t status = 0;
};
boost::system::error_code decode_command_complete(const event& e, command_complete& out) noexcept;
boost::system::error_code decode_command_status(const event& e, command_status& out) noexcept;

/// Return parameters of Read Controller Information (280 octets).
struct controller_info {
  address addr{};
  std::uint8_t version = 0;
  std::uint16_t manufacturer = 0;
  std::uint32_t supported_settings = 0;
  std::uint32_t current_settings = 0;
  std::array<std::uint8_t, 3> class_of_device{};
  std::string name;        ///< up to the first NUL of the 249-octet field
  std::string short_name;  ///< up to the first NUL of the 11-octet field
};
inline constexpr std::size_t controller_info_size = 280;
boost::system::error_code decode_controller_info(bytes_view return_params, controller_info& out);

/// Device Found.
struct device_found {
  address addr{};
  address_kind kind = address_kind::le_public;
  std::int8_t rssi = 127;  ///< 127: not available
  std::uint32_t flags = 0;
  bytes_view eir;  ///< advertising data and scan response, AD structures
};
boost::system::error_code decode_device_found(const event& e, device_found& out) noexcept;

/// User Confirmation Request.
struct user_confirm_request {
  address addr{};
  address_kind kind = address_kind::le_public;
  std::uint8_t confirm_hint = 0;  ///< 1: Just Works, a plain yes/no
  std::uint32_t value = 0;        ///< the numeric comparison value otherwise
};
boost::system::error_code decode_user_confirm_request(const event& e, user_confirm_request& out) noexcept;

/// A Just Works agent in one pure step: when `packet` is a User Confirmation
/// Request, `reply` becomes the User Confirmation Reply that accepts it and
/// true is returned. Numeric comparison (hint 0) is accepted only when
/// `accept_numeric` is set, and otherwise refused with a Negative Reply.
bool agent_reply(bytes_view packet, std::vector<std::uint8_t>& reply, bool accept_numeric = false);

// ------------------------------------------------------------------ client --

/// A blocking client on a management socket. Not thread-safe; one command at
/// a time. Events that arrive while waiting for a reply are passed to the
/// optional `on_event` callback (views valid during the call only).
class socket {
 public:
  socket() = default;
  /// Adopts a connected descriptor (tests pass one end of a socketpair).
  explicit socket(int fd) noexcept : fd_(fd) {}
  ~socket();
  socket(socket&& o) noexcept : fd_(o.fd_) { o.fd_ = -1; }
  socket& operator=(socket&& o) noexcept;
  socket(const socket&) = delete;
  socket& operator=(const socket&) = delete;

  /// Opens AF_BLUETOOTH/BTPROTO_HCI bound to HCI_CHANNEL_CONTROL. Without
  /// CAP_NET_ADMIN the kernel still binds but refuses every command that
  /// changes anything (status Permission Denied).
  static boost::system::error_code open(socket& out, std::string& message);

  int native_handle() const noexcept { return fd_; }
  bool is_open() const noexcept { return fd_ >= 0; }

  boost::system::error_code send(bytes_view packet);
  /// Reads one packet within `timeout` (command_timeout when none came).
  boost::system::error_code read(std::chrono::milliseconds timeout, std::vector<std::uint8_t>& packet);
  /// Sends a command and waits for its Command Complete or Command Status
  /// (same opcode and index). A non-zero status is returned as a
  /// status_category error; `return_params` holds a copy of the Command
  /// Complete's return parameters either way.
  boost::system::error_code command(bytes_view packet, std::chrono::milliseconds timeout,
                                    std::vector<std::uint8_t>& return_params,
                                    const std::function<void(const event&)>& on_event = {});

 private:
  int fd_ = -1;
};

}  // namespace bandwire::hci::mgmt

namespace boost::system {
template <> struct is_error_code_enum<bandwire::hci::mgmt::status> : std::true_type {};
}  // namespace boost::system
