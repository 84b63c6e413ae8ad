// What every Mi Band command shares: options, the connection (including the
// in-process virtual band for `--device sim`), the GATT cache, the key, the
// optional btsnoop recording, and authentication.
#pragma once

#include <cstdio>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "common/clock.hpp"
#include "gatt/client.hpp"
#include "miband/band.hpp"
#include "miband/virtual_band.hpp"
#include "tools/args.hpp"
#include "miband/session.hpp"
#include "tools/target.hpp"

namespace bandwire::tools {

class option_set;

/// Declares the options every band command takes (the device, key, cache,
/// recording, output and simulation options) under one heading.
void declare_band_options(option_set& o);

/// The CLI's view of a miband::session: reads the options every band
/// command shares, builds the session, and reports failures as one line.
class band_session {
 public:
  explicit band_session(const args& a);
  ~band_session();

  /// Reads options; returns an exit code, or -1 to go on.
  int configure(const char* command);
  /// Connects (and authenticates). Prints what failed; returns an exit code
  /// or -1 to go on.
  asio::awaitable<int> connect(bool authenticate);
  /// For `pair`: binds a new random key (the user taps the band) and saves it.
  asio::awaitable<int> pair(bool force);

  /// Runs body() as the session's coroutine and the io_context until done.
  int run(std::function<asio::awaitable<int>()> body);

  /// Fails a step: prints "bandwire: <what> failed: <reason>" and returns exit_failed.
  int fail(const std::string& what, const error_code& ec);

  miband::band& band() { return *session->band(); }
  /// The connected device's family as users read it ("Mi Band 4", "heart-rate sensor").
  std::string family() const;
  att::bearer& bearer() { return *session->bearer(); }
  miband::virtual_band* sim() { return session ? session->sim() : nullptr; }

  asio::io_context io;
  scaled_clock clock{1.0};
  const args& a;
  bool json = false;
  bool reconnect = false;  ///< stream: reconnect a lost link (set before configure)
  /// Runs on the session options just before configure() makes the session.
  std::function<void(miband::session_options&)> customize;
  std::unique_ptr<miband::session> session;

 private:
  miband::session_options opts_;
};

/// A band command's body: runs once the band is connected and authenticated.
using band_body = std::function<asio::awaitable<int>(band_session& s, miband::band& b)>;

/// Reads the shared options (printing a usage error as `bandwire COMMAND:
/// ...`), connects, authenticates and runs `body`; the exit code.
int run_on_band(const args& a, const char* command, band_body body);

/// --duration S for commands that run until Ctrl-C: 0 when not given; prints
/// a usage error and returns nullopt when it is not a positive number.
std::optional<double> duration_option(const args& a, const char* command);

}  // namespace bandwire::tools
