// What `bandwire doctor` looks at, as small functions over text and
// directories so the tests can feed them prepared files: process
// capabilities (/proc/self/status), rfkill switches (/sys/class/rfkill),
// running processes (/proc/<pid>/comm), and whether the kernel has
// AF_BLUETOOTH at all. Nothing here needs privileges or debugfs.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/system/error_code.hpp>

namespace bandwire::hci {

/// Capability numbers (linux/capability.h).
inline constexpr unsigned cap_net_admin = 12;
inline constexpr unsigned cap_net_raw = 13;

/// The CapEff mask from the text of /proc/<pid>/status ("CapEff:\t000001ffffffffff").
/// nullopt when the line is missing or not hex.
std::optional<std::uint64_t> parse_cap_eff(std::string_view proc_status);

struct capabilities {
  bool net_admin = false;  ///< adapter up/reset, mgmt commands that change settings
  bool net_raw = false;    ///< LE scan commands over a raw HCI socket
};
constexpr capabilities capabilities_from(std::uint64_t cap_eff) noexcept {
  return {((cap_eff >> cap_net_admin) & 1u) != 0, ((cap_eff >> cap_net_raw) & 1u) != 0};
}

/// One rfkill switch (Documentation/ABI/stable/sysfs-class-rfkill).
struct rfkill_switch {
  std::string id;    ///< "rfkill0"
  std::string name;  ///< "hci0"
  std::string type;  ///< "bluetooth", "wlan"...
  bool soft = false; ///< blocked in software (`rfkill unblock` lifts it)
  bool hard = false; ///< blocked by a switch or the firmware
};
/// The switches under `root` (normally /sys/class/rfkill), sorted by id.
/// A missing directory gives none.
std::vector<rfkill_switch> read_rfkill(const std::filesystem::path& root = "/sys/class/rfkill");

/// PIDs whose /proc/<pid>/comm is `comm`, under `proc` (normally /proc).
std::vector<int> find_processes(std::string_view comm, const std::filesystem::path& proc = "/proc");

/// Tries socket(AF_BLUETOOTH, SOCK_RAW, BTPROTO_HCI); the errno on failure
/// (EAFNOSUPPORT: the kernel has no Bluetooth).
boost::system::error_code probe_bluetooth_socket();

/// A whole small text file, or nullopt when it cannot be read.
std::optional<std::string> read_text(const std::filesystem::path& p);

}  // namespace bandwire::hci
