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
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "hci/address.hpp"
#include "hci/mgmt.hpp"
#include "hci/mgmt_channel.hpp"

namespace bandwire::hci {

struct peripheral_config {
  std::uint16_t index = 0;    ///< hciN
  address identity{};         ///< static random: the two most significant bits set (Vol 6 Part B §1.3.2.1)
  std::vector<std::uint8_t> adv_data;  ///< ADV_IND payload, at most 31 octets, may carry its own Flags
  std::vector<std::uint8_t> scan_rsp;  ///< SCAN_RSP payload, at most 31 octets
  std::uint8_t instance = 1;  ///< the mgmt advertising instance
  bool bondable = true;       ///< the band bonds when the central asks (§2.3)
};

// ------------------------------------------------------------ on the loop --

/// One mgmt command of a sequence: its bytes, the step's name for messages,
/// and a status that counts as success (Set BR/EDR on an LE-only
/// controller). `error` set: the sequence stops here with `message`.
struct mgmt_step {
  std::vector<std::uint8_t> command;
  const char* name = "";
  error_code tolerated;
  error_code error;
  std::string message;
};

/// The steps of setup_peripheral, start_advertising and stop_advertising
/// (pure: what the blocking and the async forms both send).
std::vector<mgmt_step> setup_peripheral_steps(const peripheral_config& c);
std::vector<mgmt_step> start_advertising_steps(const peripheral_config& c);
std::vector<mgmt_step> stop_advertising_steps(const peripheral_config& c);

void run_mgmt_steps(std::shared_ptr<detail::packet_channel> ch, std::uint16_t index, std::vector<mgmt_step> steps,
                    std::chrono::steady_clock::duration timeout, unique_function<void(error_code, std::string)> done);

/// The async forms, on a mgmt_channel: each completes once with
/// (error_code, std::string message naming the failed step); events that
/// arrive meanwhile go to the channel's listeners (e.g. a pairing agent).
/// Each command has the channel's command_timeout() as its deadline.
template <class Token> auto async_run_steps(mgmt_channel& ch, std::uint16_t index, std::vector<mgmt_step> steps,
                                            Token&& token) {
  return detail::initiate_posted<void(error_code, std::string)>(
      std::forward<Token>(token), ch.get_executor(),
      [core = ch.core(), index, steps = std::move(steps), t = ch.command_timeout()](auto h) mutable {
        run_mgmt_steps(std::move(core), index, std::move(steps), t, std::move(h));
      });
}
template <class Token> auto async_setup_peripheral(mgmt_channel& ch, const peripheral_config& c, Token&& token) {
  return async_run_steps(ch, c.index, setup_peripheral_steps(c), std::forward<Token>(token));
}
template <class Token> auto async_start_advertising(mgmt_channel& ch, const peripheral_config& c, Token&& token) {
  return async_run_steps(ch, c.index, start_advertising_steps(c), std::forward<Token>(token));
}
template <class Token> auto async_stop_advertising(mgmt_channel& ch, const peripheral_config& c, Token&& token) {
  return async_run_steps(ch, c.index, stop_advertising_steps(c), std::forward<Token>(token));
}

// ------------------------------------------------------------- blocking --
// For code not on a loop yet (the VM suite's unit tests in
// tests/kernel/peripheral_test.cpp); the same steps.

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
