// Makes a local adapter look like an LE peripheral such as the Mi Band 2
// (miband2-protocol.md §2.1, §19.1): LE only (BR/EDR off), a static random
// identity address, and a connectable advertising instance with given
// advertising and scan response data. Everything goes through the kernel's
// management interface (hci/mgmt.hpp); no bluetoothd is involved.
//
// The adapter's advertising interval is the kernel's default, 0x0800 slots
// = 1.28 s, which is also the real band's (§19.3).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "hci/address.hpp"
#include "hci/mgmt.hpp"

namespace bandwire::hci {

struct peripheral_config {
  std::uint16_t index = 0;    ///< hciN
  address identity{};         ///< static random: the two most significant bits set (Vol 6 Part B §1.3.2.1)
  std::vector<std::uint8_t> adv_data;  ///< ADV_IND payload, at most 31 octets, may carry its own Flags
  std::vector<std::uint8_t> scan_rsp;  ///< SCAN_RSP payload, at most 31 octets
  std::uint8_t instance = 1;  ///< the mgmt advertising instance
  bool bondable = true;       ///< the band bonds when the central asks (§2.3)
};

/// Called with every management event that arrives while a command waits
/// (e.g. a User Confirmation Request during a re-advertise).
using mgmt_event_handler = std::function<void(const mgmt::event&)>;

/// Powers the adapter off, enables LE, disables BR/EDR (skipped on an
/// LE-only controller), sets the static address and bondable, powers it on
/// and adds the advertising instance. The adapter is taken over: whatever
/// it advertised before is replaced. On failure `message` names the step.
boost::system::error_code setup_peripheral(mgmt::socket& s, const peripheral_config& c, std::string& message,
                            const mgmt_event_handler& on_event = {});

/// Adds (or replaces) the advertising instance. The kernel re-enables
/// advertising by itself after a peripheral link drops; this makes sure of it.
boost::system::error_code start_advertising(mgmt::socket& s, const peripheral_config& c, std::string& message,
                             const mgmt_event_handler& on_event = {});

/// Removes the advertising instance.
boost::system::error_code stop_advertising(mgmt::socket& s, const peripheral_config& c, std::string& message,
                            const mgmt_event_handler& on_event = {});

/// The number of LE links adapter hciN has now (HCIGETCONNLIST). An ATT
/// socket closes before its link: the link outlives it by the kernel's
/// disconnect timeout (kernel-test-recipe.md pitfall 4).
boost::system::error_code le_link_count(int index, std::size_t& out);

}  // namespace bandwire::hci
