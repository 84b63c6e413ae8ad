// Band time. One clock object is shared by the client's protocol timers
// (keep-alive, ATT timeout, watchdog, back-off) and the virtual band, so that
//  * `--speed N` runs the real protocol timings N times faster for both sides
//    at once (a scaled real clock), and
//  * a test can run both sides on virtual time that it advances itself
//    (virtual_time): timings are then exact and independent of host load.
// Protocol code states durations in band time and waits with bandwire::timer
// (common/timer.hpp), which asks the clock how.
#pragma once

#include <chrono>

namespace bandwire {

class virtual_time;

class scaled_clock {
 public:
  using duration = std::chrono::steady_clock::duration;
  using time_point = std::chrono::steady_clock::time_point;

  /// Real time, scaled: band time runs `speed` times faster than the host's.
  explicit scaled_clock(double speed = 1.0) : speed_(speed > 0 ? speed : 1.0), origin_(std::chrono::steady_clock::now()) {}
  /// Virtual time: band time is the test's virtual time; timers fire only when
  /// the test advances it. `vt` must outlive the clock.
  explicit scaled_clock(virtual_time& vt) : virtual_(&vt) {}

  double speed() const noexcept { return speed_; }
  virtual_time* virtual_source() const noexcept { return virtual_; }
  /// A band-time duration as the real time to wait for it.
  template <class Rep, class Period> duration real(std::chrono::duration<Rep, Period> band) const noexcept {
    return std::chrono::duration_cast<duration>(std::chrono::duration<double, std::nano>(band) / speed_);
  }
  /// Band time elapsed since the clock was made (or since virtual time began).
  duration elapsed() const noexcept;
  /// Band time in seconds since the clock was made.
  double seconds() const noexcept { return std::chrono::duration<double>(elapsed()).count(); }
  /// Host wall clock, seconds since the Unix epoch (virtual: the virtual
  /// epoch plus virtual time).
  double wall() const noexcept;
  /// Host monotonic clock in seconds (virtual: virtual time).
  double mono() const noexcept;

 private:
  double speed_ = 1.0;
  time_point origin_{};
  virtual_time* virtual_ = nullptr;
};

}  // namespace bandwire
