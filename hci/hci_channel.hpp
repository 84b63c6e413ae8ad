// The raw HCI socket (AF_BLUETOOTH, BTPROTO_HCI, HCI_CHANNEL_RAW) on the
// io_context: commands answered by Command Complete / Command Status, each
// with its own deadline, and every other event delivered to registered
// listeners (hci/le_scanner.hpp listens for advertising reports this way).
// The framing and queueing rules are hci/packet_channel.hpp's; the encoding
// and decoding is hci/hci_codec.hpp.
//
// A channel can also adopt any SOCK_SEQPACKET descriptor that carries
// H4-framed packets (indicator 0x01 command, 0x04 event), which is how the
// tests script a controller on a socketpair without a Bluetooth kernel.
//
// Privileges (net/bluetooth/hci_sock.c): opening and binding a raw socket
// needs nothing, but without CAP_NET_RAW the kernel only lets through the
// commands and events of its security filter; LE scan commands then fail
// with EPERM.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "common/asio.hpp"
#include "common/bytes.hpp"
#include "hci/packet_channel.hpp"

namespace bandwire::hci {

class hci_channel {
 public:
  /// Completion signature of async_command: the Command Complete's return
  /// parameters, Status octet first (empty after a Command Status). A non-zero Status is a
  /// hci::status_category error; no answer within the deadline is
  /// errc::command_timeout; cancel() or close() give operation_aborted.
  using command_signature = void(error_code, std::vector<std::uint8_t>);

  /// A closed channel; open() it.
  explicit hci_channel(asio::io_context& io);
  /// Adopts a descriptor carrying H4-framed packets (tests: a socketpair
  /// end). No socket filter is touched on an adopted descriptor.
  hci_channel(asio::io_context& io, int fd);
  /// close(): what is pending completes with operation_aborted.
  ~hci_channel();
  hci_channel(const hci_channel&) = delete;
  hci_channel& operator=(const hci_channel&) = delete;

  /// Opens a raw HCI socket bound to adapter hciN (which must be up) and
  /// sets a filter that passes Command Complete, Command Status,
  /// Disconnection Complete and LE Meta events; the previous filter is saved
  /// and restored on close. On failure `message` says what a user can do.
  error_code open(int adapter, std::string& message);
  bool is_open() const noexcept { return core_->is_open(); }
  asio::any_io_executor get_executor() { return core_->get_executor(); }

  /// The deadline of commands sent without one (default 2 s).
  void set_command_timeout(std::chrono::steady_clock::duration d) noexcept { timeout_ = d; }
  std::chrono::steady_clock::duration command_timeout() const noexcept { return timeout_; }

  /// Sends `command` (header + parameters, as hci_codec encodes it) and
  /// completes with its answer. Commands queue; one is in flight at a time.
  template <class Token> auto async_command(bytes_view command, std::chrono::steady_clock::duration timeout,
                                            Token&& token) {
    return detail::initiate_posted<command_signature>(
        std::forward<Token>(token), get_executor(),
        [core = core_, c = std::vector<std::uint8_t>(command.begin(), command.end()), timeout](auto h) mutable {
          submit(*core, std::move(c), timeout, std::move(h));
        });
  }
  template <class Token> auto async_command(bytes_view command, Token&& token) {
    return async_command(command, timeout_, std::forward<Token>(token));
  }
  /// The same, from an opcode and its parameters (at most 255 octets).
  template <class Token> auto async_command(std::uint16_t opcode, bytes_view params, Token&& token) {
    std::vector<std::uint8_t> c;
    const error_code ec = encode(opcode, params, c);
    return detail::initiate_posted<command_signature>(
        std::forward<Token>(token), get_executor(),
        [core = core_, c = std::move(c), ec, timeout = timeout_](auto h) mutable {
          if (ec) return h(ec, std::vector<std::uint8_t>{});
          submit(*core, std::move(c), timeout, std::move(h));
        });
  }

  /// Every event (no H4 indicator) that answered no command, until the
  /// subscription is dropped; once with an error if reading fails.
  subscription subscribe(packet_listener l) { return core_->subscribe(std::move(l)); }

  /// Completes every queued and in-flight command with operation_aborted.
  void cancel() { core_->cancel(); }
  /// cancel(), restores the socket filter, closes.
  void close() { core_->close(); }

  /// For composed operations that must outlive this object (le_scanner).
  std::shared_ptr<detail::packet_channel> core() const noexcept { return core_; }

  static error_code encode(std::uint16_t opcode, bytes_view params, std::vector<std::uint8_t>& out);
  /// The rules of the raw HCI channel (H4 framing, Command Complete/Status).
  static const detail::rules& hci_rules() noexcept;

 private:
  static void submit(detail::packet_channel& core, std::vector<std::uint8_t> c,
                     std::chrono::steady_clock::duration timeout, detail::packet_channel::command_handler h);

  std::shared_ptr<detail::packet_channel> core_;
  std::chrono::steady_clock::duration timeout_ = std::chrono::seconds(2);
};

}  // namespace bandwire::hci
