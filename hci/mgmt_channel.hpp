// The Linux Bluetooth management interface (hci/mgmt.hpp's codec) on the
// io_context: commands answered by Command Complete / Command Status with
// the same opcode and controller index, each with its own deadline, and
// every other event (User Confirmation Request, New Settings, Device Found)
// delivered to listeners registered through RAII subscriptions. Queueing,
// deadlines and cancellation are hci/packet_channel.hpp's rules.
//
// A channel can adopt any SOCK_SEQPACKET descriptor that carries mgmt
// packets, which is how the tests script the kernel on a socketpair.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "common/asio.hpp"
#include "hci/mgmt.hpp"
#include "hci/packet_channel.hpp"

namespace bandwire::hci {

class mgmt_channel {
 public:
  /// The Command Complete's return parameters (empty after a Command
  /// Status). A non-zero status is a mgmt::status_category error; no answer
  /// within the deadline is errc::command_timeout; cancel()/close() give
  /// operation_aborted.
  using command_signature = void(error_code, std::vector<std::uint8_t>);
  /// A decoded event (views valid during the call), or once an error.
  using event_listener = std::function<void(error_code, const mgmt::event&)>;

  explicit mgmt_channel(asio::io_context& io);
  /// Adopts a descriptor carrying mgmt packets (tests: a socketpair end).
  mgmt_channel(asio::io_context& io, int fd);
  ~mgmt_channel();
  mgmt_channel(const mgmt_channel&) = delete;
  mgmt_channel& operator=(const mgmt_channel&) = delete;

  /// Opens AF_BLUETOOTH/BTPROTO_HCI bound to HCI_CHANNEL_CONTROL. Without
  /// CAP_NET_ADMIN the kernel still binds but refuses every command that
  /// changes anything (status Permission Denied).
  error_code open(std::string& message);
  bool is_open() const noexcept { return core_->is_open(); }
  asio::any_io_executor get_executor() { return core_->get_executor(); }

  /// The deadline of commands sent without one (default 10 s: TCG guests
  /// and USB dongles take a while to power on).
  void set_command_timeout(std::chrono::steady_clock::duration d) noexcept { timeout_ = d; }
  std::chrono::steady_clock::duration command_timeout() const noexcept { return timeout_; }

  /// Sends `packet` (a whole mgmt command, as mgmt::encode_* make it).
  template <class Token> auto async_command(bytes_view packet, std::chrono::steady_clock::duration timeout,
                                            Token&& token) {
    return detail::initiate_posted<command_signature>(
        std::forward<Token>(token), get_executor(),
        [core = core_, c = std::vector<std::uint8_t>(packet.begin(), packet.end()), timeout](auto h) mutable {
          submit(*core, std::move(c), timeout, std::move(h));
        });
  }
  template <class Token> auto async_command(bytes_view packet, Token&& token) {
    return async_command(packet, timeout_, std::forward<Token>(token));
  }

  /// Every event no command took, decoded; packets that do not decode are
  /// dropped (the kernel never sends one).
  subscription subscribe(event_listener l);

  void cancel() { core_->cancel(); }
  void close() { core_->close(); }

  std::shared_ptr<detail::packet_channel> core() const noexcept { return core_; }
  static const detail::rules& mgmt_rules() noexcept;

 private:
  static void submit(detail::packet_channel& core, std::vector<std::uint8_t> c,
                     std::chrono::steady_clock::duration timeout, detail::packet_channel::command_handler h);

  std::shared_ptr<detail::packet_channel> core_;
  std::chrono::steady_clock::duration timeout_ = std::chrono::seconds(10);
};

}  // namespace bandwire::hci
