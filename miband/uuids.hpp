// Every service and characteristic UUID a real Mi Band 2 exposes (fact sheet
// §1 and §3.1: the GATT database of fw 1.0.1.69, byte-identical in CAP-A and
// CAP-B). Handles differ between firmware versions (§3.3), so bandwire finds
// characteristics by these UUIDs only.
//
// Two bases are in use (§1):
//   SIG   0000xxxx-0000-1000-8000-00805f9b34fb  (att::uuid::from16)
//   Huami 0000xxxx-0000-3512-2118-0009af100700  (huami_uuid)
// Functions rather than constants: att::uuid has no constexpr factory, and a
// function cannot suffer from static initialisation order.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "att/uuid.hpp"

namespace bandwire::miband {

/// 0000xxxx-0000-3512-2118-0009af100700 (fact sheet §1).
att::uuid huami_uuid(std::uint16_t id) noexcept;
/// True for any UUID on the Huami base.
bool is_huami_uuid(const att::uuid& u) noexcept;

namespace uuids {

// ---- services (fact sheet §1, §3.1) ----
inline att::uuid gap_service() noexcept { return att::uuid::from16(0x1800); }
inline att::uuid gatt_service() noexcept { return att::uuid::from16(0x1801); }
inline att::uuid device_information_service() noexcept { return att::uuid::from16(0x180a); }
/// 00001530-…af100700, a 128-bit primary service, not 16-bit 1530 (§3.1, §16).
inline att::uuid firmware_service() noexcept { return huami_uuid(0x1530); }
inline att::uuid alert_notification_service() noexcept { return att::uuid::from16(0x1811); }
inline att::uuid immediate_alert_service() noexcept { return att::uuid::from16(0x1802); }
inline att::uuid heart_rate_service() noexcept { return att::uuid::from16(0x180d); }
/// FEE0: the Mi Band service (time, raw sensor, config, fetch, battery, steps, …).
/// The only UUID the band advertises (§2.1).
inline att::uuid miband_service() noexcept { return att::uuid::from16(0xfee0); }
/// FEE1: holds the auth characteristic (§4).
inline att::uuid auth_service() noexcept { return att::uuid::from16(0xfee1); }

// ---- GAP 1800 / GATT 1801 (§1, §10) ----
inline att::uuid device_name() noexcept { return att::uuid::from16(0x2a00); }
inline att::uuid appearance() noexcept { return att::uuid::from16(0x2a01); }
/// Peripheral Preferred Connection Parameters; the band also has a second
/// 2A04 inside FEE0 whose purpose is unknown (§1, §17).
inline att::uuid peripheral_preferred_connection_parameters() noexcept { return att::uuid::from16(0x2a04); }
inline att::uuid service_changed() noexcept { return att::uuid::from16(0x2a05); }

// ---- Device Information 180A (§10) ----
inline att::uuid serial_number() noexcept { return att::uuid::from16(0x2a25); }
inline att::uuid hardware_revision() noexcept { return att::uuid::from16(0x2a27); }
inline att::uuid software_revision() noexcept { return att::uuid::from16(0x2a28); }
inline att::uuid system_id() noexcept { return att::uuid::from16(0x2a23); }
inline att::uuid pnp_id() noexcept { return att::uuid::from16(0x2a50); }

// ---- firmware update 00001530 (§16) ----
inline att::uuid firmware_control() noexcept { return huami_uuid(0x1531); }
inline att::uuid firmware_data() noexcept { return huami_uuid(0x1532); }

// ---- Alert Notification 1811 and Immediate Alert 1802 (§11) ----
inline att::uuid new_alert() noexcept { return att::uuid::from16(0x2a46); }
inline att::uuid alert_notification_control_point() noexcept { return att::uuid::from16(0x2a44); }
inline att::uuid alert_level() noexcept { return att::uuid::from16(0x2a06); }

// ---- Heart Rate 180D (§5) ----
inline att::uuid heart_rate_measurement() noexcept { return att::uuid::from16(0x2a37); }
inline att::uuid heart_rate_control_point() noexcept { return att::uuid::from16(0x2a39); }

// ---- inside FEE0 (§1, §3.1) ----
/// Current Time 2A2B, unusually placed inside FEE0, 11 bytes (§8).
inline att::uuid current_time() noexcept { return att::uuid::from16(0x2a2b); }
/// 00000020: "chunked transfer" on Mi Band 3+; unused by every MB2 client (§17).
inline att::uuid chunked_transfer() noexcept { return huami_uuid(0x0020); }
inline att::uuid sensor_control() noexcept { return huami_uuid(0x0001); }  ///< raw sensor control (§6.1)
inline att::uuid sensor_data() noexcept { return huami_uuid(0x0002); }     ///< raw sensor data (§6.3)
inline att::uuid configuration() noexcept { return huami_uuid(0x0003); }   ///< config commands (§13)
inline att::uuid activity_control() noexcept { return huami_uuid(0x0004); }  ///< history fetch control (§14)
inline att::uuid activity_data() noexcept { return huami_uuid(0x0005); }     ///< history data (§14.2)
inline att::uuid battery() noexcept { return huami_uuid(0x0006); }           ///< battery info (§7)
inline att::uuid realtime_steps() noexcept { return huami_uuid(0x0007); }    ///< steps/distance/kcal (§9)
inline att::uuid user_settings() noexcept { return huami_uuid(0x0008); }     ///< user info, goal (§12)
inline att::uuid device_events() noexcept { return huami_uuid(0x0010); }     ///< button etc. (§15)

// ---- inside FEE1 (§1, §4) ----
inline att::uuid auth() noexcept { return huami_uuid(0x0009); }  ///< 00000009: authentication (§4)
/// 0000fec1-…af100700 (Huami base): present on MB2, purpose unknown (§1, §17).
inline att::uuid fee1_unknown_fec1() noexcept { return huami_uuid(0xfec1); }

}  // namespace uuids

/// One row of the table of known Mi Band 2 UUIDs.
struct known_uuid {
  std::string_view name;   ///< short name used by tools, e.g. "auth", "sensor_data"
  std::uint16_t id;        ///< the 16-bit part
  bool huami_base;         ///< true: Huami base; false: Bluetooth SIG base
  bool is_service;
  att::uuid full() const noexcept { return huami_base ? huami_uuid(id) : att::uuid::from16(id); }
};

/// Every service and characteristic of a real Mi Band 2 (fact sheet §1),
/// including the FEE1 characteristics FEDD…FED3 whose purpose is unknown and
/// which the virtual band must still expose. Descriptors (2902, 2901) are
/// not listed: they belong to GATT.
std::span<const known_uuid> known_uuids() noexcept;

/// The table entry for u, if u is a known Mi Band 2 UUID. Where one UUID has
/// two roles (2A04 in GAP and in FEE0), the first row is returned.
std::optional<known_uuid> find_known_uuid(const att::uuid& u) noexcept;

}  // namespace bandwire::miband
