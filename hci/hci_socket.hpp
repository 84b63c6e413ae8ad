// The I/O shell over a raw HCI socket (AF_BLUETOOTH, BTPROTO_HCI,
// HCI_CHANNEL_RAW): adapter listing and control through the kernel's HCI
// ioctls, commands with a Command Complete timeout, and LE scanning that
// picks legacy or extended commands at run time (raw-socket-peers.md lesson 7)
// and leaves the controller's scanning as it found it.
//
// Everything here is blocking and single-threaded; it serves the CLI. The
// encoding and decoding is hci/hci_codec.hpp. An hci_socket can also adopt
// any SOCK_SEQPACKET descriptor that carries H4-framed packets (indicator
// 0x01 command, 0x04 event), which is how the tests script a controller on a
// socketpair without a Bluetooth kernel.
//
// Privileges (net/bluetooth/hci_sock.c): opening and binding a raw socket
// needs nothing, but without CAP_NET_RAW the kernel only lets through the
// commands and events of its security filter (reads such as Read Local
// Supported Commands); LE scan commands then fail with EPERM. HCIDEVUP and
// HCIDEVRESET need CAP_NET_ADMIN.
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/system/error_code.hpp>

#include "common/bytes.hpp"
#include "hci/address.hpp"
#include "hci/hci_codec.hpp"

namespace bandwire::hci {

// ------------------------------------------------------------- adapters ----

/// One adapter as HCIGETDEVINFO describes it.
struct adapter_info {
  int index = -1;
  std::string name;   ///< "hci0"
  address addr{};
  bool up = false;         ///< HCI_UP
  bool running = false;    ///< HCI_RUNNING
  bool le = false;         ///< LMP features: LE Supported (Controller), bit 38
  bool bredr = true;       ///< not "BR/EDR Not Supported" (bit 37)
  std::uint8_t bus = 0;    ///< HCI_VIRTUAL 0, HCI_USB 1, ... HCI_UART 3 ...
  std::uint8_t kind = 0;   ///< HCI_PRIMARY 0, HCI_AMP 1
  std::uint32_t flags = 0; ///< raw hci_dev_info.flags
};
/// "virtual", "usb", "uart"...
std::string bus_name(std::uint8_t bus);

/// Turns an errno from a Bluetooth socket call into one line a user can act
/// on ("no Bluetooth support in this kernel", "needs CAP_NET_ADMIN: ...").
std::string explain_errno(int e, std::string_view what);

/// "hci0" or "0" -> 0; nullopt otherwise.
std::optional<int> parse_adapter_name(std::string_view s);

/// All adapters, by index (HCIGETDEVLIST, then HCIGETDEVINFO for each).
boost::system::error_code list_adapters(std::vector<adapter_info>& out, std::string& message);
boost::system::error_code get_adapter(int index, adapter_info& out, std::string& message);
/// HCIDEVUP. An adapter already up is success with `was_up` set.
boost::system::error_code adapter_up(int index, bool& was_up, std::string& message);
/// HCIDEVRESET (the adapter must be up).
boost::system::error_code adapter_reset(int index, std::string& message);
/// Open connections on the adapter (HCIGETCONNLIST).
boost::system::error_code adapter_connections(int index, std::size_t& count, std::string& message);

// --------------------------------------------------------------- socket ----

/// Called with each event packet (no H4 indicator) that a wait did not
/// consume. The view is valid during the call only.
using event_sink = std::function<void(bytes_view event)>;

class hci_socket {
 public:
  hci_socket() = default;
  /// Adopts a descriptor carrying H4-framed packets (tests: a socketpair
  /// end). No socket filter is touched on an adopted descriptor.
  explicit hci_socket(int fd) noexcept : fd_(fd) {}
  /// Restores the socket filter this object replaced, then closes.
  ~hci_socket();
  hci_socket(hci_socket&& o) noexcept;
  hci_socket& operator=(hci_socket&& o) noexcept;
  hci_socket(const hci_socket&) = delete;
  hci_socket& operator=(const hci_socket&) = delete;

  /// Opens a raw HCI socket bound to adapter hciN and sets a filter that
  /// passes Command Complete, Command Status, Disconnection Complete and LE
  /// Meta events (the previous filter is saved and restored on close).
  static boost::system::error_code open(int adapter, hci_socket& out, std::string& message);

