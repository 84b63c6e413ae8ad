// LE ATT over L2CAP: a SOCK_SEQPACKET socket on the fixed ATT channel (CID 4,
// Core 5.4 Vol 3 Part A §2.1) connected through the kernel, which runs LE
// Create Connection for us. Only this file and hci/ know AF_BLUETOOTH; the
// result is the same seqpacket_socket type the unix transport uses.
#pragma once

#include <chrono>
#include <string>

#include "att/security.hpp"
#include "common/asio.hpp"
#include "hci/address.hpp"

namespace bandwire::hci {

struct le_connect_options {
  address peer;
  address_type type = address_type::le_random;  ///< the Mi Band uses a static random address
  int adapter = -1;                              ///< hciN, or -1 for the kernel's choice
  int security = 0;                              ///< BT_SECURITY level to request, 0 = leave default
  /// The kernel would otherwise block for 40 s or more on an absent peer.
  std::chrono::milliseconds timeout{10000};
};

/// Connects; on failure `message` says what a user can do about it.
error_code connect_le_att(asio::io_context& io, const le_connect_options& opts, seqpacket_socket& out,
                          std::string& message);

/// The bearer's security seam on a real link: BT_SECURITY via setsockopt
/// (SOL_BLUETOOTH), which makes the kernel pair/encrypt (SMP).
class l2cap_security final : public att::link_security {
 public:
  explicit l2cap_security(int fd) : fd_(fd) {}
  att::security_level level() const noexcept override;
  error_code raise() override;

 private:
  int fd_;
};

/// The address of adapter hciN, read with HCIGETDEVINFO.
error_code adapter_address(int index, address& out);

}  // namespace bandwire::hci
