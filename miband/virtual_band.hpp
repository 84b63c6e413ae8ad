// A faithful virtual Mi Band 2: the real band's GATT database handle for
// handle (fact sheet §3.1), its auth state machine (§4, §19.2), heart-rate
// timings (§5.3), raw-sensor streaming with the real packet sizes, burst
// cadence and shared counter (§6), battery, time, steps and device events,
// served by gatt::server over any seqpacket socket.
//
// It serves one connection at a time, as the band does. All timings are in
// band time through a scaled_clock, so tests run them many times faster.
// Behaviour the fact sheet leaves open is marked "choice" where decided.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/asio.hpp"
#include "common/clock.hpp"
#include "common/listeners.hpp"
#include "common/timer.hpp"
#include "gatt/database.hpp"
#include "gatt/server_session.hpp"
#include "miband/auth.hpp"
#include "miband/history_server.hpp"
#include "miband/signal_model.hpp"
#include "miband/sim_link.hpp"

namespace bandwire::miband {

/// What the simulated user does when asked to tap the band to bind a key.
enum class tap_behaviour { accept, refuse, none };

/// One notification recorded in a capture, replayed by the band.
struct recorded_notification {
  double t = 0;                       ///< seconds since the first recorded one
  bool heart_rate = false;            ///< 2A37 (else raw sensor data 0002)
  std::vector<std::uint8_t> value;
};

struct sim_options {
  /// The key the band already holds (bound earlier), if any.
  std::optional<auth_key> key;
  tap_behaviour tap = tap_behaviour::accept;
  /// CAP-A: 1.19 s from the bind write to `10 01 01`.
  std::chrono::milliseconds tap_delay{1190};
  /// Choice: without a tap, `10 01 04` after 30 s (§4.2 suggestion).
  std::chrono::milliseconds tap_timeout{30000};
  /// Choice: an unauthenticated link is dropped after 60 s (LEO: "a few
  /// seconds"; long enough for a user exploring with `bandwire gatt`).
  std::chrono::milliseconds unauth_timeout{60000};
  /// Source of the 16-byte auth challenges; default: std::random_device.
  std::function<void(bytes_span)> random;
  std::uint32_t seed = 1;  ///< signal model seed
  /// Identity; defaults are the CAP-A band's (§10, §20.3).
  std::string address = "FA:8E:E3:12:B4:A9";
  std::string serial = "d55b5c5a1833";
  std::string hardware = "V0.1.3.2";
  std::string software = "V1.0.1.69";
  std::uint8_t battery_percent = 82;
  /// Link drop on demand: after N PDUs from the client, or after a time.
  std::optional<std::size_t> drop_after_pdus;
  std::optional<std::chrono::milliseconds> drop_after;
  /// Model the link's connection events (miband/sim_link.hpp) on every
  /// connection served; unset: PDUs pass at once. Never for a link over a
  /// real adapter, which has connection events of its own.
  std::optional<link_timing> link;
  /// Replay these notifications when streaming instead of synthetic data.
  std::shared_ptr<const std::vector<recorded_notification>> replay;
  // ---- activity history (§14; see miband/history_server.hpp) ----
  /// End (exclusive) of the stored history; default: the host clock when
  /// the band is made.
  std::optional<std::chrono::sys_seconds> history_end;
  std::uint32_t history_minutes = 3 * 1440;  ///< choice: 3 days stored
  /// Records per fetch round; the real band's limit is unknown (§22.9).
  std::uint32_t history_round_limit = 1440;
  /// The band's zone for the dates it returns; default: the host's at history_end.
  std::optional<std::chrono::minutes> history_utc_offset;
  /// Fault injection: leave out this packet of the next long-enough transfer, once.
  std::optional<std::size_t> history_skip_packet;
};

class virtual_band {
 public:
  virtual_band(asio::any_io_executor ex, const scaled_clock& clock, sim_options options);
  ~virtual_band();
  virtual_band(const virtual_band&) = delete;
  virtual_band& operator=(const virtual_band&) = delete;

  /// Serves a connection. False (socket closed) when one is already served.
  bool serve(seqpacket_socket socket);
  bool connected() const noexcept { return session_ != nullptr; }
  /// Drops the current link (for reconnect tests).
  void drop_link();
  /// The user presses the band's button: device event `04` (§15).
  void press_button();
  /// Runs after each connection ends.
  void on_disconnect(std::function<void()> cb) { on_disconnect_ = std::move(cb); }

