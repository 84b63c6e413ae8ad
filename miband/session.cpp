#include "miband/session.hpp"

#include <sys/socket.h>

#include <algorithm>
#include <cmath>
#include <random>

#include "gatt/error.hpp"
#include "gatt/needs.hpp"
#include "miband/error.hpp"
#include "miband/uuids.hpp"
#include "miband/virtual_models.hpp"

namespace bandwire::miband {

namespace {

auth_key random_key() {
  std::random_device rd;  // /dev/urandom on Linux
  return generate_key([&](bytes_span out) {
    for (auto& b : out) b = static_cast<std::uint8_t>(rd());
  });
}

link_event event_of(link_event::kind k) {
  link_event e;
  e.what = k;
  return e;
}

// Failures that another attempt cannot mend: the user must act.
bool fatal_for_reconnect(const error_code& ec) {
  return ec == errc::key_rejected || ec == errc::no_key || ec == errc::bind_refused || ec == errc::invalid_key ||
         ec == errc::key_file_exposed || ec == gatt::errc::not_in_cache || is_missing_service(ec);
}

}  // namespace

struct session::stream_state {
  stream_options options;
  stream_handler handler;
  std::shared_ptr<op<>> o;
  bool stopping = false;
  double link_lost_mono = -1;  // host seconds when the link went down (for the gap)
  double last_packet_mono = -1;
  unsigned attempt = 0;
};

session::session(asio::io_context& io, const scaled_clock& clock, session_options options)
    : io_(io), clock_(clock), opts_(std::move(options)), backoff_(io.get_executor(), clock) {
  if (!opts_.store) opts_.store = std::make_shared<state_store>();
  device_id_ = state_store::device_id(opts_.transport.device);
  if (!opts_.btsnoop_path.empty()) recorder_.open(opts_.btsnoop_path);
  // Mask the key of a bind write `01 <flag> <key16>` (fact sheet §4.1).
  recorder_.mask = [this](std::vector<std::uint8_t>& pdu, bool) {
    if (opts_.show_secrets || !client_ || pdu.size() != 21 || (pdu[0] != 0x52 && pdu[0] != 0x12) || pdu[3] != 0x01)
      return;
    const auto* auth = client_->find_characteristic(uuids::auth());
    if (auth && get_le16(&pdu[1]) == auth->value_handle) std::fill(pdu.begin() + 5, pdu.end(), 0x00);
  };
}

session::~session() {
  *alive_ = false;
  ops_.abort_all();
  stream_.reset();
  band_.reset();
  client_.reset();
  sc_reg_.reset();
  close_reg_.reset();
  tap_reg_.reset();
  conn_ = connection{};
}

bool session::emit(const link_event& e) { return link_events_.emit(e); }

void session::drop_link() {
  band_.reset();
  sc_reg_.reset();
  client_.reset();
  close_reg_.reset();
  tap_reg_.reset();
  conn_ = connection{};
}

// Every transport opens on the loop: sim and unix: at once, an address with
// a non-blocking L2CAP connect racing its timeout (hci::async_connect_le_att).
void session::open_link(bool with_key, unique_function<void(error_code)> done) {
  drop_link();
  if (is_sim_device(opts_.transport.device)) {
    const error_code ec = open_sim(with_key);
    if (!ec) attach_link();
    return asio::post(io_, [done = std::move(done), ec]() mutable { done(ec); });
  }
  att::bearer::options bo;
  bo.clock = &clock_;
  auto c = std::make_shared<connection>();
  async_open_transport(io_, opts_.transport, bo, *c,
                       [this, c, alive = alive_, done = std::move(done)](error_code ec, std::string message) mutable {
                         if (!*alive) return;  // the session is gone; its operations were aborted
                         if (ec) {
                           message_ = message;
                           return done(make_error_code(errc::transport_failed));
                         }
                         conn_ = std::move(*c);
                         attach_link();
                         done({});
                       });
}

error_code session::open_sim(bool with_key) {
  att::bearer::options bo;
  bo.clock = &clock_;
  {
    if (opts_.sim_band) {
      sim_ = opts_.sim_band;
    } else if (!own_sim_) {
      // The in-process band is one this host has already paired with: it
      // holds the key stored for "sim" (made on first use), or the user's.
      auto so = opts_.sim;
      apply_model(sim_model_of_device(opts_.transport.device).value_or(sim_model::mb2), so);
      if (so.strap) {
        // A strap holds no key.
      } else if (!so.can_bind) {
        // Its key was made by the vendor app: the user's, or one nobody knows.
        if (!so.key) so.key = opts_.key ? *opts_.key : random_key();
      } else if (!so.key && with_key) {
        std::string err;
        auto k = opts_.store->load_key(device_id_, err);
        // A key file that exists but cannot be used is reported by
        // key_for_auth(); it is never replaced behind the user's back.
        if (!k && err.empty()) {
          k = random_key();
          if (auto e = opts_.store->save_key(device_id_, *k); !e.empty()) message_ = e;
        }
        so.key = opts_.key ? opts_.key : k;
      }
      own_sim_ = std::make_unique<virtual_band>(io_.get_executor(), clock_, std::move(so));
      sim_ = own_sim_.get();
    }
    int fds[2];
    if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, fds) < 0) {
      message_ = "socketpair failed";
      return make_error_code(errc::transport_failed);
    }
    sim_->serve(seqpacket_socket(io_, asio::generic::seq_packet_protocol(AF_UNIX, 0), fds[1]));
    conn_.security = std::make_unique<att::scripted_security>(att::security_level::low, false);
    conn_.bearer =
        std::make_unique<att::bearer>(seqpacket_socket(io_, asio::generic::seq_packet_protocol(AF_UNIX, 0), fds[0]), bo);
    conn_.bearer->set_security(conn_.security.get());
    conn_.description = opts_.transport.device;
  }
  return {};
}

