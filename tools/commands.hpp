// Entry points of the `bandwire` subcommands. Each takes the arguments after
// its name and returns the process exit code.
#pragma once

#include <string>
#include <vector>

namespace bandwire::tools {

/// Exit codes shared by every command.
enum exit_code : int {
  exit_ok = 0,
  exit_failed = 1,      ///< the procedure failed (peer error, timeout, bad data)
  exit_usage = 2,       ///< bad command line
  exit_connect = 3,     ///< could not reach the device
};

int run_gatt(const std::vector<std::string>& argv);
/// pair, info, battery, time, steps, heart, alert, vibrate, events.
int run_band(const std::string& command, const std::vector<std::string>& argv);
int run_stream(const std::vector<std::string>& argv);
int run_activity(const std::vector<std::string>& argv);
int run_sim(const std::vector<std::string>& argv);
int run_decode(const std::vector<std::string>& argv);

}  // namespace bandwire::tools
