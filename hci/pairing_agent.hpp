// A Just Works pairing agent on the io_context: it answers the kernel's
// User Confirmation Requests (mgmt event 0x000F) with User Confirmation
// Reply (0x001C). Kernel LE pairing asks user space to confirm Just Works on
// both sides, and stalls after the Pairing Response when nobody answers
// (kernel-test-recipe.md pitfall 6); bluetoothd normally plays this part.
// The decision itself is mgmt::agent_reply (pure).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>

#include "common/asio.hpp"
#include "hci/mgmt.hpp"

namespace bandwire::hci {

class pairing_agent {
 public:
  /// What was asked and answered.
  struct decision {
    std::uint16_t index = 0;
    mgmt::user_confirm_request request;
    bool accepted = false;
  };

  /// Takes a management socket (mgmt::socket::open). `index`: answer only
  /// for hciN; none = every controller. `accept_numeric`: also accept
  /// numeric comparison (hint 0), which a NoInputNoOutput device never gets.
  pairing_agent(asio::io_context& io, mgmt::socket s, std::optional<std::uint16_t> index,
                bool accept_numeric = false);
  ~pairing_agent();
  pairing_agent(const pairing_agent&) = delete;
  pairing_agent& operator=(const pairing_agent&) = delete;

  void on_decision(std::function<void(const decision&)> cb) { on_decision_ = std::move(cb); }
  void start();
  void stop();

  /// Answers `packet` if it is a User Confirmation Request for our index
  /// (what the watch loop does with each packet it reads).
  void handle(bytes_view packet);

  mgmt::socket& socket() noexcept { return socket_; }

 private:
  void wait();

  mgmt::socket socket_;
  asio::posix::stream_descriptor fd_;  // watches socket_'s descriptor, does not own it
  std::optional<std::uint16_t> index_;
  bool accept_numeric_;
  std::function<void(const decision&)> on_decision_;
};

}  // namespace bandwire::hci
