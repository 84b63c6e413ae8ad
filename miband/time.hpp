// Dates and the Current Time characteristic 2A2B (fact sheet §8, §20.2).
//
// Huami's 7-byte date (also inside battery info §7.1 and fetch requests
// §14.1): year u16 LE, month, day, hour, minute, second — local wall time
// of the band. A signed "tz" byte in units of 15 minutes usually follows.
//
// 2A2B on the Mi Band is 11 bytes (CAP-A, NM), read and written:
//   0-6 date | 7 day of week | 8 fractions256 | 9 adjust reason | 10 tz
// The first 10 bytes are the standard CTS Current Time; byte 10 is a Huami
// extension: UTC offset in quarter hours INCLUDING DST, because "the band
// appears to not handle DST offsets" (GB-SUP getTimeBytes; GB-BLE
// TZ_FLAG_INCLUDE_DST_IN_TZ).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>

#include <boost/system/error_code.hpp>

#include "common/bytes.hpp"
#include "miband/error.hpp"
#include "miband/frame.hpp"

namespace bandwire::miband {

/// year u16 LE, month, day, hour, minute, second (7 bytes). Fields are kept
/// as received: CTS uses 0 for "unknown" year/month/day.
struct date_time {
  std::uint16_t year = 0;
  std::uint8_t month = 0, day = 0, hour = 0, minute = 0, second = 0;
  friend bool operator==(const date_time&, const date_time&) = default;
};
inline constexpr std::size_t date_time_size = 7;

/// Reads 7 bytes at p. Precondition: 7 bytes are readable.
date_time read_date_time(const std::uint8_t* p) noexcept;
/// Writes 7 bytes at p. Precondition: 7 bytes are writable.
void write_date_time(std::uint8_t* p, const date_time& d) noexcept;

/// A real calendar date with hour < 24, minute < 60, second < 60.
bool is_valid(const date_time& d) noexcept;

/// The instant of a local wall time whose UTC offset is tz_quarters × 15
/// min; nullopt when !is_valid(local).
std::optional<std::chrono::sys_seconds> to_utc(const date_time& local, std::int8_t tz_quarters) noexcept;

/// The local wall time at `utc` for a UTC offset (sub-second part dropped).
/// Years outside 0..65535 give an all-zero ("unknown") date.
date_time to_local(std::chrono::sys_seconds utc, std::chrono::minutes utc_offset) noexcept;

/// A UTC offset in quarter hours, rounded to the nearest quarter and
/// clamped to the byte's range (±31 h 45 min; real zones use −12..+14 h).
std::int8_t to_tz_quarters(std::chrono::minutes utc_offset) noexcept;

/// A 7-byte local date followed by its tz byte (quarter hours incl. DST):
/// the 8-byte form in battery info (§7.1) and the activity fetch request
/// and reply (§14.1).
struct zoned_date {
  date_time local;
  std::int8_t tz_quarters = 0;
  /// The instant, or nullopt when the date is not valid (e.g. never charged).
  std::optional<std::chrono::sys_seconds> utc() const noexcept { return to_utc(local, tz_quarters); }
  friend bool operator==(const zoned_date&, const zoned_date&) = default;
};

/// Current Time 2A2B.
struct current_time {
  date_time local;
  /// 1 = Monday … 7 = Sunday, 0 = unknown. The band reports Mon=1…Sun=7 (NM);
  /// clients write four conventions and the band seems to ignore it (§8, §22.10).
  std::uint8_t day_of_week = 0;
  std::uint8_t fractions256 = 0;  ///< 1/256 s; clients write 0 (§8)
  std::uint8_t adjust_reason = 0; ///< CTS adjust-reason flags; always 0 on MB2 (§8)
  /// Byte 10: UTC offset incl. DST in quarter hours. Absent in a 10-byte
  /// (standard CTS) value.
  std::optional<std::int8_t> tz_quarters;

  friend bool operator==(const current_time&, const current_time&) = default;
};

/// Decodes 10 (CTS) or 11 (Mi Band) bytes; errc::malformed_value otherwise.
/// Field values are not range-checked (use is_valid / to_utc).
boost::system::error_code decode_current_time(bytes_view in, current_time& out) noexcept;

/// 11 bytes, or 10 when tz_quarters is absent.
frame encode_current_time(const current_time& t);

/// What a client writes to set the band's clock, the way Gadgetbridge
/// builds it (GB-SUP getTimeBytes, test vector §20.2 GB-TEST): local wall
/// time = now + utc_offset, truncated to whole seconds, day of week
/// Mon=1…Sun=7, fractions 0, adjust reason 0, tz = utc_offset in quarter
/// hours. utc_offset must include DST.
current_time make_current_time(std::chrono::system_clock::time_point now, std::chrono::minutes utc_offset) noexcept;

/// The instant a 2A2B value denotes; nullopt when the tz byte is absent or
/// the date is not valid.
std::optional<std::chrono::sys_seconds> to_utc(const current_time& t) noexcept;

}  // namespace bandwire::miband
