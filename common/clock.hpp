// Scaled time: one object that both the client's timers (keep-alive, ATT
// timeout, watchdog) and the virtual band use, so `--speed N` runs the real
// protocol timings N times faster for both sides at once. Protocol code
// states durations in band time; the clock turns them into real waits.
#pragma once

#include <chrono>

namespace bandwire {

class scaled_clock {
 public:
  using duration = std::chrono::steady_clock::duration;
  using time_point = std::chrono::steady_clock::time_point;

  explicit scaled_clock(double speed = 1.0) : speed_(speed > 0 ? speed : 1.0), origin_(std::chrono::steady_clock::now()) {}

  double speed() const noexcept { return speed_; }
  /// A band-time duration as the real time to wait for it.
  template <class Rep, class Period> duration real(std::chrono::duration<Rep, Period> band) const noexcept {
    return std::chrono::duration_cast<duration>(std::chrono::duration<double, std::nano>(band) / speed_);
  }
  /// Band time elapsed since the clock was made.
  duration elapsed() const noexcept {
    return std::chrono::duration_cast<duration>((std::chrono::steady_clock::now() - origin_) * speed_);
  }
  /// Band time in seconds since the clock was made.
  double seconds() const noexcept { return std::chrono::duration<double>(elapsed()).count(); }

 private:
  double speed_;
  time_point origin_;
};

}  // namespace bandwire
