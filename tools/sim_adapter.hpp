// `bandwire sim --adapter hciN`: serves the virtual Mi Band 2 over a real
// Bluetooth adapter, as the band does over the air (miband2-protocol.md
// §2.1, §19.1): LE only, the band's static random address, its advertising
// data and scan response, connectable, one central at a time, advertising
// again after each link drops. The band also plays its part in pairing: it is
// NoInputNoOutput and accepts LE legacy Just Works (§2.3), so the adapter's
// User Confirmation Requests are answered here.
#pragma once

#include <cstdint>
#include <memory>

#include "common/asio.hpp"
#include "hci/address.hpp"
#include "hci/l2cap_listener.hpp"
#include "hci/le_peripheral.hpp"
#include "hci/mgmt_channel.hpp"
#include "hci/pairing_agent.hpp"
#include "miband/virtual_band.hpp"

namespace bandwire::tools {

/// The band's side of the air interface on adapter hciN: LE only, identity
/// `identity` (static random), ADV_IND data = Flags 06 + Huami manufacturer
/// data naming `identity`, SCAN_RSP = "MI Band 2" + FEE0. With the default
/// FA:8E:E3:12:B4:A9 both are CAP-A's bytes (§20.8).
hci::peripheral_config miband2_peripheral(std::uint16_t index, const hci::address& identity);

class sim_adapter {
 public:
  sim_adapter(asio::io_context& io, miband::virtual_band& band, std::uint16_t index, const hci::address& identity);
  ~sim_adapter();
  sim_adapter(const sim_adapter&) = delete;
  sim_adapter& operator=(const sim_adapter&) = delete;

  /// Takes over the adapter, starts the agent and the listener. Prints what
  /// failed; returns an exit code, or -1 when serving. Called before the
  /// loop runs: the setup waits for the kernel here (nothing else can stall).
  int start();
  /// Stops accepting and advertising (Remove Advertising goes out at once,
  /// its answer is not waited for).
  void stop();
  /// The band's connection ended: advertise again once the LE link is gone.
  void link_closed();

 private:
  void accept_next();
  void readvertise_when_idle(int polls_left);

  asio::io_context& io_;
  miband::virtual_band& band_;
  hci::peripheral_config cfg_;
  hci::mgmt_channel mgmt_;  ///< commands on the loop (re-advertising, stop)
  std::unique_ptr<hci::pairing_agent> agent_;
  hci::l2cap_listener listener_;
  asio::steady_timer idle_timer_;
  bool stopped_ = false;
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);  ///< handlers check it before touching this
};

}  // namespace bandwire::tools
