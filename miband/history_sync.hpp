// The activity history fetch (fact sheet §14) on a connected, authenticated
// miband::session: the pure history_fetch driven over the session's GATT
// client (characteristics 00000004/00000005 found by UUID, §3.3), its
// deadlines on the session's clock, and every completed round handed to a
// history_sink.
//
// The order that makes a run resumable and safe (the band deletes what it
// sent once it reads `03`, §14.1):
//   round complete → sink.write → sink.durable (fsync) → resume point stored
//   atomically in the state store → history_fetch::committed() → `03`.
// `03` is never written with options.keep, nor to a sink that is not
// persistent (a pipe, a terminal). A crash or a lost link at any point
// loses nothing: what was not durable was not acknowledged and is fetched
// again from the resume point; what was durable is not fetched again
// (the resume point, or the output's last minute, is after it).
//
// Operation: run() has a callback form and async_run() takes any completion
// token; the handler runs exactly once, never inline. cancel() and the
// destructor complete a run in flight with operation_aborted. A lost link
// ends the run with the bearer's close reason; run again after reconnecting.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/async.hpp"
#include "common/listeners.hpp"
#include "miband/history_fetch.hpp"
#include "miband/history_sink.hpp"

namespace bandwire::miband {

class session;

struct history_sync_options {
  /// Fetch from here. Empty: the device's resume point in the state store,
  /// else (first run) now − first_run: everything the band holds, since the
  /// band answers an older start with its oldest stored minute (§14.1).
  std::optional<std::chrono::sys_seconds> since;
  /// GB's default span for a band never synced (§14.1).
  std::chrono::hours first_run{100 * 24};
  /// Never acknowledge (GB "keep activity data on device").
  bool keep = false;
  /// Timeouts, tries, the zone (fetch.acknowledge is set from keep and the sink).
  history_fetch_options fetch;
};

/// Where a run stands, after each data packet and each committed round.
struct history_progress {
  std::uint32_t round = 0;
  std::uint64_t committed = 0;        ///< records durably written by this run
  std::size_t round_received = 0;     ///< records of the current round so far
  std::uint32_t round_announced = 0;  ///< records the band announced for it
  std::chrono::sys_seconds since{};   ///< the first minute this run asked for
  std::chrono::sys_seconds first{};   ///< the first minute the band returned (round 1's start)
  std::chrono::sys_seconds reached{}; ///< the minute after the last one received
  std::chrono::sys_seconds now{};     ///< host wall clock (the band's data ends about there)
  bool round_committed = false;       ///< this report follows a commit
};

struct history_sync_result {
  std::chrono::sys_seconds since{};  ///< the first minute asked for
  std::chrono::sys_seconds next{};   ///< the resume point after the run
  std::uint32_t rounds = 0;
  std::uint64_t records = 0;
  bool acknowledging = false;        ///< `03` was allowed (not keep, persistent sink)
  std::uint32_t acks = 0;            ///< `03` written
  std::vector<history_fault> faults, warnings;
  std::optional<history_fault> final_fault;
  error_code commit_error;           ///< why the sink or the state store failed
  std::string message;               ///< a state-store problem, in words
};

class history_sync {
 public:
  using done_fn = unique_function<void(error_code, history_sync_result)>;
  using progress_fn = std::function<void(const history_progress&)>;

  /// `s` must be connected and authenticated when run() is called, and
  /// outlive this object.
  explicit history_sync(session& s);
  ~history_sync();
  history_sync(const history_sync&) = delete;
  history_sync& operator=(const history_sync&) = delete;

  /// Fetches rounds until the band announces nothing more. `sink` must
  /// live until the handler runs. Errors: errc::invalid_argument (not
  /// connected, or a run in flight), gatt::errc::not_in_cache (no fetch
  /// characteristics), errc::state_error (a bad resume file; result.message),
  /// history_errc::* (result.final_fault), history_errc::commit_failed
  /// (result.commit_error), the link's close reason, operation_aborted.
  void run(const history_sync_options& options, history_sink& sink, progress_fn progress, done_fn done);
  void cancel();

  template <class Token>
  auto async_run(const history_sync_options& o, history_sink& sink, progress_fn progress, Token&& token) {
    return initiate<void(error_code, history_sync_result)>(
        ex_, std::forward<Token>(token), [this, o, &sink, p = std::move(progress)](auto h) mutable {
          run(o, sink, std::move(p), std::move(h));
        });
  }

 private:
  struct state;
  void act(history_action a);
  void finish(error_code ec);
  void report(bool committed);

  session& session_;
  asio::any_io_executor ex_;
  pending_ops ops_;
  std::shared_ptr<state> run_;
  life life_;
};

}  // namespace bandwire::miband
