// Raw sensor streaming: commands on the control characteristic 00000001,
// packets on the data characteristic 00000002 (fact sheet §6, §20.5; seed
// article "Real Time Data" and "Parsing data").
//
// Packet layout (§6.3, CAP-A):
//   byte 0  type: 0x01 accelerometer, 0x02 PPG (raw optical heart signal)
//   byte 1  packet counter u8, ONE counter shared by both types, +1 per
//           packet, wraps 0xFF → 0x00, restarts at 0 on every start (`02`)
//   then    accelerometer: N × (x, y, z) int16 LE, N = 1..3 → 8, 14, 20 bytes
//           PPG: N × int16 LE, signed (§22.3), N = 1..9 → 4..20 bytes
// CAP-A only shows PPG packets of 12..20 bytes (5..9 samples). Shorter ones
// have the same structure and are accepted, because dropping a well-formed
// packet would look like a gap to the user. Nothing can be longer than 20
// bytes at the band's ATT_MTU of 23 (§2.4).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>

#include <boost/system/error_code.hpp>

#include "common/bytes.hpp"
#include "miband/error.hpp"
#include "miband/frame.hpp"

namespace bandwire::miband {

// ---- control characteristic 00000001 (fact sheet §6.1), Write Command ----

/// Sensor bitmask of `01 MM HH` (HMK SensorType). MB2 has accelerometer and
/// PPG only; 0x04 ECG and 0x10 gyro exist on other Huami devices.
inline constexpr std::uint8_t sensor_accelerometer = 0x01;
inline constexpr std::uint8_t sensor_ppg = 0x02;
/// 0x19 = 25 Hz is the only rate ever observed (§6.1, §22.5); HMK's range is 1..100.
inline constexpr std::uint8_t default_sensor_rate_hz = 25;

inline constexpr std::uint8_t sensor_cmd_configure = 0x01;
inline constexpr std::uint8_t sensor_cmd_start = 0x02;
inline constexpr std::uint8_t sensor_cmd_stop = 0x03;
inline constexpr std::uint8_t sensor_cmd_keep_alive = 0x00;

/// `01 <mask> <hz>`; the band answers `10 01 01` when the 0001 CCCD is on.
constexpr frame make_sensor_configure(std::uint8_t sensor_mask, std::uint8_t rate_hz = default_sensor_rate_hz) {
  return frame{sensor_cmd_configure, sensor_mask, rate_hz};
}
/// `01 03 19`: accelerometer + PPG at 25 Hz, as Mi Fit (CAP-A), CR and VS-JS
/// send it. PPG needs the HR engine running: also start continuous HR (§6.2).
inline constexpr frame sensor_configure_accel_ppg{0x01, 0x03, 0x19};
/// `01 01 19`: accelerometer only (HRX; GB PR #894).
inline constexpr frame sensor_configure_accel{0x01, 0x01, 0x19};
inline constexpr frame sensor_start{0x02};       ///< answer `10 02 01` (HMK)
inline constexpr frame sensor_stop{0x03};        ///< answer `10 03 01` (HMK)
inline constexpr frame sensor_keep_alive{0x00};  ///< HMK keepConnect(); Mi Fit sent it once (CAP-A)

/// A 0001 write as the band sees it.
struct sensor_command {
  std::uint8_t command = 0;  ///< sensor_cmd_*
  std::uint8_t sensor_mask = 0;  ///< configure only
  std::uint8_t rate_hz = 0;      ///< configure only
};
/// For the virtual band. errc::malformed_value for an unknown command or a
/// wrong length (`01` takes 3 bytes, the others 1).
boost::system::error_code decode_sensor_command(bytes_view in, sensor_command& out) noexcept;

// ---- data characteristic 00000002 ----

enum class sensor_packet_type : std::uint8_t {
  accelerometer = 0x01,
  ppg = 0x02,
};

/// One accelerometer sample in raw counts (see counts_per_g below).
struct accel_sample {
  std::int16_t x = 0, y = 0, z = 0;
  friend bool operator==(const accel_sample&, const accel_sample&) = default;
};

/// A decoded packet. Samples are copied out (at most 18 bytes) so the packet
/// outlives the notification buffer: callers timestamp and queue them.
struct sensor_packet {
  static constexpr std::size_t max_accel_samples = 3;
  static constexpr std::size_t max_ppg_samples = 9;

  sensor_packet_type type = sensor_packet_type::accelerometer;
  std::uint8_t counter = 0;
  std::uint8_t count = 0;  ///< samples: (x,y,z) triples for accel, values for PPG
  /// The int16 values in wire order: x0 y0 z0 x1 … for accel, p0 p1 … for PPG.
  std::array<std::int16_t, 9> raw{};

