#include "miband/virtual_band.hpp"

#include <sys/socket.h>

#include <algorithm>
#include <ctime>
#include <random>

#include "common/bounded_log.hpp"
#include "miband/alert.hpp"
#include "miband/battery.hpp"
#include "miband/heart_rate.hpp"
#include "miband/history.hpp"
#include "miband/reply.hpp"
#include "miband/sensor.hpp"
#include "miband/steps.hpp"
#include "miband/time.hpp"
#include "miband/uuids.hpp"
#include "miband/virtual_strap.hpp"

namespace bandwire::miband {

namespace {

using namespace std::chrono_literals;
// Property bits (Vol 3 Part G §3.3.1.1) under short names for the table below.
constexpr std::uint8_t R = gatt::prop::read, W = gatt::prop::write, WNR = gatt::prop::write_without_response,
                       N = gatt::prop::notify, I = gatt::prop::indicate;

std::vector<std::uint8_t> ascii(const std::string& s) { return {s.begin(), s.end()}; }

// Value permissions implied by a property byte (the band enforces no
// security: §2.3, the application protocol runs on an unencrypted link).
std::uint16_t perms_for(std::uint8_t props) {
  std::uint16_t p = gatt::perm::none;
  if (props & R) p |= gatt::perm::read;
  if (props & (W | WNR)) p |= gatt::perm::write;
  return p;
}

std::chrono::minutes host_utc_offset() {
  std::time_t now = std::time(nullptr);
  std::tm local{};
  ::localtime_r(&now, &local);
  return std::chrono::duration_cast<std::chrono::minutes>(std::chrono::seconds(local.tm_gmtoff));
}

// CAP-A's recorded charge dates (§20.3): A 2018-03-18 19:30:23, B 20:36:08, +2 h.
battery_info make_battery(std::uint8_t level) {
  battery_info b;
  b.flags = 0x0f;
  b.level_percent = level;
  b.charging_state = 0;
  b.date_a = zoned_date{{2018, 3, 18, 19, 30, 23}, 8};
  b.date_b = zoned_date{{2018, 3, 18, 20, 36, 8}, 8};
  b.level_at_date_b = 100;
  return b;
}

history_server_options history_options(const sim_options& o) {
  history_server_options h;
  h.seed = o.seed;
  h.end = o.history_end ? *o.history_end
                        : std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
  h.minutes = o.history_minutes;
  h.round_limit = o.history_round_limit;
  h.utc_offset = o.history_utc_offset ? *o.history_utc_offset : miband::host_utc_offset(h.end);
  h.skip_packet = o.history_skip_packet;
  return h;
}

}  // namespace

virtual_band::virtual_band(asio::any_io_executor ex, const scaled_clock& clock, sim_options options)
    : ex_(ex),
      clock_(clock),
      opts_(std::move(options)),
      signals_(opts_.seed),
      history_(history_options(opts_)),
      settings_(opts_.unsupported_settings, opts_.display_items),
      tap_timer_(ex, clock),
      unauth_timer_(ex, clock),
      hr_timer_(ex, clock),
      sensor_timer_(ex, clock),
      steps_timer_(ex, clock),
      drop_timer_(ex, clock) {
  if (opts_.strap) {
    // A standard strap instead of a band: it serves every connection.
    strap_options so;
    so.seed = opts_.seed;
    if (opts_.device_name != sim_options{}.device_name) so.name = opts_.device_name;
    strap_ = std::make_unique<virtual_strap>(ex, clock, std::move(so));
    strap_->on_disconnect([this] {
      if (on_disconnect_) on_disconnect_();
    });
    return;
  }
  build_database();
}

bool virtual_band::connected() const noexcept { return strap_ ? strap_->connected() : session_ != nullptr; }

const gatt::database& virtual_band::database() const noexcept { return strap_ ? strap_->database() : db_; }

virtual_band::~virtual_band() {
  *alive_ = false;
  ++generation_;
  on_disconnect_ = nullptr;
  session_.reset();
}

void virtual_band::build_database() {
  auto& db = db_;
  using namespace uuids;
  auto chr = [&](att::uuid type, std::uint8_t props, std::vector<std::uint8_t> value = {},
                 gatt::attribute::read_hook r = {}, gatt::attribute::write_hook w = {}) {
    gatt::database::characteristic_params p;
    p.type = type;
    p.properties = props;
    p.permissions = perms_for(props);
    p.value = std::move(value);
    p.on_read = std::move(r);
    p.on_write = std::move(w);
    return db.add_characteristic(std::move(p));
  };
  auto u16 = [](std::uint16_t v) { return att::uuid::from16(v); };
  // §3.1, handle for handle. Sequential allocation reproduces the map.
  db.add_primary_service(gap_service());                         // 0x0001
  chr(device_name(), R, ascii(opts_.device_name));            // 0x0003 "MI Band 2"
  chr(appearance(), R, {0x00, 0x00});                         // 0x0005 (value not captured)
  chr(peripheral_preferred_connection_parameters(), R,        // 0x0007 (value not captured;
      {0x28, 0x00, 0x28, 0x00, 0x00, 0x00, 0xd0, 0x07});         //  choice: CAP-A's link parameters)
  db.add_primary_service(gatt_service());                        // 0x0008
  chr(service_changed(), R | I);                       // 0x000a
  db.add_cccd();                                                 // 0x000b
  db.add_primary_service(device_information_service());          // 0x000c
  chr(serial_number(), R, ascii(opts_.serial));               // 0x000e
  chr(hardware_revision(), R, ascii(opts_.hardware));         // 0x0010
  chr(software_revision(), R, ascii(opts_.software));         // 0x0012
  {
    // System ID = MAC[0..2] ff fe MAC[3..5] (§10).
    auto a = opts_.address;
    std::vector<std::uint8_t> mac;
    if (!from_hex(a, mac) || mac.size() != 6) mac = {0xfa, 0x8e, 0xe3, 0x12, 0xb4, 0xa9};
    chr(system_id(), R, {mac[0], mac[1], mac[2], 0xff, 0xfe, mac[3], mac[4], mac[5]});  // 0x0014
  }
  chr(pnp_id(), R, {0x01, 0x57, 0x01, static_cast<std::uint8_t>(opts_.pnp_product),  // 0x0016
                    static_cast<std::uint8_t>(opts_.pnp_product >> 8), 0x00, 0x01});
  db.add_primary_service(firmware_service());                   // 0x0017
  chr(firmware_control(), W | N);                       // 0x0019
  db.add_cccd();                                                 // 0x001a
  chr(firmware_data(), WNR);                  // 0x001c
  db.add_primary_service(alert_notification_service());          // 0x001d
  chr(uuids::new_alert(), W, {}, {}, [this](bytes_view v) { return on_new_alert(v); });  // 0x001f
  db.add_user_description("New Alert");                         // 0x0020 (value never read; choice)
  chr(alert_notification_control_point(), R | W | N);  // 0x0022
  db.add_cccd();                                                 // 0x0023
  db.add_primary_service(immediate_alert_service());             // 0x0024
  chr(uuids::alert_level(), WNR, {}, {}, [this](bytes_view v) -> gatt::att_status {  // 0x0026
    if (!authed_ || v.empty()) return 0;
    stats_.last_alert_level = v[0];
    if (v[0] != 0) ++stats_.vibrations;
    log_alert(false, v);
    return 0;
  });
  if (opts_.heart_rate_service) {  // the HRX has none (fact sheet §18)
    db.add_primary_service(heart_rate_service());                // 0x0027
    chr(uuids::heart_rate_measurement(), N);                     // 0x0029
    db.add_cccd();                                               // 0x002a
    chr(heart_rate_control_point(), R | W, {}, {},               // 0x002c
        [this](bytes_view v) { return on_hr_control(v); });
  }
  // Without 180D the handles after it stay where they are: a gap is legal
  // (Vol 3 Part F §3.2.2), and clients find everything by UUID (§3.3).
  db.add_primary_service(miband_service(), 0x002d);              // 0x002d
  chr(uuids::current_time(), R | W | N, {},                 // 0x002f
      [this](std::vector<std::uint8_t>& v) -> gatt::att_status {
        const frame f = encode_current_time(make_current_time(std::chrono::system_clock::now() + time_offset_,
                                                              host_utc_offset()));
        v.assign(f.bytes().begin(), f.bytes().end());
        return 0;
      },
      [this](bytes_view v) { return on_time_write(v); });
  db.add_cccd();                                                 // 0x0030
  chr(chunked_transfer(), R | WNR | N);  // 0x0032
  db.add_cccd();                                                 // 0x0033
  chr(sensor_control(), WNR | N, {}, {},    // 0x0035
      [this](bytes_view v) { return on_sensor_control(v); });
  db.add_cccd();                                                 // 0x0036
  chr(sensor_data(), N);                                    // 0x0038
  db.add_cccd();                                                 // 0x0039
  chr(configuration(), WNR | N, {}, {},     // 0x003b
      [this](bytes_view v) { return on_config(v); });
  db.add_cccd();                                                 // 0x003c
  chr(u16(0x2a04), R | WNR | N);      // 0x003e
  db.add_cccd();                                                 // 0x003f
  chr(huami_uuid(0x0004), WNR | N, {}, {},  // 0x0041 activity fetch control
      [this](bytes_view v) { return on_activity_control(v); });
  db.add_cccd();                                                 // 0x0042
  chr(huami_uuid(0x0005), N);                               // 0x0044 activity data
  db.add_cccd();                                                 // 0x0045
  chr(huami_uuid(0x0006), R | N, {},                     // 0x0047 battery
      [this](std::vector<std::uint8_t>& v) -> gatt::att_status {
        const frame f = encode_battery_info(make_battery(opts_.battery_percent));
        v.assign(f.bytes().begin(), f.bytes().end());
        return 0;
      });
  db.add_cccd();                                                 // 0x0048
  chr(huami_uuid(0x0007), R | N, {},                     // 0x004a realtime steps
      [this](std::vector<std::uint8_t>& v) -> gatt::att_status {
        miband::realtime_steps s;
        s.steps = signals_.steps(clock_.seconds());
        s.distance_m = s.steps * 7 / 10;
        s.calories_kcal = s.steps / 20;
        frame f;
        encode_realtime_steps(s, f);
        v.assign(f.bytes().begin(), f.bytes().end());
        return 0;
      });
  db.add_cccd();                                                 // 0x004b
  chr(huami_uuid(0x0008), W | N, {}, {}, [this](bytes_view v) -> gatt::att_status {  // 0x004d user settings
    return authed_ ? settings_.on_user_settings(v) : 0;  // choice: ignored before auth (§19.2)
  });
  db.add_cccd();                                                 // 0x004e
  chr(huami_uuid(0x0010), N);                               // 0x0050 device events
  db.add_cccd();                                                 // 0x0051
  db.add_primary_service(auth_service());                        // 0x0052
  chr(huami_uuid(0x0009), R | WNR | N, {}, {},  // 0x0054 auth
      [this](bytes_view v) { return on_auth_write(v); });
  db.add_cccd();                                                 // 0x0055
  chr(u16(0xfedd), W);                                       // 0x0057
  chr(u16(0xfede), R);                                        // 0x0059
  chr(u16(0xfedf), R);                                        // 0x005b
  chr(u16(0xfed0), R | W);                                // 0x005d
  chr(u16(0xfed1), R | W);                                // 0x005f
  chr(u16(0xfed2), R);                                        // 0x0061
  chr(u16(0xfed3), R | W);                                // 0x0063
  chr(huami_uuid(0xfec1), R | W | N);                // 0x0065
  db.add_cccd();                                                 // 0x0066
}

bool virtual_band::serve(seqpacket_socket socket) {
  if (strap_) return strap_->serve(std::move(socket));
  if (session_) {
    error_code ignored;
    socket.close(ignored);
    return false;
  }
  ++generation_;
  ++stats_.connections;
  authed_ = false;
  challenge_.reset();
  pdus_ = 0;
  hr_ = hr_state::off;
  sensor_configured_ = sensor_streaming_ = false;
  // The band never exchanges the MTU itself but answers 03 17 00 (§2.4):
  // its Rx MTU is 23.
  att::bearer::options bo;
  bo.rx_mtu = att::default_mtu;
  bo.timeout = std::chrono::seconds(30);
  bo.clock = &clock_;
  if (opts_.link) {
    // The central's socket goes to the modelled link; the band serves the
    // link's other end.
    int fds[2];
    if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, fds) == 0) {
      const asio::generic::seq_packet_protocol unix_seq(AF_UNIX, 0);
      link_ = std::make_shared<sim_link>(ex_, clock_, std::move(socket), seqpacket_socket(ex_, unix_seq, fds[0]),
                                         *opts_.link);
      socket = seqpacket_socket(ex_, unix_seq, fds[1]);
    }
  }
  session_ = std::make_unique<gatt::server_session>(std::move(socket), db_, bo);
  {
    // Fidelity (tests/miband/fidelity_test.cpp): the real band's Attribute
    // Not Found answers to Find By Type Value, Read By Type and Read By Group
    // Type name the handle after the searched range (end + 1, or 0xFFFF when
    // the range ends there), not the starting handle Vol 3 Part F §3.4.4.1
    // asks for: CAP-A `08 01 00 07 00 02 28` -> `01 08 08 00 0a`,
    // `06 0c 00 ff ff 00 28 01 18` -> `01 06 ff ff 0a`, `10 67 00 ff ff 00 28`
    // -> `01 10 ff ff 0a`; 21 of 21 such answers in CAP-A, 16 of 16 in CAP-B
    // (another band). CAP-A/B hold no failed Find Information: it keeps §3.4.
    auto* s = session_.get();
    s->bearer().on_request([s](bytes_view req, bytes_span rsp) -> std::size_t {
      const std::size_t n = s->server().handle(req, rsp);
      constexpr std::uint8_t searches[] = {0x06, 0x08, 0x10};  // requests: | op | start(2) | end(2) | ...
      if (n == 5 && rsp[0] == 0x01 && rsp[4] == static_cast<std::uint8_t>(att::error::attribute_not_found) &&
          req.size() >= 5 && req[0] == rsp[1] && std::find(std::begin(searches), std::end(searches), req[0]) != std::end(searches)) {
        const std::uint16_t end = get_le16(&req[3]);
        put_le16(&rsp[2], end == 0xffff ? end : static_cast<std::uint16_t>(end + 1));
      }
      return n;
    });
  }
  const auto gen = generation_;
  close_reg_ = session_->bearer().on_close([this, gen](error_code) {
    if (gen == generation_) end_connection();
  });
  tap_reg_ = session_->bearer().tap([this, gen](att::direction d, bytes_view) {
    if (d != att::direction::received || gen != generation_) return;
    if (opts_.drop_after_pdus && ++pdus_ >= *opts_.drop_after_pdus)
      asio::post(ex_, [this, alive = alive_, gen] {
        if (!*alive) return;
        if (gen == generation_) drop_link();
      });
  });
  session_->server().on_subscription = [this](const gatt::server::subscription& s) {
    // §3.1: on the Service Changed CCCD write the band indicates the whole
    // range at once (CAP-A, `01 00 ff ff`).
    if (s.value_handle == service_changed_handle && s.indicate) {
      const auto g = generation_;
      asio::post(ex_, [this, alive = alive_, g] {
        if (!*alive) return;
        if (g != generation_ || !session_) return;
        const std::uint8_t range[4] = {0x01, 0x00, 0xff, 0xff};
        session_->indicate(service_changed_handle, range, [](error_code) {});
      });
    }
    if (s.value_handle == steps_handle && s.notify) after(steps_timer_, 60s, [this] { steps_tick(); });
  };
  session_->start();
  if (link_) link_->start();
  after(unauth_timer_, opts_.unauth_timeout, [this] {
    if (!authed_) drop_link();  // choice: §19.2 "dropped after a few seconds"
  });
  if (opts_.drop_after) after(drop_timer_, *opts_.drop_after, [this] { drop_link(); });
  return true;
}

