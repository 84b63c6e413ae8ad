// The client side of the activity history fetch (fact sheet §14) as a pure
// state machine.
//
// Design note. Like miband::authenticator, `history_fetch` is sans-I/O: it
// never touches a socket, a clock or a file. Its inputs are start(), each
// notification from the control (0004) and data (0005) characteristics,
// "the deadline you asked for has passed", and the caller's answer to a
// commit. Its outputs are actions (history_action). The caller enables the
// CCCDs of 0004 and 0005 before start() (GB-FETCH enables both; §14.1).
//
// One round:  01 01 <start+tz> → 10 01 01 <count> <date> → 02 → data … →
// 10 02 01 → commit → (03 → 10 03 xx) → next round. Rounds repeat from one
// minute after the last record until the band announces 0 records (HMK
// loops until C = 0; CR/SAT restart from last + 1 min, §14.1).
//
// Invariants:
//  * A round's records reach the caller only when the round completed
//    cleanly (`10 02 01` after an unbroken packet sequence), in one commit
//    action. `03` is written only after the caller confirmed with
//    committed() that it stored them durably, and never when
//    options.acknowledge is false (--keep). So a crash can lose nothing the
//    band deleted.
//  * Minute times come from the start date and tz byte the band RETURNED,
//    not the requested one (§14.1: it may differ).
//  * The request's tz byte is the host's UTC offset at the requested
//    instant, DST included (options.utc_offset), never a constant.
//  * A skipped or repeated packet counter, or a packet whose length is not
//    1 + 4·N, is a fault naming its position. The round's records are
//    dropped, the rest of the broken transfer is drained (until `10 02 xx`
//    or silence), and the round is requested again from the same start
//    (one minute after the last committed minute). After max_attempts
//    failed tries of one round the fetch ends with retries_exhausted.
//  * The announced count is read as records; a different number of
//    records is a warning (count_mismatch), not a failure (§22.9).
//  * The next round must start later than the previous request, else the
//    fetch ends with no_progress (a band that keeps returning an older
//    start would loop forever).
//  * Stale notifications (data of an abandoned transfer, `10 02`/`10 03`
//    replies while waiting for `10 01`) are ignored and counted.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <boost/system/error_code.hpp>

#include "common/bytes.hpp"
#include "miband/frame.hpp"
#include "miband/history.hpp"
#include "miband/history_error.hpp"

