// The Mi Band 2 as a library object: an async API over gatt::client.
//
// Characteristics are found by UUID in the client's discovered database,
// never by handle (handles differ between firmware versions, fact sheet
// §3.3). Every operation takes a callback that runs once on the bearer's
// executor; the band object must outlive its operations. Protocol timers
// (keep-alive, watchdog, reply deadlines) run in band time on the shared
// scaled_clock.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>

#include "common/clock.hpp"
#include "gatt/client.hpp"
#include "miband/alert.hpp"
#include "miband/auth.hpp"
#include "miband/battery.hpp"
#include "miband/device_info.hpp"
#include "miband/event.hpp"
#include "miband/heart_rate.hpp"
#include "miband/sensor.hpp"
#include "miband/steps.hpp"
#include "miband/time.hpp"

namespace bandwire::miband {

struct device_information {
  std::string serial, hardware, software;
  std::vector<std::uint8_t> system_id;
  std::optional<pnp_id> pnp;
};

/// One raw sensor packet as delivered to the user: decoded, classified by
/// the shared counter, and stamped with the host's clocks at arrival.
struct sensor_event {
  const sensor_packet& packet;
  counter_tracker::result order;
  double wall = 0;  ///< host wall clock at arrival, seconds since the Unix epoch
  double mono = 0;  ///< host monotonic clock at arrival, seconds
};

struct stream_options {
  bool accelerometer = true;
  bool ppg = true;
  bool heart_rate = true;  ///< PPG needs the HR engine running (§6.2); also reports bpm
  std::uint8_t rate_hz = default_sensor_rate_hz;
};

/// Counters of what arrived malformed or out of order, for the user's report.
struct band_stats {
  std::uint64_t malformed = 0;     ///< notifications that did not decode (reported, skipped)
  std::uint64_t sensor_packets = 0;
  std::uint64_t hr_values = 0;
};

class band {
 public:
  using done_fn = unique_function<void(error_code)>;

  band(gatt::client& client, const scaled_clock& clock);
  ~band();
  band(const band&) = delete;
  band& operator=(const band&) = delete;

  /// Finds the Mi Band characteristics in the client's cache. Fails with
  /// gatt::errc::not_in_cache naming nothing when the device is no Mi Band.
  error_code resolve();
  /// Full discovery then resolve().
  void discover(done_fn done);

  /// Auth (§4): enable the auth CCCD, optionally bind `key` (the user taps
  /// the band), then challenge/answer. Never re-binds after a rejection.
  void authenticate(const auth_key& key, auth_options options, done_fn done);

  void read_battery(unique_function<void(error_code, battery_info)> done);
  void read_time(unique_function<void(error_code, current_time)> done);
  void write_time(const current_time& t, done_fn done);
  void read_steps(unique_function<void(error_code, realtime_steps)> done);
  /// Subscribes to realtime steps (§9); `cb` gets every notification.
  void follow_steps(std::function<void(const realtime_steps&)> cb, done_fn done);
  void read_device_information(unique_function<void(error_code, device_information)> done);

  /// One-shot measurement (§5.3): result or errc::measurement_failed (a 0
  /// reading) or errc::no_answer after `timeout`.
  void heart_rate_once(std::chrono::milliseconds timeout, unique_function<void(error_code, std::uint16_t)> done);
  /// Continuous heart rate with the `16` keep-alive every 12 s. `on_stall`
  /// runs when no value arrived for `watchdog` (and again each period).
  void start_heart_rate(std::function<void(const heart_rate_measurement&)> on_value,
                        std::function<void(double seconds_without)> on_stall, done_fn done);
  /// Raw accelerometer and PPG streaming (§6.2) with keep-alives; heart rate
  /// values go to on_hr when options.heart_rate.
  void start_stream(const stream_options& options, std::function<void(const sensor_event&)> on_packet,
                    std::function<void(const heart_rate_measurement&)> on_hr,
                    std::function<void(double seconds_without)> on_stall, done_fn done);
  /// Stops heart rate and sensors cleanly (`03`, `15 01 00`, CCCDs off).
  void stop(done_fn done);

  void alert(const frame& value, done_fn done);
  void send_new_alert(const new_alert& a, done_fn done);
  void follow_events(std::function<void(const device_event&)> cb, done_fn done);

  std::chrono::milliseconds watchdog_period{5000};  ///< band time without values before on_stall
  double counts_per_g = miband2_counts_per_g;
  const band_stats& stats() const noexcept { return stats_; }
  const counter_tracker& counters() const noexcept { return tracker_; }

 private:
  std::uint16_t handle_of(const att::uuid& type) const;
  void write_req(const att::uuid& type, bytes_view v, done_fn done);
  void write_cmd(const att::uuid& type, bytes_view v, done_fn done);
  void subscribe(const att::uuid& type, gatt::client::notify_callback cb, done_fn done);
  void unsubscribe(const att::uuid& type, done_fn done);
  void read(const att::uuid& type, unique_function<void(error_code, gatt::value_type)> done);
  void arm_keep_alive();
  void arm_watchdog();
  void on_hr_value(bytes_view v);

  gatt::client& client_;
  const scaled_clock& clock_;
  asio::steady_timer keep_alive_, watchdog_, deadline_;
  std::function<void(const heart_rate_measurement&)> on_hr_;
  std::function<void(const sensor_event&)> on_packet_;
  std::function<void(double)> on_stall_;
  double last_value_ = 0;  // band seconds of the last HR or sensor value
  bool streaming_ = false, hr_running_ = false, sensors_running_ = false;
  counter_tracker tracker_;
  band_stats stats_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace bandwire::miband
