// The Mi Band 2 as a library object: an async API over gatt::client.
//
// Characteristics are found by UUID in the client's discovered database,
// never by handle (handles differ between firmware versions, fact sheet
// §3.3). Protocol timers (keep-alive, watchdog, reply deadlines) run in band
// time on the shared clock (scaled or virtual, common/clock.hpp).
//
// Operations: each has a callback form and an async_* form taking any Asio
// completion token; the handler runs exactly once, never inline, on the
// client's executor (or the handler's associated one). Each operation that
// waits for the band has its own deadline (auth_options timeouts, the
// one-shot timeout, 5 s for the sensor configure reply); deadlines never
// share a timer.
//
// Lifetime: the band must not outlive its gatt::client. cancel() completes
// every operation in flight with operation_aborted; so does destroying the
// band, at any moment (tests/miband/session_test.cpp destroys it after
// every PDU and timer expiry). Its listeners on the client are RAII
// registrations, gone with the band.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>

#include "common/async.hpp"
#include "common/clock.hpp"
#include "common/listeners.hpp"
#include "common/timer.hpp"
#include "gatt/client.hpp"
#include "miband/alert.hpp"
#include "miband/auth.hpp"
#include "miband/battery.hpp"
#include "miband/capabilities.hpp"
#include "miband/device_info.hpp"
#include "miband/event.hpp"
#include "miband/heart_rate.hpp"
#include "miband/sample_times.hpp"
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
  /// When each sample was measured, host wall clock (one per sample, none
  /// after `wall`, never going back): reconstructed from the arrivals by
  /// the band's sample_timeline (miband/sample_times.hpp). Valid during the
  /// callback.
  std::span<const double> times;
};

/// What a running stream delivers, through one handler.
struct stream_event {
  enum class kind : std::uint8_t { sensor, heart_rate, stall, gap };
  kind what = kind::sensor;
  const sensor_event* sensor = nullptr;          ///< kind::sensor
  const heart_rate_measurement* hr = nullptr;    ///< kind::heart_rate
  double wall = 0, mono = 0;                     ///< host clocks at arrival (heart_rate, stall)
  double stall_seconds = 0;                      ///< kind::stall: host seconds without values
  std::uint64_t gap_missing = 0;  ///< kind::gap (from a session): packets lost by the counter (0: data just stopped)
  double gap_seconds = 0;         ///< kind::gap: seconds without data
};
using stream_handler = std::function<void(const stream_event&)>;

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
  std::uint64_t hr_ignored = 0;    ///< one-shot: values too soon after `15 02 01` to be its answer
};

class band {
 public:
  using done_fn = unique_function<void(error_code)>;

  band(gatt::client& client, const scaled_clock& clock);
  ~band();
  band(const band&) = delete;
  band& operator=(const band&) = delete;

  using executor_type = asio::any_io_executor;
  executor_type get_executor() const { return ex_; }
  gatt::client& client() noexcept { return client_; }
  const scaled_clock& clock() const noexcept { return clock_; }

  /// Decides capabilities() from the client's database (partial or full)
  /// and the name identify() read or set_device_name() gave. Fails with gatt::errc::not_in_cache when the device is
  /// neither a Huami band (FEE1 auth) nor a heart-rate sensor (180D).
  error_code resolve();
  /// Full discovery then resolve().
  void discover(done_fn done);
  /// Reads the device name 2A00 with one Read By Type over the whole range
  /// (as Mi Fit does, fact sheet §10), whether or not GAP was discovered, and
  /// refines capabilities() with it (fact sheet §18). A device without a
  /// readable name keeps the database's verdict; only a link failure fails.
  void identify(done_fn done);
  /// What the device is and supports: the family, its auth variant, the
  /// services it has. Operations needing a service the device lacks fail
  /// with the error naming it (miband/capabilities.hpp).
  const device_capabilities& capabilities() const noexcept { return caps_; }
  void set_capabilities(const device_capabilities& c) { caps_ = c; }
  /// The name identify() read ("" before, or when there is none).
  const std::string& device_name() const noexcept { return name_; }
  /// A name read on an earlier link (the session's cache) in place of
  /// identify(); resolve() then decides with it.
  void set_device_name(std::string name) { name_ = std::move(name); }

