// What `bandwire record` publishes (README "Publishing to MQTT"): topics,
// payloads and the Home Assistant discovery messages. Pure functions of the
// config and the record, tested byte for byte (tests/record/mqtt_test.cpp).
//
//  * PREFIX/<alias>/<kind>  a record, QoS 1, not retained: the record's JSON
//    line as the files hold it (without '\n'), starting with `n`, so a
//    consumer deduplicates by (alias, kind, n) what a reconnect sent twice;
//  * PREFIX/status          "online" / "offline" (retained; "offline" is the
//    last will, sent by the broker when the recorder vanishes);
//  * PREFIX/<alias>/availability  "online" while the band's link runs,
//    "offline" otherwise (retained);
//  * PREFIX/dropped         {"dropped":N}: N records the full spool gave up;
//  * DISCOVERY/sensor/<node>/<object>/config  retained Home Assistant
//    discovery: heart rate, battery and steps per band, available when both
//    the recorder and the band are online.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "record/config.hpp"
#include "record/records.hpp"

namespace bandwire::record {

struct mqtt_message {
  std::string topic, payload;
  bool retain = false;
  friend bool operator==(const mqtt_message&, const mqtt_message&) = default;
};

std::string record_topic(const mqtt_config& c, std::string_view alias, record_kind k);
/// The record's JSON line without its '\n' (n must be set).
std::string record_payload(const live_record& r);
std::string status_topic(const mqtt_config& c);
std::string availability_topic(const mqtt_config& c, std::string_view alias);
std::string dropped_topic(const mqtt_config& c);
std::string dropped_payload(std::uint64_t count);

/// The retained discovery configs of one band: heart rate when it records
/// heart rate, battery when battery_minutes > 0, steps when it records steps.
std::vector<mqtt_message> discovery_messages(const mqtt_config& c, const band_config& b);

/// What takes back the discovery configs `before` published and `after`
/// (null: the band is gone) no longer has: an empty retained message on
/// each topic, which makes Home Assistant remove the entity (its MQTT
/// discovery: an empty config deletes). A band that is gone also gets its
/// retained availability cleared.
std::vector<mqtt_message> discovery_removals(const mqtt_config& c, const band_config& before,
                                             const band_config* after);

/// `s` as a JSON string body (quotes, backslashes and control characters escaped).
std::string json_escape(std::string_view s);

}  // namespace bandwire::record

namespace bandwire::record {

/// The MQTT link's state, for `bandwire record`'s status lines.
struct mqtt_status {
  std::string state = "connecting";  ///< connecting, connected, reconnecting in S s, stopped
  std::size_t spooled = 0;           ///< records waiting for PUBACK
  std::uint64_t published = 0;       ///< acknowledged by this process
  std::uint64_t dropped = 0;         ///< given up by the full spool (this process)
  std::string last_error;            ///< "" : none since the last connection
};

/// `mqtt 127.0.0.1:1883: connected, spooled 3, 120 published, last error: none`.
std::string format_mqtt_status(const mqtt_config& c, const mqtt_status& s);

}  // namespace bandwire::record
