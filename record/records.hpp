// The recorder's records: one file per band and kind (README "Unattended
// recording"), one line per record, JSON lines or CSV with a header per
// kind. Every record starts with `n`, the band+kind's 64-bit counter that
// survives restarts (record/rotating_writer.hpp); sensor records also keep
// the band's raw uint8 `seq` (fact sheet §6.3).
//
// The line parser reads files bandwire wrote before a restart, which a crash
// or a user may have damaged: it is bounds-checked and fuzzed
// (fuzz/record_line.cpp).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "record/config.hpp"

namespace bandwire::record {

enum class record_kind : std::uint8_t { accel, ppg, hr, steps, events, battery, gaps };
inline constexpr record_kind all_kinds[] = {record_kind::accel,  record_kind::ppg,     record_kind::hr,
                                            record_kind::steps,  record_kind::events,  record_kind::battery,
                                            record_kind::gaps};

/// The kind's name: its files' prefix and the JSON `kind` ("gap" for gaps).
const char* kind_name(record_kind k) noexcept;
const char* kind_file_name(record_kind k) noexcept;

/// One record; only the fields of its kind are written.
struct live_record {
  record_kind kind = record_kind::hr;
  std::uint64_t n = 0;      ///< set by the writer
  double time = 0;          ///< host wall clock at arrival, s since the Unix epoch
  double mono = 0;          ///< host monotonic clock at arrival, s
  // accel, ppg
  double t = 0;             ///< reconstructed sample time (wall clock)
  int seq = 0;              ///< the packet's raw uint8 counter
  int i = 0;                ///< the sample's index in its packet (0: the packet's first)
  int x = 0, y = 0, z = 0;  ///< accel: raw counts
  double gx = 0, gy = 0, gz = 0;
  int value = 0;            ///< ppg
  // hr
  int bpm = 0;
  std::string rr;           ///< RR intervals in s, ';'-separated
  // steps
  std::uint32_t steps = 0;
  std::int64_t distance = -1, calories = -1;  ///< -1: not sent
  // events
  std::string event;
  int code = 0;
  // battery
  int level = 0;
  int charging = -1;        ///< -1: not sent
  // gaps
  std::string reason;       ///< link, history, stall, counter, write
  std::uint64_t missing = 0;   ///< sensor packets lost by the counter
  double seconds = 0;          ///< time without data
  std::string affects;         ///< write: the kind whose records were dropped
  std::uint64_t dropped = 0;   ///< write: records not written
};

/// The CSV header of a kind (with '\n').
const char* csv_header(record_kind k) noexcept;
/// Appends the record's line (with '\n') to `out`.
void append_line(std::string& out, const live_record& r, file_format f);

/// The `n` of a line this module wrote (without its '\n'): the first JSON
/// member `{"n":N,` or the first CSV column. nullopt for a header, a torn or
/// foreign line, or a number that does not fit 64 bits.
std::optional<std::uint64_t> parse_counter(std::string_view line, file_format f) noexcept;
/// 1..20 decimal digits that fit in 64 bits, nothing else (the counters
/// and sequence numbers of record's files).
std::optional<std::uint64_t> parse_decimal_u64(std::string_view digits) noexcept;

}  // namespace bandwire::record
