// The activity history codec (fact sheet §14): the fetch commands written
// to the control characteristic 00000004, its `10 0x xx` replies, and the
// per-minute data packets notified on 00000005.
//
// Wire summary (§14.1, §14.2, §20.7):
//   > 0004  01 TT <date7 tz>                 start a fetch of type TT (01 = activity) from date
//   < 0004  10 01 01 <count u32> <date7 tz>  count records available from the RETURNED date
//   > 0004  02                               transfer
//   < 0005  NN r r r r …                     counter NN (0 per transfer, wraps), N × 4-byte records
//   < 0004  10 02 01                         transfer complete (10 02 xx, xx != 01: failure)
//   > 0004  03                               acknowledge: the band may delete what it sent
//
// Every function is pure. The fetch's state machine is in history_fetch.hpp.
#pragma once

#include <chrono>
#include <cstdint>
#include <ctime>
#include <optional>
#include <span>
#include <string>

#include <boost/system/error_code.hpp>

#include "common/bytes.hpp"
#include "miband/frame.hpp"
#include "miband/history_error.hpp"
#include "miband/time.hpp"

namespace bandwire::miband {

inline constexpr std::uint8_t fetch_cmd_start = 0x01;     ///< "get size / set start" (GB-FETCH, HMK getSize)
inline constexpr std::uint8_t fetch_cmd_transfer = 0x02;  ///< GB COMMAND_FETCH_DATA
inline constexpr std::uint8_t fetch_cmd_ack = 0x03;       ///< GB COMMAND_ACK_ACTIVITY_DATA
inline constexpr std::uint8_t fetch_type_activity = 0x01; ///< the only type relevant to MB2 (§14.1)

inline constexpr std::size_t fetch_request_size = 10;      ///< `01 TT date7 tz`
inline constexpr std::size_t fetch_start_reply_size = 15;  ///< `10 01 01 count4 date7 tz`
inline constexpr std::size_t history_record_size = 4;
/// At ATT_MTU 23 the band sends 17-byte packets: counter + 4 records
/// (GB-OLD "17-length"). MB2 never raises the MTU (§2.4), so this is fixed.
inline constexpr std::size_t history_records_per_packet = 4;

// ---- host time zone ----

/// The host's UTC offset at instant t, DST included, from localtime_r (so
/// from TZ / /etc/localtime). The band takes DST folded into its tz byte
/// (GB-BLE TZ_FLAG_INCLUDE_DST_IN_TZ); a hard-coded tz loses minutes
/// (user-needs E2: satcar77/miband4#16).
std::chrono::minutes host_utc_offset(std::chrono::sys_seconds t) noexcept;

/// The fetch start for instant `start` at UTC offset `utc_offset`: the
/// local wall time with seconds dropped (GB-FETCH truncates them), and the
/// offset in quarter hours.
zoned_date make_fetch_start(std::chrono::sys_seconds start, std::chrono::minutes utc_offset) noexcept;

// ---- requests (written to 0004) ----

/// `01 TT <date7> <tz>` (10 bytes).
frame make_fetch_request(std::uint8_t type, const zoned_date& start);
/// `02`.
constexpr frame make_fetch_transfer() { return frame{fetch_cmd_transfer}; }
/// `03`.
constexpr frame make_fetch_ack() { return frame{fetch_cmd_ack}; }

/// A write to 0004 as the band sees it.
struct fetch_request {
  std::uint8_t command = 0;  ///< 01, 02 or 03
  std::uint8_t type = 0;     ///< 01 only
  zoned_date start;          ///< 01 only
};
/// For the virtual band: `01` must be 10 bytes, `02` and `03` one byte;
/// anything else is history_errc::malformed_reply.
boost::system::error_code decode_fetch_request(bytes_view in, fetch_request& out) noexcept;

// ---- replies (notified on 0004) ----

/// `10 01 01 <count> <date7> <tz>`.
struct fetch_start_reply {
  /// Records available from `start` ("number of 1-minute records", HMK).
  /// GB's comment says bytes or packets instead (§22.9): a client reads it
  /// as records and only warns when the data disagrees.
  std::uint32_t count = 0;
  /// The date the data starts at; it may differ from the requested one.
  zoned_date start;
};
/// Decodes the reply to `01`: history_errc::fetch_refused for `10 01 xx`
/// with xx != 01 (any length); history_errc::malformed_reply when it is
/// not a `10 01` reply or a success is shorter than 15 bytes. A longer
/// success is accepted and its tail ignored (GB-FETCH: later bands send 16).
boost::system::error_code decode_fetch_start_reply(bytes_view in, fetch_start_reply& out) noexcept;
/// For the virtual band: the 15-byte success reply.
frame make_fetch_start_reply(std::uint32_t count, const zoned_date& start);

// ---- data packets (notified on 0005) ----

/// One minute as stored by the band (§14.2).
struct history_sample {
  std::uint8_t kind = 0;        ///< raw kind byte (category in the low nibble, §14.3)
  std::uint8_t intensity = 0;   ///< raw 0..255 (GB normalises by 180)
  std::uint8_t steps = 0;       ///< steps in that minute
  std::uint8_t heart_rate = 0;  ///< bpm; 0xFF = not measured
  friend bool operator==(const history_sample&, const history_sample&) = default;
};
inline constexpr std::uint8_t heart_rate_not_measured = 0xff;

/// A data packet: counter byte, then whole records.
struct history_packet {
  std::uint8_t counter = 0;
  bytes_view records;  ///< 4·N bytes; views the decoded buffer
  std::size_t count() const noexcept { return records.size() / history_record_size; }
  /// Record i < count().
  history_sample sample(std::size_t i) const noexcept;
};
/// history_errc::bad_packet_length unless the length is 1 + 4·N (GB-OLD
/// rejects other lengths; N = 0 is a well-formed empty packet).
boost::system::error_code decode_history_packet(bytes_view in, history_packet& out) noexcept;
/// For the virtual band: counter + up to 4 records (17 bytes when full).
/// Precondition: samples.size() <= history_records_per_packet.
frame make_history_packet(std::uint8_t counter, std::span<const history_sample> samples);

/// Checks the packet counter of one transfer: it starts at 0 after `02`,
/// goes up by one per packet and wraps 255 → 0 (§14.2; HMK resets its
/// expectation at 255, GB compares `(byte)(last + 1)`).
class packet_counter {
 public:
  explicit packet_counter(std::uint8_t first = 0) noexcept : expected_(first) {}
  /// Success (and the expectation advances) when counter is the expected
  /// one; history_errc::packet_repeated when it equals the previous one;
  /// history_errc::packet_gap otherwise. A failed check changes nothing.
  boost::system::error_code check(std::uint8_t counter) noexcept;
  std::uint8_t expected() const noexcept { return expected_; }
  /// Packets accepted so far.
  std::size_t accepted() const noexcept { return accepted_; }

