// Battery info, FEE0 characteristic 00000006, read and notify (fact sheet
// §7.1, vectors §20.3). 20 bytes on MB2:
//
//   0      flags (0x0f in every sample; HMK: bit0 byte 2 valid, bit1 date A,
//          bit2 date B; bit3 byte 19 [I])
//   1      level, %
//   2      charging state: 0 not charging, 1 charging (GB-BAT; HMK: non-zero
//          = external power)
//   3..9   date A (7-byte date, §8), 10 its tz byte (quarter hours)
//   11..17 date B, 18 its tz byte
//   19     level at date B, % ("last charge level")
//
// Bytes 10 and 18 are time-zone bytes, not charge counters as a GB comment
// guessed (§7.1 [I]); GB-BAT reads date B from offset 10, an off-by-one
// (§22.7): this decoder uses 11..17 like CR, VS-JS and CAP-A.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>

#include <boost/system/error_code.hpp>

#include "common/bytes.hpp"
#include "miband/error.hpp"
#include "miband/frame.hpp"
#include "miband/time.hpp"

namespace bandwire::miband {

// zoned_date (a band-local date with its tz byte) is in miband/time.hpp.

struct battery_info {
  std::uint8_t flags = 0;  ///< as received
  std::uint8_t level_percent = 0;
  /// Present when flags bit0 is set and byte 2 was sent.
  std::optional<std::uint8_t> charging_state;
  /// The meaning of the two dates is uncertain (§7.1 [?]): CR calls A "last
  /// off" and B "last charge", HMK "last full charge" and "last charge".
  /// CAP-A (A 19:30, B 20:36, level at B 100 %) fits "A = charger
  /// connected, B = charger removed / full" [I].
  std::optional<zoned_date> date_a;  ///< flags bit1 and bytes 3..10 present
  std::optional<zoned_date> date_b;  ///< flags bit2 and bytes 11..18 present
  std::optional<std::uint8_t> level_at_date_b;  ///< flags bit3 [I] and byte 19 present

  bool charging() const noexcept { return charging_state && *charging_state != 0; }
  friend bool operator==(const battery_info&, const battery_info&) = default;
};

/// Decodes 00000006. The layout has fixed offsets; a field is reported when
/// its flag bit is set and its bytes are present, so shorter values from
/// other firmware still yield the level. errc::malformed_value below 2
/// bytes or above 20.
boost::system::error_code decode_battery_info(bytes_view in, battery_info& out) noexcept;

/// The 20-byte value for a virtual band. Flag bits 0..3 follow the optional
/// fields; bits 4..7 are copied from info.flags; absent fields are zero.
frame encode_battery_info(const battery_info& info);

}  // namespace bandwire::miband
