#include "miband/capabilities.hpp"  // first: the header is self-contained

#include <doctest/doctest.h>

#include "miband/error.hpp"
#include "miband/uuids.hpp"
#include "miband/virtual_models.hpp"

using namespace bandwire;
using namespace bandwire::miband;

namespace {

// The database a virtual device of `m` serves, as a client discovers it.
std::vector<gatt::service> database_of(sim_model m) {
  asio::io_context io;
  virtual_time vt;
  scaled_clock clock{vt};
  sim_options o;
  apply_model(m, o);
  virtual_band vb(io.get_executor(), clock, o);
  return vb.database().services();
}

std::vector<gatt::service> without(std::vector<gatt::service> db, const att::uuid& service) {
  std::erase_if(db, [&](const gatt::service& s) { return s.type == service; });
  return db;
}

}  // namespace

TEST_CASE("capabilities: each Huami family from its database and its 2A00 name (fact sheet §18)") {
  const auto mb2 = database_of(sim_model::mb2);
  auto c = detect_capabilities(mb2, "MI Band 2");
  CHECK(c.family == device_family::mi_band_2);
  CHECK(c.miband_auth);
  CHECK(c.miband_service);
  CHECK(c.heart_rate);
  CHECK(c.heart_rate_control);
  CHECK(c.raw_sensor);
  CHECK(c.ppg);
  CHECK(c.immediate_alert);
  CHECK(c.new_alert);
  CHECK(c.new_alert_text);
  CHECK(c.device_information);
  CHECK(c.auth_flag == 0x00);
  CHECK(c.crypt_flags == 0x00);
  CHECK(c.can_bind_key);
  CHECK_FALSE(c.public_address);
  CHECK(c.display_items == display_items_layout::mi_band_2);
  CHECK(c.needs_auth());
  CHECK_FALSE(c.is_heart_rate_sensor());
  CHECK(std::string(to_string(c.family)) == "Mi Band 2");

  // Names are matched without regard to case, NUL padding ignored.
  CHECK(detect_capabilities(mb2, std::string_view("mi band 2\0", 10)).family == device_family::mi_band_2);

  c = detect_capabilities(database_of(sim_model::mb3), "Mi Band 3");
  CHECK(c.family == device_family::mi_band_3);
  CHECK(c.auth_flag == 0x00);
  CHECK(c.crypt_flags == 0x00);
  CHECK(c.can_bind_key);
  CHECK(c.display_items == display_items_layout::mi_band_3);
  CHECK_FALSE(c.new_alert_text);  // text goes through the chunked characteristic on the MB3
  CHECK(detect_capabilities(mb2, "Xiaomi Band 3").family == device_family::mi_band_3);

  c = detect_capabilities(database_of(sim_model::mb4), "Mi Smart Band 4");
  CHECK(c.family == device_family::mi_band_4);
  CHECK(c.auth_flag == 0x00);
  CHECK(c.crypt_flags == 0x80);
  CHECK_FALSE(c.can_bind_key);
  CHECK(c.public_address);
  CHECK(c.display_items == display_items_layout::mi_band_3);

  c = detect_capabilities(mb2, "Amazfit Bip Watch");
  CHECK(c.family == device_family::amazfit_bip);
  CHECK(c.auth_flag == 0x08);
  CHECK(c.crypt_flags == 0x00);
  CHECK(c.can_bind_key);
  CHECK(c.display_items == display_items_layout::amazfit_bip);
  CHECK(c.new_alert_text);

  c = detect_capabilities(mb2, "Amazfit Bip Lite");
  CHECK(c.family == device_family::amazfit_bip_lite);
  CHECK(c.auth_flag == 0x00);
  CHECK(c.crypt_flags == 0x80);
  CHECK_FALSE(c.can_bind_key);

  // A Huami auth service under an unknown name, or no name read: the Mi Band 2 protocol.
  c = detect_capabilities(mb2, "");
  CHECK(c.family == device_family::huami_unknown);
  CHECK(c.auth_flag == 0x00);
  CHECK(c.can_bind_key);
}

TEST_CASE("capabilities: the database wins over the name: HRX and straps") {
  // The virtual HRX: no 180D, so no heart rate and no PPG (fact sheet §18).
  auto c = detect_capabilities(database_of(sim_model::hrx), "Mi Band HRX");
  CHECK(c.family == device_family::mi_band_hrx);
  CHECK_FALSE(c.heart_rate);
  CHECK_FALSE(c.heart_rate_control);
  CHECK(c.raw_sensor);
  CHECK_FALSE(c.ppg);
  CHECK(c.needs_auth());
  CHECK(c.can_bind_key);
  // A band calling itself "MI Band 2" without 180D is an HRX all the same.
  CHECK(detect_capabilities(without(database_of(sim_model::mb2), uuids::heart_rate_service()), "MI Band 2").family ==
        device_family::mi_band_hrx);

  // The virtual strap: 180D and no FEE0/FEE1.
  c = detect_capabilities(database_of(sim_model::hrs), "bandwire HR strap");
  CHECK(c.family == device_family::heart_rate_sensor);
  CHECK(c.is_heart_rate_sensor());
  CHECK_FALSE(c.needs_auth());
  CHECK(c.heart_rate);
  CHECK(c.heart_rate_control);
  CHECK_FALSE(c.miband_service);
  CHECK_FALSE(c.raw_sensor);
  CHECK_FALSE(c.can_bind_key);
  CHECK(c.display_items == display_items_layout::none);
  // Named like a band, still a strap: no Mi Band auth to talk to.
  CHECK(detect_capabilities(database_of(sim_model::hrs), "MI Band 2").family == device_family::heart_rate_sensor);

  // Neither: an unknown device.
  c = detect_capabilities(without(database_of(sim_model::hrs), uuids::heart_rate_service()), "x");
  CHECK(c.family == device_family::unknown);
  CHECK(detect_capabilities(std::span<const gatt::service>{}, "").family == device_family::unknown);
}

