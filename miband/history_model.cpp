#include "miband/history_model.hpp"

#include <cmath>

#include "miband/signal_model.hpp"

namespace bandwire::miband {

namespace chr = std::chrono;

namespace {

// A 32-bit integer hash (the "lowbias32" finaliser): a stateless source
// of per-minute and per-day randomness.
std::uint32_t mix(std::uint32_t x) noexcept {
  x ^= x >> 16;
  x *= 0x7feb352dU;
  x ^= x >> 15;
  x *= 0x846ca68bU;
  x ^= x >> 16;
  return x;
}

// Uniform integer in [lo, hi].
std::uint8_t pick(std::uint32_t h, unsigned lo, unsigned hi) noexcept {
  return static_cast<std::uint8_t>(lo + h % (hi - lo + 1));
}

constexpr std::uint8_t no_hr = heart_rate_not_measured;

}  // namespace

history_sample history_model::at(chr::sys_seconds t) const noexcept {
  const long long local_min = chr::floor<chr::minutes>(t + offset_).time_since_epoch().count();
  const long long day = local_min >= 0 ? local_min / 1440 : (local_min - 1439) / 1440;
  const int m = static_cast<int>(local_min - day * 1440);  // minute of the local day
  const std::uint32_t hd = mix(seed_ ^ mix(static_cast<std::uint32_t>(day)));
  const std::uint32_t h = mix(seed_ * 0x9e3779b9U ^ static_cast<std::uint32_t>(local_min));
  const std::uint32_t h2 = mix(h);

  // Sleep from ~23:00 (+0..39 min) until ~06:45 (+0..29 min) of the next day.
  const std::uint32_t hprev = mix(seed_ ^ mix(static_cast<std::uint32_t>(day - 1)));
  const int sleep_start = 23 * 60 + static_cast<int>(hd % 40);
  const int slept_at = 23 * 60 + static_cast<int>(hprev % 40);  // last evening's
  const int wake = 6 * 60 + 45 + static_cast<int>(hd % 30);
  const bool asleep_evening = m >= sleep_start;
  const bool asleep_morning = m < wake;
  if (asleep_evening || asleep_morning) {
    // 90-minute cycles: light, then deep, then light again (REM is not told
    // apart by the band).
    const int since = asleep_evening ? m - sleep_start : m + 1440 - slept_at;
    const int p = since % 90;
    const bool deep = p >= 20 && p < 55 && since < 5 * 60;  // deep sleep mostly early in the night
    history_sample s;
    s.kind = (h2 % 10 == 0) ? 0x70 : deep ? 0x7b : 0x79;
    s.intensity = deep ? pick(h, 0, 3) : pick(h, 1, 12);
    s.steps = 0;
    s.heart_rate = since % 10 == 0 ? pick(h2, deep ? 50 : 54, deep ? 55 : 60) : no_hr;
    return s;
  }
  if (m == wake) return {0x1c, pick(h, 20, 40), 0, no_hr};  // wake-up (§14.3: 28)
  if (m >= sleep_start - 10) return {0x51, pick(h, 0, 6), 0, no_hr};  // lying down (#686: 10 × 81, low intensity)

  // The shower: the band lies on the shelf.
  if (m >= 7 * 60 + 30 && m < 7 * 60 + 48) return {0x03, 0, 0, no_hr};
  // A charge every third day, in the evening (the band is off the wrist).
  if (day % 3 == 0 && m >= 20 * 60 && m < 21 * 60 + 10) return {0x06, 0, 0, no_hr};

  // The arm-curl session signal_model streams live, 18:00–18:30: its steps
  // per minute and its mean heart rate over the minute.
  if (m >= 18 * 60 && m < 18 * 60 + 30) {
    const signal_model live(seed_);
    const double t0 = (m - 18 * 60) * 60.0;
    double hr = 0;
    for (int s = 0; s < 60; s += 5) hr += live.heart_rate(t0 + s);
    history_sample s;
    s.kind = 0x01;
    s.steps = static_cast<std::uint8_t>(live.steps(t0 + 60) - live.steps(t0));
    s.intensity = pick(h, 70, 95);
    s.heart_rate = static_cast<std::uint8_t>(std::lround(hr / 12));
    return s;
  }
  // A run every fourth day.
  if (day % 4 == 2 && m >= 19 * 60 && m < 19 * 60 + 25)
    return {0x02, pick(h, 170, 230), pick(h2, 150, 172), pick(h2 >> 8, 138, 162)};
  // Walks: to work and back.
  if ((m >= 8 * 60 + 10 && m < 8 * 60 + 35) || (m >= 17 * 60 + 20 && m < 17 * 60 + 42))
    return {0x01, pick(h, 80, 130), pick(h2, 92, 118), m % 5 == 0 ? pick(h2 >> 8, 84, 102) : no_hr};
  // Awake: mostly sitting, sometimes pottering about.
  const std::uint8_t hr = m % 10 == 0 ? pick(h2 >> 8, 62, 76) : no_hr;
  if (h2 % 100 < 15) return {static_cast<std::uint8_t>(h % 2 ? 0x50 : 0x60), pick(h, 18, 60), pick(h2 >> 4, 4, 40), hr};
  return {0x51, pick(h, 0, 15), 0, hr};
}

}  // namespace bandwire::miband
