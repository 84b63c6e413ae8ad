// The band's side of the activity history fetch (fact sheet §14), pure:
// what the virtual band answers to each write on the fetch control
// characteristic 0004, and what it keeps stored. virtual_band sends the
// notifications it returns.
//
// Behaviour (choices where the fact sheet is silent are marked):
//  * `01 01 <date tz>`: the round starts at the requested minute, or at the
//    oldest minute still stored when that is later — so the returned start
//    can differ from the requested one, as §14.1 warns. The reply announces
//    min(stored minutes from there, round_limit) RECORDS (HMK's reading,
//    §22.9). The real band's per-round limit is unknown (§14.1 "limited
//    range", GB#1162 "~20 minutes per fetch"): choice, configurable.
//    Other types or malformed writes get `10 01 04` (choice).
//  * `02` after a successful `01`: the records as 17-byte packets (counter
//    + 4 records, §14.2; the band never raises ATT_MTU, §2.4), a shorter
//    last one, the counter from 0 wrapping after 255, then `10 02 01`.
//    `02` without a pending `01` gets `10 02 04` (choice).
//  * `03`: deletes every minute up to the last one of the transfer that
//    completed on this link (acked minutes are gone); minutes never acked
//    stay and are served again to a later request. Answers `10 03 01`.
//  * Every request, transfer and ack is logged with the band time, so a
//    test can check when `03` came relative to what was sent.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <vector>

#include "common/bytes.hpp"
#include "miband/frame.hpp"
#include "miband/history.hpp"
#include "miband/history_model.hpp"

namespace bandwire::miband {

struct history_server_options {
  std::uint32_t seed = 1;
  /// End (exclusive) of the stored minutes, rounded down to a minute.
  std::chrono::sys_seconds end{};
  std::uint32_t minutes = 3 * 1440;  ///< minutes stored before `end`; choice: 3 days
  std::uint32_t round_limit = 1440;  ///< records per round (0 is taken as 1)
  /// The band's UTC offset for the dates it returns (its own clock's zone).
  std::chrono::minutes utc_offset{0};
  /// Fault injection for tests: the next transfer long enough leaves out
  /// this packet (0-based index), once.
  std::optional<std::size_t> skip_packet;
};

struct history_event {
  enum class kind { request, transfer, ack } what = kind::request;
  double band_time = 0;
  std::chrono::sys_seconds requested{};  ///< request: the minute asked for
  std::chrono::sys_seconds start{};      ///< request: the returned start; transfer: the first minute sent
  std::uint32_t records = 0;             ///< request: announced; transfer: sent; ack: deleted
  std::uint32_t packets = 0;             ///< transfer: packets sent (a skipped one not counted)
  bool refused = false;                  ///< request: answered `10 01 04`
};

class history_server {
 public:
  explicit history_server(const history_server_options& o);

  /// One notification to send, in order.
  struct notification {
    bool data = false;  ///< on 0005 (else on the control characteristic 0004)
    frame value;
  };
  /// A write to 0004 at band time `band_time`.
  std::vector<notification> on_write(bytes_view value, double band_time);
  /// The link ended: a pending round and an un-acked transfer are forgotten.
  void on_disconnect() noexcept;

  /// The oldest minute still stored (== end() when all were acked).
  std::chrono::sys_seconds first_kept() const noexcept { return kept_; }
  std::chrono::sys_seconds end() const noexcept { return end_; }
  /// The stored minute at t (the model's), for tests.
  history_sample at(std::chrono::sys_seconds t) const noexcept { return model_.at(t); }
  const std::vector<history_event>& log() const noexcept { return log_; }

 private:
  history_server_options opts_;
  history_model model_;
  std::chrono::sys_seconds end_, kept_;
  struct round {
    std::chrono::sys_seconds start;
    std::uint32_t count;
  };
  std::optional<round> pending_;                      // after `01`, until `02`
  std::optional<std::chrono::sys_seconds> sent_end_;  // after `10 02 01`, until `03`
  std::vector<history_event> log_;
};

}  // namespace bandwire::miband
