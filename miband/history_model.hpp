// The virtual band's stored activity history (fact sheet §14): a
// deterministic day plan of minutes for a plausible wearer — nights of light
// and deep sleep, walks, a daily arm-curl session, an occasional run, a
// daily shower without the band and a charge every third day.
//
// It agrees with the live signal model (signal_model): the exercise
// session's minutes carry the steps and heart rate signal_model produces
// for the same exercise (sets of curls, walking between sets, ~68 bpm at
// rest rising to ~95), so a history fetch and a live stream of the same
// virtual wearer tell one story.
//
// Raw kinds are the values seen on real bands (§14.3, GB issue #686):
// 0x51 awake-inactive, 0x50/0x60 light activity, 0x79 light sleep, 0x7b
// deep sleep, 0x70 "no change" during sleep, 0x1c wake-up; 0x01 walking,
// 0x02 running, 0x03 not worn, 0x06 charging (choice: the low nibble is
// what GB decodes; the high nibble on those is unknown, so 0).
//
// Every minute is a pure function of (seed, minute): no state, any range
// can be computed in any order.
#pragma once

#include <chrono>
#include <cstdint>

#include "miband/history.hpp"

namespace bandwire::miband {

class history_model {
 public:
  /// `utc_offset`: the wearer's zone, so nights fall at local night.
  explicit history_model(std::uint32_t seed = 1, std::chrono::minutes utc_offset = std::chrono::minutes{0}) noexcept
      : seed_(seed ? seed : 1), offset_(utc_offset) {}

  /// The minute that starts at `t` (UTC; seconds are ignored).
  history_sample at(std::chrono::sys_seconds t) const noexcept;

 private:
  std::uint32_t seed_;
  std::chrono::minutes offset_;
};

}  // namespace bandwire::miband
