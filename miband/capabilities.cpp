#include "miband/capabilities.hpp"

#include <cctype>
#include <string>

#include "miband/auth.hpp"
#include "miband/error.hpp"
#include "miband/uuids.hpp"

namespace bandwire::miband {

const char* to_string(device_family f) noexcept {
  switch (f) {
    case device_family::mi_band_2: return "Mi Band 2";
    case device_family::mi_band_hrx: return "Mi Band HRX";
    case device_family::mi_band_3: return "Mi Band 3";
    case device_family::mi_band_4: return "Mi Band 4";
    case device_family::amazfit_bip: return "Amazfit Bip";
    case device_family::amazfit_bip_lite: return "Amazfit Bip Lite";
    case device_family::huami_unknown: return "Huami band (unknown model, handled as a Mi Band 2)";
    case device_family::heart_rate_sensor: return "heart-rate sensor";
    case device_family::unknown: return "unknown device";
  }
  return "unknown device";
}

namespace {

// Whether `db` has a characteristic: known absent when its service is, or
// when the service's characteristics were all discovered without it; not
// looked at yet counts as present (detect_capabilities).
bool has_characteristic(const gatt::discovered_database& db, const att::uuid& service, const att::uuid& type) {
  bool unknown = false;
  for (const auto& s : db.services) {
    if (s.type != service) continue;
    for (const auto& c : s.characteristics)
      if (c.type == type) return true;
    unknown = unknown || !s.characteristics_complete();
  }
  if (db.find_service(service)) return unknown;
  return db.service_presence(service) == gatt::presence::unknown;
}

bool has_service(const gatt::discovered_database& db, const att::uuid& type) {
  return db.service_presence(type) != gatt::presence::absent;
}

std::string lower(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) out.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  // Some firmwares pad the name with NULs or spaces.
  while (!out.empty() && (out.back() == '\0' || out.back() == ' ')) out.pop_back();
  return out;
}

// Advertised and 2A00 names of the siblings (fact sheet §18 table, §2.1;
// GB-SIB coordinators).
device_family family_of_name(std::string_view raw) {
  const std::string n = lower(raw);
  if (n == "mi band 2") return device_family::mi_band_2;
  if (n == "mi band hrx" || n == "mi band 2i") return device_family::mi_band_hrx;
  if (n == "mi band 3" || n == "xiaomi band 3") return device_family::mi_band_3;
  if (n == "mi smart band 4") return device_family::mi_band_4;
  if (n == "amazfit bip lite") return device_family::amazfit_bip_lite;
  if (n == "amazfit bip watch") return device_family::amazfit_bip;
  return device_family::huami_unknown;
}

// What each Huami family does differently (fact sheet §18).
void apply_family(device_capabilities& c) {
  using F = device_family;
  c.can_bind_key = true;
  c.auth_flag = auth_flag_mi_fit;  // Mi Fit's 0x00: MB2 (CAP-A), MB3 and MB4 (GB getAuthFlags)
  c.display_items = display_items_layout::mi_band_2;
  c.new_alert_text = c.new_alert;
  switch (c.family) {
    case F::mi_band_3:
      c.display_items = display_items_layout::mi_band_3;
      c.new_alert_text = false;  // text goes through the chunked characteristic 0020
      break;
    case F::mi_band_4:
      c.display_items = display_items_layout::mi_band_3;
      c.new_alert_text = false;
      c.crypt_flags = crypt_flags_mb4;
      c.can_bind_key = false;  // the key comes from the vendor app's pairing (huami-token)
      c.public_address = true;  // SAT connects with ADDR_TYPE_PUBLIC [S?]
      break;
    case F::amazfit_bip:
      c.display_items = display_items_layout::amazfit_bip;
      c.auth_flag = auth_flag_gadgetbridge;  // GB's default 0x08 for the Bip
      break;
    case F::amazfit_bip_lite:
      c.display_items = display_items_layout::amazfit_bip;
      c.crypt_flags = crypt_flags_mb4;  // "0x80 with flag 0x00"
      c.can_bind_key = false;
      break;
    default: break;
  }
}

}  // namespace

device_capabilities detect_capabilities(std::span<const gatt::service> services, std::string_view device_name) {
  gatt::discovered_database db;
  db.services.assign(services.begin(), services.end());
  db.all_services = true;
  return detect_capabilities(db, device_name);
}

device_capabilities detect_capabilities(const gatt::discovered_database& db, std::string_view device_name) {
  using namespace uuids;
  device_capabilities c;
  c.miband_auth = has_characteristic(db, auth_service(), auth());
  c.miband_service = has_service(db, miband_service());
  c.heart_rate = has_characteristic(db, heart_rate_service(), heart_rate_measurement());
  c.heart_rate_control = has_characteristic(db, heart_rate_service(), heart_rate_control_point());
  c.raw_sensor = has_characteristic(db, miband_service(), sensor_control()) &&
                 has_characteristic(db, miband_service(), sensor_data());
  c.immediate_alert = has_characteristic(db, immediate_alert_service(), alert_level());
  c.new_alert = has_characteristic(db, alert_notification_service(), uuids::new_alert());
  c.device_information = has_service(db, device_information_service());

  if (!c.miband_auth) {
    c.family = c.heart_rate ? device_family::heart_rate_sensor : device_family::unknown;
    return c;  // nothing of the Mi Band protocol applies
  }
  c.family = family_of_name(device_name);
  // The database over the name: a Huami band without the Heart Rate service
  // is an HRX ("Mi Band 2i" included), whatever it calls itself.
  if (!c.heart_rate) c.family = device_family::mi_band_hrx;
  apply_family(c);
  c.ppg = c.raw_sensor && c.heart_rate;
  return c;
}

std::vector<att::uuid> capability_services() {
  using namespace uuids;
  return {gap_service(),           device_information_service(), alert_notification_service(),
          immediate_alert_service(), heart_rate_service(),       miband_service(),
          auth_service()};
}

boost::system::error_code missing_service_error(const device_capabilities& c, const att::uuid& type) noexcept {
  using namespace uuids;
  if (type == heart_rate_measurement() || type == heart_rate_control_point())
    return (type == heart_rate_measurement() ? c.heart_rate : c.heart_rate_control)
               ? boost::system::error_code{}
               : make_error_code(errc::heart_rate_service_missing);
  if (type == auth()) return c.miband_auth ? boost::system::error_code{} : make_error_code(errc::auth_service_missing);
  if (type == alert_level()) return c.immediate_alert ? boost::system::error_code{} : make_error_code(errc::alert_service_missing);
  if (type == uuids::new_alert()) return c.new_alert ? boost::system::error_code{} : make_error_code(errc::alert_service_missing);
  if (type == serial_number() || type == hardware_revision() || type == software_revision() || type == system_id() ||
      type == pnp_id())
    return c.device_information ? boost::system::error_code{} : make_error_code(errc::device_information_missing);
  // Everything else the band uses lives in FEE0, 2A2B Current Time included (§1).
  if (is_huami_uuid(type) || type == current_time()) {
    if (!c.miband_service) return make_error_code(errc::miband_service_missing);
    if ((type == sensor_control() || type == sensor_data()) && !c.raw_sensor)
      return make_error_code(errc::raw_sensor_missing);
  }
  return {};
}

}  // namespace bandwire::miband