  const gatt::database& database() const noexcept { return db_; }
  /// The key the band holds now (after a bind).
  const std::optional<auth_key>& key() const noexcept { return opts_.key; }
  bool authenticated() const noexcept { return authed_; }
  /// The stored history: what is kept, and the log of requests, transfers
  /// and acks (with band times) a test checks the fetch against.
  const history_server& history() const noexcept { return history_; }

  /// What the band saw, for tests and the `sim` command's log.
  struct counters {
    std::uint32_t connections = 0;
    std::uint32_t vibrations = 0;       ///< Immediate Alert writes with level > 0
    std::uint8_t last_alert_level = 0;
    std::uint32_t new_alerts = 0;
    std::string last_alert_text;
    std::uint32_t sensor_packets = 0;
    std::uint32_t hr_values = 0;
    std::uint32_t keep_alives = 0;
  };
  const counters& stats() const noexcept { return stats_; }

  /// The value handles of the §3.1 layout (they are fixed on this firmware).
  static constexpr std::uint16_t service_changed_handle = 0x000a;
  static constexpr std::uint16_t hr_measurement_handle = 0x0029;
  static constexpr std::uint16_t time_handle = 0x002f;
  static constexpr std::uint16_t sensor_control_handle = 0x0035;
  static constexpr std::uint16_t sensor_data_handle = 0x0038;
  static constexpr std::uint16_t config_handle = 0x003b;
  static constexpr std::uint16_t activity_control_handle = 0x0041;
  static constexpr std::uint16_t activity_data_handle = 0x0044;
  static constexpr std::uint16_t battery_handle = 0x0047;
  static constexpr std::uint16_t steps_handle = 0x004a;
  static constexpr std::uint16_t events_handle = 0x0050;
  static constexpr std::uint16_t auth_handle = 0x0054;

 private:
  enum class hr_state { off, one_shot, continuous };

  void build_database();
  void end_connection();
  void notify(std::uint16_t handle, bytes_view value);
  /// Runs fn after `band_delay` of band time on timer t; a newer call on the
  /// same timer replaces it. Stale or cancelled waits never run fn.
  void after(timer& t, std::chrono::duration<double> band_delay, std::function<void()> fn);

  gatt::att_status on_auth_write(bytes_view v);
  gatt::att_status on_hr_control(bytes_view v);
  gatt::att_status on_sensor_control(bytes_view v);
  gatt::att_status on_config(bytes_view v);
  gatt::att_status on_time_write(bytes_view v);
  gatt::att_status on_activity_control(bytes_view v);
  void hr_tick();
  void sensor_burst();
  void replay_step();
  void steps_tick();

  asio::any_io_executor ex_;
  const scaled_clock& clock_;
  sim_options opts_;
  gatt::database db_;
  signal_model signals_;
  history_server history_;
  std::unique_ptr<gatt::server_session> session_;
  std::shared_ptr<sim_link> link_;  // with sim_options::link: between the central and session_
  std::function<void()> on_disconnect_;
  std::uint64_t generation_ = 0;  // bumps per connection; stale callbacks check it
  counters stats_;

  // per-connection state
  bool authed_ = false;
  std::optional<std::array<std::uint8_t, 16>> challenge_;
  std::size_t pdus_ = 0;
  hr_state hr_ = hr_state::off;
  double hr_deadline_ = 0;  // band seconds: continuous HR stops ~15 s after the last keep-alive
  bool sensor_configured_ = false, sensor_streaming_ = false;
  std::uint8_t sensor_mask_ = 0x03, sensor_rate_ = 25;
  std::uint8_t sensor_counter_ = 0;
  double accel_due_ = 0, ppg_due_ = 0;  // samples owed (fractional)
  double sensor_t_ = 0;                 // band time of the next sample
  std::size_t replay_pos_ = 0;
  double replay_origin_ = 0;
  std::chrono::seconds time_offset_{0};  // band clock minus host clock, set by writes

  timer tap_timer_, unauth_timer_, hr_timer_, sensor_timer_, steps_timer_, drop_timer_;
  registration close_reg_, tap_reg_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace bandwire::miband
