// GATT entities as both the client (its discovery cache) and the server (its
// database) see them. Core 5.4 Vol 3 Part G §3.
#pragma once

#include <cstdint>
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
  std::uint16_t end_handle = 0;  ///< last handle belonging to it (inclusive)
  std::vector<descriptor> descriptors;
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
};

}  // namespace bandwire::gatt
