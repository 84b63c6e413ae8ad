// How a command runs "until Ctrl-C, SIGTERM or --duration": one wait for a
// signal, a time limit, or a reason of the command's own (the link closed,
// the output failed).
#pragma once

#include <functional>
#include <memory>

#include "att/bearer.hpp"
#include "common/asio.hpp"

namespace bandwire::tools {

class stop_wait {
 public:
  /// Ends on SIGINT or SIGTERM, after `seconds` (0: no limit) or at stop().
  stop_wait(asio::io_context& io, double seconds);
  stop_wait(const stop_wait&) = delete;
  stop_wait& operator=(const stop_wait&) = delete;

  /// Ends the wait now (also before it started).
  void stop();
  bool stopped() const { return *stopped_; }
  /// Resumes once it ended.
  asio::awaitable<void> wait();
  /// Calls `done` once it ended (for commands written with callbacks). Not
  /// called when this object is destroyed first.
  void async_wait(std::function<void()> done);

 private:
  std::shared_ptr<bool> stopped_ = std::make_shared<bool>(false);
  asio::signal_set signals_;
  asio::steady_timer timer_;
};

/// The band and gatt commands' wait: as stop_wait, and also ends when `link`
/// closes. Returns whether the link is still open.
asio::awaitable<bool> wait_until_stopped(asio::io_context& io, double seconds, att::bearer& link);

}  // namespace bandwire::tools
