// Adapter listing and control through the kernel's HCI ioctls
// (HCIGETDEVLIST, HCIGETDEVINFO, HCIDEVUP, HCIDEVRESET, HCIGETCONNLIST), and
// errno explanations for Bluetooth socket calls. The raw HCI socket itself is
// hci/hci_channel.hpp; LE scanning is hci/le_scanner.hpp.
//
// These are short blocking ioctls, made once by the CLI before any loop
// runs. Privileges (net/bluetooth/hci_sock.c): HCIDEVUP and HCIDEVRESET need
// CAP_NET_ADMIN; the reads need nothing.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/system/error_code.hpp>

#include "hci/address.hpp"

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

}  // namespace bandwire::hci
