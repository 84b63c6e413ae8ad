#include "miband/uuids.hpp"

#include <algorithm>
#include <array>

namespace bandwire::miband {

namespace {
// Huami vendor base 0000xxxx-0000-3512-2118-0009af100700 in canonical order
// (fact sheet §1; also in the seed article's auth UUID 00000009-…).
constexpr att::uuid::bytes_type huami_base = {0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x35, 0x12,
                                              0x21, 0x18, 0x00, 0x09, 0xaf, 0x10, 0x07, 0x00};

constexpr known_uuid table[] = {
    // Services, in handle order of the real database (§3.1).
    {"gap_service", 0x1800, false, true},
    {"gatt_service", 0x1801, false, true},
    {"device_information_service", 0x180a, false, true},
    {"firmware_service", 0x1530, true, true},
    {"alert_notification_service", 0x1811, false, true},
    {"immediate_alert_service", 0x1802, false, true},
    {"heart_rate_service", 0x180d, false, true},
    {"miband_service", 0xfee0, false, true},
    {"auth_service", 0xfee1, false, true},
    // Characteristics (§1).
    {"device_name", 0x2a00, false, false},
    {"appearance", 0x2a01, false, false},
    {"peripheral_preferred_connection_parameters", 0x2a04, false, false},
    {"service_changed", 0x2a05, false, false},
    {"serial_number", 0x2a25, false, false},
    {"hardware_revision", 0x2a27, false, false},
    {"software_revision", 0x2a28, false, false},
    {"system_id", 0x2a23, false, false},
    {"pnp_id", 0x2a50, false, false},
    {"firmware_control", 0x1531, true, false},
    {"firmware_data", 0x1532, true, false},
    {"new_alert", 0x2a46, false, false},
    {"alert_notification_control_point", 0x2a44, false, false},
    {"alert_level", 0x2a06, false, false},
    {"heart_rate_measurement", 0x2a37, false, false},
    {"heart_rate_control_point", 0x2a39, false, false},
    {"current_time", 0x2a2b, false, false},
    {"chunked_transfer", 0x0020, true, false},
    {"sensor_control", 0x0001, true, false},
    {"sensor_data", 0x0002, true, false},
    {"configuration", 0x0003, true, false},
    {"activity_control", 0x0004, true, false},
    {"activity_data", 0x0005, true, false},
    {"battery", 0x0006, true, false},
    {"realtime_steps", 0x0007, true, false},
    {"user_settings", 0x0008, true, false},
    {"device_events", 0x0010, true, false},
    {"auth", 0x0009, true, false},
    // FEE1 extras: SIG-base 16-bit UUIDs, purpose unknown, no client uses them (§1, §17).
    {"fee1_unknown_fedd", 0xfedd, false, false},
    {"fee1_unknown_fede", 0xfede, false, false},
    {"fee1_unknown_fedf", 0xfedf, false, false},
    {"fee1_unknown_fed0", 0xfed0, false, false},
    {"fee1_unknown_fed1", 0xfed1, false, false},
    {"fee1_unknown_fed2", 0xfed2, false, false},
    {"fee1_unknown_fed3", 0xfed3, false, false},
    {"fee1_unknown_fec1", 0xfec1, true, false},
};
}  // namespace

att::uuid huami_uuid(std::uint16_t id) noexcept {
  att::uuid::bytes_type b = huami_base;
  b[2] = static_cast<std::uint8_t>(id >> 8);
  b[3] = static_cast<std::uint8_t>(id);
  return att::uuid::from_canonical(b);
}

bool is_huami_uuid(const att::uuid& u) noexcept {
  const auto& b = u.canonical();
  return b[0] == 0 && b[1] == 0 && std::equal(b.begin() + 4, b.end(), huami_base.begin() + 4);
}

std::span<const known_uuid> known_uuids() noexcept { return table; }

std::optional<known_uuid> find_known_uuid(const att::uuid& u) noexcept {
  const bool huami = is_huami_uuid(u);
  if (!huami && !u.is16()) return std::nullopt;
  const std::uint16_t id = u.as16();
  for (const auto& k : table)
    if (k.id == id && k.huami_base == huami) return k;
  return std::nullopt;
}

}  // namespace bandwire::miband
