// Synthetic but physiologically consistent signals for the virtual band:
// a wrist at rest under gravity doing a repetitive exercise (arm curls), a
// heart rate that rises with the exercise, and a PPG waveform whose pulse
// follows that heart rate. Deterministic for a given seed.
#pragma once

#include <cstdint>

namespace bandwire::miband {

class signal_model {
 public:
  explicit signal_model(std::uint32_t seed = 1, double counts_per_g = 256.0) : rng_(seed ? seed : 1), cpg_(counts_per_g) {}

  struct accel { std::int16_t x, y, z; };
  /// Accelerometer sample at band time t (seconds), raw counts.
  accel accelerometer(double t);
  /// Heart rate (bpm) at band time t: ~68 at rest, up to ~95 in exercise.
  double heart_rate(double t) const;
  /// PPG sample at band time t: baseline ~15,000 with one pulse per beat.
  std::int16_t ppg(double t);
  /// Steps taken up to band time t (cadence follows the exercise phases).
  std::uint32_t steps(double t) const;

 private:
  double noise();  // uniform in [-1, 1]
  double exercise_level(double t) const;  // 0 rest .. 1 full effort
  std::uint32_t rng_;
  double cpg_;
  double beat_phase_ = 0, last_t_ = 0;
};

}  // namespace bandwire::miband
