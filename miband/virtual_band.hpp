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
#include "miband/virtual_settings.hpp"
#include "miband/sim_link.hpp"

namespace bandwire::miband {

/// What the simulated user does when asked to tap the band to bind a key.
enum class tap_behaviour { accept, refuse, none };

/// How a band answers the crypt-flag challenge request `82 <flag> 02 01 00`
/// (fact sheet §18): a Mi Band 4 accepts it; `refuse` (`10 82 04`) and
/// `ignore` (no answer) exercise the client's plain `02 <flag>` fallback (§22.16).
enum class crypt_answer { accept, refuse, ignore };

class virtual_strap;

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
  /// Continuous heart-rate values keep coming this long (band time) after
  /// `15 01 00`: "the band sends measurement results for quite a while even
  /// after telling it to stop" (§5.3); how long is not known [?]. Choice:
  /// 0 (stops at once) unless a test asks for it.
  std::chrono::milliseconds hr_stop_linger{0};
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
  /// `06` setting ids this band answers `10 06 06` to (firmwares differ, §22.13).
  std::vector<std::uint16_t> unsupported_settings;
  // ---- the Huami siblings and straps (fact sheet §18; set by
  // miband/virtual_models.hpp apply_model(), the defaults are the Mi Band 2's) ----
  std::string device_name = "MI Band 2";  ///< 2A00 (§10)
  std::uint16_t pnp_product = 0x0004;     ///< 2A50 product id (§10: Huami 0x0157, product 0x0004)
  bool heart_rate_service = true;         ///< 180D present (not on the HRX)
  bool ppg = true;                        ///< an optical sensor behind the raw stream (not on the HRX)
  bool can_bind = true;                   ///< accepts `01 <flag> <key>` (not the Mi Band 4, §18)
  /// The display-items command `0a` it takes (the Mi Band 3's on a Mi Band 3 or 4, §18).
  display_items_layout display_items = display_items_layout::mi_band_2;
  crypt_answer crypt = crypt_answer::accept;
  /// A standard heart-rate strap instead of a band (miband/virtual_strap.hpp).
  bool strap = false;
};

class virtual_band {
 public:
  virtual_band(asio::any_io_executor ex, const scaled_clock& clock, sim_options options);
  ~virtual_band();
  virtual_band(const virtual_band&) = delete;
  virtual_band& operator=(const virtual_band&) = delete;

  /// Serves a connection. False (socket closed) when one is already served.
  bool serve(seqpacket_socket socket);
  bool connected() const noexcept;
  /// Drops the current link (for reconnect tests).
  void drop_link();
  /// The strap this device is when sim_options::strap (else null): every
  /// connection goes to it.
  virtual_strap* strap() noexcept { return strap_.get(); }
  /// The user presses the band's button: device event `04` (§15).
  void press_button();
  /// Runs after each connection ends.
  void on_disconnect(std::function<void()> cb) { on_disconnect_ = std::move(cb); }

  /// One write to Immediate Alert (2A06) or New Alert (2A46) after auth.
  struct alert_write {
    double at = 0;  ///< band seconds (clock.seconds()) when it arrived
    bool to_new_alert = false;  ///< 2A46 (else 2A06)
    std::vector<std::uint8_t> value;
  };
  /// The alert writes, in order, for tests to check bytes and spacing (the
  /// newest 256 at least: common/bounded_log.hpp).
  const std::vector<alert_write>& alert_log() const noexcept { return alert_log_; }
  /// Runs on each alert write (the `sim` command logs them).
  void on_alert(std::function<void(const alert_write&)> cb) { on_alert_ = std::move(cb); }

  const gatt::database& database() const noexcept;
  /// The key the band holds now (after a bind).
  const std::optional<auth_key>& key() const noexcept { return opts_.key; }
  bool authenticated() const noexcept { return authed_; }
  /// The stored history: what is kept, and the log of requests, transfers
  /// and acks (with band times) a test checks the fetch against.
  const history_server& history() const noexcept { return history_; }
  /// The settings and alarms written to the band, and its log of those writes.
  const virtual_settings& settings() const noexcept { return settings_; }
  virtual_settings& settings() noexcept { return settings_; }

  /// What the band saw, for tests and the `sim` command's log.
  struct counters {
    std::uint32_t connections = 0;
    std::uint32_t vibrations = 0;       ///< Immediate Alert writes with level > 0
    std::uint8_t last_alert_level = 0;
    std::uint32_t new_alerts = 0;
    /// The text the band shows: of an SMS or incoming call only; other
    /// categories show an icon (miband2_shows_text(), §11.2).
    std::string last_alert_text;
    bool call_ringing = false;  ///< New Alert `03 nn` (nn > 0) until `03 00` (§11.2)
    std::uint32_t sensor_packets = 0;
    std::uint32_t hr_values = 0;
    std::uint32_t keep_alives = 0;
    /// The values written to the auth characteristic, in order (the exact
    /// bytes a family's auth sends, fact sheet §4.1, §18); the newest
    /// 256 at least (common/bounded_log.hpp).
    std::vector<std::vector<std::uint8_t>> auth_writes;
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
  gatt::att_status on_new_alert(bytes_view v);
  void log_alert(bool to_new_alert, bytes_view v);
  gatt::att_status on_time_write(bytes_view v);
  gatt::att_status on_activity_control(bytes_view v);
  void hr_tick();
  void hr_linger_tick();
  void sensor_burst();
  void replay_step();
  void steps_tick();

  asio::any_io_executor ex_;
  const scaled_clock& clock_;
  sim_options opts_;
  gatt::database db_;
  signal_model signals_;
  history_server history_;
  virtual_settings settings_;
  std::unique_ptr<gatt::server_session> session_;
  std::unique_ptr<virtual_strap> strap_;
  std::shared_ptr<sim_link> link_;  // with sim_options::link: between the central and session_
  std::function<void()> on_disconnect_;
  std::uint64_t generation_ = 0;  // bumps per connection; stale callbacks check it
  counters stats_;
  std::vector<alert_write> alert_log_;
  std::function<void(const alert_write&)> on_alert_;

  // per-connection state
  bool authed_ = false;
  std::optional<std::array<std::uint8_t, 16>> challenge_;
  std::size_t pdus_ = 0;
  hr_state hr_ = hr_state::off;
  double hr_deadline_ = 0;  // band seconds: continuous HR stops ~15 s after the last keep-alive
  bool sensor_configured_ = false, sensor_streaming_ = false;
  std::uint8_t sensor_mask_ = 0x03, sensor_rate_ = 25;
  std::uint8_t sensor_counter_ = 0;
  // Each sensor samples at sensor_rate_ from its own start: sample i at
  // *_t0_ + i / rate (band time), sent with the first burst due after it.
  double accel_t0_ = 0, ppg_t0_ = 0;
  std::uint64_t accel_i_ = 0, ppg_i_ = 0;  // the next sample to measure
  double sensor_t_ = 0;                    // band time the next burst is due
  std::size_t replay_pos_ = 0;
  double replay_origin_ = 0;
  std::chrono::seconds time_offset_{0};  // band clock minus host clock, set by writes

  timer tap_timer_, unauth_timer_, hr_timer_, sensor_timer_, steps_timer_, drop_timer_;
  timer hr_linger_timer_{ex_, clock_};
  double hr_linger_until_ = 0;  // band seconds: values still sent after a stop (hr_stop_linger)
  registration close_reg_, tap_reg_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace bandwire::miband
