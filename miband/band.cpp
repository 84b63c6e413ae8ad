#include "miband/band.hpp"

#include <memory>
#include <vector>

#include "att/error.hpp"
#include "gatt/error.hpp"
#include "miband/error.hpp"
#include "miband/reply.hpp"
#include "miband/uuids.hpp"

namespace bandwire::miband {

namespace {
using step = unique_function<void(band::done_fn)>;
}  // namespace

band::band(gatt::client& client, const scaled_clock& clock)
    : client_(client),
      clock_(clock),
      ex_(client.get_executor()),
      keep_alive_(ex_, clock),
      watchdog_(ex_, clock) {}

band::~band() {
  *alive_ = false;
  ops_.abort_all();
}

void band::cancel() {
  auth_run_.reset();
  hr_once_run_.reset();
  alert_gap_.reset();
  streaming_ = hr_running_ = sensors_running_ = false;
  keep_alive_.cancel();
  watchdog_.cancel();
  hr_reg_.reset();
  sensor_reg_.reset();
  control_reg_.reset();
  on_event_ = nullptr;
  ops_.abort_all();
}

// Runs steps in order; stops at the first error unless keep_going, in which
// case every step runs and the first error is reported. Stops silently when
// the band is destroyed (its operations were aborted then).
namespace {
struct sequence_run : std::enable_shared_from_this<sequence_run> {
  std::vector<step> steps;
  std::size_t i = 0;
  bool keep_going = false;
  error_code first;
  band::done_fn done;
  std::shared_ptr<bool> alive;
  void next() {
    if (!*alive) return;
    if (i == steps.size()) return done(first);
    auto self = shared_from_this();
    steps[i++]([self](error_code ec) {
      if (ec && !self->first) self->first = ec;
      if (ec && !self->keep_going) return self->done(ec);
      self->next();
    });
  }
};
}  // namespace

void band::sequence(std::vector<step> steps, done_fn done, bool keep_going) {
  auto run = std::make_shared<sequence_run>();
  run->steps = std::move(steps);
  run->keep_going = keep_going;
  run->done = std::move(done);
  run->alive = alive_;
  run->next();
}

error_code band::resolve() {
  caps_ = detect_capabilities(client_.database(), name_);
  if (caps_.family == device_family::unknown) return gatt::make_error_code(gatt::errc::not_in_cache);
  return {};
}

void band::identify(done_fn done) {
  auto o = ops_.make<>(ex_, std::move(done));
  client_.read_first_by_uuid(0x0001, 0xffff, uuids::device_name(), [this, o](error_code ec, gatt::read_by_uuid_result r) {
    if (o->done()) return;
    if (!ec && !r.entries.empty()) name_.assign(r.entries.front().value.begin(), r.entries.front().value.end());
    caps_ = detect_capabilities(client_.database(), name_);
    // An ATT error (no GAP name, not readable) leaves the database's verdict.
    o->complete(ec && ec.category() != att::error_category() ? ec : error_code{});
  });
}

void band::discover(done_fn done) {
  auto o = ops_.make<>(ex_, std::move(done));
  client_.discover_all([this, o](error_code ec, std::vector<gatt::service>) {
    if (o->done()) return;
    o->complete(ec ? ec : resolve());
  });
}

std::uint16_t band::handle_of(const att::uuid& type) const {
  const auto* c = client_.find_characteristic(type);
  return c ? c->value_handle : 0;
}

error_code band::missing(const att::uuid& type) const {
  if (auto ec = missing_service_error(caps_, type)) return ec;
  return gatt::make_error_code(gatt::errc::not_in_cache);
}

namespace {
void post_error(asio::any_io_executor ex, error_code ec, band::done_fn done) {
  asio::post(ex, [done = std::move(done), ec]() mutable { done(ec); });
}
}  // namespace

void band::write_req(const att::uuid& type, bytes_view v, done_fn done) {
  const auto h = handle_of(type);
  if (!h) return post_error(ex_, missing(type), std::move(done));
  client_.write(h, v, std::move(done));
}

void band::write_cmd(const att::uuid& type, bytes_view v, done_fn done) {
  const auto h = handle_of(type);
  error_code ec = h ? client_.write_without_response(h, v) : missing(type);
  post_error(ex_, ec, std::move(done));
}

void band::subscribe(const att::uuid& type, done_fn done) {
  const auto h = handle_of(type);
  if (!h) return post_error(ex_, missing(type), std::move(done));
  client_.subscribe(h, std::move(done));
}

void band::unsubscribe(const att::uuid& type, done_fn done) {
  const auto h = handle_of(type);
  if (!h) return post_error(ex_, missing(type), std::move(done));
  client_.unsubscribe(h, std::move(done));
}

registration band::listen(const att::uuid& type, gatt::client::notify_callback cb) {
  const auto h = handle_of(type);
  if (!h) return {};
  return client_.listen(h, std::move(cb));
}

void band::read(const att::uuid& type, unique_function<void(error_code, gatt::value_type)> done) {
  const auto h = handle_of(type);
  if (!h) {
    asio::post(ex_, [done = std::move(done), ec = missing(type)]() mutable { done(ec, {}); });
    return;
  }
  client_.read(h, 0, std::move(done));
}

// ---- auth (§4.2) ----

void band::authenticate(const auth_key& key, auth_options options, done_fn done) {
  struct run_t {
    authenticator auth;
    std::shared_ptr<done_op> o;
    registration listener;
    timer deadline;
    std::function<void(const auth_action&)> apply;
    run_t(const auth_key& k, auth_options opts, std::shared_ptr<done_op> op, asio::any_io_executor ex,
          const scaled_clock& c)
        : auth(k, opts), o(std::move(op)), deadline(ex, c) {}
  };
  auto run = std::make_shared<run_t>(key, options, ops_.make<>(ex_, std::move(done)), ex_, clock_);
  auth_run_ = run;  // the band holds the run: it dies with the band
  // Applies one action of the pure state machine: write, wait, or finish.
  // Everything the run holds (listener, deadline) dies with it: when it
  // ends, or when the band dies and aborts its operation.
  std::weak_ptr<run_t> weak = run;
  run->apply = [this, weak](const auth_action& a) {
    auto r = weak.lock();
    if (!r || r->o->done()) return;
    if (a.what == auth_action::kind::write) {
      write_cmd(uuids::auth(), a.value.bytes(), [weak](error_code ec) {
        auto r2 = weak.lock();
        if (ec && r2 && !r2->o->done()) r2->apply(auth_action{auth_action::kind::done, {}, {}, ec});
      });
      r->deadline.expires_after(a.timeout);
      r->deadline.async_wait([weak](error_code ec) {
        auto r2 = weak.lock();
        if (ec || !r2 || r2->o->done()) return;
        r2->apply(r2->auth.on_timeout());
      });
    } else if (a.what == auth_action::kind::done) {
      r->listener.reset();
      r->deadline.cancel();
      // Mi Fit turns the auth notifications off afterwards (Appendix A).
      unsubscribe(uuids::auth(), [this, r, ec = a.ec](error_code) {
        if (r->o->done()) return;  // aborted (the band may be gone)
        r->o->complete(ec);
        r->apply = nullptr;  // break the cycle
        if (auth_run_ == r) auth_run_.reset();
      });
    }
  };
  run->listener = listen(uuids::auth(), [weak](std::uint16_t, bytes_view v, bool) {
    auto r = weak.lock();
    if (r && !r->o->done() && r->apply) r->apply(r->auth.on_notification(v));
  });
  subscribe(uuids::auth(), [weak](error_code ec) {
    auto r = weak.lock();
    if (!r || r->o->done() || !r->apply) return;
    if (ec) return r->apply(auth_action{auth_action::kind::done, {}, {}, ec});
    r->apply(r->auth.start());
  });
}

// ---- simple values ----

namespace {
template <class T, class Decode>
auto decoding(std::shared_ptr<op<T>> o, Decode decode) {
  return [o, decode](error_code ec, gatt::value_type v) {
    T out{};
    if (!ec) ec = decode(v, out);
    o->complete(ec, std::move(out));
  };
}
}  // namespace

void band::read_battery(unique_function<void(error_code, battery_info)> done) {
  read(uuids::battery(), decoding(ops_.make<battery_info>(ex_, std::move(done)),
                                  [](const gatt::value_type& v, battery_info& b) { return decode_battery_info(v, b); }));
}

void band::read_time(unique_function<void(error_code, current_time)> done) {
  read(uuids::current_time(),
       decoding(ops_.make<current_time>(ex_, std::move(done)),
                [](const gatt::value_type& v, current_time& t) { return decode_current_time(v, t); }));
}

void band::write_time(const current_time& t, done_fn done) {
  auto o = ops_.make<>(ex_, std::move(done));
  const frame f = encode_current_time(t);
  write_req(uuids::current_time(), f.bytes(), [o](error_code ec) { o->complete(ec); });
}

void band::read_steps(unique_function<void(error_code, realtime_steps)> done) {
  read(uuids::realtime_steps(),
       decoding(ops_.make<realtime_steps>(ex_, std::move(done)),
                [](const gatt::value_type& v, realtime_steps& s) { return decode_realtime_steps(v, s); }));
}

void band::follow_steps(std::function<void(const realtime_steps&)> cb, done_fn done) {
  auto o = ops_.make<>(ex_, std::move(done));
  steps_reg_ = listen(uuids::realtime_steps(), [this, cb = std::move(cb)](std::uint16_t, bytes_view v, bool) {
    realtime_steps s;
    if (decode_realtime_steps(v, s)) return void(++stats_.malformed);
    cb(s);
  });
  subscribe(uuids::realtime_steps(), [o](error_code ec) { o->complete(ec); });
}

void band::read_device_information(unique_function<void(error_code, device_information)> done) {
  auto o = ops_.make<device_information>(ex_, std::move(done));
  auto info = std::make_shared<device_information>();
  auto reader = [this, info](const att::uuid& type, std::function<void(gatt::value_type)> store) -> step {
    return [this, type, store](done_fn next) {
      read(type, [store, next = std::move(next)](error_code ec, gatt::value_type v) mutable {
        if (!ec) store(std::move(v));
        next(ec);
      });
    };
  };
  std::vector<step> s;
  s.push_back(reader(uuids::serial_number(), [info](gatt::value_type v) { info->serial = decode_info_string(v); }));
  s.push_back(reader(uuids::hardware_revision(), [info](gatt::value_type v) { info->hardware = decode_info_string(v); }));
  s.push_back(reader(uuids::software_revision(), [info](gatt::value_type v) { info->software = decode_info_string(v); }));
  s.push_back(reader(uuids::system_id(), [info](gatt::value_type v) { info->system_id = std::move(v); }));
  s.push_back(reader(uuids::pnp_id(), [info](gatt::value_type v) {
    pnp_id p;
    if (!decode_pnp_id(v, p)) info->pnp = p;
  }));
  sequence(std::move(s), [info, o](error_code ec) { o->complete(ec, *info); });
}

// ---- heart rate (§5) ----

void band::heart_rate_once(std::chrono::milliseconds timeout, unique_function<void(error_code, std::uint16_t)> done) {
  struct run_t {
    std::shared_ptr<op<std::uint16_t>> o;
    registration listener;
    timer deadline;
    bool finishing = false;
    std::optional<double> asked;  // band seconds when `15 02 01` went out
    run_t(std::shared_ptr<op<std::uint16_t>> op_, asio::any_io_executor ex, const scaled_clock& c)
        : o(std::move(op_)), deadline(ex, c) {}
  };
  auto run = std::make_shared<run_t>(ops_.make<std::uint16_t>(ex_, std::move(done)), ex_, clock_);
  hr_once_run_ = run;  // dies with the band
  std::weak_ptr<run_t> weak = run;
  auto finish = [this, weak](error_code ec, std::uint16_t bpm) {
    auto r = weak.lock();
    if (!r || r->o->done() || r->finishing) return;
    r->finishing = true;
    r->listener.reset();
    r->deadline.cancel();
    // Mi Fit turns the measurement notifications off afterwards (§5.3).
    unsubscribe(uuids::heart_rate_measurement(), [this, r, ec, bpm](error_code) {
      if (r->o->done()) return;  // aborted (the band may be gone)
      r->o->complete(ec, bpm);
      if (hr_once_run_ == r) hr_once_run_.reset();
    });
  };
  const bool strap = caps_.is_heart_rate_sensor();
  run->listener = listen(uuids::heart_rate_measurement(), [this, weak, finish, strap](std::uint16_t, bytes_view v, bool) {
    heart_rate_measurement m;
    if (decode_heart_rate_measurement(v, m)) return void(++stats_.malformed);
    ++stats_.hr_values;
    // A strap measures all the time: its first reading on the skin is the
    // answer (0 or "no contact" means it is not worn yet).
    if (strap && (m.bpm == 0 || m.contact == sensor_contact::not_detected)) return;
    if (!strap) {
      // A band may still be sending values of a mode an earlier client left
      // running: only a value late enough after `15 02 01` is its answer.
      auto r = weak.lock();
      if (!r) return;
      const double earliest = std::chrono::duration<double>(one_shot_earliest).count();
      if (!r->asked || clock_.seconds() - *r->asked < earliest) return void(++stats_.hr_ignored);
    }
    finish(check_reading(m), m.bpm);
  });
  // CCCD on, stop both modes (§5.3 "typical call order"), then `15 02 01`.
  std::vector<step> s;
  s.push_back([this](done_fn next) { subscribe(uuids::heart_rate_measurement(), std::move(next)); });
  for (const frame* f : {&hr_stop_one_shot, &hr_stop_continuous})
    if (!caps_.is_heart_rate_sensor())  // not on a strap (see below)
      s.push_back([this, f](done_fn next) { write_req(uuids::heart_rate_control_point(), f->bytes(), std::move(next)); });
  sequence(std::move(s), [this, weak, finish, timeout](error_code ec) {
    auto run = weak.lock();
    if (!run || run->o->done()) return;
    if (ec) return finish(ec, 0);
    // Never a Mi Band command on a strap's control point: there `01` resets
    // Energy Expended and nothing else is defined (HRS 1.0 §3.3).
    if (!caps_.is_heart_rate_sensor()) {
      run->asked = clock_.seconds();
      write_req(uuids::heart_rate_control_point(), hr_start_one_shot.bytes(), [finish](error_code wec) {
        if (wec) finish(wec, 0);
      });
    }
    run->deadline.expires_after(timeout);
    run->deadline.async_wait([finish](error_code tec) {
      if (!tec) finish(make_error_code(errc::no_answer), 0);
    });
  });
}

void band::emit(const stream_event& e) {
  if (on_event_) on_event_(e);
}

void band::on_hr_value(bytes_view v) {
  heart_rate_measurement m;
  if (decode_heart_rate_measurement(v, m)) return void(++stats_.malformed);
  ++stats_.hr_values;
  last_value_ = clock_.seconds();
  stream_event e;
  e.what = stream_event::kind::heart_rate;
  e.hr = &m;
  e.wall = clock_.wall();
  e.mono = clock_.mono();
  emit(e);
}

void band::on_sensor_value(bytes_view v) {
  sensor_packet p;
  if (decode_sensor_packet(v, p)) return void(++stats_.malformed);
  ++stats_.sensor_packets;
  last_value_ = clock_.seconds();
  const auto order = tracker_.observe(p.counter);
  using kind = counter_tracker::kind;
  if (order.what == kind::gap || order.what == kind::resync || order.what == kind::out_of_order)
    timeline_.discontinuity();  // samples lost in between: counting cannot place what follows
  const double wall = clock_.wall();
  const auto times = timeline_.place_wall(last_value_, wall, clock_.speed(), p);
  const sensor_event se{p, order, wall, clock_.mono(), times};
  stream_event e;
  e.what = stream_event::kind::sensor;
  e.sensor = &se;
  e.wall = se.wall;
  e.mono = se.mono;
  emit(e);
}

void band::arm_keep_alive() {
  // §5.3: continuous mode stops ~15 s after the last `16`; clients ping every 12 s.
  keep_alive_.expires_after(hr_keep_alive_period);
  keep_alive_.async_wait([this, alive = alive_](error_code ec) {
    if (ec || !*alive || !streaming_) return;
    if (hr_running_ && !caps_.is_heart_rate_sensor())
      write_req(uuids::heart_rate_control_point(), hr_keep_alive.bytes(), [](error_code) {});
    // HMK pairs the HR ping with the raw-sensor keep-alive `00` (§6.1).
    if (sensors_running_) write_cmd(uuids::sensor_control(), sensor_keep_alive.bytes(), [](error_code) {});
    arm_keep_alive();
  });
}

void band::arm_watchdog() {
  watchdog_.expires_after(watchdog_period);
  watchdog_.async_wait([this, alive = alive_](error_code ec) {
    if (ec || !*alive || !streaming_) return;
    const double silent = clock_.seconds() - last_value_;
    if (silent >= std::chrono::duration<double>(watchdog_period).count()) {
      stream_event e;
      e.what = stream_event::kind::stall;
      // Reported in host seconds, like every other time the user sees.
      e.stall_seconds = silent / clock_.speed();
      e.wall = clock_.wall();
      e.mono = clock_.mono();
      life::guard g(life_);
      emit(e);
      if (g.dead()) return;
    }
    arm_watchdog();
  });
}

void band::start_heart_rate(stream_handler on_event, done_fn done) {
  stream_options o;
  o.accelerometer = o.ppg = false;
  o.heart_rate = true;
  start_stream(o, std::move(on_event), std::move(done));
}

void band::start_stream(const stream_options& opts, stream_handler on_event, done_fn done) {
  auto o = ops_.make<>(ex_, std::move(done));
  // The PPG rides on the heart-rate engine (§6.2): a band without 180D (the
  // HRX) has none. Checked first, so nothing is armed for nothing.
  if (opts.ppg && caps_.family != device_family::unknown && caps_.raw_sensor && !caps_.ppg)
    return o->complete(make_error_code(errc::heart_rate_service_missing));
  on_event_ = std::move(on_event);
  const bool sensors = opts.accelerometer || opts.ppg;
  std::uint8_t mask = 0;
  if (opts.accelerometer) mask |= sensor_accelerometer;
  if (opts.ppg) mask |= sensor_ppg;
  const frame configure{sensor_cmd_configure, mask, opts.rate_hz};
  std::vector<step> s;
  // §6.2, Mi Fit's order: data CCCD, control CCCD, configure (→ `10 01 01`),
  // HR CCCD and `15 01 01`, then start `02`. The configure reply is awaited
  // only before `02`: the heart-rate writes go out meanwhile, which saves a
  // connection event before the first sample (README "Performance").
  struct configure_wait {
    bool replied = false;
    error_code ec;
    done_fn next;  // the step waiting for the reply
    timer deadline;
    configure_wait(asio::any_io_executor ex, const scaled_clock& c) : deadline(ex, c) {}
  };
  auto wait = std::make_shared<configure_wait>(ex_, clock_);
  if (sensors) {
    s.push_back([this](done_fn next) {
      sensor_reg_ = listen(uuids::sensor_data(), [this](std::uint16_t, bytes_view v, bool) { on_sensor_value(v); });
      subscribe(uuids::sensor_data(), std::move(next));
    });
    s.push_back([this](done_fn next) { subscribe(uuids::sensor_control(), std::move(next)); });
    s.push_back([this, configure, wait](done_fn next) {
      // `10 01 01` on the control characteristic, with its own deadline.
      auto finish = [this, wait](error_code ec) {
        if (wait->replied) return;
        wait->replied = true;
        wait->ec = ec;
        wait->deadline.cancel();
        control_reg_.reset();
        if (auto n = std::move(wait->next)) n(ec);
      };
      control_reg_ = listen(uuids::sensor_control(), [finish](std::uint16_t, bytes_view v, bool) {
        reply r;
        error_code ec = decode_reply(v, r);
        if (!ec) ec = check_reply(r, sensor_cmd_configure);
        finish(ec);
      });
      write_cmd(uuids::sensor_control(), configure.bytes(), [finish, next = std::move(next), alive = alive_](error_code ec) mutable {
        if (!*alive) return;
        if (ec) finish(ec);
        next(ec);
      });
      wait->deadline.expires_after(std::chrono::seconds(5));
      wait->deadline.async_wait([finish, alive = alive_](error_code ec) {
        if (!ec && *alive) finish(make_error_code(errc::no_answer));
      });
    });
  }
  if (opts.heart_rate) {
    s.push_back([this](done_fn next) {
      hr_reg_ = listen(uuids::heart_rate_measurement(), [this](std::uint16_t, bytes_view v, bool) { on_hr_value(v); });
      subscribe(uuids::heart_rate_measurement(), std::move(next));
    });
    s.push_back([this](done_fn next) {
      hr_running_ = true;
      // A strap sends while subscribed; `15 …` is a Mi Band command (HRS 1.0 §3.3).
      if (caps_.is_heart_rate_sensor()) return post_error(ex_, {}, std::move(next));
      write_req(uuids::heart_rate_control_point(), hr_start_continuous.bytes(), std::move(next));
    });
  }
  if (sensors) {
    s.push_back([wait](done_fn next) {
      if (wait->replied) return next(wait->ec);
      wait->next = std::move(next);
    });
    s.push_back([this, rate = opts.rate_hz](done_fn next) {
      tracker_.reset(0);
      // Samples are measured from `02` on (§6.2, §6.3); their times come
      // from the arrivals, the requested rate only until it is measured.
      sample_timeline::options to;
      to.nominal_rate_hz = rate;
      timeline_ = sample_timeline(to);
      timeline_.start(clock_.seconds());
      sensors_running_ = true;
      write_cmd(uuids::sensor_control(), sensor_start.bytes(), std::move(next));
    });
  }
  sequence(std::move(s), [this, o](error_code ec) {
    if (o->done()) return;
    if (!ec) {
      streaming_ = true;
      last_value_ = clock_.seconds();
      arm_keep_alive();
      arm_watchdog();
    }
    o->complete(ec);
  });
}

void band::stop(done_fn done) {
  auto o = ops_.make<>(ex_, std::move(done));
  streaming_ = false;
  keep_alive_.cancel();
  watchdog_.cancel();
  std::vector<step> s;
  // §6.2 stop: `15 01 00`, HR CCCD off, `03`, data CCCD off.
  if (hr_running_) {
    if (!caps_.is_heart_rate_sensor())
      s.push_back([this](done_fn next) {
        write_req(uuids::heart_rate_control_point(), hr_stop_continuous.bytes(), std::move(next));
      });
    s.push_back([this](done_fn next) { unsubscribe(uuids::heart_rate_measurement(), std::move(next)); });
  }
  if (sensors_running_) {
    s.push_back([this](done_fn next) { write_cmd(uuids::sensor_control(), sensor_stop.bytes(), std::move(next)); });
    s.push_back([this](done_fn next) { unsubscribe(uuids::sensor_data(), std::move(next)); });
  }
  hr_running_ = sensors_running_ = false;
  sequence(std::move(s), [this, o](error_code ec) {
    if (o->done()) return;
    hr_reg_.reset();
    sensor_reg_.reset();
    on_event_ = nullptr;
    o->complete(ec);
  }, true);
}

// ---- alerts and events (§11, §15) ----

void band::alert(const frame& value, done_fn done) {
  auto o = ops_.make<>(ex_, std::move(done));
  write_cmd(uuids::alert_level(), value.bytes(), [o](error_code ec) { o->complete(ec); });
}

void band::send_new_alert(const new_alert& a, done_fn done) {
  auto o = ops_.make<>(ex_, std::move(done));
  const frame f = encode_new_alert(a);
  write_req(uuids::new_alert(), f.bytes(), [o](error_code ec) { o->complete(ec); });
}

void band::send_new_alert_parts(const new_alert& a, std::chrono::milliseconds spacing, done_fn done) {
  auto o = ops_.make<>(ex_, std::move(done));
  // Its own timer (deadlines never share one), held by the band so that it
  // dies with it; a newer call replaces it, aborting the older wait.
  alert_gap_ = std::make_shared<timer>(ex_, clock_);
  std::weak_ptr<timer> gap = alert_gap_;
  std::vector<step> s;
  for (const frame& f : encode_new_alert_parts(a)) {
    if (!s.empty())
      s.push_back([gap, spacing](done_fn next) {
        auto t = gap.lock();
        if (!t) return next(make_error_code(asio::error::operation_aborted));
        t->expires_after(spacing);
        t->async_wait([next = std::move(next)](error_code ec) mutable { next(ec); });
      });
    s.push_back([this, f](done_fn next) { write_req(uuids::new_alert(), f.bytes(), std::move(next)); });
  }
  sequence(std::move(s), [o](error_code ec) { o->complete(ec); });
}

void band::stop_alerts(done_fn done) {
  auto o = ops_.make<>(ex_, std::move(done));
  std::vector<step> s;
  s.push_back([this](done_fn next) { write_cmd(uuids::alert_level(), make_alert(alert_level::none).bytes(), std::move(next)); });
  s.push_back([this](done_fn next) { write_req(uuids::new_alert(), new_alert_stop_call.bytes(), std::move(next)); });
  // Both writes go out even if the first fails: stopping is best effort.
  sequence(std::move(s), [o](error_code ec) { o->complete(ec); }, true);
}

void band::follow_events(std::function<void(const device_event&)> cb, done_fn done) {
  auto o = ops_.make<>(ex_, std::move(done));
  events_reg_ = listen(uuids::device_events(), [this, cb = std::move(cb)](std::uint16_t, bytes_view v, bool) {
    device_event e;
    if (decode_device_event(v, e)) return void(++stats_.malformed);
    cb(e);
  });
  subscribe(uuids::device_events(), [o](error_code ec) { o->complete(ec); });
}

void band::stop_following() {
  steps_reg_.reset();
  events_reg_.reset();
}

}  // namespace bandwire::miband
