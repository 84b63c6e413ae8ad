// Which device is on the link and what it can do, decided from the GATT
// database the client discovered and the device's name (2A00): the Huami
// siblings of fact sheet §18 (Mi Band 2, HRX, 3, 4, Amazfit Bip, Bip Lite)
// and any standard BLE heart-rate sensor (Heart Rate Service 1.0).
//
// Pure and synchronous: no I/O, no clock. The session reads the name with one
// Read By Type (as Mi Fit does, fact sheet §10 NM) and calls
// detect_capabilities(); the band consults the result before each operation,
// so a command that needs a service the device lacks fails naming it
// (errc::heart_rate_service_missing, …) instead of failing obscurely.
//
// What the database says wins over the name: no FEE1 auth characteristic but
// a Heart Rate Measurement is a strap whatever it calls itself; a Huami band
// without 180D is an HRX. The name separates the bands whose databases the
// fact sheet does not tell apart (Mi Band 2/3/4, Bip, Bip Lite, §18 table).
//
// A service absent from `services` is taken as absent from the device: the
// discovery must have looked for every service in capability_services().
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include <boost/system/error_code.hpp>

#include "att/uuid.hpp"
#include "gatt/types.hpp"

namespace bandwire::miband {

enum class device_family : std::uint8_t {
  mi_band_2,          ///< "MI Band 2" (fact sheet §1–§15)
  mi_band_hrx,        ///< "Mi Band HRX" / "Mi Band 2i": a Mi Band 2 without the Heart Rate service
  mi_band_3,          ///< "Mi Band 3" / "Xiaomi Band 3" (§18)
  mi_band_4,          ///< "Mi Smart Band 4": crypt-flag auth, key from the vendor app (§18)
  amazfit_bip,        ///< "Amazfit Bip Watch" (§18)
  amazfit_bip_lite,   ///< "Amazfit Bip Lite": auth like the Mi Band 4 (§18)
  huami_unknown,      ///< a Huami auth service under a name not listed: treated as a Mi Band 2
  heart_rate_sensor,  ///< a standard strap: Heart Rate service 0x180D, no Mi Band auth
  unknown,            ///< neither a Huami band nor a heart-rate sensor
};

/// "Mi Band 2", "Mi Band HRX", …, "heart-rate sensor", "unknown device".
const char* to_string(device_family f) noexcept;

/// How the band encodes the display items command `0a …` (fact sheet §18).
enum class display_items_layout : std::uint8_t {
  none,         ///< no Mi Band configuration (a strap)
  mi_band_2,    ///< `0a mask 00 00 01 02 03 04 05`
  mi_band_3,    ///< `0a mask_lo mask_hi order…`, Mi Band 3 item ids (also the Mi Band 4)
  amazfit_bip,  ///< Bip item ids and shortcuts `10 …`
};

struct device_capabilities {
  device_family family = device_family::unknown;
  // ---- what the database holds ----
  bool miband_auth = false;        ///< FEE1 / 00000009 (§4)
  bool miband_service = false;     ///< FEE0 (battery, time, steps, config, events…)
  bool heart_rate = false;         ///< 180D / 2A37 Heart Rate Measurement
  bool heart_rate_control = false; ///< 180D / 2A39 Heart Rate Control Point
  bool raw_sensor = false;         ///< FEE0 / 00000001 + 00000002 (§6)
  bool immediate_alert = false;    ///< 1802 / 2A06 (§11.1)
  bool new_alert = false;          ///< 1811 / 2A46 (§11.2)
  bool device_information = false; ///< 180A
  // ---- what the family does differently (§18) ----
  /// PPG rides on the raw sensor stream only where the heart-rate engine is
  /// (§6.2): not on the HRX, which has no optical sensor.
  bool ppg = false;
  std::uint8_t auth_flag = 0x00;   ///< the second byte of auth requests this family's app sends
  std::uint8_t crypt_flags = 0x00; ///< 0x80 on Mi Band 4 / Bip Lite
  bool can_bind_key = false;       ///< `01 <flag> <key>` + tap (never on crypt-flag bands)
  bool public_address = false;     ///< Mi Band 4 advertises a public address (SAT)
  /// 2A46 text shows on the band's screen (MB2 ≤ 18 bytes, Bip longer); the
  /// Mi Band 3/4 show text only through the chunked characteristic 0020.
  bool new_alert_text = false;
  display_items_layout display_items = display_items_layout::none;

  /// A standard heart-rate sensor: measured through 2A37 alone, no Mi Band
  /// auth, and never a Mi Band command on its control point (HRS 1.0 §3.3:
  /// there `01` resets Energy Expended).
  bool is_heart_rate_sensor() const noexcept { return family == device_family::heart_rate_sensor; }
  /// Authentication (fact sheet §4) is needed before commands.
  bool needs_auth() const noexcept { return miband_auth; }
};

/// Decides the family and capabilities. `device_name` is the value of 2A00
/// ("" when it could not be read); matched case-insensitively, as
/// Gadgetbridge matches names (fact sheet §2.1).
/// `db` may be partial (discovery by needs, gatt::client::discover): what
/// it has not looked at yet counts as present, as the family has it; what
/// it knows is absent counts as absent. A session decides again after each
/// discovery (session::require), so an operation on a characteristic the
/// device lacks fails with the error naming the missing service.
device_capabilities detect_capabilities(const gatt::discovered_database& db, std::string_view device_name);
/// The same on a full list of services (a full discovery).
device_capabilities detect_capabilities(std::span<const gatt::service> services, std::string_view device_name);

/// The services detection looks at (absence is information).
std::vector<att::uuid> capability_services();

/// The error naming the service (or characteristic) a device lacks when an
/// operation needs characteristic `type`: errc::heart_rate_service_missing
/// for 2A37/2A39, errc::miband_service_missing for FEE0 characteristics,
/// errc::raw_sensor_missing when FEE0 is there without 0001/0002, and so on.
/// Empty when `caps` says the characteristic's service is present.
boost::system::error_code missing_service_error(const device_capabilities& caps, const att::uuid& type) noexcept;

}  // namespace bandwire::miband
