// Adapter-level subcommands over the raw HCI socket and the kernel's HCI
// ioctls: scan, adapters, adapter up|reset, doctor. Each takes the arguments
// after its name and returns the process exit code (tools/commands.hpp):
// without kernel Bluetooth, an adapter or the privileges, scan/adapters/
// adapter fail at once with one line and exit_connect (3); doctor always
// reports and exits 0.
#pragma once

#include <string>
#include <vector>

namespace bandwire::tools {

int run_scan(const std::vector<std::string>& argv);     // tools/scan_command.cpp
int run_adapters(const std::vector<std::string>& argv); // tools/adapter_command.cpp
int run_adapter(const std::vector<std::string>& argv);  // tools/adapter_command.cpp
int run_doctor(const std::vector<std::string>& argv);   // tools/doctor_command.cpp

}  // namespace bandwire::tools