void virtual_band::after(timer& t, std::chrono::duration<double> band_delay, std::function<void()> fn) {
  t.expires_after(band_delay);
  t.async_wait([this, alive = alive_, gen = generation_, fn = std::move(fn)](error_code ec) {
    if (ec || !*alive || gen != generation_ || !session_) return;
    fn();
  });
}

void virtual_band::notify(std::uint16_t handle, bytes_view value) {
  if (session_) session_->notify(handle, value);
}

void virtual_band::drop_link() {
  if (strap_) return strap_->drop_link();
  if (session_) session_->bearer().close();
}

void virtual_band::end_connection() {
  ++generation_;
  for (auto* t : {&tap_timer_, &unauth_timer_, &hr_timer_, &sensor_timer_, &steps_timer_, &drop_timer_}) t->cancel();
  hr_linger_timer_.cancel();
  // Destroy the session after the bearer's own handlers have returned.
  auto dead = std::shared_ptr<gatt::server_session>(std::move(session_));
  if (link_) link_->close();
  asio::post(ex_, [dead, link = std::move(link_)] {});
  authed_ = false;
  hr_ = hr_state::off;
  sensor_streaming_ = false;
  history_.on_disconnect();
  if (on_disconnect_) on_disconnect_();
}

void virtual_band::press_button() {
  const frame f{0x04};  // §15: button pressed
  notify(events_handle, f.bytes());
}

