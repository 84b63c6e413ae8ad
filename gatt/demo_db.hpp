// A small, realistic attribute database for the CLI's `--device demo` and for
// tests: GAP, GATT (Service Changed), Battery, Heart Rate and one 128-bit
// vendor service with a long value.
#pragma once

#include "gatt/database.hpp"

namespace bandwire::gatt {

/// The demo vendor service and its characteristic (128-bit, not on the
/// Bluetooth Base UUID; the last six octets spell "bandwi").
inline constexpr const char* demo_service_uuid = "4a0e0000-6272-4c65-9a1e-62616e647769";
inline constexpr const char* demo_long_value_uuid = "4a0e0001-6272-4c65-9a1e-62616e647769";

/// Builds the demo database; handles are assigned sequentially from 0x0001:
///
///   0x0001 GAP (0x1800): Device Name "bandwire demo" (read), Appearance
///          0x00C0 Generic Watch (read)
///   0x0006 GATT (0x1801): Service Changed (indicate) + CCCD
///   0x000a Battery (0x180F): Battery Level 100 % (read, notify) + CCCD
///   0x000e Heart Rate (0x180D): Heart Rate Measurement (notify) + CCCD,
///          Body Sensor Location 0x02 Wrist (read)
///   0x0014 vendor service: a 100-byte value (read, write) + User Description
///
/// Look handles up with database::find_value_handle() rather than hard-coding
/// them.
database make_demo_database();

}  // namespace bandwire::gatt