namespace bandwire::miband {

struct history_fetch_options {
  std::uint8_t type = fetch_type_activity;
  /// The host's UTC offset at an instant, DST included. Empty: host_utc_offset
  /// (localtime_r). Tests inject a zone here.
  std::function<std::chrono::minutes(std::chrono::sys_seconds)> utc_offset;
  /// Send `03` after each committed round so the band may delete it (GB
  /// default). False keeps the data on the band (GB "keep activity data").
  bool acknowledge = true;
  /// Wait for `10 01 …` after `01`. Choice: 5 s (the band answers config
  /// commands within 1–2 connection events, §19.3).
  std::chrono::milliseconds reply_timeout{5'000};
  /// Longest silence while a transfer runs (between `02`, packets and
  /// `10 02 01`). Choice: 5 s.
  std::chrono::milliseconds data_timeout{5'000};
  /// Wait for `10 03 xx` after `03`; a missing answer is only a warning
  /// (GB checks nothing but byte 1 of it). Choice: 2 s.
  std::chrono::milliseconds ack_timeout{2'000};
  /// Tries of one round before giving up (first try included).
  unsigned max_attempts = 3;
  /// Records one round may hold; more is a fault (protects memory against
  /// a band that never ends a transfer). 2^18 minutes ≈ 182 days.
  std::size_t max_round_records = 1u << 18;
};

/// What went wrong where: an error (or a warning) with its position.
struct history_fault {
  boost::system::error_code ec;
  std::uint32_t round = 0;    ///< 1-based round number
  std::uint32_t attempt = 0;  ///< 1-based try of that round
  /// Data packet faults: index of the packet in its transfer (0-based),
  /// its counter byte, the counter expected, its length.
  std::optional<std::size_t> packet;
  std::optional<std::uint8_t> counter, expected;
  std::size_t length = 0;
  /// The minute the faulty packet's first record would have had.
  std::optional<std::chrono::sys_seconds> minute;
  std::uint32_t announced = 0, received = 0;  ///< count_mismatch: the count and the records
  /// One line for a log, e.g. "round 2 try 1: packet 17 (counter 0x24,
  /// expected 0x11, 17 bytes) at 2018-03-20T10:08Z: history data packets
  /// were skipped (counter jumped)".
  std::string text() const;
};

struct history_action {
  enum class kind {
    none,    ///< nothing to do; the current deadline stands
    write,   ///< Write Command `value` to 0004, then (re)start the deadline at `timeout`
    wait,    ///< nothing to write; (re)start the deadline at `timeout`
    commit,  ///< store `records` durably (write + fsync), then call committed() or commit_failed()
    done,    ///< finished: `ec` empty on success; no deadline
  };
  kind what = kind::none;
  frame value;
  std::chrono::milliseconds timeout{0};
  std::vector<minute_record> records;
  boost::system::error_code ec;
  /// On a write that restarts a round after a fault: the fault (the write
  /// is then `01 …` from the round's start minute).
  std::optional<history_fault> retry;
};

enum class history_state {
  idle,             ///< start() not called yet
  awaiting_start,   ///< sent `01 …`, waiting for `10 01 …`
  transferring,     ///< sent `02`, receiving packets until `10 02 01`
  draining,         ///< a packet was bad: ignoring the rest of this transfer before retrying
  awaiting_commit,  ///< gave a round to the caller, waiting for committed()
  awaiting_ack,     ///< sent `03`, waiting for `10 03 xx`
  finished,         ///< done, success
  failed,           ///< done, error() says why
};
const char* to_string(history_state s) noexcept;

class history_fetch {
 public:
  /// Fetch from `since` (rounded down to the minute). GB's default for a
  /// band never synced is now − 100 days (§14.1).
  history_fetch(std::chrono::sys_seconds since, history_fetch_options options = {});

  /// Writes the first `01 …`. Only valid in state idle; otherwise done with
  /// history_errc::invalid_argument and no change.
  history_action start();
  /// A notification from the control characteristic 0004.
  history_action on_control(bytes_view value);
  /// A notification from the data characteristic 0005.
  history_action on_data(bytes_view value);
  /// The deadline of the last write/wait action expired.
  history_action on_timeout();
  /// The records of the last commit action are stored durably: acknowledge
  /// them (when options.acknowledge) and go on with the next round.
  history_action committed();
  /// They could not be stored: the fetch ends with history_errc::commit_failed
  /// and nothing is acknowledged. `cause` is kept in commit_error().
  history_action commit_failed(boost::system::error_code cause);

  history_state state() const noexcept { return state_; }
  bool finished() const noexcept { return state_ == history_state::finished || state_ == history_state::failed; }
  boost::system::error_code error() const noexcept { return error_; }
  boost::system::error_code commit_error() const noexcept { return commit_error_; }
  /// The fault that ended a failed fetch, when it had a position.
  const std::optional<history_fault>& final_fault() const noexcept { return final_fault_; }
  /// Faults that made a round restart, in order.
  const std::vector<history_fault>& faults() const noexcept { return faults_; }
  /// Warnings (count_mismatch, a missing or failed `10 03`, stray data).
  const std::vector<history_fault>& warnings() const noexcept { return warnings_; }
  /// Where the next (or current) round starts: one minute after the last
  /// committed minute, or `since`. A resume file stores this.
  std::chrono::sys_seconds next_start() const noexcept { return next_start_; }
  std::uint32_t rounds_committed() const noexcept { return rounds_committed_; }
  std::uint64_t records_committed() const noexcept { return records_committed_; }
  /// The round in progress, for a progress display: its number, the
  /// records the band announced for it (0 before `10 01 …`) and those
  /// received so far (not yet committed).
  std::uint32_t round() const noexcept { return round_; }
  std::uint32_t round_announced() const noexcept {
    return state_ == history_state::transferring ? announced_.count : 0;
  }
  std::size_t round_received() const noexcept { return records_.size(); }
  /// The first minute of the round in progress, as the band returned it.
  std::chrono::sys_seconds round_start() const noexcept { return round_start_; }
  /// Notifications ignored as stale (see the invariants).
  std::uint32_t ignored() const noexcept { return ignored_; }

 private:
  history_action request();
  history_action fault(history_fault f);
  history_action retry();
  history_action fail(boost::system::error_code ec, std::optional<history_fault> f = std::nullopt);
  history_action next_round();
  history_fault here(boost::system::error_code ec) const;
  std::chrono::minutes offset_at(std::chrono::sys_seconds t) const;

  history_fetch_options options_;
  history_state state_ = history_state::idle;
  boost::system::error_code error_, commit_error_;
  std::optional<history_fault> final_fault_, pending_fault_;
  std::vector<history_fault> faults_, warnings_;
  std::chrono::sys_seconds next_start_;
  std::chrono::sys_seconds last_request_{};
  std::chrono::sys_seconds pending_next_{};  // next_start_ once the commit is confirmed
  std::size_t committing_ = 0;
  bool stray_warned_ = false;
  std::uint32_t round_ = 1, attempt_ = 0;
  std::uint32_t rounds_committed_ = 0, ignored_ = 0;
  std::uint64_t records_committed_ = 0;
  // the round in progress
  fetch_start_reply announced_;
  std::chrono::sys_seconds round_start_{};
  packet_counter counter_;
  std::size_t packets_ = 0;
  std::vector<minute_record> records_;
};

}  // namespace bandwire::miband