// ---- auth (§4, §19.2) ----

gatt::att_status virtual_band::on_auth_write(bytes_view v) {
  push_bounded(stats_.auth_writes, std::vector<std::uint8_t>(v.begin(), v.end()));
  auth_request req;
  if (decode_auth_request(v, req)) return 0;  // malformed: ignored (choice)
  const auto gen = generation_;
  // Replies echo the command byte with its crypt flags: `10 82 01 <r>`,
  // `10 83 01` (choice: GB masks the byte with 0x0F, so either echo works, §18).
  const auto cmd = static_cast<std::uint8_t>(req.crypt_flags | req.command);
  auto reply_later = [this, gen](frame f) {
    asio::post(ex_, [this, alive = alive_, gen, f] {
      if (!*alive) return;
      if (gen == generation_) notify(auth_handle, f.bytes());
    });
  };
  switch (req.command) {
    case auth_cmd_bind: {
      auto key = auth_key::from_bytes(req.payload);
      if (!key) return 0;
      if (!opts_.can_bind) {
        // Choice: a Mi Band 4 takes only the vendor app's key (§18); it refuses at once.
        reply_later(make_reply(auth_cmd_bind, status_failure));
        return 0;
      }
      if (opts_.tap == tap_behaviour::accept) {
        after(tap_timer_, opts_.tap_delay, [this, k = *key] {
          opts_.key = k;
          notify(auth_handle, make_reply(auth_cmd_bind, status_success).bytes());
        });
      } else {
        after(tap_timer_, opts_.tap == tap_behaviour::refuse ? opts_.tap_delay : opts_.tap_timeout,
              [this] { notify(auth_handle, make_reply(auth_cmd_bind, status_failure).bytes()); });
      }
      return 0;
    }
    case auth_cmd_challenge: {
      if (req.crypt_flags && opts_.crypt == crypt_answer::ignore) return 0;
      if (req.crypt_flags && opts_.crypt == crypt_answer::refuse) {
        reply_later(frame{reply_marker, cmd, status_failure});
        return 0;
      }
      std::array<std::uint8_t, 16> r{};
      if (opts_.random) {
        opts_.random(r);
      } else {
        std::random_device rd;
        for (auto& b : r) b = static_cast<std::uint8_t>(rd());
      }
      challenge_ = r;
      frame f{reply_marker, cmd, status_success};  // `10 02 01 <r>` (make_challenge_reply) or `10 82 01 <r>`
      f.append(r);
      reply_later(f);
      return 0;
    }
    case auth_cmd_answer: {
      const bool ok = opts_.key && challenge_ && answer_matches(*opts_.key, *challenge_, req.payload);
      challenge_.reset();
      if (ok) {
        authed_ = true;
        unauth_timer_.cancel();
      }
      reply_later(frame{reply_marker, cmd, ok ? status_success : status_failure});
      return 0;
    }
    default: return 0;
  }
}

