// What a program will do with a band, as the GATT discovery it needs.
//
// A session discovers only the services and characteristics its features
// use (gatt::client::discover): `pair` needs nothing beyond the link
// (Service Changed) and authentication, `battery` only FEE0's battery
// characteristic, and so on. Handles come from discovery, never from the
// fact sheet's table (§3.3: they differ between firmware versions).
#pragma once

#include <cstdint>

#include "gatt/types.hpp"

namespace bandwire::miband {

/// A set of features (bits of `feature`).
using feature_set = std::uint32_t;

namespace feature {
inline constexpr feature_set none = 0;
inline constexpr feature_set device_info = 1u << 0;  ///< DIS 180A: serial, revisions, system id, PnP id (§10)
inline constexpr feature_set battery = 1u << 1;      ///< FEE0 00000006 (§7)
inline constexpr feature_set time = 1u << 2;         ///< FEE0 2A2B (§8)
inline constexpr feature_set steps = 1u << 3;        ///< FEE0 00000007, notify (§9)
inline constexpr feature_set heart_rate = 1u << 4;   ///< HRS 180D: 2A37 notify, 2A39 (§5)
inline constexpr feature_set sensors = 1u << 5;      ///< FEE0 00000001/00000002, notify (§6)
inline constexpr feature_set alerts = 1u << 6;       ///< IAS 1802 2A06, ANS 1811 2A46 (§11)
inline constexpr feature_set events = 1u << 7;       ///< FEE0 00000010, notify (§15)
inline constexpr feature_set history = 1u << 8;      ///< FEE0 00000004/00000005, notify (§14)
inline constexpr feature_set configuration = 1u << 9;  ///< FEE0 00000003, notify (§13)
inline constexpr feature_set user_settings = 1u << 10;  ///< FEE0 00000008 (§12)
inline constexpr feature_set all = 0xffffffffu;       ///< everything miband::band and history_sync use
}  // namespace feature

/// The discovery `f` needs, always with what every link needs: Service
/// Changed (1801 2A05 with its CCCD, for the cache) and auth (FEE1
/// 00000009 with its CCCD, §4). Services in the order a band lays them out
/// (§3.1), so the requests walk the database forwards.
gatt::discovery_needs discovery_needs_for(feature_set f);

}  // namespace bandwire::miband