void session::attach_link() {
  tap_reg_ = recorder_.attach(*conn_.bearer);
  close_reg_ = conn_.bearer->on_close([this](error_code reason) {
    if (stream_ && !stream_->stopping) on_link_lost(reason);
  });
  conn_.bearer->start();
  client_ = std::make_unique<gatt::client>(*conn_.bearer);
  band_ = std::make_unique<miband::band>(*client_, clock_);
}

std::optional<auth_key> session::key_for_auth(error_code& ec) {
  if (opts_.key) return opts_.key;
  if (std::string p = opts_.store->key_mode_problem(device_id_); !p.empty()) {
    message_ = p;
    ec = make_error_code(errc::key_file_exposed);
    return std::nullopt;
  }
  std::string err;
  auto k = opts_.store->load_key(device_id_, err);
  if (!err.empty()) {
    message_ = err;
    ec = make_error_code(errc::state_error);
    return std::nullopt;
  }
  if (!k) ec = make_error_code(errc::no_key);
  return k;
}

void session::connect(bool authenticate, done_fn done) {
  auto o = ops_.make<>(get_executor(), std::move(done));
  message_.clear();
  open_link(authenticate, [this, o, authenticate](error_code ec) {
    if (o->done()) return;
    if (ec) return o->complete(ec);
    discover_or_load(o, authenticate);
  });
}

void session::discover_or_load(std::shared_ptr<op<>> o, bool authenticate) {
  auto after_discovery = [this, o, authenticate]() {
    if (o->done()) return;
    // `connected` (link up, database known) comes before identification: a
    // device that never answers then holds a record adapter's turn only
    // until the link is up, not for the 30 s ATT timeout of its first read.
    watch_service_changed();
    if (!emit(event_of(link_event::kind::connected)) || o->done()) return;
    identify([this, o, authenticate](error_code ec) {
      if (o->done()) return;
      if (ec) return o->complete(ec);
      after_identify(o, authenticate);
    });
  };
  // The cached database of this device, completed where the features need
  // more: no discovery on a reconnect.
  gatt::discovered_database cached;
  if (!opts_.refresh && opts_.store->load_cache(device_id_, cached)) client_->set_database(std::move(cached));
  discover_needs([this, o, after_discovery](error_code ec) mutable {
    if (o->done()) return;
    if (ec) return o->complete(ec);
    after_discovery();
  });
}

