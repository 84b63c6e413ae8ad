#include "miband/band.hpp"

#include <memory>
#include <vector>

#include "gatt/error.hpp"
#include "miband/error.hpp"
#include "miband/reply.hpp"
#include "miband/uuids.hpp"

namespace bandwire::miband {

namespace {

using step = unique_function<void(band::done_fn)>;

// Runs steps in order; stops at the first error unless keep_going, in which
// case every step runs and the first error is reported.
void run_steps(std::shared_ptr<std::vector<step>> steps, std::size_t i, bool keep_going, error_code first,
               band::done_fn done) {
  if (i == steps->size()) return done(first);
  (*steps)[i]([steps, i, keep_going, first, done = std::move(done)](error_code ec) mutable {
    if (ec && !keep_going) return done(ec);
    run_steps(steps, i + 1, keep_going, first ? first : ec, std::move(done));
  });
}

void sequence(std::vector<step> s, band::done_fn done, bool keep_going = false) {
  run_steps(std::make_shared<std::vector<step>>(std::move(s)), 0, keep_going, {}, std::move(done));
}

double wall_now() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}
double mono_now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

}  // namespace

band::band(gatt::client& client, const scaled_clock& clock)
    : client_(client),
      clock_(clock),
      keep_alive_(client.get_executor()),
      watchdog_(client.get_executor()),
      deadline_(client.get_executor()) {}

band::~band() { *alive_ = false; }

error_code band::resolve() {
  for (const auto& u : {uuids::auth(), uuids::heart_rate_measurement(), uuids::heart_rate_control_point(),
                        uuids::sensor_control(), uuids::sensor_data(), uuids::battery(),
                        uuids::current_time()})
    if (!client_.find_characteristic(u)) return gatt::make_error_code(gatt::errc::not_in_cache);
  return {};
}

void band::discover(done_fn done) {
  client_.discover_all([this, done = std::move(done)](error_code ec, std::vector<gatt::service>) mutable {
    done(ec ? ec : resolve());
  });
}

std::uint16_t band::handle_of(const att::uuid& type) const {
  const auto* c = client_.find_characteristic(type);
  return c ? c->value_handle : 0;
}

namespace {
void post_error(gatt::client& c, error_code ec, band::done_fn done) {
  asio::post(c.get_executor(), [done = std::move(done), ec]() mutable { done(ec); });
}
}  // namespace

void band::write_req(const att::uuid& type, bytes_view v, done_fn done) {
  const auto h = handle_of(type);
  if (!h) return post_error(client_, gatt::make_error_code(gatt::errc::not_in_cache), std::move(done));
  client_.write(h, v, std::move(done));
}

void band::write_cmd(const att::uuid& type, bytes_view v, done_fn done) {
  const auto h = handle_of(type);
  error_code ec = h ? client_.write_without_response(h, v) : gatt::make_error_code(gatt::errc::not_in_cache);
  post_error(client_, ec, std::move(done));
}

void band::subscribe(const att::uuid& type, gatt::client::notify_callback cb, done_fn done) {
  const auto h = handle_of(type);
  if (!h) return post_error(client_, gatt::make_error_code(gatt::errc::not_in_cache), std::move(done));
  client_.subscribe(h, std::move(cb), std::move(done));
}

void band::unsubscribe(const att::uuid& type, done_fn done) {
  const auto h = handle_of(type);
  if (!h) return post_error(client_, gatt::make_error_code(gatt::errc::not_in_cache), std::move(done));
  client_.unsubscribe(h, std::move(done));
}

void band::read(const att::uuid& type, unique_function<void(error_code, gatt::value_type)> done) {
  const auto h = handle_of(type);
  if (!h) {
    asio::post(client_.get_executor(), [done = std::move(done)]() mutable {
      done(gatt::make_error_code(gatt::errc::not_in_cache), {});
    });
    return;
  }
  client_.read(h, 0, std::move(done));
}

// ---- auth (§4.2) ----

