// The transports a session reaches a band through (README "Devices"):
// `sim` / `sim:MODEL` (an in-process virtual band or strap on a socketpair,
// made by the session; models in miband/virtual_models.hpp),
// `unix:/path` (any ATT peer on an AF_UNIX SOCK_SEQPACKET socket), `demo`
// (an in-process GATT demo server) and a Bluetooth address (L2CAP LE, CID 4).
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "att/bearer.hpp"
#include "common/asio.hpp"
#include "common/unique_function.hpp"

namespace bandwire::miband {

struct transport_options {
  std::string device;                 ///< sim[:MODEL], demo, unix:/path or AA:BB:CC:DD:EE:FF
  std::string addr_type = "random";   ///< random or public
  std::string adapter;                ///< "hci0"; empty: the kernel's choice
  int security = 0;                   ///< BT_SECURITY level to request before connecting
  double connect_timeout = 10.0;      ///< seconds
};

/// Checks a --device value's form: "" when valid, else a one-line message.
std::string check_device(const std::string& device);

/// An open link. Keeps whatever serves an in-process peer alive.
struct connection {
  std::unique_ptr<att::link_security> security;
  std::unique_ptr<att::bearer> bearer;
  std::shared_ptr<void> peer;  ///< in-process server for demo targets
  std::string description;     ///< "unix:/tmp/x", "demo", "AA:BB:...(random)"
};

/// Opens a unix:, demo or address target (not sim: the session makes that
/// one). On failure returns an error and a one-line `message` for users.
/// `bearer_opts` configures the bearer (clock, timeout).
error_code open_transport(asio::io_context& io, const transport_options& o, const att::bearer::options& bearer_opts,
                          connection& out, std::string& message);

/// The same on the io_context, never blocking it: an address connects with
/// hci::async_connect_le_att (non-blocking connect racing the connect
/// timeout); the other targets open at once. `done(ec, message)` runs once,
/// posted; on success `out` holds the link. `out` must outlive the call.
void async_open_transport(asio::io_context& io, const transport_options& o, const att::bearer::options& bearer_opts,
                          connection& out, unique_function<void(error_code, std::string)> done);

}  // namespace bandwire::miband
