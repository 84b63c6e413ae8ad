// `--btsnoop FILE`: records a session's ATT PDUs as a btsnoop file that
// Wireshark and tshark open. ATT over the unix and sim transports has no HCI,
// so each PDU is framed in valid HCI ACL + L2CAP (CID 4) packets.
#pragma once

#include <cstdio>
#include <functional>
#include <string>
#include <vector>

#include "att/bearer.hpp"

namespace bandwire::hci {

class btsnoop_recorder {
 public:
  btsnoop_recorder() = default;
  ~btsnoop_recorder();
  btsnoop_recorder(const btsnoop_recorder&) = delete;
  btsnoop_recorder& operator=(const btsnoop_recorder&) = delete;

  /// Opens (once; later calls keep appending) and prints a warning on failure.
  bool open(const std::string& path);
  /// Rewrites a PDU before it is recorded (masking secrets); may be empty.
  std::function<void(std::vector<std::uint8_t>& pdu, bool sent)> mask;
  /// Records every PDU of this bearer while the returned handle lives.
  [[nodiscard]] registration attach(att::bearer& b);

 private:
  void record(att::direction d, bytes_view pdu);
  std::FILE* f_ = nullptr;
  std::vector<std::uint8_t> buf_, pdu_;
};

}  // namespace bandwire::hci
