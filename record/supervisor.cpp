#include "record/supervisor.hpp"

#include <algorithm>
#include <cmath>

#include "miband/error.hpp"
#include "miband/history.hpp"
#include "miband/time.hpp"

namespace bandwire::record {

namespace chr = std::chrono;

const char* state_name(link_state s) noexcept {
  switch (s) {
    case link_state::idle: return "idle";
    case link_state::waiting: return "waiting for the adapter";
    case link_state::connecting: return "connecting";
    case link_state::setting_up: return "setting up";
    case link_state::running: return "connected";
    case link_state::syncing: return "syncing history";
    case link_state::reconnecting: return "reconnecting";
    case link_state::stopping: return "stopping";
    case link_state::stopped: return "stopped";
  }
  return "?";
}

supervisor::supervisor(asio::io_context& io, const scaled_clock& clock, miband::session& s, supervisor_options o,
                       feed_handler on_feed)
    : io_(io),
      clock_(clock),
      o_(std::move(o)),
      on_feed_(std::move(on_feed)),
      session_(s),
      backoff_(io.get_executor(), clock),
      battery_timer_(io.get_executor(), clock),
      history_timer_(io.get_executor(), clock) {
  if (o_.history && o_.history_every.count() > 0) sync_ = std::make_unique<miband::history_sync>(session_);
  // The adapter is free for the next band's attempt once this link is
  // established (the controller initiates one connection at a time, Core
  // Vol 6 Part B §4.5); authentication runs on the open link.
  link_reg_ = session_.on_link_event([this](const miband::link_event& e) {
    if (e.what == miband::link_event::kind::connected) turn_.reset();
  });
}

supervisor::~supervisor() {
  *alive_ = false;
  stopping_ = true;
  sync_.reset();
  link_reg_.reset();
  close_reg_.reset();
  waiter_.reset();
  turn_.reset();
  ops_.abort_all();
}

void supervisor::set_state(link_state s) {
  if (s == state_) return;
  state_ = s;
  if (on_state_change) on_state_change();
}

supervisor_status supervisor::status() const {
  supervisor_status st;
  st.state = state_;
  st.attempt = attempt_;
  st.reconnect_in = state_ == link_state::reconnecting ? std::max(0.0, reconnect_at_ - clock_.seconds()) : 0;
  st.last_error = last_error_;
  st.connects = connects_, st.losses = losses_, st.history_syncs = syncs_;
  return st;
}

void supervisor::start() {
  battery_due_ = o_.battery_every.count() > 0;
  history_due_ = sync_ != nullptr;
  arm_battery();
  arm_history();
  queue_connect();
}

void supervisor::adopt() {
  battery_due_ = o_.battery_every.count() > 0;
  history_due_ = sync_ != nullptr;
  arm_battery();
  arm_history();
  const auto g = ++gen_;
  ++connects_;
  link_up_mono_ = clock_.mono();
  if (!session_.connected()) return link_lost(g, session_.bearer() ? session_.bearer()->close_reason() : error_code());
  close_reg_ = session_.bearer()->on_close([this, g](error_code r) { link_lost(g, r); });
  setup(g);
}

void supervisor::queue_connect() {
  set_state(link_state::waiting);
  if (!o_.queue) {
    asio::post(io_, [this, alive = alive_] {
      if (*alive && !stopping_) connect_now({});
    });
    return;
  }
  waiter_ = o_.queue->enqueue(o_.adapter, [this, alive = alive_](adapter_queue::turn t) {
    if (*alive && !stopping_) connect_now(std::move(t));
  });
}

void supervisor::connect_now(adapter_queue::turn t) {
  waiter_.reset();
  turn_ = std::move(t);
  const auto g = ++gen_;
  set_state(link_state::connecting);
  session_.connect(true, [this, g, alive = alive_](error_code ec) {
    if (!*alive) return;
    turn_.reset();  // connected and authenticated, or failed: the next band's turn
    if (!live(g)) return;
    if (ec) {
      std::string why = ec == miband::errc::transport_failed ? session_.last_message() : ec.message();
      if (ec == miband::errc::no_key) why = "no key: pair first or give key_file";
      if (ec == miband::errc::state_error) why = session_.last_message();
      return retry_later("connect: " + why, ec);
    }
    ++connects_;
    link_up_mono_ = clock_.mono();
    if (!session_.connected()) return link_lost(g, session_.bearer() ? session_.bearer()->close_reason() : error_code());
    close_reg_ = session_.bearer()->on_close([this, g](error_code r) { link_lost(g, r); });
    setup(g);
  });
}

// The feeds, in order: clock, history (the stream is not running yet),
// subscriptions, the outage's gap, the stream, battery.
void supervisor::setup(std::uint64_t gen) {
  set_state(link_state::setting_up);
  if (auto* b = session_.band()) b->counts_per_g = o_.counts_per_g;
  std::vector<step> s;
  if (o_.set_time) s.push_back(set_time_step());
  if (history_due_ && sync_) s.push_back(history_step(gen));
  if (o_.steps) s.push_back(steps_step());
  if (o_.events) s.push_back(events_step());
  s.push_back([this](done_fn next) {
    if (lost_mono_ >= 0) emit_gap("link", lost_mono_);
    lost_mono_ = -1;
    next({});
  });
  if (o_.stream_enabled) s.push_back(stream_step(gen));
  if (battery_due_) s.push_back(battery_step());
  run_steps(gen, std::move(s), 0);
}

void supervisor::run_steps(std::uint64_t gen, std::vector<step> steps, std::size_t i) {
  if (i == steps.size()) {
    attempt_ = 0;
    last_error_.clear();
    set_state(link_state::running);
    if (battery_due_) read_battery_now();  // fell due during a history pause
    return;
  }
  auto shared = std::make_shared<std::vector<step>>(std::move(steps));
  (*shared)[i]([this, gen, shared, i, alive = alive_](error_code ec) {
    if (!*alive || !live(gen)) return;
    if (ec) return setup_failed(gen, "setting up the band", ec);
    run_steps(gen, std::move(*shared), i + 1);
  });
}

supervisor::step supervisor::set_time_step() {
  return [this](done_fn next) {
    const double wall = clock_.wall();
    const chr::system_clock::time_point now{chr::duration_cast<chr::system_clock::duration>(chr::duration<double>(wall))};
    const chr::sys_seconds secs = chr::floor<chr::seconds>(now);
    const auto offset = o_.utc_offset ? o_.utc_offset(secs) : miband::host_utc_offset(secs);
    session_.band()->write_time(miband::make_current_time(now, offset), std::move(next));
  };
}

supervisor::step supervisor::history_step(std::uint64_t gen) {
  return [this, gen](done_fn next) {
    set_state(link_state::syncing);
    sync_->run(o_.history_options, *o_.history, nullptr,
               [this, gen, next = std::move(next), alive = alive_](error_code ec, miband::history_sync_result r) mutable {
                 if (!*alive || !live(gen)) return;
                 ++syncs_;
                 feed_event f;
                 f.what = feed_event::kind::history;
                 f.wall = clock_.wall(), f.mono = clock_.mono();
                 f.history = &r;
                 f.history_error = ec;
                 on_feed_(f);
                 if (!*alive || !live(gen)) return;
                 // A failed fetch with the link up is reported and tried
                 // again a minute later (or at the next connect); the live
                 // feeds go on meanwhile.
                 history_due_ = ec.failed();
                 if (ec && session_.connected()) {
                   last_error_ = "history sync: " + ec.message();
                   arm_history(std::min<chr::seconds>(o_.history_every, chr::seconds(60)));
                 }
                 set_state(link_state::setting_up);
                 next(session_.connected() ? error_code() : ec);
               });
  };
}

supervisor::step supervisor::steps_step() {
  return [this](done_fn next) {
    session_.band()->follow_steps(
        [this](const miband::realtime_steps& st) {
          feed_event f;
          f.what = feed_event::kind::steps;
          f.wall = clock_.wall(), f.mono = last_data_mono_ = clock_.mono();
          f.steps = &st;
          on_feed_(f);
        },
        std::move(next));
  };
}

supervisor::step supervisor::events_step() {
  return [this](done_fn next) {
    session_.band()->follow_events(
        [this](const miband::device_event& e) {
          feed_event f;
          f.what = feed_event::kind::device_event;
          f.wall = clock_.wall(), f.mono = last_data_mono_ = clock_.mono();
          f.event = &e;
          on_feed_(f);
        },
        std::move(next));
  };
}

void supervisor::on_stream_event(const miband::stream_event& e) {
  // The session's gap for a stream ended while the link was down carries
  // no count: the supervisor reports that outage itself when it resumes.
  if (e.what == miband::stream_event::kind::gap && e.gap_missing == 0) return;
  // The band's watchdog (5 s) fires before the first heart rate of a stream
  // (about 6.6 s, fact sheet §5.3): values that never started did not stall.
  if (e.what == miband::stream_event::kind::stall && stream_data_mono_ < stream_started_mono_) return;
  if (e.what != miband::stream_event::kind::stall) last_data_mono_ = stream_data_mono_ = e.mono;
  feed_event f;
  f.what = feed_event::kind::stream;
  f.wall = e.wall, f.mono = e.mono;
  f.stream = &e;
  on_feed_(f);
}

supervisor::step supervisor::stream_step(std::uint64_t gen) {
  return [this, gen](done_fn next) {
    stream_active_ = true;
    stream_started_mono_ = clock_.mono();
    session_.stream(
        o_.stream, [this](const miband::stream_event& e) { on_stream_event(e); },
        [this, gen, alive = alive_](error_code ec) {
          if (!*alive || !live(gen)) return;
          stream_active_ = false;
          // Ended with the link up: the band refused the stream. A lost
          // link is link_lost's.
          if (ec && session_.connected()) setup_failed(gen, "starting the stream", ec);
        });
    next({});
  };
}

supervisor::step supervisor::battery_step() {
  return [this](done_fn next) {
    session_.band()->read_battery([this, next = std::move(next), alive = alive_](error_code ec, miband::battery_info b) mutable {
      if (!*alive) return;
      if (!ec) {
        battery_due_ = false;
        feed_event f;
        f.what = feed_event::kind::battery;
        f.wall = clock_.wall(), f.mono = clock_.mono();
        f.battery = &b;
        on_feed_(f);
      }
      next(ec);
    });
  };
}

void supervisor::setup_failed(std::uint64_t gen, const std::string& what, error_code ec) {
  if (!live(gen)) return;
  ++gen_;
  stream_active_ = false;
  if (lost_mono_ < 0) lost_mono_ = last_data_mono_ >= link_up_mono_ ? last_data_mono_ : clock_.mono();
  session_.close();  // the next attempt starts from a fresh link
  retry_later(what + ": " + ec.message(), ec);
}

void supervisor::link_lost(std::uint64_t gen, error_code reason) {
  if (!live(gen)) return;
  ++gen_;
  ++losses_;
  stream_active_ = false;
  if (sync_) sync_->cancel();
  if (lost_mono_ < 0) lost_mono_ = last_data_mono_ >= link_up_mono_ ? last_data_mono_ : clock_.mono();
  retry_later("link lost: " + reason.message(), reason);
}

void supervisor::retry_later(const std::string& why, error_code ec) {
  last_error_ = why;
  ++attempt_;
  const auto& p = o_.reconnect;
  // A service the device does not have (the HRX's 180D, fact sheet §18)
  // stays missing however often we reconnect: give up at once.
  const bool permanent = miband::is_missing_service(ec);
  if (!p.enabled || permanent || (p.max_attempts && attempt_ > p.max_attempts)) {
    stopping_ = true;
    set_state(link_state::stopped);
    if (on_gave_up) on_gave_up(ec ? ec : make_error_code(miband::errc::transport_failed));
    return;
  }
  const double ms = std::min(static_cast<double>(p.max.count()),
                             static_cast<double>(p.initial.count()) * std::pow(p.factor, attempt_ - 1));
  reconnect_at_ = clock_.seconds() + ms / 1000.0;
  set_state(link_state::reconnecting);
  backoff_.expires_after(chr::milliseconds(static_cast<long long>(ms)));
  backoff_.async_wait([this, alive = alive_](error_code e) {
    if (e || !*alive || stopping_) return;
    queue_connect();
  });
}

void supervisor::arm_battery() {
  if (o_.battery_every.count() <= 0) return;
  battery_timer_.expires_after(o_.battery_every);
  battery_timer_.async_wait([this, alive = alive_](error_code e) {
    if (e || !*alive || stopping_) return;
    battery_due_ = true;
    if (state_ == link_state::running) read_battery_now();
    arm_battery();
  });
}

void supervisor::read_battery_now() {
  const auto g = gen_;
  battery_step()([this, g, alive = alive_](error_code ec) {
    if (*alive && live(g) && ec && session_.connected()) last_error_ = "reading the battery: " + ec.message();
  });
}

void supervisor::arm_history(chr::seconds after) {
  if (!sync_) return;
  history_timer_.expires_after(after.count() > 0 ? after : o_.history_every);
  history_timer_.async_wait([this, alive = alive_](error_code e) {
    if (e || !*alive || stopping_) return;
    history_due_ = true;
    if (state_ == link_state::running) pause_for_history(gen_);
    arm_history();
  });
}

// Stream off, history, stream on; the pause is a `gap` (reason "history").
void supervisor::pause_for_history(std::uint64_t gen) {
  set_state(link_state::syncing);
  const double paused = clock_.mono();
  auto after_stop = [this, gen, paused, alive = alive_](error_code ec) {
    if (!*alive || !live(gen)) return;
    if (ec) return setup_failed(gen, "pausing the stream", ec);
    std::vector<step> s;
    s.push_back(history_step(gen));
    if (o_.stream_enabled) {
      s.push_back([this, paused](done_fn next) {
        emit_gap("history", paused);
        next({});
      });
      s.push_back(stream_step(gen));
    }
    run_steps(gen, std::move(s), 0);
  };
  if (!stream_active_) return asio::post(io_, [f = std::move(after_stop)]() mutable { f({}); });
  stream_active_ = false;
  session_.stop(std::move(after_stop));
}

void supervisor::emit_gap(const char* reason, double since) {
  feed_event f;
  f.what = feed_event::kind::gap;
  f.wall = clock_.wall(), f.mono = clock_.mono();
  f.reason = reason;
  f.gap_seconds = std::max(0.0, f.mono - since);
  on_feed_(f);
}

void supervisor::stop(done_fn done) {
  auto o = ops_.make<>(io_.get_executor(), std::move(done));
  if (state_ == link_state::stopped) return o->complete({});
  const bool first = stop_ops_.empty();
  stop_ops_.push_back(o);
  if (!first) return;  // already stopping: answered with the first caller
  stopping_ = true;
  ++gen_;
  backoff_.cancel();
  battery_timer_.cancel();
  history_timer_.cancel();
  waiter_.reset();
  turn_.reset();
  if (sync_) sync_->cancel();
  set_state(link_state::stopping);
  auto* b = session_.band();
  if (!session_.connected() || !b) {
    session_.cancel();  // a connect in flight ends with operation_aborted
    return finish_stop({});
  }
  b->stop_following();
  if (!stream_active_) return finish_stop({});
  stream_active_ = false;
  session_.stop([this, alive = alive_](error_code ec) {
    if (*alive) finish_stop(ec);
  });
}

void supervisor::finish_stop(error_code ec) {
  session_.close();
  set_state(link_state::stopped);
  auto ops = std::move(stop_ops_);
  stop_ops_.clear();
  for (auto& o : ops) o->complete(ec);
}

}  // namespace bandwire::record