// ---- alerts (§11) ----

gatt::att_status virtual_band::on_new_alert(bytes_view v) {
  new_alert a;
  if (!authed_ || decode_new_alert(v, a)) return 0;
  ++stats_.new_alerts;
  // The band shows text for SMS and incoming call only (§11.2); the others
  // show their icon.
  stats_.last_alert_text = miband2_shows_text(a.category) ? std::string(a.text) : std::string();
  if (a.category == alert_category::incoming_call) stats_.call_ringing = a.count > 0;
  log_alert(true, v);
  return 0;
}

void virtual_band::log_alert(bool to_new_alert, bytes_view v) {
  const alert_write& w = push_bounded(alert_log_, alert_write{clock_.seconds(), to_new_alert, std::vector<std::uint8_t>(v.begin(), v.end())});
  if (on_alert_) on_alert_(w);
}

// ---- heart rate (§5) ----

gatt::att_status virtual_band::on_hr_control(bytes_view v) {
  hr_command c;
  if (decode_hr_command(v, c) || !authed_) return 0;  // choice: ignored before auth (§19.2)
  const double now = clock_.seconds();
  settings_.on_heart_rate(c);  // `14 NN`, `15 00 0v` (§5.2)
  if (c.what == hr_command::kind::keep_alive) {
    ++stats_.keep_alives;
    hr_deadline_ = now + 15;  // §5.3: stops ~15 s after the last keep-alive
    return 0;
  }
  if (c.what != hr_command::kind::set_mode) return 0;
  if (c.mode == hr_mode::one_shot && c.enable) {
    hr_ = hr_state::one_shot;
    // §5.3: the result arrives 6.1-7.2 s after `15 02 01`.
    after(hr_timer_, 6.5s, [this] {
      hr_ = hr_state::off;
      const auto bpm = static_cast<std::uint8_t>(signals_.heart_rate(clock_.seconds()));
      ++stats_.hr_values;
      notify(hr_measurement_handle, make_miband_heart_rate(bpm).bytes());
    });
  } else if (c.mode == hr_mode::continuous && c.enable) {
    hr_ = hr_state::continuous;
    hr_deadline_ = now + 15;
    after(hr_timer_, 6.6s, [this] { hr_tick(); });  // first value ~6.6 s (§5.3)
  } else if (!c.enable && (c.mode == hr_mode::continuous || c.mode == hr_mode::one_shot)) {
    if ((c.mode == hr_mode::continuous) == (hr_ == hr_state::continuous) || hr_ == hr_state::one_shot) {
      if (hr_ == hr_state::continuous && opts_.hr_stop_linger.count() > 0) {
        hr_linger_until_ = now + std::chrono::duration<double>(opts_.hr_stop_linger).count();
        after(hr_linger_timer_, 1.25s, [this] { hr_linger_tick(); });
      }
      hr_ = hr_state::off;
      hr_timer_.cancel();
    }
  }
  return 0;
}