// The device name decides the family (fact sheet §18): read once per
// device, then kept with the cached database (a warm link reads nothing).
void session::identify(unique_function<void(error_code)> done) {
  if (const auto& name = client_->database().device_name) {
    band_->set_device_name(*name);
    return done(band_->resolve());
  }
  band_->identify([this, done = std::move(done), alive = alive_](error_code ec) mutable {
    if (!*alive) return;
    if (!ec && client_) {
      auto db = client_->database();
      db.device_name = band_->device_name();
      client_->set_database(db);
      opts_.store->save_cache(device_id_, db);
    }
    done(ec);
  });
}

auth_options session::auth_for_device(bool bind) const {
  auto ao = opts_.auth;
  const auto& caps = band_->capabilities();
  if (!opts_.auth_flag_fixed) ao.auth_flag = caps.auth_flag;
  ao.crypt_flags = static_cast<std::uint8_t>(ao.crypt_flags | caps.crypt_flags);
  ao.plain_fallback = ao.plain_fallback || ao.crypt_flags != crypt_flags_none;  // §22.16
  ao.bind_new_key = bind;
  return ao;
}

void session::after_identify(std::shared_ptr<op<>> o, bool authenticate) {
  // A strap (or any device without Mi Band auth) is ready as it is.
  if (!authenticate || !band_->capabilities().needs_auth()) return o->complete({});
  error_code kec;
  auto key = key_for_auth(kec);
  if (!key) return o->complete(kec);
  band_->authenticate(*key, auth_for_device(false), [this, o](error_code ec) {
    if (o->done()) return;
    if (!ec) emit(event_of(link_event::kind::authenticated));
    o->complete(ec);
  });
}

// Discovery by needs (gatt::client::discover): nothing when the cache holds
// it all. The cache is saved when discovery added to it. A characteristic
// the device lacks is no error here: the band decides its capabilities
// again (band::resolve), and an operation that needs it fails with the
// error naming the missing service (miband/capabilities.hpp).
void session::discover_needs(unique_function<void(error_code)> done) {
  const auto needs = discovery_needs_for(opts_.features);
  if (gatt::unmet(client_->database(), needs).empty()) return done({});
  client_->discover(needs, [this, done = std::move(done), alive = alive_](error_code ec) mutable {
    if (!*alive) return;
    if (!ec && client_) {
      opts_.store->save_cache(device_id_, client_->database());
      if (band_) band_->resolve();  // during connect, identify() decides again with the name
    }
    done(ec ? ec : client_ ? error_code{} : make_error_code(asio::error::operation_aborted));
  });
}

void session::require(feature_set more, done_fn done) {
  auto o = ops_.make<>(get_executor(), std::move(done));
  opts_.features |= more;
  if (!client_ || !connected()) return o->complete({});  // the next link discovers it
  discover_needs([o](error_code ec) {
    if (!o->done()) o->complete(ec);
  });
}

