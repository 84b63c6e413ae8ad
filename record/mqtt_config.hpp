// The [mqtt] table of the recorder's config (README "Publishing to MQTT"):
// the broker, the client's identity, where credentials and TLS files are
// and how large the local spool may grow.
//
// Secrets are named by path only, as band keys are (record/config.hpp): a
// `password` entry is refused, so the config can be shared or checked in,
// and nothing secret is ever on a command line (visible in ps).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

namespace bandwire::record {

struct mqtt_config {
  std::string url;                 ///< as written: mqtt://HOST[:PORT] or mqtts://HOST[:PORT]
  std::string host;                ///< a name, an IPv4 address or an IPv6 address (without [])
  std::uint16_t port = 1883;       ///< 1883 for mqtt://, 8883 for mqtts://
  bool tls = false;                ///< mqtts://
  std::string client_id = "bandwire";
  std::string topic_prefix = "bandwire";
  std::string username;            ///< "" : none
  std::string password_file;       ///< its first line is the password; "" : none
  std::string ca_file, cert_file, key_file;  ///< TLS (mqtts://): CA, client certificate and key
  std::chrono::seconds keepalive{30};
  std::uint64_t spool_bytes = 16ull << 20;   ///< records waiting for PUBACK, at most
  bool discovery = true;                     ///< Home Assistant discovery messages
  std::string discovery_prefix = "homeassistant";
  friend bool operator==(const mqtt_config&, const mqtt_config&) = default;
};

/// Splits mqtt://HOST[:PORT] or mqtts://HOST[:PORT] (an IPv6 HOST in []).
/// Returns "" or what is wrong with it.
std::string parse_broker_url(std::string_view url, mqtt_config& c);

/// A topic prefix or discovery prefix: 1..64 of printable ASCII without
/// spaces, '+' and '#' (MQTT wildcards), not starting or ending with '/'.
bool valid_topic_prefix(std::string_view p) noexcept;

/// A client id: 1..64 of A-Z a-z 0-9 - _ .
bool valid_client_id(std::string_view id) noexcept;

}  // namespace bandwire::record