namespace {
struct auth_run {
  authenticator auth;
  band::done_fn done;
  bool finished = false;
  explicit auth_run(const auth_key& k, auth_options o, band::done_fn d) : auth(k, o), done(std::move(d)) {}
};
}  // namespace

void band::authenticate(const auth_key& key, auth_options options, done_fn done) {
  auto run = std::make_shared<auth_run>(key, options, std::move(done));
  auto alive = alive_;
  // Applies one action of the pure state machine: write, wait, or finish.
  auto apply = std::make_shared<std::function<void(const auth_action&)>>();
  *apply = [this, run, alive, apply](const auth_action& a) {
    if (!*alive || run->finished) return;
    if (a.what == auth_action::kind::write) {
      write_cmd(uuids::auth(), a.value.bytes(), [run, apply](error_code ec) {
        if (ec && !run->finished) (*apply)(auth_action{auth_action::kind::done, {}, {}, ec});
      });
      deadline_.expires_after(clock_.real(a.timeout));
      deadline_.async_wait([run, apply, alive](error_code ec) {
        if (ec || !*alive || run->finished) return;
        (*apply)(run->auth.on_timeout());
      });
    } else if (a.what == auth_action::kind::done) {
      run->finished = true;
      deadline_.cancel();
      client_.listen(handle_of(uuids::auth()), nullptr);
      auto d = std::move(run->done);
      // Mi Fit turns the auth notifications off afterwards (Appendix A).
      unsubscribe(uuids::auth(), [d = std::move(d), ec = a.ec](error_code) mutable { d(ec); });
      *apply = nullptr;  // break the cycle
    }
  };
  subscribe(uuids::auth(),
            [run, apply](std::uint16_t, bytes_view v, bool) {
              if (!run->finished && *apply) (*apply)(run->auth.on_notification(v));
            },
            [run, apply](error_code ec) {
              if (ec) return (*apply)(auth_action{auth_action::kind::done, {}, {}, ec});
              (*apply)(run->auth.start());
            });
}

// ---- simple values ----

void band::read_battery(unique_function<void(error_code, battery_info)> done) {
  read(uuids::battery(), [done = std::move(done)](error_code ec, gatt::value_type v) mutable {
    battery_info b;
    if (!ec) ec = decode_battery_info(v, b);
    done(ec, b);
  });
}

void band::read_time(unique_function<void(error_code, current_time)> done) {
  read(uuids::current_time(), [done = std::move(done)](error_code ec, gatt::value_type v) mutable {
    current_time t;
    if (!ec) ec = decode_current_time(v, t);
    done(ec, t);
  });
}

void band::write_time(const current_time& t, done_fn done) {
  const frame f = encode_current_time(t);
  write_req(uuids::current_time(), f.bytes(), std::move(done));
}

void band::read_steps(unique_function<void(error_code, realtime_steps)> done) {
  read(uuids::realtime_steps(), [done = std::move(done)](error_code ec, gatt::value_type v) mutable {
    realtime_steps s;
    if (!ec) ec = decode_realtime_steps(v, s);
    done(ec, s);
  });
}

void band::follow_steps(std::function<void(const realtime_steps&)> cb, done_fn done) {
  subscribe(uuids::realtime_steps(),
            [this, cb = std::move(cb)](std::uint16_t, bytes_view v, bool) {
              realtime_steps s;
              if (decode_realtime_steps(v, s)) return void(++stats_.malformed);
              cb(s);
            },
            std::move(done));
}

void band::read_device_information(unique_function<void(error_code, device_information)> done) {
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
  sequence(std::move(s), [info, done = std::move(done)](error_code ec) mutable { done(ec, *info); });
}

// ---- heart rate (§5) ----