// Continuous values still coming after `15 01 00` (sim_options::hr_stop_linger).
void virtual_band::hr_linger_tick() {
  if (clock_.seconds() > hr_linger_until_) return;
  const auto bpm = static_cast<std::uint8_t>(signals_.heart_rate(clock_.seconds()));
  ++stats_.hr_values;
  notify(hr_measurement_handle, make_miband_heart_rate(bpm).bytes());
  after(hr_linger_timer_, 1.25s, [this] { hr_linger_tick(); });
}

void virtual_band::hr_tick() {
  if (hr_ != hr_state::continuous) return;
  if (clock_.seconds() > hr_deadline_) {
    hr_ = hr_state::off;  // no keep-alive: continuous mode ends (§5.3)
    return;
  }
  const auto bpm = static_cast<std::uint8_t>(signals_.heart_rate(clock_.seconds()));
  ++stats_.hr_values;
  notify(hr_measurement_handle, make_miband_heart_rate(bpm).bytes());
  after(hr_timer_, 1.25s, [this] { hr_tick(); });  // every ~1.25 s (§5.3)
}

// ---- raw sensors (§6) ----

gatt::att_status virtual_band::on_sensor_control(bytes_view v) {
  sensor_command c;
  if (decode_sensor_command(v, c) || !authed_) return 0;
  const auto gen = generation_;
  auto reply_later = [this, gen](frame f) {
    asio::post(ex_, [this, alive = alive_, gen, f] {
      if (!*alive) return;
      if (gen == generation_) notify(sensor_control_handle, f.bytes());
    });
  };
  switch (c.command) {
    case sensor_cmd_configure:
      sensor_configured_ = true;
      sensor_mask_ = c.sensor_mask;
      sensor_rate_ = c.rate_hz ? c.rate_hz : default_sensor_rate_hz;
      reply_later(make_reply(sensor_cmd_configure, status_success));
      break;
    case sensor_cmd_start:
      sensor_streaming_ = true;
      sensor_counter_ = 0;  // restarts at 0 on each start (§6.3)
      // CAP-A's first burst, 1.35 s after `02`, holds the 33 accelerometer
      // samples measured since and no PPG; PPG (16 samples) starts with the
      // second burst, measured since the first (§6.2, §20.5).
      accel_t0_ = clock_.seconds() + 1.0 / sensor_rate_;
      ppg_t0_ = clock_.seconds() + 1.35 + 1.0 / sensor_rate_;
      accel_i_ = ppg_i_ = 0;
      replay_pos_ = 0;
      sensor_t_ = clock_.seconds() + 1.35;
      reply_later(make_reply(sensor_cmd_start, status_success));
      if (opts_.replay && !opts_.replay->empty()) {
        // Start at the capture's first raw packet (a capture may hold
        // one-shot heart-rate values long before its streaming run).
        const auto& rec = *opts_.replay;
        while (replay_pos_ < rec.size() && rec[replay_pos_].heart_rate) ++replay_pos_;
        if (replay_pos_ == rec.size()) replay_pos_ = 0;
        replay_origin_ = clock_.seconds() + 1.35 - rec[replay_pos_].t;
        after(sensor_timer_, 1.35s, [this] { replay_step(); });
      } else {
        after(sensor_timer_, 1.35s, [this] { sensor_burst(); });  // first packet ~1.35 s (§19.3)
      }
      break;
    case sensor_cmd_stop:
      sensor_streaming_ = false;
      sensor_timer_.cancel();
      reply_later(make_reply(sensor_cmd_stop, status_success));
      break;
    default: break;  // keep-alive
  }
  return 0;
}