TEST_CASE("capabilities: the error names the missing service") {
  using namespace uuids;
  const auto hrx = detect_capabilities(database_of(sim_model::hrx), "Mi Band HRX");
  CHECK(missing_service_error(hrx, uuids::heart_rate_measurement()) == errc::heart_rate_service_missing);
  CHECK(missing_service_error(hrx, heart_rate_control_point()) == errc::heart_rate_service_missing);
  CHECK_FALSE(missing_service_error(hrx, sensor_data()));
  CHECK_FALSE(missing_service_error(hrx, battery()));
  CHECK(make_error_code(errc::heart_rate_service_missing).message() ==
        "the device has no Heart Rate service (0x180D)");

  const auto strap = detect_capabilities(database_of(sim_model::hrs), "");
  CHECK_FALSE(missing_service_error(strap, uuids::heart_rate_measurement()));
  CHECK(missing_service_error(strap, battery()) == errc::miband_service_missing);
  CHECK(missing_service_error(strap, uuids::current_time()) == errc::miband_service_missing);  // 2A2B lives in FEE0 (§1)
  CHECK(missing_service_error(strap, sensor_control()) == errc::miband_service_missing);
  CHECK(missing_service_error(strap, auth()) == errc::auth_service_missing);
  CHECK(missing_service_error(strap, alert_level()) == errc::alert_service_missing);
  CHECK(missing_service_error(strap, uuids::new_alert()) == errc::alert_service_missing);
  CHECK_FALSE(missing_service_error(strap, serial_number()));

  // FEE0 without the raw sensor characteristics.
  auto no_raw = detect_capabilities(database_of(sim_model::mb2), "MI Band 2");
  no_raw.raw_sensor = false;
  CHECK(missing_service_error(no_raw, sensor_control()) == errc::raw_sensor_missing);
  CHECK_FALSE(missing_service_error(no_raw, battery()));

  // Every service detection looks at is named for the by-UUID discovery.
  const auto wanted = capability_services();
  for (const auto& s : {heart_rate_service(), miband_service(), auth_service(), immediate_alert_service(),
                        alert_notification_service(), device_information_service()})
    CHECK(std::find(wanted.begin(), wanted.end(), s) != wanted.end());
}

TEST_CASE("capabilities: a partial database (discovery by needs): unknown counts as present, known absence decides") {
  const auto mb2 = database_of(sim_model::mb2);
  // What `pair` discovers: 1801 and FEE1 only, nothing else searched for.
  gatt::discovered_database db;
  for (const auto& s : mb2)
    if (s.type == uuids::gatt_service() || s.type == uuids::auth_service()) db.services.push_back(s);
  REQUIRE(db.services.size() == 2);
  auto c = detect_capabilities(db, "MI Band 2");
  CHECK(c.family == device_family::mi_band_2);
  CHECK(c.heart_rate);
  CHECK(c.raw_sensor);
  CHECK(c.miband_service);
  // 180D searched for and absent: an HRX, whatever its name.
  db.absent.push_back(uuids::heart_rate_service());
  c = detect_capabilities(db, "MI Band 2");
  CHECK(c.family == device_family::mi_band_hrx);
  CHECK_FALSE(c.heart_rate);
  CHECK(missing_service_error(c, uuids::heart_rate_measurement()) == make_error_code(errc::heart_rate_service_missing));
  // FEE0 found, its characteristics known only up to 00000006: the sensors
  // further on are not known to be missing; complete without them, they are.
  db.absent.clear();
  for (const auto& s : mb2)
    if (s.type == uuids::miband_service()) db.services.push_back(s);
  auto& fee0 = db.services.back();
  std::erase_if(fee0.characteristics, [](const gatt::characteristic& ch) {
    return ch.type == uuids::sensor_control() || ch.type == uuids::sensor_data();
  });
  fee0.characteristics_through = static_cast<std::uint16_t>(fee0.start + 1);
  CHECK(detect_capabilities(db, "MI Band 2").raw_sensor);
  fee0.characteristics_through = fee0.end;
  CHECK_FALSE(detect_capabilities(db, "MI Band 2").raw_sensor);
  // No FEE1 found and none searched for: undecided, counted as a band; searched and absent: not one.
  gatt::discovered_database none;
  none.absent = {uuids::auth_service(), uuids::heart_rate_service()};
  CHECK(detect_capabilities(none, "").family == device_family::unknown);
}
