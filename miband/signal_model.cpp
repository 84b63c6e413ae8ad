#include "miband/signal_model.hpp"

#include <algorithm>
#include <cmath>

namespace bandwire::miband {

namespace {
constexpr double pi = 3.14159265358979323846;
}

double signal_model::noise() {
  // xorshift32: small, fast and deterministic.
  rng_ ^= rng_ << 13;
  rng_ ^= rng_ >> 17;
  rng_ ^= rng_ << 5;
  return (rng_ / 4294967295.0) * 2.0 - 1.0;
}

// Sets of 40 s of curls then 20 s of rest, repeating.
double signal_model::exercise_level(double t) const {
  const double cycle = std::fmod(t, 60.0);
  if (cycle < 5) return cycle / 5;            // ramp up
  if (cycle < 40) return 1.0;                 // set
  if (cycle < 45) return (45 - cycle) / 5;    // ramp down
  return 0.0;                                 // rest
}

signal_model::accel signal_model::accelerometer(double t) {
  // Forearm held level (gravity on z, with the slight tilt CAP-A shows at
  // rest: about (83, 51, 264) counts), curling at 0.5 Hz: the wrist rotates
  // about the x axis, moving gravity from z towards y, plus the motion's own
  // acceleration.
  const double level = exercise_level(t);
  const double angle = level * 1.2 * (0.5 - 0.5 * std::cos(2 * pi * 0.5 * t));  // 0..~69 degrees
  const double motion = level * 0.35 * std::sin(2 * pi * 0.5 * t);
  const double gx = 0.31, gy = 0.19 * std::cos(angle) + 0.96 * std::sin(angle), gz = 0.96 * std::cos(angle) - 0.19 * std::sin(angle);
  auto c = [&](double g) {
    return static_cast<std::int16_t>(std::clamp(std::lround(g * cpg_ + noise() * 3), -32768L, 32767L));
  };
  return {c(gx + 0.1 * motion), c(gy + motion), c(gz)};
}

double signal_model::heart_rate(double t) const {
  // The heart lags the effort by ~10 s.
  const double lagged = exercise_level(std::max(0.0, t - 10));
  return 68 + 27 * lagged + 2 * std::sin(2 * pi * t / 23.0);
}

std::int16_t signal_model::ppg(double t) {
  // Integrate the beat phase so the pulse rate follows heart_rate(t).
  const double dt = std::clamp(t - last_t_, 0.0, 1.0);
  last_t_ = t;
  beat_phase_ = std::fmod(beat_phase_ + dt * heart_rate(t) / 60.0, 1.0);
  const double p = beat_phase_;
  // Systolic peak then a dicrotic notch and wave; absorbance lowers the
  // signal, so pulses are dips from the baseline.
  const double systolic = std::exp(-std::pow((p - 0.15) / 0.07, 2));
  const double dicrotic = 0.35 * std::exp(-std::pow((p - 0.45) / 0.08, 2));
  const double baseline = 15000 + 400 * std::sin(2 * pi * t / 8.0);  // breathing drift
  const double v = baseline - 1800 * (systolic + dicrotic) + noise() * 25;
  return static_cast<std::int16_t>(std::clamp(std::lround(v), -32768L, 32767L));
}

std::uint32_t signal_model::steps(double t) const {
  // Walking between sets: ~1.8 steps/s during the 20 s rests.
  const double full_cycles = std::floor(t / 60.0);
  const double in_cycle = std::fmod(t, 60.0);
  const double walking = std::max(0.0, in_cycle - 45.0);
  return static_cast<std::uint32_t>(full_cycles * 15 * 1.8 + walking * 1.8);
}

}  // namespace bandwire::miband
