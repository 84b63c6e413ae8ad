// LE scanning on an hci_channel, as one asynchronous operation: choose the
// command family, set parameters, enable, deliver reports for a duration,
// and leave the controller scanning as it found it. Legacy or extended
// commands are chosen at run time (raw-socket-peers.md lesson 7).
//
// Invariants (tests/hci/le_scanner_test.cpp):
//  * "Already scanning" is known from LE Set (Extended) Scan Parameters
//    failing with Command Disallowed, which it does while scanning is enabled
//    (Vol 4 Part E §7.8.10, §7.8.64). Such a scan is listened to and left
//    running; a scan this scanner enabled is always disabled again, also
//    after cancel() and when the scanner is destroyed mid-scan.
//  * A controller that once saw extended commands disallows legacy ones and
//    vice versa, so in automatic mode a refused extended command is retried
//    with the legacy one before concluding.
//  * The completion handler runs exactly once. cancel() ends the scan early
//    with operation_aborted, after the command in flight (bounded by its
//    deadline) and the restoring disable; no report is delivered after
//    cancel().
//  * stop() is the duration ending early: the same restore, success.
//  * Reports that arrive while commands are in flight are delivered after
//    `on_started`, in order (at most 1,024 events are kept; more are counted
//    in `dropped`); events that do not decode are counted, never fatal.
//  * No report is delivered after stop() or cancel() was called.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "hci/hci_channel.hpp"
#include "hci/hci_codec.hpp"

namespace bandwire::hci {

enum class scan_mode : std::uint8_t {
  automatic,  ///< extended when Read Local Supported Commands lists both extended scan commands
  legacy,
  extended,
};

/// Why the scanner ended up where it did, for the user and the tests.
struct scan_state {
  bool extended = false;         ///< extended commands in use
  bool enabled_by_us = false;    ///< this scanner enabled scanning and will disable it
  bool already_scanning = false; ///< the controller refused new parameters (Command
                                 ///< Disallowed): someone else scans; we only listen
  std::string note;              ///< one line on the choice made
};

struct scan_options {
  scan_parameters params{};  ///< active 60 ms / 30 ms by default
  bool filter_duplicates = true;
  scan_mode mode = scan_mode::automatic;
  /// Deadline of each command (the restoring disable included).
  std::chrono::steady_clock::duration command_timeout = std::chrono::seconds(2);
  /// Called once when scanning is on (or being listened to), before the
  /// first report.
  std::function<void(const scan_state&)> on_started;
};

/// How a scan went; the completion's error_code says whether it did.
struct scan_result {
  scan_state state;
  bool started = false;        ///< scanning was on (or listened to) at some point
  std::size_t malformed = 0;   ///< events that did not decode
  std::size_t dropped = 0;     ///< LE Meta events beyond the 1,024 kept while commands were in flight
  std::string message;         ///< one line on the failure when the error_code is set (not for a cancel)
  error_code stop_error;       ///< the restoring disable failed
  std::string stop_message;
};

using report_handler = std::function<void(const adv_report&)>;

class le_scanner {
 public:
  using scan_signature = void(error_code, scan_result);

  explicit le_scanner(hci_channel& ch) : channel_(ch.core()) {}
  /// cancel(): a scan this scanner enabled is still disabled, on the channel's
  /// io_context, after this object is gone.
  ~le_scanner() { cancel(); }
  le_scanner(const le_scanner&) = delete;
  le_scanner& operator=(const le_scanner&) = delete;

  /// Scans for `duration`, calling `on_report` for every report of every
  /// advertising report event (legacy or extended). One scan at a time: a
  /// second one completes with asio::error::already_started.
  template <class Token> auto async_scan(scan_options o, std::chrono::steady_clock::duration duration,
                                         report_handler on_report, Token&& token) {
    return detail::initiate_posted<scan_signature>(
        std::forward<Token>(token), channel_->get_executor(),
        [this, o = std::move(o), duration, r = std::move(on_report)](auto h) mutable {
          start(std::move(o), duration, std::move(r), std::move(h));
        });
  }
  /// Ends the running scan (if any) early; its handler gets operation_aborted.
  void cancel();
  /// Ends the running scan now as if its duration had passed (restoring as
  /// usual, success); during setup, right after it starts.
  void stop();

  struct operation;

 private:
  void start(scan_options o, std::chrono::steady_clock::duration d, report_handler r,
             unique_function<void(error_code, scan_result)> h);

  std::shared_ptr<detail::packet_channel> channel_;
  std::weak_ptr<operation> running_;
};

}  // namespace bandwire::hci
