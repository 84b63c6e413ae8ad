// One band, kept recording: a miband::session connected, authenticated and
// set up with the live feeds asked for, whatever happens to the link.
//
// On every connect (a turn of the adapter_queue, given back once the link
// is established, or the attempt failed): the band's clock is set from this host's,
// a due history sync runs, steps and events are subscribed, the stream
// (raw accelerometer, PPG, heart rate; fact sheet §5, §6) is started, and
// a due battery read is made. A lost link, a failed connect or a failed
// setup step is retried after a back-off (session_options::reconnect:
// initial × factor^(attempt−1), capped), and the outage is reported as one
// `gap` feed event (reason "link") once the feeds are restored. A history
// sync while streaming pauses the stream (the band cannot stream and
// transfer history at once without losing packets, §14) and reports the
// pause as a `gap` (reason "history").
//
// Why the supervisor drives the reconnects itself instead of the session's
// own stream reconnection: attempts must take turns on the adapter, feeds
// other than the stream (steps, events, battery, history) must be restored
// too, and the status line needs "reconnecting in S s". The session does
// the rest: connect, cache, auth, stream, clean stop.
//
// The session is the caller's and must outlive the supervisor; it must be
// made with session_options::reconnect.enabled = false (the supervisor
// reconnects; the session's own stream reconnection would race it).
//
// Operations: stop() completes exactly once, never inline; destroying the
// supervisor cancels everything (nothing is sent).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "common/async.hpp"
#include "common/clock.hpp"
#include "common/listeners.hpp"
#include "common/timer.hpp"
#include "miband/history_sync.hpp"
#include "miband/session.hpp"
#include "record/adapter_queue.hpp"

namespace bandwire::record {

struct supervisor_options {
  /// The back-off between attempts; enabled = false: the first lost link
  /// or failed attempt ends the supervision (on_gave_up).
  miband::reconnect_policy reconnect;
  miband::stream_options stream;
  bool stream_enabled = false;  ///< start the stream (accel, PPG and/or heart rate)
  bool steps = false, events = false;
  bool set_time = true;
  std::chrono::seconds battery_every{0};  ///< 0: never
  std::chrono::seconds history_every{0};  ///< 0: never; needs `history`
  miband::history_sink* history = nullptr;
  miband::history_sync_options history_options;
  double counts_per_g = miband::miband2_counts_per_g;
  /// Attempts take turns per adapter when a queue is given.
  adapter_queue* queue = nullptr;
  std::string adapter = "hci0";
  /// The zone written with the band's clock; empty: the host's.
  std::function<std::chrono::minutes(std::chrono::sys_seconds)> utc_offset;
};

/// What the supervisor delivers, through one handler.
struct feed_event {
  enum class kind : std::uint8_t { stream, steps, device_event, battery, gap, history };
  kind what = kind::stream;
  double wall = 0, mono = 0;                          ///< host clocks at arrival
  const miband::stream_event* stream = nullptr;      ///< sensor packet, heart rate, stall, counter gap
  const miband::realtime_steps* steps = nullptr;
  const miband::device_event* event = nullptr;
  const miband::battery_info* battery = nullptr;
  const miband::history_sync_result* history = nullptr;
  error_code history_error;
  const char* reason = "";   ///< kind::gap: "link" or "history"
  double gap_seconds = 0;    ///< kind::gap
};
using feed_handler = std::function<void(const feed_event&)>;

enum class link_state : std::uint8_t { idle, waiting, connecting, setting_up, running, syncing, reconnecting, stopping, stopped };
const char* state_name(link_state s) noexcept;

struct supervisor_status {
  link_state state = link_state::idle;
  unsigned attempt = 0;           ///< failures in a row
  double reconnect_in = 0;        ///< reconnecting: band seconds until the next attempt
  std::string last_error;         ///< "" when none since the last success
  std::uint64_t connects = 0, losses = 0, history_syncs = 0;
};

class supervisor {
 public:
  using done_fn = unique_function<void(error_code)>;

  supervisor(asio::io_context& io, const scaled_clock& clock, miband::session& s, supervisor_options o,
             feed_handler on_feed);
  ~supervisor();
  supervisor(const supervisor&) = delete;
  supervisor& operator=(const supervisor&) = delete;

  /// Starts connecting (and keeps doing so until stop()).
  void start();
  /// The session is already connected and authenticated (a command that
  /// connected first to report its own errors): sets the feeds up on it.
  void adopt();
  /// Stops the band's streams when the link is up (`15 01 00`, `03`), closes
  /// the link, stops retrying. `done` runs once.
  void stop(done_fn done);
  template <class Token> auto async_stop(Token&& token) {
    return initiate<void(error_code)>(io_.get_executor(), std::forward<Token>(token),
                                      [this](auto h) { stop(std::move(h)); });
  }

  supervisor_status status() const;
  /// Called after every state change (for status lines).
  std::function<void()> on_state_change;
  /// Called once when the supervisor stops retrying (reconnect disabled or
  /// max_attempts reached) with the last failure; state is then `stopped`.
  std::function<void(error_code)> on_gave_up;
  miband::session& session() noexcept { return session_; }
  const supervisor_options& options() const noexcept { return o_; }

 private:
  using step = unique_function<void(done_fn)>;
  void set_state(link_state s);
  void queue_connect();
  void connect_now(adapter_queue::turn t);
  void setup(std::uint64_t gen);
  void run_steps(std::uint64_t gen, std::vector<step> steps, std::size_t i);
  step set_time_step();
  step history_step(std::uint64_t gen);
  step steps_step();
  step events_step();
  step stream_step(std::uint64_t gen);
  step battery_step();
  void on_stream_event(const miband::stream_event& e);
  void setup_failed(std::uint64_t gen, const std::string& what, error_code ec);
  void link_lost(std::uint64_t gen, error_code reason);
  void retry_later(const std::string& why, error_code ec);
  void arm_battery();
  void read_battery_now();
  void arm_history(std::chrono::seconds after = std::chrono::seconds(0));  ///< 0: history_every
  void pause_for_history(std::uint64_t gen);
  void emit_gap(const char* reason, double since);
  void finish_stop(error_code ec);
  bool live(std::uint64_t gen) const { return gen == gen_ && !stopping_; }

  asio::io_context& io_;
  const scaled_clock& clock_;
  supervisor_options o_;
  feed_handler on_feed_;
  miband::session& session_;
  std::unique_ptr<miband::history_sync> sync_;
  link_state state_ = link_state::idle;
  std::uint64_t gen_ = 0;  // bumps per link attempt and loss: stale callbacks see it
  unsigned attempt_ = 0;
  double reconnect_at_ = 0, lost_mono_ = -1, last_data_mono_ = -1, link_up_mono_ = 0;
  double stream_started_mono_ = 0, stream_data_mono_ = -1;
  std::string last_error_;
  std::uint64_t connects_ = 0, losses_ = 0, syncs_ = 0;
  bool stream_active_ = false, battery_due_ = false, history_due_ = false, stopping_ = false;
  std::shared_ptr<void> waiter_;
  adapter_queue::turn turn_;
  registration close_reg_, link_reg_;
  timer backoff_, battery_timer_, history_timer_;
  pending_ops ops_;
  std::vector<std::shared_ptr<op<>>> stop_ops_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace bandwire::record