  /// Auth (§4): enable the auth CCCD, optionally bind `key` (the user taps
  /// the band), then challenge/answer. Never re-binds after a rejection.
  /// Errors: errc::key_rejected, bind_refused, bind_timeout, no_answer,
  /// malformed replies (miband/error.hpp); ATT/link errors.
  void authenticate(const auth_key& key, auth_options options, done_fn done);

  void read_battery(unique_function<void(error_code, battery_info)> done);
  void read_time(unique_function<void(error_code, current_time)> done);
  void write_time(const current_time& t, done_fn done);
  void read_steps(unique_function<void(error_code, realtime_steps)> done);
  /// Subscribes to realtime steps (§9); `cb` gets every notification until
  /// stop_following() or the band's destruction.
  void follow_steps(std::function<void(const realtime_steps&)> cb, done_fn done);
  void read_device_information(unique_function<void(error_code, device_information)> done);

  /// One-shot measurement (§5.3): result or errc::measurement_failed (a 0
  /// reading) or errc::no_answer after `timeout` (band time from `15 02 01`).
  /// Both modes are stopped first (`15 02 00`, `15 01 00`, as CR and VS-JS
  /// do), so a continuous measurement left running cannot answer, and values
  /// arriving sooner than one_shot_earliest after `15 02 01` are ignored
  /// (counted in stats().hr_ignored): the band keeps sending for a while
  /// after a stop.
  void heart_rate_once(std::chrono::milliseconds timeout, unique_function<void(error_code, std::uint16_t)> done);
  /// Continuous heart rate with the `16` keep-alive every 12 s: a stream
  /// with heart rate only.
  void start_heart_rate(stream_handler on_event, done_fn done);
  /// Raw accelerometer and PPG streaming (§6.2) with keep-alives. Sensor
  /// packets, heart-rate values and stalls (no value for watchdog_period)
  /// reach `on_event` until stop() or the band's destruction.
  void start_stream(const stream_options& options, stream_handler on_event, done_fn done);
  /// Stops heart rate and sensors cleanly (`03`, `15 01 00`, CCCDs off).
  void stop(done_fn done);
  bool streaming() const noexcept { return streaming_; }

  /// Immediate Alert (2A06, Write Command): make_alert(level), find_device...
  void alert(const frame& value, done_fn done);
  /// One New Alert (2A46, Write Request): one alert on the band. Text that
  /// does not fit in one write is cut at a character boundary
  /// (encode_new_alert(); the band would show each further write as an
  /// alert of its own).
  void send_new_alert(const new_alert& a, done_fn done);
  /// The whole text as separate alerts (encode_new_alert_parts()), each
  /// write starting `spacing` of band time after the previous one completed.
  void send_new_alert_parts(const new_alert& a, std::chrono::milliseconds spacing, done_fn done);
  /// Stops every alert: `00` to Immediate Alert and `03 00` (stop a ringing
  /// incoming call) to New Alert (§11.1, §11.2).
  void stop_alerts(done_fn done);
  /// Device events (§15) reach `cb` until stop_following() or destruction.
  void follow_events(std::function<void(const device_event&)> cb, done_fn done);
  /// Drops the steps and events listeners (no ATT traffic).
  void stop_following();

  /// Completes every operation in flight with operation_aborted and stops
  /// the stream's timers and listeners locally (nothing is sent).
  void cancel();