// One burst every ~0.65 s (§6.3): every sample measured since the last
// burst, accelerometer packets of up to 3 samples, then PPG packets of up to
// 9, all numbered by one shared counter. The samples were measured before
// the burst went out, each at its own time (the signal model's value then).
void virtual_band::sensor_burst() {
  if (!sensor_streaming_) return;
  constexpr double burst = 0.65;
  const double rate = sensor_rate_;
  auto send = [&](const sensor_packet& p) {
    frame f;
    if (encode_sensor_packet(p, f)) return;
    ++stats_.sensor_packets;
    notify(sensor_data_handle, f.bytes());
  };
  // Sample i of a sensor, if it was measured by this burst's due time (a
  // sample exactly on it, as every 4th burst at 25 Hz, goes with it whatever
  // the rounding).
  auto due = [&](double t0, std::uint64_t i) { return t0 + static_cast<double>(i) / rate <= sensor_t_ + 1e-6; };
  while ((sensor_mask_ & sensor_accelerometer) && due(accel_t0_, accel_i_)) {
    sensor_packet p;
    p.type = sensor_packet_type::accelerometer;
    p.counter = sensor_counter_++;
    for (; p.count < 3 && due(accel_t0_, accel_i_); ++p.count, ++accel_i_) {
      auto a = signals_.accelerometer(accel_t0_ + static_cast<double>(accel_i_) / rate);
      p.raw[3 * p.count] = a.x, p.raw[3 * p.count + 1] = a.y, p.raw[3 * p.count + 2] = a.z;
    }
    send(p);
  }
  while ((sensor_mask_ & sensor_ppg) && opts_.ppg && due(ppg_t0_, ppg_i_)) {  // no optical sensor on the HRX
    sensor_packet p;
    p.type = sensor_packet_type::ppg;
    p.counter = sensor_counter_++;
    for (; p.count < 9 && due(ppg_t0_, ppg_i_); ++p.count, ++ppg_i_)
      p.raw[p.count] = signals_.ppg(ppg_t0_ + static_cast<double>(ppg_i_) / rate);
    send(p);
  }
  sensor_t_ += burst;
  // The next burst is due one interval after this one was due, not after it
  // ran: a late timer (a loaded or emulated host) must not slow the band's
  // 25 Hz, as a real band's rate does not depend on the host.
  const double wait = std::max(0.0, sensor_t_ - clock_.seconds());
  after(sensor_timer_, std::chrono::duration<double>(wait), [this] { sensor_burst(); });
}

