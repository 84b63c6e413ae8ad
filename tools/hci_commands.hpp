// Adapter-level subcommands over the raw HCI socket, the kernel's HCI ioctls
// and the management socket: scan, adapters, adapter up|reset, doctor,
// agent. Without kernel Bluetooth, an adapter or the privileges,
// scan/adapters/adapter fail at once with one line and exit_connect (3);
// doctor always reports and exits 0. Each declares its options
// (tools/option_set.hpp) and runs with the parsed ones
// (tools/command_table.hpp lists them).
#pragma once

#include "tools/args.hpp"

namespace bandwire::tools {

class option_set;

void declare_scan(option_set& o);  // tools/scan_command.cpp
int run_scan(const args& a);
void declare_adapters(option_set& o);  // tools/adapter_command.cpp
int run_adapters(const args& a);
void declare_adapter(option_set& o);  // tools/adapter_command.cpp
int run_adapter(const args& a);
void declare_doctor(option_set& o);  // tools/doctor_command.cpp
int run_doctor(const args& a);
void declare_agent(option_set& o);  // tools/agent_command.cpp
int run_agent(const args& a);

}  // namespace bandwire::tools