  int native_handle() const noexcept { return fd_; }
  bool is_open() const noexcept { return fd_ >= 0; }
  /// A descriptor that, when readable, makes reads fail early with
  /// operation_aborted (a signalfd for Ctrl-C). -1 for none.
  void set_cancel_fd(int fd) noexcept { cancel_fd_ = fd; }
  int cancel_fd() const noexcept { return cancel_fd_; }

  /// Sends one command packet (header + parameters) with its H4 indicator.
  boost::system::error_code send_command(bytes_view command);
  /// Reads the next event packet within `timeout` (command_timeout when none
  /// came). Packets of other types are skipped.
  boost::system::error_code read_event(std::chrono::milliseconds timeout, std::vector<std::uint8_t>& event);
  /// Sends a command and waits for its Command Complete (or a failing
  /// Command Status) with the same opcode. `cc_params` receives a copy of the
  /// return parameters; a non-zero Status is returned as a status_category
  /// error. Other events go to `other`.
  boost::system::error_code command(bytes_view command, std::chrono::milliseconds timeout,
                                    std::vector<std::uint8_t>& cc_params, const event_sink& other = {});

 private:
  void restore_filter() noexcept;

  int fd_ = -1;
  int cancel_fd_ = -1;
  bool filter_saved_ = false;
  std::array<std::uint8_t, 16> saved_filter_{};  ///< struct hci_filter, sizeof 16
};

// ----------------------------------------------------------------- scan ----

enum class scan_mode : std::uint8_t {
  automatic,  ///< extended when Read Local Supported Commands lists both extended scan commands
  legacy,
  extended,
};

struct scan_options {
  scan_parameters params{};  ///< active 60 ms / 30 ms by default
  bool filter_duplicates = true;
  scan_mode mode = scan_mode::automatic;
  std::chrono::milliseconds command_timeout{2000};
};

/// Why the scanner ended up where it did, for the user and the tests.
struct scan_state {
  bool extended = false;         ///< extended commands in use
  bool enabled_by_us = false;    ///< this scanner enabled scanning and will disable it
  bool already_scanning = false; ///< the controller refused new parameters (Command
                                 ///< Disallowed): someone else scans; we only listen
  std::string note;              ///< one line on the choice made
};

/// LE scanning on an hci_socket. Usage: start(), run() until a deadline,
/// stop() (the destructor stops too). Scanning that was already running when
/// start() came is left running, and scanning this scanner started is
/// disabled again, so the controller ends as it began.
///
/// How "already running" is known: LE Set (Extended) Scan Parameters is
/// Command Disallowed while scanning is enabled (Vol 4 Part E §7.8.10,
/// §7.8.64). A controller that once saw extended commands also disallows
/// legacy ones, and vice versa, so in automatic mode a refused extended
/// command is retried with the legacy one before concluding.
class le_scanner {
 public:
  explicit le_scanner(hci_socket& s) noexcept : s_(s) {}
  ~le_scanner();
  le_scanner(const le_scanner&) = delete;
  le_scanner& operator=(const le_scanner&) = delete;

  boost::system::error_code start(const scan_options& o, std::string& message);
  /// Reads events until `deadline`, calling `on_report` for every report of
  /// every advertising report event (legacy or extended). Events that cannot
  /// be decoded are counted in malformed(), never fatal.
  boost::system::error_code run(std::chrono::steady_clock::time_point deadline,
                                const std::function<void(const adv_report&)>& on_report);
  /// Disables scanning if this scanner enabled it. Idempotent.
  boost::system::error_code stop(std::string& message);

  const scan_state& state() const noexcept { return state_; }
  std::size_t malformed() const noexcept { return malformed_; }

 private:
  boost::system::error_code set_parameters(bool extended, std::vector<std::uint8_t>& rp);
  void keep(bytes_view event);

  hci_socket& s_;
  scan_options opts_{};
  scan_state state_{};
  bool started_ = false;
  std::size_t malformed_ = 0;
  std::vector<std::vector<std::uint8_t>> pending_;  ///< events that arrived during command waits
};

}  // namespace bandwire::hci