// Streams the capture's own notifications with their recorded spacing,
// looping at the end.
void virtual_band::replay_step() {
  if (!sensor_streaming_ || !opts_.replay || opts_.replay->empty()) return;
  const auto& rec = *opts_.replay;
  const double now = clock_.seconds() - replay_origin_;
  while (replay_pos_ < rec.size() && rec[replay_pos_].t <= now) {
    const auto& n = rec[replay_pos_++];
    if (n.heart_rate) ++stats_.hr_values;
    else ++stats_.sensor_packets;
    notify(n.heart_rate ? hr_measurement_handle : sensor_data_handle, n.value);
  }
  if (replay_pos_ == rec.size()) {
    replay_pos_ = 0;
    replay_origin_ = clock_.seconds() + 0.65 - rec[0].t;
  } else if (replay_pos_ > 0 && rec[replay_pos_].t - rec[replay_pos_ - 1].t > 2.0) {
    // Compress the capture's idle stretches (between its streaming runs) to
    // one burst interval.
    replay_origin_ -= rec[replay_pos_].t - rec[replay_pos_ - 1].t - 0.65;
  }
  const double next = rec[replay_pos_].t + replay_origin_ - clock_.seconds();
  after(sensor_timer_, std::chrono::duration<double>(std::max(0.0, next)), [this] { replay_step(); });
}

