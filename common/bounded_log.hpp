// The logs a virtual device keeps of what it saw (auth writes, alerts,
// settings, history requests), for tests and the `sim` command: the newest
// entries only, so a `bandwire sim --listen` left running for days, or a
// soak test's thousands of reconnects, does not grow memory without bound.
#pragma once

#include <cstddef>
#include <utility>
#include <vector>

namespace bandwire {

/// Entries a log keeps: at least this many of the newest, at most twice as
/// many (the oldest half goes in one erase, not one per entry).
inline constexpr std::size_t bounded_log_keep = 256;

/// Appends `v` to `log`, dropping the oldest `bounded_log_keep` entries once
/// it holds twice that many.
template <class T> T& push_bounded(std::vector<T>& log, T v) {
  if (log.size() >= 2 * bounded_log_keep)
    log.erase(log.begin(), log.begin() + static_cast<std::ptrdiff_t>(bounded_log_keep));
  log.push_back(std::move(v));
  return log.back();
}

}  // namespace bandwire
