// Heart rate: the standard Heart Rate Measurement 2A37, which any BLE strap
// sends, and the Mi Band's commands on the Heart Rate Control Point 2A39
// (fact sheet §5).
//
// 2A37 layout (Bluetooth GATT Specification Supplement, "Heart Rate
// Measurement"; Heart Rate Service 1.0 §3.1):
//   flags u8 | value u8 or u16 | [energy expended u16, kJ] | [RR-interval u16]*
//   flags bit0: value is u16 (else u8)
//   flags bit1: sensor contact detected   (meaningful only when bit2 is set)
//   flags bit2: sensor contact supported
//   flags bit3: energy expended present
//   flags bit4: RR intervals present, each in units of 1/1024 s
//   bits 5-7:   reserved, ignored on receipt
// The Mi Band 2 always sends flags 00 and a u8 value: `00 <bpm>` (§5.1).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>

#include <boost/system/error_code.hpp>

#include "common/bytes.hpp"
#include "miband/error.hpp"
#include "miband/frame.hpp"

namespace bandwire::miband {

enum class sensor_contact : std::uint8_t {
  not_supported,  ///< flags bit2 clear
  not_detected,   ///< supported, bit1 clear (e.g. strap not on the skin)
  detected,       ///< supported, bit1 set
};

struct heart_rate_measurement {
  std::uint16_t bpm = 0;
  bool value_is_u16 = false;  ///< the value was sent as u16 (kept so encode() round-trips)
  sensor_contact contact = sensor_contact::not_supported;
  std::optional<std::uint16_t> energy_expended_kj;
  bool rr_present = false;  ///< flags bit4 (it may be set with zero intervals)
  /// The RR intervals as sent: u16 LE values, 1/1024 s each. A view into the
  /// decoded buffer, valid while that buffer is.
  bytes_view rr_raw;

  std::size_t rr_count() const noexcept { return rr_raw.size() / 2; }
  /// Interval i in units of 1/1024 s. Precondition: i < rr_count().
  std::uint16_t rr_1024ths(std::size_t i) const noexcept { return get_le16(&rr_raw[2 * i]); }
  /// Interval i in seconds.
  double rr_seconds(std::size_t i) const noexcept { return rr_1024ths(i) / 1024.0; }
};

/// Decodes 2A37. errc::malformed_value when empty, when a flagged field is
/// truncated, or when the RR part has an odd length.
boost::system::error_code decode_heart_rate_measurement(bytes_view in, heart_rate_measurement& out) noexcept;

/// Encodes 2A37 for a virtual band or strap; returns the size, 0 when `out`
/// is too small, or when the value needs u16 but value_is_u16 is false, or rr_raw has an odd size.
std::size_t encode_heart_rate_measurement(const heart_rate_measurement& m, bytes_span out) noexcept;

/// The Mi Band's own reading: `00 <bpm>` (fact sheet §5.1).
constexpr frame make_miband_heart_rate(std::uint8_t bpm) { return frame{0x00, bpm}; }

/// Mi Band meaning of a reading: 0 bpm is a failed measurement (CAP-A shows
/// `00 00` after a one-shot that Mi Fit immediately retried; §5.1, §22.11)
/// → errc::measurement_failed; anything else is success.
boost::system::error_code check_reading(const heart_rate_measurement& m) noexcept;

// ---- Heart Rate Control Point 2A39 (fact sheet §5.2), Write Request ----

/// Mode byte after 0x15 (VS-PY naming; GB MiBandService COMMAND_SET_HR_*).
enum class hr_mode : std::uint8_t {
  sleep = 0x00,       ///< "sleep assistance": measure during sleep
  continuous = 0x01,  ///< one reading every ~1.25 s while kept alive (§5.3)
  one_shot = 0x02,    ///< one reading after 6–7 s (§5.3)
};

inline constexpr std::uint8_t hr_cmd_set_mode = 0x15;   ///< `15 <mode> <0|1>`
inline constexpr std::uint8_t hr_cmd_periodic = 0x14;   ///< `14 <minutes>`
inline constexpr std::uint8_t hr_cmd_keep_alive = 0x16; ///< `16`

/// `15 <mode> <01|00>`.
constexpr frame make_hr_mode(hr_mode mode, bool enable) {
  return frame{hr_cmd_set_mode, static_cast<std::uint8_t>(mode), static_cast<std::uint8_t>(enable ? 1 : 0)};
}
inline constexpr frame hr_start_one_shot{0x15, 0x02, 0x01};    ///< GB-SUP, CR, VS-JS, FR, CAP-A
inline constexpr frame hr_stop_one_shot{0x15, 0x02, 0x00};     ///< GB-SUP, CR, VS-JS, FR
inline constexpr frame hr_start_continuous{0x15, 0x01, 0x01};  ///< CAP-A and all libraries
inline constexpr frame hr_stop_continuous{0x15, 0x01, 0x00};   ///< CAP-A (sent twice by Mi Fit)
inline constexpr frame hr_sleep_assist_on{0x15, 0x00, 0x01};   ///< GB-HS, CR
inline constexpr frame hr_sleep_assist_off{0x15, 0x00, 0x00};  ///< CAP-A
/// Keep-alive ("ping") for continuous mode: without it the band stops after
/// ~15 s (GB issue #913); clients send it every 12 s (CR, VS-JS, FR, CAP-A).
inline constexpr frame hr_keep_alive{0x16};

/// All-day measurement every `minutes` (0 = off): `14 NN`. Clamped to 120
/// as Gadgetbridge does (fact sheet §5.2); the band's own limit is unknown.
constexpr frame make_hr_periodic(std::uint8_t minutes) {
  return frame{hr_cmd_periodic, minutes > 120 ? std::uint8_t{120} : minutes};
}

/// Timing from the fact sheet (§5.3), for the async layer.
inline constexpr std::chrono::seconds hr_keep_alive_period{12};  ///< FR HEART_KEEP_ALIVE_PERIOD, CAP-A ~12.1 s
/// One-shot result arrives 6.1–7.2 s after `15 02 01` (CAP-A); VS-JS gives up after 15 s.
inline constexpr std::chrono::seconds hr_one_shot_timeout{15};
/// A value sooner than this after `15 02 01` cannot be its answer (the four
/// CAP-A results came 6.15, 7.20, 6.80 and 7.05 s after it): it is a
/// continuous value still coming after `15 01 00` ("the band sends
/// measurement results for quite a while even after telling it to stop",
/// §5.3), e.g. from an earlier process that died with continuous mode on.
inline constexpr std::chrono::seconds hr_one_shot_earliest{5};

/// A 2A39 write as the band sees it.
struct hr_command {
  enum class kind { set_mode, periodic, keep_alive };
  kind what = kind::keep_alive;
  hr_mode mode = hr_mode::continuous;  ///< set_mode
  bool enable = false;                 ///< set_mode
  std::uint8_t minutes = 0;            ///< periodic
};
/// For the virtual band. errc::malformed_value for an unknown command byte,
/// a wrong length, a mode other than 0..2 or an enable byte other than 0/1.
boost::system::error_code decode_hr_command(bytes_view in, hr_command& out) noexcept;

}  // namespace bandwire::miband