void band::heart_rate_once(std::chrono::milliseconds timeout, unique_function<void(error_code, std::uint16_t)> done) {
  struct run_t {
    unique_function<void(error_code, std::uint16_t)> done;
    bool finished = false;
  };
  auto run = std::make_shared<run_t>(run_t{std::move(done)});
  auto alive = alive_;
  auto finish = [this, run, alive](error_code ec, std::uint16_t bpm) {
    if (!*alive || run->finished) return;
    run->finished = true;
    deadline_.cancel();
    // Mi Fit turns the measurement notifications off afterwards (§5.3).
    unsubscribe(uuids::heart_rate_measurement(),
                [run, ec, bpm](error_code) { run->done(ec, bpm); });
  };
  subscribe(uuids::heart_rate_measurement(),
            [this, finish](std::uint16_t, bytes_view v, bool) {
              heart_rate_measurement m;
              if (decode_heart_rate_measurement(v, m)) return void(++stats_.malformed);
              ++stats_.hr_values;
              finish(check_reading(m), m.bpm);
            },
            [this, finish, timeout](error_code ec) {
              if (ec) return finish(ec, 0);
              write_req(uuids::heart_rate_control_point(), hr_start_one_shot.bytes(), [finish](error_code wec) {
                if (wec) finish(wec, 0);
              });
              deadline_.expires_after(clock_.real(timeout));
              deadline_.async_wait([finish](error_code tec) {
                if (!tec) finish(make_error_code(errc::no_answer), 0);
              });
            });
}

void band::on_hr_value(bytes_view v) {
  heart_rate_measurement m;
  if (decode_heart_rate_measurement(v, m)) return void(++stats_.malformed);
  ++stats_.hr_values;
  last_value_ = clock_.seconds();
  if (on_hr_) on_hr_(m);
}

void band::arm_keep_alive() {
  // §5.3: continuous mode stops ~15 s after the last `16`; clients ping every 12 s.
  keep_alive_.expires_after(clock_.real(hr_keep_alive_period));
  keep_alive_.async_wait([this, alive = alive_](error_code ec) {
    if (ec || !*alive || !streaming_) return;
    if (hr_running_) write_req(uuids::heart_rate_control_point(), hr_keep_alive.bytes(), [](error_code) {});
    // HMK pairs the HR ping with the raw-sensor keep-alive `00` (§6.1).
    if (sensors_running_) write_cmd(uuids::sensor_control(), sensor_keep_alive.bytes(), [](error_code) {});
    arm_keep_alive();
  });
}

void band::arm_watchdog() {
  watchdog_.expires_after(clock_.real(watchdog_period));
  watchdog_.async_wait([this, alive = alive_](error_code ec) {
    if (ec || !*alive || !streaming_) return;
    const double silent = clock_.seconds() - last_value_;
    // Reported in host seconds, like every other time the user sees.
    if (silent >= std::chrono::duration<double>(watchdog_period).count() && on_stall_) on_stall_(silent / clock_.speed());
    arm_watchdog();
  });
}

void band::start_heart_rate(std::function<void(const heart_rate_measurement&)> on_value,
                            std::function<void(double)> on_stall, done_fn done) {
  stream_options o;
  o.accelerometer = o.ppg = false;
  o.heart_rate = true;
  start_stream(o, nullptr, std::move(on_value), std::move(on_stall), std::move(done));
}

