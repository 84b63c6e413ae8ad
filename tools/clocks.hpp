// The clocks the CLI prints and waits with.
#pragma once

#include <chrono>

namespace bandwire::tools {

/// Seconds since the Unix epoch: the "time" of every printed record.
double now_wall();

/// This host's offset from UTC now, DST included (for `time --set`).
std::chrono::minutes local_utc_offset();

/// A command-line number of seconds as a steady-clock duration.
std::chrono::steady_clock::duration from_seconds(double seconds);

}  // namespace bandwire::tools
