#include "gatt/demo_db.hpp"

#include <string_view>

namespace bandwire::gatt {

database make_demo_database() {
  database db;
  const auto u16 = [](std::uint16_t v) { return uuid::from16(v); };

  // GAP service (Vol 3 Part C §12): Device Name and Appearance are mandatory.
  db.add_primary_service(u16(0x1800));
  constexpr std::string_view name = "bandwire demo";
  db.add_characteristic({.type = u16(0x2a00),
                         .properties = prop::read,
                         .permissions = perm::read,
                         .value = std::vector<std::uint8_t>(name.begin(), name.end())});
  // Appearance 0x00C0 "Generic Watch" (Assigned Numbers §2.6), little-endian.
  db.add_characteristic({.type = u16(0x2a01), .properties = prop::read, .permissions = perm::read, .value = {0xc0, 0x00}});

  // GATT service (Vol 3 Part G §7): Service Changed is indicate-only and its
  // value (the affected handle range) is not readable (§7.1).
  db.add_primary_service(u16(0x1801));
  db.add_characteristic({.type = u16(service_changed_type),
                         .properties = prop::indicate,
                         .permissions = perm::none,
                         .value = {0x01, 0x00, 0xff, 0xff},
                         .max_length = 4});
  db.add_cccd();

  // Battery Service 1.0: one octet, 0..100 %.
  db.add_primary_service(u16(0x180f));
  db.add_characteristic({.type = u16(0x2a19),
                         .properties = prop::read | prop::notify,
                         .permissions = perm::read,
                         .value = {100},
                         .max_length = 1});
  db.add_cccd();

  // Heart Rate Service 1.0: the measurement is notify-only (flags 0x00 =
  // 8-bit value, here 0 bpm until the application sets one).
  db.add_primary_service(u16(0x180d));
  db.add_characteristic({.type = u16(0x2a37),
                         .properties = prop::notify,
                         .permissions = perm::none,
                         .value = {0x00, 0x00}});
  db.add_cccd();
  db.add_characteristic({.type = u16(0x2a38), .properties = prop::read, .permissions = perm::read, .value = {0x02}});

  // A vendor service with a value longer than any default-MTU PDU, so long
  // reads (Read Blob) and long writes (Prepare/Execute Write) have a target.
  db.add_primary_service(*uuid::parse(demo_service_uuid));
  std::vector<std::uint8_t> long_value(100);
  for (std::size_t i = 0; i < long_value.size(); ++i) long_value[i] = static_cast<std::uint8_t>(i);
  db.add_characteristic({.type = *uuid::parse(demo_long_value_uuid),
                         .properties = prop::read | prop::write,
                         .permissions = perm::read | perm::write,
                         .value = std::move(long_value)});
  db.add_user_description("bandwire long value");
  return db;
}

}  // namespace bandwire::gatt
