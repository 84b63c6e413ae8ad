// libFuzzer target for the Mi Band codecs (style anchors §7 rec. 11).
// The first byte selects the decoder; the rest is its input. Besides "never
// crash", it checks invariants that must hold for every input: lossless
// round trips, and that the auth state machine never writes a bind request
// (`01 …`) other than as its very first step.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "common/bytes.hpp"
#include "miband/alert.hpp"
#include "miband/auth.hpp"
#include "miband/battery.hpp"
#include "miband/capabilities.hpp"
#include "miband/uuids.hpp"
#include "miband/device_info.hpp"
#include "miband/event.hpp"
#include "miband/heart_rate.hpp"
#include "miband/reply.hpp"
#include "miband/sensor.hpp"
#include "miband/steps.hpp"
#include "miband/time.hpp"

using namespace bandwire;
using namespace bandwire::miband;

namespace {

void check(bool ok) {
  if (!ok) std::abort();
}

bool same(const frame& f, bytes_view in) {
  if (f.size() != in.size()) return false;
  for (std::size_t i = 0; i < in.size(); ++i)
    if (f[i] != in[i]) return false;
  return true;
}

std::string_view as_text(bytes_view in) {
  return std::string_view(reinterpret_cast<const char*>(in.data()), in.size());
}

// Input: one options byte, then chunks [len][len bytes]; len 0xff = timeout.
void run_auth(bytes_view in) {
  if (in.empty()) return;
  const std::uint8_t opt = in[0];
  auth_options o;
  o.bind_new_key = opt & 0x01;
  o.auth_flag = (opt & 0x02) ? auth_flag_gadgetbridge : auth_flag_mi_fit;
  o.crypt_flags = (opt & 0x04) ? crypt_flags_mb4 : crypt_flags_none;
  o.plain_fallback = opt & 0x08;
  authenticator a(well_known_key(), o);
  auth_action act = a.start();
  std::size_t pos = 1;
  while (pos < in.size()) {
    const std::uint8_t len = in[pos++];
    if (len == 0xff) {
      act = a.on_timeout();
    } else {
      const std::size_t n = std::min<std::size_t>(len, in.size() - pos);
      act = a.on_notification(in.subspan(pos, n));
      pos += n;
    }
    // Never a (re-)bind after the first step.
    if (act.what == auth_action::kind::write) check((act.value[0] & 0x0f) != auth_cmd_bind);
    // After the plain fallback (§22.16) no write carries crypt flags; it happens once, only with them.
    if (a.fell_back()) check(o.plain_fallback && o.crypt_flags != crypt_flags_none);
    if (a.fell_back() && act.what == auth_action::kind::write) check((act.value[0] & 0xf0) == 0);
    if (act.what == auth_action::kind::done) check(a.finished());
    check(a.finished() == (a.state() == auth_state::authenticated || a.state() == auth_state::failed));
    if (a.state() == auth_state::failed) check(static_cast<bool>(a.error()));
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::uint8_t selector = data[0];
  const bytes_view in(data + 1, size - 1);

  switch (selector % 16) {
    case 0: {
      sensor_packet p;
      if (!decode_sensor_packet(in, p)) {
        frame f;
        check(!encode_sensor_packet(p, f));
        check(same(f, in));
        if (p.type == sensor_packet_type::accelerometer)
          for (std::size_t i = 0; i < p.count; ++i) (void)to_g(p.accel(i));
        else
          check(p.ppg().size() == p.count);
      }
      break;
    }
    case 1: {
      counter_tracker t;
      if (selector & 0x10) t.reset(std::nullopt);
      for (std::uint8_t c : in) {
        auto r = t.observe(c);
        if (r.what == counter_tracker::kind::gap) check(r.missing > 0 && r.missing < 128);
      }
      check(t.received() == in.size());
      break;
    }
    case 2: {
      heart_rate_measurement m;
      if (!decode_heart_rate_measurement(in, m)) {
        for (std::size_t i = 0; i < m.rr_count(); ++i) (void)m.rr_seconds(i);
        (void)check_reading(m);
        // Reserved flag bits and a lone "contact detected" bit are dropped,
        // so the encoding is never longer than the input.
        std::vector<std::uint8_t> out(in.size());
        const std::size_t n = encode_heart_rate_measurement(m, out);
        check(n > 0 && n <= in.size());
        heart_rate_measurement again;
        check(!decode_heart_rate_measurement(bytes_view(out.data(), n), again));
        check(again.bpm == m.bpm && again.rr_count() == m.rr_count());
      }
      break;
    }
    case 3: {
      current_time t;
      if (!decode_current_time(in, t)) {
        check(same(encode_current_time(t), in));
        (void)to_utc(t);
      }
      break;
    }
    case 4: {
      battery_info b;
      if (!decode_battery_info(in, b)) {
        const frame f = encode_battery_info(b);
        battery_info again;
        check(!decode_battery_info(f.bytes(), again));
        check(again.level_percent == b.level_percent && again.date_a == b.date_a && again.date_b == b.date_b);
        if (b.date_a) (void)b.date_a->utc();
      }
      break;
    }
    case 5: {
      realtime_steps s;
      if (!decode_realtime_steps(in, s)) {
        frame f;
        if (!encode_realtime_steps(s, f) && (in[0] & 0xf0) == 0) check(same(f, in));
      }
      break;
    }
    case 6: {
      device_event e;
      if (!decode_device_event(in, e)) {
        (void)to_string(e.code);
        (void)e.mtu();
        (void)e.silent_mode();
        (void)e.music_action();
      }
      break;
    }
    case 7: {
      reply r;
      if (!decode_reply(in, r)) {
        (void)check_reply(r, in.size() > 1 ? in[1] : 0);
        (void)check_setting_reply(r, 0x000a);
      }
      break;
    }
    case 8: run_auth(in); break;
    case 9: {
      auth_request r;
      if (!decode_auth_request(in, r) && r.command == auth_cmd_answer) {
        const std::array<std::uint8_t, 16> random{};
        (void)answer_matches(well_known_key(), random, r.payload);
      }
      break;
    }
    case 10: {
      hr_command c;
      (void)decode_hr_command(in, c);
      sensor_command s;
      (void)decode_sensor_command(in, s);
      alert_request a;
      (void)decode_alert_request(in, a);
      break;
    }
    case 11: {
      new_alert a;
      if (!decode_new_alert(in, a)) {
        // Splitting the text and joining the parts gives the text back.
        auto parts = encode_new_alert_parts(a);
        const std::size_t header = a.category == alert_category::huami_icon ? 3 : 2;
        std::string joined;
        for (const frame& f : parts) {
          check(f.size() >= header && f.size() <= frame::capacity);
          for (std::size_t i = header; i < f.size(); ++i) joined.push_back(static_cast<char>(f[i]));
        }
        check(joined == a.text);
      }
      break;
    }
    case 12: {
      pnp_id p;
      (void)decode_pnp_id(in, p);
      (void)mac_from_system_id(in);
      (void)decode_info_string(in);
      if (auto v = parse_firmware_version(as_text(in))) (void)to_string(*v);
      break;
    }
    case 13: {
      std::optional<auth_key> k;
      if (!parse_key_file(as_text(in), k)) {
        check(k.has_value());
        std::optional<auth_key> again;
        check(!parse_key_file(format_key_file(*k), again));
        check(*again == *k);
      }
      break;
    }
    case 14: {
      // The family from a peer's name (2A00) over a Huami database: any bytes
      // give a Huami family with a consistent auth variant.
      gatt::service auth_svc;
      auth_svc.type = uuids::auth_service();
      auth_svc.characteristics.push_back(gatt::characteristic{});
      auth_svc.characteristics.back().type = uuids::auth();
      gatt::service hr;
      hr.type = uuids::heart_rate_service();
      hr.characteristics.push_back(gatt::characteristic{});
      hr.characteristics.back().type = uuids::heart_rate_measurement();
      const std::vector<gatt::service> db{auth_svc, hr};
      const auto c = detect_capabilities(db, as_text(in));
      check(c.needs_auth() && !c.is_heart_rate_sensor() && c.family != device_family::unknown);
      check(c.can_bind_key == (c.crypt_flags == crypt_flags_none));
      (void)to_string(c.family);
      break;
    }
    default: break;
  }
  return 0;
}