  /// Precondition: type == accelerometer and i < count.
  accel_sample accel(std::size_t i) const noexcept { return {raw[3 * i], raw[3 * i + 1], raw[3 * i + 2]}; }
  /// The PPG samples. Precondition: type == ppg.
  std::span<const std::int16_t> ppg() const noexcept { return std::span<const std::int16_t>(raw.data(), count); }
};

/// Decodes a 0002 notification. errc::malformed_value for fewer than 2 bytes
/// or a payload that is not 1..3 whole triples (accel) or 1..9 int16 (PPG);
/// errc::unknown_packet_type for any other type byte.
boost::system::error_code decode_sensor_packet(bytes_view in, sensor_packet& out) noexcept;

/// Encodes a packet for the virtual band; errc::invalid_argument when count
/// is 0 or above the type's maximum.
boost::system::error_code encode_sensor_packet(const sensor_packet& p, frame& out) noexcept;

// ---- scaling (fact sheet §6.4) ----

/// No source states the MB2 scale. At rest CAP-A shows |a| ≈ 270–281
/// counts, so ≈ 250–280 counts/g; 256 (≈ 3.9 mg/LSB) is the fact sheet's
/// suggested default [I]. Treat it as a per-model parameter.
inline constexpr double miband2_counts_per_g = 256.0;
/// Mi Band HRX: |a| ≈ 130 at rest in its README sample → ≈ 128 counts/g [I].
inline constexpr double hrx_counts_per_g = 128.0;

struct accel_g {
  double x = 0, y = 0, z = 0;
};
/// Counts → g. counts_per_g must be positive.
constexpr accel_g to_g(const accel_sample& s, double counts_per_g = miband2_counts_per_g) noexcept {
  return {s.x / counts_per_g, s.y / counts_per_g, s.z / counts_per_g};
}

// ---- counter tracking ----

/// Follows the shared packet counter and classifies each packet (§6.3).
///
/// An 8-bit counter cannot tell "128 packets lost" from "one packet late",
/// so a counter up to 127 ahead of the expected one is a gap, and one
/// behind it is out of order (the latest counter repeated is a duplicate).
/// BLE notifications arrive in order on one link, so "behind" normally
/// means the band restarted or more than 127 packets (~10 s at the ~12.3
/// packets/s of §6.3) were lost: when two packets in a row are consecutive
/// with each other but behind, the tracker takes the second as the new
/// position and reports a resync (the first of the two was already
/// reported out_of_order). Losses of 256 packets or more (~21 s)
/// are invisible to the counter; the async layer must watch for silence.
class counter_tracker {
 public:
  enum class kind {
    first,         ///< first packet since reset
    in_order,      ///< counter == expected
    gap,           ///< counter ahead of expected: `missing` packets lost
    duplicate,     ///< counter == the last one accepted
    out_of_order,  ///< counter behind expected; position unchanged
    resync,        ///< stream jumped; position taken from this packet, loss unknown
  };
  struct result {
    kind what = kind::first;
    std::uint8_t missing = 0;        ///< gap (and first, see reset()): how many packets were lost
    std::uint8_t first_missing = 0;  ///< gap: counter of the first lost packet
  };

  /// A tracker for a fresh stream, which starts at counter 0 (§6.3).
  counter_tracker() noexcept = default;

  /// Feed every packet's counter, in arrival order.
  result observe(std::uint8_t counter) noexcept;

  /// Forget the position. expected_first = 0 after a start command (`02`):
  /// if the first packet then has counter 5, packets 0..4 count as missing.
  /// nullopt when joining a running stream: any first counter is fine.
  void reset(std::optional<std::uint8_t> expected_first = std::uint8_t{0}) noexcept;

  std::uint64_t received() const noexcept { return received_; }  ///< every observe() call
  std::uint64_t lost() const noexcept { return lost_; }          ///< sum of `missing`
  std::uint64_t duplicates() const noexcept { return duplicates_; }
  std::uint64_t out_of_order() const noexcept { return out_of_order_; }
  std::uint64_t resyncs() const noexcept { return resyncs_; }

 private:
  std::optional<std::uint8_t> expected_first_ = std::uint8_t{0};
  bool started_ = false;
  std::uint8_t last_ = 0;
  bool have_stray_ = false;  ///< the previous packet was out of order
  std::uint8_t stray_ = 0;
  std::uint64_t received_ = 0, lost_ = 0, duplicates_ = 0, out_of_order_ = 0, resyncs_ = 0;
};

}  // namespace bandwire::miband
