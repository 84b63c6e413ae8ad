// Every `bandwire` command, declared once: its name, where `bandwire --help`
// lists it, its one-line summary, the function that declares its options
// and help text, and its handler. Adding a command is one row in
// command_table.cpp (plus its declare/run pair in tools/commands.hpp).
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "tools/args.hpp"

namespace bandwire::tools {

class option_set;

/// The headings of `bandwire --help`, in its order.
enum class command_group { mi_band, gatt_and_capture, bluetooth_setup };

struct command {
  const char* name;
  command_group group;
  const char* summary;           ///< its line in `bandwire --help`
  void (*declare)(option_set&);  ///< its options, usage line and help paragraphs
  int (*run)(const args&);       ///< runs it with the parsed options; the exit code
};

/// In the order `bandwire --help` lists them.
std::span<const command> command_table();
const command* find_command(std::string_view name);

/// The command line after the program name -> the exit code
/// (tools/commands.hpp). Usage errors print one line and return exit_usage.
int run_cli(const std::vector<std::string>& argv);

}  // namespace bandwire::tools
