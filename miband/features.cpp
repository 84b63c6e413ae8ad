#include "miband/features.hpp"

#include "miband/uuids.hpp"

namespace bandwire::miband {

gatt::discovery_needs discovery_needs_for(feature_set f) {
  using gatt::service_need;
  namespace u = uuids;
  const bool notify = true;
  // §3.1 order: 1801, 180A, 1811, 1802, 180D, FEE0, FEE1.
  gatt::discovery_needs n;
  n.push_back(service_need{u::gatt_service(), {{u::service_changed(), notify}}});
  if (f & feature::device_info)
    n.push_back(service_need{u::device_information_service(),
                             {{u::serial_number()}, {u::hardware_revision()}, {u::software_revision()},
                              {u::system_id()}, {u::pnp_id()}}});
  if (f & feature::alerts) {
    n.push_back(service_need{u::alert_notification_service(), {{u::new_alert()}}});
    n.push_back(service_need{u::immediate_alert_service(), {{u::alert_level()}}});
  }
  if (f & feature::heart_rate)
    n.push_back(service_need{u::heart_rate_service(),
                             {{u::heart_rate_measurement(), notify}, {u::heart_rate_control_point()}}});
  service_need fee0{u::miband_service(), {}};
  auto add = [&](feature_set bit, att::uuid type, bool cccd) {
    if (f & bit) fee0.characteristics.push_back({type, cccd});
  };
  add(feature::time, u::current_time(), false);
  add(feature::sensors, u::sensor_control(), notify);
  add(feature::sensors, u::sensor_data(), notify);
  add(feature::configuration, u::configuration(), notify);
  add(feature::history, u::activity_control(), notify);
  add(feature::history, u::activity_data(), notify);
  add(feature::battery, u::battery(), false);
  add(feature::steps, u::realtime_steps(), notify);
  add(feature::user_settings, u::user_settings(), false);
  add(feature::events, u::device_events(), notify);
  if (!fee0.characteristics.empty()) n.push_back(std::move(fee0));
  n.push_back(service_need{u::auth_service(), {{u::auth(), notify}}});
  return n;
}

}  // namespace bandwire::miband
