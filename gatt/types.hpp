// GATT entities as both the client (its discovery cache) and the server (its
// database) see them. Core 5.4 Vol 3 Part G §3.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "att/uuid.hpp"

namespace bandwire::gatt {

using att::uuid;

// Well-known attribute types (Assigned Numbers §3.5 / §3.7).
inline constexpr std::uint16_t primary_service_type = 0x2800;
inline constexpr std::uint16_t secondary_service_type = 0x2801;
inline constexpr std::uint16_t include_type = 0x2802;
inline constexpr std::uint16_t characteristic_type = 0x2803;
inline constexpr std::uint16_t extended_properties_type = 0x2900;
inline constexpr std::uint16_t user_description_type = 0x2901;
inline constexpr std::uint16_t cccd_type = 0x2902;
inline constexpr std::uint16_t service_changed_type = 0x2a05;
inline constexpr std::uint16_t database_hash_type = 0x2b2a;

/// Characteristic properties (Vol 3 Part G §3.3.1.1, Table 3.5).
namespace prop {
inline constexpr std::uint8_t broadcast = 0x01;
inline constexpr std::uint8_t read = 0x02;
inline constexpr std::uint8_t write_without_response = 0x04;
inline constexpr std::uint8_t write = 0x08;
inline constexpr std::uint8_t notify = 0x10;
inline constexpr std::uint8_t indicate = 0x20;
inline constexpr std::uint8_t signed_write = 0x40;
inline constexpr std::uint8_t extended = 0x80;
}  // namespace prop

struct descriptor {
  std::uint16_t handle = 0;
  uuid type;
};

struct characteristic {
  std::uint16_t decl_handle = 0;
  std::uint16_t value_handle = 0;
  std::uint8_t properties = 0;
  uuid type;
  /// Last handle belonging to it (inclusive). For the last characteristic a
  /// partial discovery found, an upper bound (its service's end) until the
  /// next declaration or its descriptors are found.
  std::uint16_t end_handle = 0;
  std::vector<descriptor> descriptors;
  /// False when discovery by needs did not look for its descriptors (then
  /// `descriptors` is empty and says nothing).
  bool descriptors_known = true;
};

struct included_service {
  std::uint16_t decl_handle = 0;
  std::uint16_t start = 0, end = 0;
  uuid type;  ///< may be unknown (all-zero) when the include held no 16-bit UUID
};

struct service {
  std::uint16_t start = 0, end = 0;
  uuid type;
  bool primary = true;
  std::vector<included_service> includes;
  std::vector<characteristic> characteristics;
  /// Characteristic declarations up to this handle are all in
  /// `characteristics`; at or past `end` the list is complete. Discovery by
  /// needs stops once it has what it was asked for (client::discover).
  std::uint16_t characteristics_through = 0xffff;

  bool characteristics_complete() const noexcept { return characteristics_through >= end; }
};

/// Whether a peer has a service, as far as discovery knows.
enum class presence : std::uint8_t { present, absent, unknown };

/// What discovery knows of a peer's database: the services found (each
/// perhaps only partly discovered), the service types searched for by UUID
/// and not found, and whether every primary service is listed (a full
/// discovery: then a type not listed is absent too). This is what the GATT
/// cache stores.
struct discovered_database {
  std::vector<service> services;
  std::vector<uuid> absent;
  bool all_services = false;
  /// The GAP Device Name (2A00) as last read on this peer, kept with the
  /// database so that a later link need not read it again (a Mi Band's
  /// name tells its family, fact sheet §18). Unset: not read yet.
  std::optional<std::string> device_name;

  /// The first service of this type, or null.
  const service* find_service(const uuid& type) const noexcept {
    for (const auto& s : services)
      if (s.type == type) return &s;
    return nullptr;
  }
  presence service_presence(const uuid& type) const noexcept {
    if (find_service(type)) return presence::present;
    if (all_services) return presence::absent;
    for (const auto& a : absent)
      if (a == type) return presence::absent;
    return presence::unknown;
  }
};

/// A characteristic a program will use: found by type inside its service;
/// `cccd` when it will subscribe (its descriptors are then discovered).
struct characteristic_need {
  uuid type;
  bool cccd = false;
};

/// The characteristics a program will use in one service.
struct service_need {
  uuid type;
  std::vector<characteristic_need> characteristics;
};

/// What to discover (client::discover): only these services, and in them
/// only as far as these characteristics.
using discovery_needs = std::vector<service_need>;

}  // namespace bandwire::gatt
