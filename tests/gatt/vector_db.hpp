// Test support: builds a gatt::database from one table of
// shared/vectors/att-gatt/server_dbs.json, at the table's exact handles,
// through the database's ordinary builder API. Every 0x2902 in those tables
// is a plain attribute (BlueZ's test databases store it like any value, and
// GAW/SR/BV-09-C long-writes 19 bytes into one), so add_descriptor() is used
// for it, not add_cccd().
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "common/bytes.hpp"
#include "gatt/database.hpp"
#include "tests/support/json.hpp"

namespace bandwire::test {

inline std::uint16_t json_u16(const json& v) { return static_cast<std::uint16_t>(std::stoul(v.get<std::string>(), nullptr, 16)); }

inline att::uuid json_uuid(const json& v) {
  auto u = att::uuid::parse(v.get<std::string>());
  if (!u) throw std::runtime_error("bad uuid " + v.get<std::string>());
  return *u;
}

inline std::vector<std::uint8_t> json_hex(const json& v) {
  std::vector<std::uint8_t> out;
  if (!from_hex(v.get<std::string>(), out)) throw std::runtime_error("bad hex " + v.get<std::string>());
  return out;
}

/// `services` is databases[name]: an array of {kind, start, end, uuid, attributes}.
inline gatt::database load_vector_db(const json& services) {
  gatt::database db;
  for (const auto& s : services) {
    db.add_service(json_uuid(s.at("uuid")), s.at("kind").get<std::string>() == "primary", json_u16(s.at("start")),
                   json_u16(s.at("end")));
    const auto& attrs = s.at("attributes");
    // attrs[0] is the service declaration the builder just wrote.
    for (std::size_t i = 1; i < attrs.size(); ++i) {
      const auto& a = attrs[i];
      const auto type = json_uuid(a.at("type"));
      const std::uint16_t handle = json_u16(a.at("handle"));
      if (type == att::uuid::from16(gatt::include_type)) {
        const auto& inc = a.at("include");
        const auto value = json_hex(a.at("value"));
        // A 128-bit included service has no UUID in the declaration (Vol 3
        // Part G §3.2); any non-16-bit UUID gives that form.
        const att::uuid t = value.size() == 6 ? att::uuid::from16(get_le16(&value[4])) : att::uuid{};
        db.add_include(json_u16(inc.at("start")), json_u16(inc.at("end")), t, handle);
      } else if (type == att::uuid::from16(gatt::characteristic_type)) {
        const auto& decl = a.at("decl");
        if (i + 1 >= attrs.size()) throw std::runtime_error("declaration without value");
        const auto& v = attrs[++i];
        db.add_characteristic({.type = json_uuid(decl.at("uuid")),
                               .properties = static_cast<std::uint8_t>(json_u16(decl.at("properties"))),
                               .permissions = json_u16(v.at("perm")),
                               .value = json_hex(v.at("value")),
                               .decl_handle = handle,
                               .value_handle = json_u16(v.at("handle"))});
      } else {
        db.add_descriptor(
            {.type = type, .permissions = json_u16(a.at("perm")), .value = json_hex(a.at("value")), .handle = handle});
      }
    }
  }
  return db;
}

}  // namespace bandwire::test
