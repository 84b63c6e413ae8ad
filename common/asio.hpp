// The one place bandwire includes Boost.Asio.
//
// Boost 1.74's <boost/asio/awaitable.hpp> uses std::exchange without including
// <utility> (see shared/reference/toolchain-notes.md); including it here first
// keeps every translation unit correct with GCC 12 and -std=c++20.
#pragma once

#include <utility>

#include <boost/asio.hpp>
#include <boost/asio/generic/seq_packet_protocol.hpp>
#include <boost/system/error_code.hpp>

namespace bandwire {
namespace asio = boost::asio;
using boost::system::error_code;
using seqpacket_socket = asio::generic::seq_packet_protocol::socket;
}  // namespace bandwire