void virtual_band::steps_tick() {
  // §9: one notification about every 60 s while subscribed.
  std::vector<std::uint8_t> v;
  const auto* a = db_.find(steps_handle);
  if (a && a->on_read) a->on_read(v);
  notify(steps_handle, v);
  after(steps_timer_, 60s, [this] { steps_tick(); });
}

// ---- configuration (§13) and time (§8) ----

gatt::att_status virtual_band::on_config(bytes_view v) {
  if (v.empty() || !authed_) return 0;
  // Settings, alarms and their replies (Appendix A): miband/virtual_settings.hpp.
  const frame reply = settings_.on_config(v);
  if (reply.empty()) return 0;
  const auto gen = generation_;
  asio::post(ex_, [this, alive = alive_, gen, reply] {
    if (!*alive) return;
    if (gen == generation_) notify(config_handle, reply.bytes());
  });
  return 0;
}

gatt::att_status virtual_band::on_time_write(bytes_view v) {
  current_time t;
  if (decode_current_time(v, t)) return static_cast<gatt::att_status>(att::error::value_not_allowed);
  if (auto utc = to_utc(t)) {
    time_offset_ = std::chrono::duration_cast<std::chrono::seconds>(
        *utc - std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now()));
  }
  return 0;
}

// ---- activity history (§14) ----

gatt::att_status virtual_band::on_activity_control(bytes_view v) {
  if (!authed_) return 0;  // choice: ignored before auth, like every other command (§19.2)
  auto out = history_.on_write(v, clock_.seconds());
  // After the Write Command is handled, as the band notifies in a later
  // connection event; the bearer queues the packets in order.
  asio::post(ex_, [this, gen = generation_, out = std::move(out)] {
    for (const auto& n : out) {
      if (gen != generation_) return;
      notify(n.data ? activity_data_handle : activity_control_handle, n.value.bytes());
    }
  });
  return 0;
}

}  // namespace bandwire::miband
