// The options every command takes to choose its peer (the transports
// themselves are the library's: miband/transport.hpp).
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "att/bearer.hpp"
#include "common/asio.hpp"
#include "miband/transport.hpp"
#include "tools/args.hpp"

namespace bandwire::tools {

class option_set;

/// Declares --device (described by `device_help`), --addr-type, --adapter,
/// --timeout and --security.
void declare_target_options(option_set& o, const std::string& device_help);

using target_options = miband::transport_options;
using miband::connection;

/// Reads --device, --addr-type, --adapter, --timeout, --security. Sets
/// `error` on invalid values.
target_options read_target_options(const args& a, std::string& error);

}  // namespace bandwire::tools