 private:
  std::uint8_t expected_;
  std::size_t accepted_ = 0;
};

// ---- decoded minutes ----

/// The activity category of a raw kind: kind & 0x0F (GB-SP), named as in
/// GB-CONST (§14.3). Values GB does not name are `unknown`; the record keeps
/// the raw kind so nothing is lost.
enum class activity_category : std::uint8_t {
  no_change = 0,    ///< 0: "no change" (GB inherits the previous minute's kind)
  activity = 1,
  running = 2,
  not_worn = 3,
  cycling = 4,
  charging = 6,     ///< GB treats it as not worn
  light_sleep = 9,
  ignore = 10,      ///< GB inherits the previous kind; HR may still be valid
  deep_sleep = 11,
  wake_up = 12,     ///< GB treats it as activity
  unknown = 0xff,   ///< 5, 7, 8, 13, 14, 15
};
activity_category categorize(std::uint8_t raw_kind) noexcept;
/// "no_change", "activity", … "unknown" (stable: used as a CSV column).
const char* to_string(activity_category c) noexcept;

/// One minute of history with its instant.
struct minute_record {
  std::chrono::sys_seconds time{};  ///< start of the minute, UTC
  std::int8_t tz_quarters = 0;      ///< the band's tz byte for the round it came in
  std::uint8_t raw_kind = 0;
  activity_category category = activity_category::unknown;
  std::uint8_t intensity = 0;
  std::uint8_t steps = 0;
  std::optional<std::uint8_t> heart_rate;  ///< empty when the band sent 0xFF (not measured)
  friend bool operator==(const minute_record&, const minute_record&) = default;
};
minute_record make_minute_record(std::chrono::sys_seconds time, std::int8_t tz_quarters,
                                 const history_sample& s) noexcept;

}  // namespace bandwire::miband