// Service Changed (Vol 3 Part G §7.1) makes the cache stale, except the
// indication the band sends in answer to our own CCCD write: the first one
// after that write's response (CAP-A, fact sheet §3.1). The bearer's tap sees
// PDUs in wire order, so "after the response" is exact, whatever the timing.
void session::watch_service_changed() {
  const auto* sc = client_->find_characteristic(att::uuid::from16(gatt::service_changed_type));
  if (!sc) return;
  std::uint16_t cccd = 0;
  for (const auto& d : sc->descriptors)
    if (d.type == att::uuid::from16(gatt::cccd_type)) cccd = d.handle;
  if (!cccd) return;
  struct watch_t {
    bool write_sent = false, echo_expected = false;
  };
  auto w = std::make_shared<watch_t>();
  sc_reg_ = client_->on_service_changed([this, w](std::uint16_t start, std::uint16_t end) {
    if (w->echo_expected) {
      w->echo_expected = false;  // that was the echo of our subscription
      return;
    }
    opts_.store->drop_cache(device_id_);
    message_ = "the band's database changed; cache dropped";
    (void)start, (void)end;
  });
  auto tap = std::make_shared<registration>();
  *tap = conn_.bearer->tap([w, cccd](att::direction d, bytes_view pdu) {
    if (d == att::direction::sent && pdu.size() >= 3 && pdu[0] == 0x12 && get_le16(&pdu[1]) == cccd) {
      w->write_sent = true;
    } else if (d == att::direction::received && w->write_sent && !pdu.empty() &&
               (pdu[0] == 0x13 || pdu[0] == 0x01)) {
      w->write_sent = false;
      w->echo_expected = pdu[0] == 0x13;
    }
  });
  client_->subscribe(sc->value_handle, [tap](error_code) {});
}

void session::pair(bool force, unique_function<void(error_code, std::optional<auth_key>)> done) {
  auto o = ops_.make<std::optional<auth_key>>(get_executor(), std::move(done));
  std::string err;
  if (!band_) return o->complete(make_error_code(errc::invalid_argument), std::nullopt);
  if (std::string p = opts_.store->key_mode_problem(device_id_); !p.empty() && !force) {
    message_ = p;
    return o->complete(make_error_code(errc::key_file_exposed), std::nullopt);
  }
  const auto& caps = band_->capabilities();
  if (!caps.needs_auth()) return o->complete(make_error_code(errc::auth_service_missing), std::nullopt);
  // §18: the Mi Band 4 and Bip Lite take only their vendor app's key; never `01`.
  if (!caps.can_bind_key) return o->complete(make_error_code(errc::bind_not_supported), std::nullopt);
  if (opts_.store->load_key(device_id_, err) && !force)
    return o->complete(make_error_code(errc::key_already_stored), std::nullopt);
  const auth_key key = random_key();
  const auto ao = auth_for_device(true);
  band_->authenticate(key, ao, [this, o, key](error_code ec) {
    if (o->done()) return;
    if (ec) return o->complete(ec, std::nullopt);
    if (auto e = opts_.store->save_key(device_id_, key); !e.empty()) {
      message_ = e;
      return o->complete(make_error_code(errc::state_error), std::nullopt);
    }
    emit(event_of(link_event::kind::authenticated));
    o->complete({}, key);
  });
}

void session::stream(const stream_options& options, stream_handler on_event, done_fn done) {
  auto o = ops_.make<>(get_executor(), std::move(done));
  if (!band_ || !connected() || stream_) return o->complete(make_error_code(errc::invalid_argument));
  stream_ = std::make_shared<stream_state>();
  stream_->options = options;
  stream_->handler = std::move(on_event);
  stream_->o = o;
  start_stream_on_link();
}

void session::start_stream_on_link() {
  auto st = stream_;
  std::weak_ptr<stream_state> weak = st;
  band_->start_stream(
      st->options,
      [this, weak](const stream_event& e) {
        auto s = weak.lock();
        if (!s) return;
        if (e.what == stream_event::kind::sensor) {
          using kind = counter_tracker::kind;
          const auto& se = *e.sensor;
          stream_event g;
          g.what = stream_event::kind::gap;
          g.wall = e.wall, g.mono = e.mono;
          bool gap = false;
          if (s->link_lost_mono >= 0) {
            // The link was down: counters restarted, what was in between is lost.
            g.gap_missing = 0, g.gap_seconds = e.mono - s->link_lost_mono;
            s->link_lost_mono = -1;
            gap = true;
          } else if (se.order.what == kind::gap || (se.order.what == kind::first && se.order.missing)) {
            g.gap_missing = se.order.missing;
            g.gap_seconds = s->last_packet_mono >= 0 ? e.mono - s->last_packet_mono : 0;
            gap = true;
          }
          s->last_packet_mono = e.mono;
          ++packets_;
          if (gap) {
            life::guard alive(life_);
            s->handler(g);
            if (alive.dead() || s->o->done()) return;
          }
        }
        s->handler(e);
      },
      [this, weak](error_code ec) {
        auto s = weak.lock();
        if (!s || s->o->done()) return;
        if (!ec) {
          if (s->attempt > 0) {
            auto r = event_of(link_event::kind::resumed);
            r.outage_seconds = s->link_lost_mono >= 0 ? clock_.mono() - s->link_lost_mono : 0;
            s->attempt = 0;
            emit(r);
          }
          return;
        }
        if (connected()) return finish_stream(ec);  // the band refused the stream
        // The link went down while starting: the close handler reconnects.
      });
}

