#include "tools/wait.hpp"

#include <csignal>

#include <boost/asio/redirect_error.hpp>

#include "tools/clocks.hpp"

namespace bandwire::tools {

stop_wait::stop_wait(asio::io_context& io, double seconds) : signals_(io, SIGINT, SIGTERM), timer_(io) {
  timer_.expires_at(seconds > 0 ? std::chrono::steady_clock::now() + from_seconds(seconds)
                                : asio::steady_timer::time_point::max());
  // An aborted wait (this object destroyed) touches nothing of it.
  signals_.async_wait([this](error_code ec, int) {
    if (!ec) stop();
  });
}

void stop_wait::stop() {
  *stopped_ = true;
  timer_.cancel();
  signals_.cancel();
}

asio::awaitable<void> stop_wait::wait() {
  if (!*stopped_) {
    error_code ec;
    co_await timer_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
  stop();
}

void stop_wait::async_wait(std::function<void()> done) {
  timer_.async_wait([flag = stopped_, done = std::move(done)](error_code ec) {
    // Cancelled without stop(): this object is gone.
    if (ec && !*flag) return;
    *flag = true;
    done();
  });
  if (*stopped_) timer_.cancel();
}

asio::awaitable<bool> wait_until_stopped(asio::io_context& io, double seconds, att::bearer& link) {
  stop_wait w(io, seconds);
  auto closed = link.on_close([&](error_code) { w.stop(); });
  co_await w.wait();
  co_return link.is_open();
}

}  // namespace bandwire::tools
