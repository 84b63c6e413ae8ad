// The recorder's configuration (`bandwire record --config FILE`, README
// "Unattended recording"): where files go and, for each band, how to reach
// it and which data to record.
//
// The file is TOML (toml++). A key is never written in it: a band names a
// key file (32 hex digits, as `pair` stores) or uses the key `pair` stored
// for its device; a `key` entry is refused, so a config file can be shared
// or checked in without leaking what authenticates the band (fact sheet
// §4: the key is the band's only secret). Unknown entries are refused too:
// a misspelt `hear_rate = true` must not silently record nothing.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "record/mqtt_config.hpp"

namespace bandwire::record {

enum class file_format { jsonl, csv };

/// One band: its link and what to record from it.
struct band_config {
  std::string alias;                ///< names its folder under output; [A-Za-z0-9_-], 1..32 chars
  std::string device;               ///< AA:BB:CC:DD:EE:FF, sim or unix:/path
  std::string key_file;             ///< "" : the key `pair` stored for the device
  std::string adapter = "hci0";     ///< connection attempts are serialized per adapter
  std::string address_type = "random";
  bool accel = false, ppg = false, heart_rate = true;  ///< live streams
  bool steps = true, events = true;                    ///< live notifications
  std::uint8_t rate_hz = 25;                           ///< raw sensor rate
  double counts_per_g = 256.0;
  std::chrono::minutes battery_every{30};   ///< 0: never
  std::chrono::minutes history_every{0};    ///< activity history sync; 0: never
  bool set_time = true;                      ///< write this host's clock on each connect
  friend bool operator==(const band_config&, const band_config&) = default;
};

struct recorder_config {
  std::string output;                       ///< directory; one folder per band alias
  file_format format = file_format::jsonl;
  std::uint64_t rotate_bytes = 64ull << 20;  ///< a file is closed past this size (and daily)
  std::chrono::seconds status_every{60};     ///< status lines; 0: only on changes
  std::string state_dir;                     ///< keys, caches, resume points ("" : the default)
  std::vector<band_config> bands;
  std::optional<mqtt_config> mqtt;           ///< the [mqtt] table (README "Publishing to MQTT")
};

/// Parses the text of a config file. nullopt with `error` set ("line 3:
/// ...") when it is not valid TOML, misses a required entry, has an
/// unknown or ill-typed one, holds a key, or two bands share an alias.
std::optional<recorder_config> parse_config(std::string_view text, std::string& error);

/// Reads and parses a file (at most 1 MiB).
std::optional<recorder_config> load_config(const std::string& path, std::string& error);

const char* format_name(file_format f) noexcept;

}  // namespace bandwire::record