void session::on_link_lost(error_code reason) {
  auto s = stream_;
  if (!s) return;
  auto lost = event_of(link_event::kind::lost);
  lost.reason = reason;
  if (s->link_lost_mono < 0) s->link_lost_mono = s->last_packet_mono >= 0 ? s->last_packet_mono : clock_.mono();
  // Destroy the dead link's objects after the bearer's handlers have returned.
  asio::post(io_, [this, alive = alive_] {
    if (*alive && !connected()) drop_link();
  });
  if (!emit(lost)) return;
  if (!opts_.reconnect.enabled) return finish_stream(reason);
  schedule_reconnect(reason);
}

void session::schedule_reconnect(error_code why) {
  auto s = stream_;
  if (!s || s->o->done()) return;
  ++s->attempt;
  const auto& p = opts_.reconnect;
  if (p.max_attempts && s->attempt > p.max_attempts) return finish_stream(why);
  const double ms = std::min(static_cast<double>(p.max.count()),
                             static_cast<double>(p.initial.count()) * std::pow(p.factor, s->attempt - 1));
  auto r = event_of(link_event::kind::reconnecting);
  r.reason = why;
  r.attempt = s->attempt;
  r.delay_seconds = ms / 1000.0;
  if (!emit(r) || stream_ != s) return;
  backoff_.expires_after(std::chrono::milliseconds(static_cast<long long>(ms)));
  backoff_.async_wait([this, alive = alive_, weak = std::weak_ptr<stream_state>(s)](error_code ec) {
    auto st = weak.lock();
    if (ec || !*alive || !st || st->o->done() || st->stopping) return;
    connect(true, [this, alive, weak](error_code cec) {
      auto st2 = weak.lock();
      if (!*alive || !st2 || st2->o->done() || st2->stopping) return;
      if (cec) {
        if (fatal_for_reconnect(cec)) return finish_stream(cec);
        return schedule_reconnect(cec);
      }
      start_stream_on_link();
    });
  });
}

void session::finish_stream(error_code ec) {
  auto s = std::move(stream_);
  if (!s) return;
  backoff_.cancel();
  if (s->link_lost_mono >= 0 && s->handler) {
    // Ended while the link was down: the outage so far.
    stream_event g;
    g.what = stream_event::kind::gap;
    g.wall = clock_.wall(), g.mono = clock_.mono();
    g.gap_seconds = g.mono - s->link_lost_mono;
    s->handler(g);
  }
  s->o->complete(ec);
}

void session::stop(done_fn done) {
  auto o = ops_.make<>(get_executor(), std::move(done));
  auto s = stream_;
  if (!s) return o->complete({});
  s->stopping = true;
  backoff_.cancel();
  if (!band_ || !connected()) {
    finish_stream({});
    return o->complete({});
  }
  band_->stop([this, o, s](error_code ec) {
    if (o->done()) return;
    if (stream_ == s) finish_stream({});
    o->complete(ec);
  });
}

void session::cancel() {
  backoff_.cancel();
  stream_.reset();
  if (band_) band_->cancel();
  ops_.abort_all();
  close();
}

void session::close() {
  if (conn_.bearer) conn_.bearer->close();
}

}  // namespace bandwire::miband
