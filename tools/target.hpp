// Opens the ATT connection a command talks to: `unix:/path` (any ATT peer
// serving on an AF_UNIX SOCK_SEQPACKET socket), `demo` (an in-process GATT
// server with a small database), or a Bluetooth address (L2CAP LE, CID 4).
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "att/bearer.hpp"
#include "common/asio.hpp"
#include "tools/args.hpp"

namespace bandwire::tools {

/// Options every command takes to choose its peer.
inline const std::set<std::string> target_value_options = {"--device", "--addr-type", "--adapter", "--timeout",
                                                           "--security"};

struct target_options {
  std::string device;
  std::string addr_type = "random";
  std::string adapter;  ///< "hci0"; empty = the kernel's choice
  int security = 0;     ///< BT_SECURITY level to request before connecting
  double connect_timeout = 10.0;
};

/// Reads --device, --addr-type, --adapter, --timeout, --security. Sets
/// `error` on invalid values.
target_options read_target_options(const args& a, std::string& error);

/// An open connection. Keeps whatever serves an in-process peer alive.
struct connection {
  std::unique_ptr<att::link_security> security;
  std::unique_ptr<att::bearer> bearer;
  std::shared_ptr<void> peer;  ///< in-process server for demo/sim targets
  std::string description;     ///< "unix:/tmp/x", "demo", "AA:BB:...(random)"
};

/// Connects. On failure returns an error and a one-line `message` for users.
/// A Bluetooth address blocks the calling thread for up to --timeout (on a
/// private loop, see hci::connect_le_att); async_open_target does not.
error_code open_target(asio::io_context& io, const target_options& o, connection& out, std::string& message);

/// The same on the io_context: an address connects with
/// hci::async_connect_le_att (its own deadline); the other targets open at
/// once. `done(ec, connection, message)` runs once, posted.
void async_open_target(asio::io_context& io, const target_options& o,
                       std::function<void(error_code, connection, std::string)> done);

}  // namespace bandwire::tools
