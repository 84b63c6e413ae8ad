// What every Mi Band command shares: options, the connection (including the
// in-process virtual band for `--device sim`), the GATT cache, the key, the
// optional btsnoop recording, and authentication.
#pragma once

#include <cstdio>
#include <memory>
#include <string>

#include "common/clock.hpp"
#include "gatt/client.hpp"
#include "miband/band.hpp"
#include "miband/virtual_band.hpp"
#include "tools/args.hpp"
#include "tools/recorder.hpp"
#include "tools/state.hpp"
#include "tools/target.hpp"

namespace bandwire::tools {

/// Options every band command accepts (with a value).
std::set<std::string> band_value_options();
/// Flags every band command accepts.
std::set<std::string> band_flags();
/// The help text block describing them.
extern const char* band_common_help;

class band_session {
 public:
  explicit band_session(const args& a);
  ~band_session();

  /// Reads options; returns an exit code, or -1 to go on.
  int configure(const char* command);
  /// Connects, discovers (or loads the cache) and, when `authenticate`,
  /// authenticates with the stored key. Prints what failed; returns an exit
  /// code or -1 to go on. Runs inside the session's coroutine.
  asio::awaitable<int> connect(bool authenticate);
  /// For `pair`: binds a new random key (the user taps the band) and saves it.
  asio::awaitable<int> pair(bool force);

  /// Runs body() as the session's coroutine and the io_context until done.
  int run(std::function<asio::awaitable<int>()> body);

  /// Fails a step: prints "bandwire: <what> failed: <reason>" and returns exit_failed.
  int fail(const std::string& what, const error_code& ec);

  asio::io_context io;
  scaled_clock clock{1.0};
  const args& a;
  bool json = false;
  std::unique_ptr<miband::band> band;
  std::unique_ptr<gatt::client> client;
  std::unique_ptr<miband::virtual_band> sim;  ///< for --device sim
  connection conn;
  std::string device_id;

 private:
  void start_recording(const std::string& path);
  void watch_service_changed();

  target_options topts_;
  state_store store_;
  std::string key_file_;
  miband::auth_options auth_opts_;
  bool refresh_ = false, show_secrets_ = false;
  btsnoop_recorder recorder_;
};

}  // namespace bandwire::tools