void band::start_stream(const stream_options& o, std::function<void(const sensor_event&)> on_packet,
                        std::function<void(const heart_rate_measurement&)> on_hr,
                        std::function<void(double)> on_stall, done_fn done) {
  on_packet_ = std::move(on_packet);
  on_hr_ = std::move(on_hr);
  on_stall_ = std::move(on_stall);
  const bool sensors = o.accelerometer || o.ppg;
  std::uint8_t mask = 0;
  if (o.accelerometer) mask |= sensor_accelerometer;
  if (o.ppg) mask |= sensor_ppg;
  const frame configure{sensor_cmd_configure, mask, o.rate_hz};
  std::vector<step> s;
  // §6.2, Mi Fit's order: data CCCD, control CCCD, configure (→ `10 01 01`),
  // HR CCCD and `15 01 01`, then start `02`.
  if (sensors) {
    s.push_back([this](done_fn next) {
      subscribe(uuids::sensor_data(),
                [this](std::uint16_t, bytes_view v, bool) {
                  sensor_packet p;
                  if (decode_sensor_packet(v, p)) return void(++stats_.malformed);
                  ++stats_.sensor_packets;
                  last_value_ = clock_.seconds();
                  const auto order = tracker_.observe(p.counter);
                  if (on_packet_) on_packet_(sensor_event{p, order, wall_now(), mono_now()});
                },
                std::move(next));
    });
    s.push_back([this](done_fn next) {
      subscribe(uuids::sensor_control(), [](std::uint16_t, bytes_view, bool) {}, std::move(next));
    });
    s.push_back([this, configure](done_fn next) {
      // Wait for `10 01 01` on the control characteristic (bounded).
      auto waiting = std::make_shared<done_fn>(std::move(next));
      client_.listen(handle_of(uuids::sensor_control()), [this, waiting](std::uint16_t, bytes_view v, bool) {
        if (!*waiting) return;
        reply r;
        error_code ec = decode_reply(v, r);
        if (!ec) ec = check_reply(r, sensor_cmd_configure);
        deadline_.cancel();
        auto n = std::move(*waiting);
        n(ec);
      });
      write_cmd(uuids::sensor_control(), configure.bytes(), [waiting](error_code ec) {
        if (ec && *waiting) {
          auto n = std::move(*waiting);
          n(ec);
        }
      });
      deadline_.expires_after(clock_.real(std::chrono::seconds(5)));
      deadline_.async_wait([waiting](error_code ec) {
        if (ec || !*waiting) return;
        auto n = std::move(*waiting);
        n(make_error_code(errc::no_answer));
      });
    });
  }
  if (o.heart_rate) {
    s.push_back([this](done_fn next) {
      subscribe(uuids::heart_rate_measurement(), [this](std::uint16_t, bytes_view v, bool) { on_hr_value(v); },
                std::move(next));
    });
    s.push_back([this](done_fn next) {
      hr_running_ = true;
      write_req(uuids::heart_rate_control_point(), hr_start_continuous.bytes(), std::move(next));
    });
  }
  if (sensors) {
    s.push_back([this](done_fn next) {
      tracker_.reset(0);
      sensors_running_ = true;
      write_cmd(uuids::sensor_control(), sensor_start.bytes(), std::move(next));
    });
  }
  sequence(std::move(s), [this, done = std::move(done)](error_code ec) mutable {
    if (!ec) {
      streaming_ = true;
      last_value_ = clock_.seconds();
      arm_keep_alive();
      arm_watchdog();
    }
    done(ec);
  });
}

void band::stop(done_fn done) {
  streaming_ = false;
  keep_alive_.cancel();
  watchdog_.cancel();
  std::vector<step> s;
  // §6.2 stop: `15 01 00`, HR CCCD off, `03`, data CCCD off.
  if (hr_running_) {
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
  if (s.empty()) return post_error(client_, {}, std::move(done));
  sequence(std::move(s), std::move(done), true);
}

// ---- alerts and events (§11, §15) ----

void band::alert(const frame& value, done_fn done) { write_cmd(uuids::alert_level(), value.bytes(), std::move(done)); }

void band::send_new_alert(const new_alert& a, done_fn done) {
  auto parts = encode_new_alert_parts(a);
  std::vector<step> s;
  for (auto& f : parts)
    s.push_back([this, f](done_fn next) { write_req(uuids::new_alert(), f.bytes(), std::move(next)); });
  sequence(std::move(s), std::move(done));
}

void band::follow_events(std::function<void(const device_event&)> cb, done_fn done) {
  subscribe(uuids::device_events(),
            [this, cb = std::move(cb)](std::uint16_t, bytes_view v, bool) {
              device_event e;
              if (decode_device_event(v, e)) return void(++stats_.malformed);
              cb(e);
            },
            std::move(done));
}

}  // namespace bandwire::miband
