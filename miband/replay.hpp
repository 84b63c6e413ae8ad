// Recorded Mi Band 2 notifications for the virtual band's replay mode
// (sim_options::replay): the raw sensor data (FEE0 `00000002`, fact sheet §6)
// and Heart Rate Measurement (2A37, §5) notifications a real band sent in a
// btsnoop capture, with their recorded spacing.
//
// Pure: bytes in, records out, no file or clock access. The capture is read
// with hci::extract_att and every PDU is decoded with att/pdu.hpp.
#pragma once

#include <cstdint>
#include <vector>

#include "common/asio.hpp"
#include "common/bytes.hpp"
#include "miband/virtual_band.hpp"

namespace bandwire::miband {

/// How load_replay found its notifications.
struct replay_info {
  std::uint16_t sensor_data_handle = 0;  ///< value handle used for `00000002` (the last connection's)
  std::uint16_t heart_rate_handle = 0;   ///< value handle used for 2A37 (the last connection's)
  bool sensor_from_discovery = false;    ///< found in a Read By Type 0x2803 response, not the fallback
  bool heart_rate_from_discovery = false;
  std::size_t att_pdus = 0;      ///< ATT PDUs in the capture
  std::size_t sensor = 0;        ///< raw sensor notifications taken
  std::size_t heart_rate = 0;    ///< heart-rate notifications taken
};

/// Fallback value handles when a connection's discovery is not in the
/// capture: CAP-A/CAP-B's layout (fact sheet §1; fixed on fw 1.0.1.x).
inline constexpr std::uint16_t default_sensor_data_handle = 0x0038;
inline constexpr std::uint16_t default_heart_rate_handle = 0x0029;

/// Appends, in capture order, every Handle Value Notification (and every
/// tuple of a Multiple Handle Value Notification) that the band (the
/// controller-to-host side) sent on the raw sensor data characteristic or on
/// 2A37. Their handles come from the capture's own discovery, per connection:
/// each Read By Type (type 0x2803) response that answers a Read By Type
/// request of the host is parsed for the declarations of
/// 00000002-0000-3512-2118-0009af100700 and 0x2A37; a connection without them
/// uses 0x0038 and 0x0029.
///
/// `t` is in seconds from the first notification taken (so the first is 0)
/// and never decreases (a timestamp that goes back is held at the previous
/// one). A capture with none of these notifications is valid: nothing is
/// appended.
///
/// Fails with the btsnoop reader's error (hci::errc: not_btsnoop,
/// truncated_header, unsupported_version, unsupported_datalink,
/// truncated_record, invalid_record_length) for a file that is not a whole
/// btsnoop capture; `out` is then left unchanged.
error_code load_replay(bytes_view btsnoop_file, std::vector<recorded_notification>& out,
                       replay_info* info = nullptr);

}  // namespace bandwire::miband
