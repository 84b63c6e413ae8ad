// Realtime steps, FEE0 characteristic 00000007, read and notify (fact sheet
// §9, vectors §20.3). Flag-driven layout (HMK RealStep.swift):
//
//   0  flags: 0x01 running steps, 0x02 walking steps, 0x04 distance,
//            0x08 calories present
//   1  total steps u32 LE (always)
//   then, in this order when flagged, u32 LE each: running steps, walking
//   steps, distance (m), calories (kcal)
//
// MB2 sends flags 0c (13 bytes: steps, distance, calories); a 5-byte value
// with flags 00 exists too (GB issue #1121). Gadgetbridge reads steps as
// u16 and insists on 13 bytes; both are wrong for these cases (§22.8).
#pragma once

#include <cstdint>
#include <optional>

#include <boost/system/error_code.hpp>

#include "common/bytes.hpp"
#include "miband/error.hpp"
#include "miband/frame.hpp"

namespace bandwire::miband {

struct realtime_steps {
  std::uint32_t steps = 0;
  std::optional<std::uint32_t> running_steps;
  std::optional<std::uint32_t> walking_steps;
  std::optional<std::uint32_t> distance_m;
  std::optional<std::uint32_t> calories_kcal;
  friend bool operator==(const realtime_steps&, const realtime_steps&) = default;
};

/// Decodes 00000007. errc::malformed_value when a flagged field is missing,
/// or when bytes follow the flagged fields and no unknown flag bit (0x10..
/// 0x80) could account for them.
boost::system::error_code decode_realtime_steps(bytes_view in, realtime_steps& out) noexcept;

/// Encodes for a virtual band; flags follow the optional fields (MB2 itself
/// sets distance and calories: 13 bytes). All four optional fields make 21
/// bytes, more than a notification carries at ATT_MTU 23 (§2.4):
/// errc::invalid_argument then.
boost::system::error_code encode_realtime_steps(const realtime_steps& s, frame& out);

}  // namespace bandwire::miband