  // ---- completion-token forms ----
  template <class Token> auto async_authenticate(const auth_key& key, auth_options o, Token&& token) {
    return initiate<void(error_code)>(ex_, std::forward<Token>(token),
                                      [this, key, o](auto h) { authenticate(key, o, std::move(h)); });
  }
  template <class Token> auto async_discover(Token&& token) {
    return initiate<void(error_code)>(ex_, std::forward<Token>(token), [this](auto h) { discover(std::move(h)); });
  }
  template <class Token> auto async_read_battery(Token&& token) {
    return initiate<void(error_code, battery_info)>(ex_, std::forward<Token>(token),
                                                    [this](auto h) { read_battery(std::move(h)); });
  }
  template <class Token> auto async_read_time(Token&& token) {
    return initiate<void(error_code, current_time)>(ex_, std::forward<Token>(token),
                                                    [this](auto h) { read_time(std::move(h)); });
  }
  template <class Token> auto async_write_time(const current_time& t, Token&& token) {
    return initiate<void(error_code)>(ex_, std::forward<Token>(token), [this, t](auto h) { write_time(t, std::move(h)); });
  }
  template <class Token> auto async_read_steps(Token&& token) {
    return initiate<void(error_code, realtime_steps)>(ex_, std::forward<Token>(token),
                                                      [this](auto h) { read_steps(std::move(h)); });
  }
  template <class Token> auto async_read_device_information(Token&& token) {
    return initiate<void(error_code, device_information)>(ex_, std::forward<Token>(token),
                                                          [this](auto h) { read_device_information(std::move(h)); });
  }
  template <class Token> auto async_heart_rate_once(std::chrono::milliseconds timeout, Token&& token) {
    return initiate<void(error_code, std::uint16_t)>(
        ex_, std::forward<Token>(token), [this, timeout](auto h) { heart_rate_once(timeout, std::move(h)); });
  }
  template <class Token> auto async_start_stream(const stream_options& o, stream_handler on_event, Token&& token) {
    return initiate<void(error_code)>(ex_, std::forward<Token>(token), [this, o, ev = std::move(on_event)](auto h) mutable {
      start_stream(o, std::move(ev), std::move(h));
    });
  }
  template <class Token> auto async_stop(Token&& token) {
    return initiate<void(error_code)>(ex_, std::forward<Token>(token), [this](auto h) { stop(std::move(h)); });
  }
  template <class Token> auto async_alert(const frame& f, Token&& token) {
    return initiate<void(error_code)>(ex_, std::forward<Token>(token), [this, f](auto h) { alert(f, std::move(h)); });
  }
  template <class Token> auto async_send_new_alert(const new_alert& a, Token&& token) {
    return initiate<void(error_code)>(ex_, std::forward<Token>(token),
                                      [this, a](auto h) { send_new_alert(a, std::move(h)); });
  }
  template <class Token>
  auto async_send_new_alert_parts(const new_alert& a, std::chrono::milliseconds spacing, Token&& token) {
    return initiate<void(error_code)>(ex_, std::forward<Token>(token),
                                      [this, a, spacing](auto h) { send_new_alert_parts(a, spacing, std::move(h)); });
  }
  template <class Token> auto async_stop_alerts(Token&& token) {
    return initiate<void(error_code)>(ex_, std::forward<Token>(token), [this](auto h) { stop_alerts(std::move(h)); });
  }

  std::chrono::milliseconds watchdog_period{5000};  ///< band time without values before a stall event
  std::chrono::milliseconds one_shot_earliest{hr_one_shot_earliest};  ///< see heart_rate_once()
  double counts_per_g = miband2_counts_per_g;
  const band_stats& stats() const noexcept { return stats_; }
  const counter_tracker& counters() const noexcept { return tracker_; }
  /// The stream's sample times and the rates measured from arrivals.
  const sample_timeline& timeline() const noexcept { return timeline_; }

 private:
  using done_op = op<>;
  std::uint16_t handle_of(const att::uuid& type) const;
  error_code missing(const att::uuid& type) const;  // why `type` is not there
  void write_req(const att::uuid& type, bytes_view v, done_fn done);
  void write_cmd(const att::uuid& type, bytes_view v, done_fn done);
  void subscribe(const att::uuid& type, done_fn done);
  void unsubscribe(const att::uuid& type, done_fn done);
  registration listen(const att::uuid& type, gatt::client::notify_callback cb);
  void read(const att::uuid& type, unique_function<void(error_code, gatt::value_type)> done);
  void sequence(std::vector<unique_function<void(done_fn)>> steps, done_fn done, bool keep_going = false);
  void arm_keep_alive();
  void arm_watchdog();
  void on_hr_value(bytes_view v);
  void on_sensor_value(bytes_view v);
  void emit(const stream_event& e);

  gatt::client& client_;
  const scaled_clock& clock_;
  asio::any_io_executor ex_;
  pending_ops ops_;
  timer keep_alive_, watchdog_;
  stream_handler on_event_;
  registration hr_reg_, sensor_reg_, control_reg_, steps_reg_, events_reg_;
  std::shared_ptr<void> auth_run_, hr_once_run_;  // in-flight runs die with the band
  std::shared_ptr<timer> alert_gap_;               // send_new_alert_parts' wait; dies with the band
  double last_value_ = 0;  // band seconds of the last HR or sensor value
  bool streaming_ = false, hr_running_ = false, sensors_running_ = false;
  counter_tracker tracker_;
  sample_timeline timeline_;
  band_stats stats_;
  device_capabilities caps_;
  std::string name_;
  life life_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);  // for timer and sequence callbacks
};

}  // namespace bandwire::miband
