// The `bandwire` commands: for each, the function that declares its options
// and help (tools/option_set.hpp) and its handler, which gets the parsed
// options and returns the process exit code. tools/command_table.cpp lists
// them; the adapter-level ones are in tools/hci_commands.hpp.
#pragma once

#include "tools/args.hpp"
#include "tools/hci_commands.hpp"

namespace bandwire::tools {

class option_set;

/// Exit codes shared by every command.
enum exit_code : int {
  exit_ok = 0,
  exit_failed = 1,      ///< the procedure failed (peer error, timeout, bad data)
  exit_usage = 2,       ///< bad command line
  exit_connect = 3,     ///< could not reach the device
};

// GATT and capture.
void declare_gatt(option_set& o);   // tools/gatt_command.cpp
int run_gatt(const args& a);
void declare_decode(option_set& o);  // tools/decode_command.cpp
int run_decode(const args& a);

// The virtual band.
void declare_sim(option_set& o);  // tools/sim_command.cpp
int run_sim(const args& a);

// Mi Band commands.
void declare_stream(option_set& o);  // tools/stream_command.cpp
int run_stream(const args& a);
void declare_pair(option_set& o);  // tools/band_commands.cpp
int run_pair(const args& a);
void declare_alert(option_set& o);
int run_alert(const args& a);
void declare_vibrate(option_set& o);
int run_vibrate(const args& a);
void declare_events(option_set& o);
int run_events(const args& a);
void declare_info(option_set& o);  // tools/status_commands.cpp
int run_info(const args& a);
void declare_battery(option_set& o);
int run_battery(const args& a);
void declare_time(option_set& o);
int run_time(const args& a);
void declare_steps(option_set& o);
int run_steps(const args& a);
void declare_heart(option_set& o);  // tools/heart_command.cpp
int run_heart(const args& a);
void declare_activity(option_set& o);  // tools/activity_command.cpp
int run_activity(const args& a);
void declare_config(option_set& o);  // tools/settings_commands.cpp
int run_config(const args& a);
void declare_alarm(option_set& o);
int run_alarm(const args& a);
void declare_record(option_set& o);  // tools/record_command.cpp
int run_record(const args& a);

}  // namespace bandwire::tools
