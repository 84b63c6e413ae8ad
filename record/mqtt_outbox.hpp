// What the MQTT link sends and when, without I/O (README "Publishing to
// MQTT"): records go through the spool (record/mqtt_spool.hpp), staged just
// before their file write and sent only once it succeeded, and are
// published in order, at most `window` unacknowledged at a time; a PUBACK
// removes its record from the spool. On a lost connection nothing in flight
// is trusted: the next connection sends again from the oldest record left,
// so a record may arrive twice (a consumer deduplicates by alias, kind and
// `n`) but never not at all.
//
// On each connection it first publishes the retained state: PREFIX/status
// "online", each band's availability and, when enabled, the Home Assistant
// discovery configs. The shell (record/mqtt_link.hpp) calls connected(),
// disconnected() and acked() from libmosquitto's callbacks; tests call
// them directly with a fake publish function.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "record/config.hpp"
#include "record/mqtt_format.hpp"
#include "record/mqtt_spool.hpp"
#include "record/records.hpp"

namespace bandwire::record {

class mqtt_outbox {
 public:
  /// Publishes at QoS 1; returns the message id, or nullopt when the
  /// connection cannot take it (the shell then reports a lost connection).
  using publish_fn = std::function<std::optional<int>(const mqtt_message&)>;

  mqtt_outbox(mqtt_spool& spool, mqtt_config c, publish_fn publish, std::size_t window = 16);

  /// The bands of the running config (their discovery messages).
  void set_bands(const std::vector<band_config>& bands);
  /// A record about to be written to its file (n set): spooled, not sent yet.
  void stage(const std::string& alias, const live_record& r);
  /// The staged record is in its file (sent when connected), or not (taken back).
  void settle(bool written);
  /// A band's file of `k` opened with `next_n`: what a killed run staged beyond it goes.
  void writer_opened(const std::string& alias, record_kind k, std::uint64_t next_n);
  /// stage() + settle(true).
  void record(const std::string& alias, const live_record& r) {
    stage(alias, r);
    settle(true);
  }
  /// A band's link came up or went away (its availability topic).
  void band_online(const std::string& alias, bool online);

  void connected();
  void disconnected();
  /// What a clean stop says before its DISCONNECT (the broker drops the last
  /// will then): every band's availability "offline", then PREFIX/status "offline".
  std::vector<mqtt_message> farewell() const;
  void acked(int mid);

  bool is_connected() const noexcept { return connected_; }
  std::size_t in_flight() const noexcept { return in_flight_.size(); }
  std::uint64_t published() const noexcept { return published_; }  ///< records acknowledged

 private:
  bool send_removals();
  void pump();
  bool send(const mqtt_message& m, std::optional<int>* mid = nullptr);

  mqtt_spool& spool_;
  mqtt_config c_;
  publish_fn publish_;
  std::size_t window_;
  std::vector<band_config> bands_;
  std::vector<mqtt_message> removals_;  // discovery a reload took away, not sent yet
  std::map<std::string, bool> online_;
  bool connected_ = false;
  std::map<int, std::uint64_t> in_flight_;  // message id -> spool seq
  std::uint64_t sent_upto_ = 0;             // the last seq sent on this connection
  std::optional<int> dropped_mid_;
  std::optional<std::uint64_t> staged_;
  std::uint64_t dropped_sent_ = 0;
  std::uint64_t published_ = 0;
};

}  // namespace bandwire::record
