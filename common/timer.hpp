// A protocol timer in band time (common/clock.hpp): a steady_timer waiting
// the scaled real duration, or, on virtual time, an entry in the test's
// virtual_time that fires when the test advances past it.
//
// Same contract as asio::steady_timer: each async_wait handler runs exactly
// once, never inline, on its associated executor; expires_after() and
// cancel() complete pending waits with operation_aborted, and so does the
// timer's destructor.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <utility>
#include <vector>

#include "common/asio.hpp"
#include "common/clock.hpp"
#include "common/unique_function.hpp"

namespace bandwire {

/// Time a test controls. Timers on a clock made from it fire only from
/// advance()/run_for()/run_until(); between those, the io_context runs what is
/// ready (socket reads between the two sides, posted handlers).
class virtual_time {
 public:
  using duration = std::chrono::steady_clock::duration;

  /// `epoch_wall`: the wall clock (seconds since 1970) at virtual time 0.
  explicit virtual_time(double epoch_wall = 1'767'225'600.0) : epoch_wall_(epoch_wall) {}
  virtual_time(const virtual_time&) = delete;
  virtual_time& operator=(const virtual_time&) = delete;

  duration now() const noexcept { return now_; }
  double epoch_wall() const noexcept { return epoch_wall_; }

  /// Runs `io` until nothing is ready, then advances to the next timer and
  /// fires it, repeatedly, until `d` has passed. Returns the handlers run.
  std::size_t run_for(asio::io_context& io, duration d);
  /// As run_for, stopping early once `done()` is true (checked whenever the
  /// io_context is idle). Returns whether done() became true.
  template <class Pred> bool run_until(asio::io_context& io, Pred done, duration limit) {
    const duration end = now_ + limit;
    for (;;) {
      settle(io);
      if (done()) return true;
      if (!fire_next(end)) break;
    }
    now_ = end;
    settle(io);
    return done();
  }
  /// Runs ready handlers until none is left, without advancing time.
  std::size_t settle(asio::io_context& io);
  /// Fires the earliest timer (its handler runs at the next poll). False
  /// when no timer is pending. For tests that step through every event.
  bool advance_one() { return fire_next(duration::max()); }
  /// Pending timer entries (for tests of leaks).
  std::size_t pending() const noexcept { return entries_.size(); }

  // ---- for bandwire::timer ----
  using id = std::uint64_t;
  id schedule(duration at, unique_function<void(error_code)> fire);
  /// Removes the entry and returns its handler (empty when already fired).
  unique_function<void(error_code)> take(id i);

 private:
  bool fire_next(duration limit);

  double epoch_wall_;
  duration now_{0};
  id next_id_ = 1;
  // ordered by (deadline, id): equal deadlines fire in scheduling order
  std::map<std::pair<duration, id>, unique_function<void(error_code)>> entries_;
};

class timer {
 public:
  using duration = std::chrono::steady_clock::duration;

  timer(asio::any_io_executor ex, const scaled_clock& clock) : ex_(ex), clock_(&clock), real_(ex) {}
  ~timer() { cancel(); }
  timer(const timer&) = delete;
  timer& operator=(const timer&) = delete;

  /// Sets the expiry `d` of band time from now; cancels pending waits.
  template <class Rep, class Period> void expires_after(std::chrono::duration<Rep, Period> d) {
    cancel();
    const auto band = std::chrono::duration_cast<duration>(std::chrono::duration<double, std::nano>(d));
    if (auto* vt = clock_->virtual_source()) {
      virtual_expiry_ = vt->now() + band;
    } else {
      real_.expires_after(clock_->real(band));
    }
  }

  /// Waits for the expiry. Handler: void(error_code).
  template <class Handler> void async_wait(Handler&& h) {
    auto* vt = clock_->virtual_source();
    if (!vt) return real_.async_wait(std::forward<Handler>(h));
    auto ex = asio::get_associated_executor(h, ex_);
    const auto i = vt->schedule(virtual_expiry_, [h = std::forward<Handler>(h), ex](error_code ec) mutable {
      asio::post(ex, [h = std::move(h), ec]() mutable { h(ec); });
    });
    waits_.push_back(i);
  }

  /// Completes pending waits with operation_aborted.
  void cancel() {
    if (auto* vt = clock_->virtual_source()) {
      auto ids = std::move(waits_);
      waits_.clear();
      for (auto i : ids)
        if (auto f = vt->take(i)) f(asio::error::operation_aborted);
    } else {
      real_.cancel();
    }
  }

  asio::any_io_executor get_executor() const { return ex_; }

 private:
  friend class virtual_time;
  asio::any_io_executor ex_;
  const scaled_clock* clock_;
  asio::steady_timer real_;
  duration virtual_expiry_{0};
  std::vector<virtual_time::id> waits_;  // fired ids are taken by virtual_time and ignored here
};

}  // namespace bandwire
