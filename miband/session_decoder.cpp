#include "miband/session_decoder.hpp"

#include <cstdio>

#include "gatt/types.hpp"
#include "miband/alert.hpp"
#include "miband/battery.hpp"
#include "miband/device_info.hpp"
#include "miband/event.hpp"
#include "miband/heart_rate.hpp"
#include "miband/reply.hpp"
#include "miband/sensor.hpp"
#include "miband/steps.hpp"
#include "miband/time.hpp"
#include "miband/uuids.hpp"

namespace bandwire::miband {

namespace {

// Value handles of a Mi Band 2 on fw 1.0.1.69 (fact sheet §1), used until
// the session's own discovery says otherwise.
void fallback_map(std::map<std::uint16_t, att::uuid>& m) {
  namespace u = uuids;
  const std::pair<std::uint16_t, att::uuid> rows[] = {
      {0x0003, u::device_name()}, {0x000a, u::service_changed()}, {0x000e, u::serial_number()},
      {0x0010, u::hardware_revision()}, {0x0012, u::software_revision()}, {0x0014, u::system_id()},
      {0x0016, u::pnp_id()}, {0x001f, u::new_alert()}, {0x0026, u::alert_level()},
      {0x0029, uuids::heart_rate_measurement()}, {0x002c, u::heart_rate_control_point()},
      {0x002f, uuids::current_time()}, {0x0035, u::sensor_control()}, {0x0038, u::sensor_data()},
      {0x003b, u::configuration()}, {0x0047, u::battery()}, {0x004a, uuids::realtime_steps()},
      {0x004d, u::user_settings()}, {0x0050, u::device_events()}, {0x0054, u::auth()}};
  for (const auto& [h, t] : rows) m[h] = t;
  for (std::uint16_t h : {0x000b, 0x002a, 0x0030, 0x0036, 0x0039, 0x003c, 0x0048, 0x004b, 0x004e, 0x0051, 0x0055})
    m[h] = att::uuid::from16(gatt::cccd_type);
}

std::string hex(bytes_view v) { return to_hex(v); }

std::string date_text(const date_time& d) {
  char b[32];
  std::snprintf(b, sizeof b, "%04u-%02u-%02u %02u:%02u:%02u", d.year, d.month, d.day, d.hour, d.minute, d.second);
  return b;
}

std::string reply_text(const char* what, bytes_view v) {
  reply r;
  if (decode_reply(v, r)) return {};
  char b[96];
  std::snprintf(b, sizeof b, "%s reply: command 0x%02x %s", what, r.command,
                r.status == status_success ? "ok" : r.status == status_failure ? "failed" : "status");
  std::string s = b;
  if (r.status != status_success && r.status != status_failure) {
    std::snprintf(b, sizeof b, " 0x%02x", r.status);
    s += b;
  }
  return s;
}

}  // namespace

session_decoder::session_decoder(bool show_secrets) : show_secrets_(show_secrets) { fallback_map(types_); }

std::optional<att::uuid> session_decoder::type_at(std::uint16_t handle) const {
  auto it = types_.find(handle);
  if (it == types_.end()) return std::nullopt;
  return it->second;
}

pdu_description session_decoder::describe(bool from_host, bytes_view bytes) {
  pdu_description d;
  att::pdu p;
  if (bytes.empty()) {
    d.opcode_name = "Empty";
    d.malformed = true;
    return d;
  }
  d.opcode_name = att::info(bytes[0]).name;
  if (att::decode(bytes, p)) {
    d.malformed = true;
    d.value_hex = hex(bytes.subspan(1));
    d.meaning = "malformed PDU";
    return d;
  }
  const std::uint8_t op = bytes[0];
  if (att::info(op).kind == att::pdu_kind::request) last_request_op_[from_host] = op;

  auto with_handle = [&](std::uint16_t h, bytes_view v) {
    d.handle = h;
    d.value_hex = hex(v);
    if (auto t = type_at(h)) {
      if (auto k = find_known_uuid(*t)) d.characteristic = std::string(k->name);
      else if (*t == att::uuid::from16(gatt::cccd_type)) d.characteristic = "cccd";
      d.meaning = *t == att::uuid::from16(gatt::cccd_type) ? cccd_meaning(h, v) : meaning(*t, from_host, op, v);
      // The key of a bind write is the band's only secret (fact sheet §4.1).
      // Masked whichever side it was captured on: a btmon capture of two
      // local controllers shows the band's copy of the write as well.
      if (!show_secrets_ && *t == uuids::auth() && v.size() == 18 && v[0] == 0x01)
        d.value_hex = hex(v.subspan(0, 2)) + std::string(32, 'x');
    }
  };

  std::visit(
      [&](const auto& m) {
        using T = std::decay_t<decltype(m)>;
        if constexpr (std::is_same_v<T, att::write_req> || std::is_same_v<T, att::write_cmd> ||
                      std::is_same_v<T, att::handle_value_ntf> || std::is_same_v<T, att::handle_value_ind>) {
          with_handle(m.handle, m.value);
        } else if constexpr (std::is_same_v<T, att::read_req>) {
          last_read_handle_ = m.handle;
          d.handle = m.handle;
          if (auto t = type_at(m.handle))
            if (auto k = find_known_uuid(*t)) d.characteristic = std::string(k->name);
        } else if constexpr (std::is_same_v<T, att::read_rsp>) {
          with_handle(last_read_handle_, m.value);
        } else if constexpr (std::is_same_v<T, att::read_by_type_req>) {
          last_read_by_type_ = m.type;
          d.value_hex = m.type.to_string();
        } else if constexpr (std::is_same_v<T, att::read_by_type_rsp>) {
          d.value_hex = hex(m.data);
          if (last_read_by_type_ == att::uuid::from16(gatt::characteristic_type) && (m.length == 7 || m.length == 21)) {
            if (!learned_) types_.clear(), learned_ = true;  // the session's own layout wins
            int n = 0;
            att::for_each(m, [&](att::handle_value e) {
              types_[get_le16(&e.value[1])] = *att::uuid::from_le(e.value.subspan(3));
              ++n;
            });
            d.meaning = "discovered " + std::to_string(n) + " characteristic(s)";
          }
        } else if constexpr (std::is_same_v<T, att::find_information_rsp>) {
          d.value_hex = hex(m.data);
          att::for_each(m, [&](att::handle_uuid e) {
            if (!types_.count(e.handle) || e.type == att::uuid::from16(gatt::cccd_type)) types_[e.handle] = e.type;
          });
        } else if constexpr (std::is_same_v<T, att::error_rsp>) {
          d.handle = m.handle;
          d.meaning = std::string("error ") + att::describe_peer_error(m.code) + " to " + att::info(m.request_opcode).name;
        } else if constexpr (std::is_same_v<T, att::exchange_mtu_req> || std::is_same_v<T, att::exchange_mtu_rsp>) {
          d.meaning = "MTU " + std::to_string(m.mtu);
        } else if constexpr (std::is_same_v<T, att::read_by_group_type_rsp>) {
          d.value_hex = hex(m.data);
          std::string s = "services:";
          att::for_each(m, [&](att::group_entry e) {
            char b[24];
            std::snprintf(b, sizeof b, " 0x%04x-0x%04x", e.start, e.end);
            s += b;
          });
          d.meaning = s;
        } else {
          std::uint8_t buf[600];
          const std::size_t n = att::encode(p, buf);
          if (n > 1) d.value_hex = hex(bytes_view(buf + 1, n - 1));
        }
      },
      p);
  return d;
}

std::string session_decoder::cccd_meaning(std::uint16_t handle, bytes_view value) const {
  if (value.size() != 2) return {};
  // The CCCD belongs to the characteristic whose value handle precedes it.
  std::string owner = "?";
  for (auto it = types_.begin(); it != types_.end() && it->first < handle; ++it)
    if (auto k = find_known_uuid(it->second); k && !k->is_service) owner = std::string(k->name);
  const std::uint16_t bits = get_le16(value.data());
  const char* what = bits == 0 ? "off" : bits == 1 ? "notifications on" : bits == 2 ? "indications on" : "both on";
  return std::string("subscription ") + what + " for " + owner;
}

std::string session_decoder::meaning(const att::uuid& type, bool from_host, std::uint8_t op, bytes_view v) const {
  (void)op;
  char b[160];
  if (type == uuids::auth()) {
    if (from_host) {
      if (v.size() == 18 && v[0] == 0x01)
        return "auth: bind new key " + (show_secrets_ ? hex(v.subspan(2)) : std::string("<masked>"));
      if (v.size() == 2 && (v[0] & 0x0f) == 0x02) return "auth: request challenge";
      if (v.size() == 18 && (v[0] & 0x0f) == 0x03) return "auth: challenge answer " + hex(v.subspan(2));
      return "auth: unknown command";
    }
    if (v.size() == 18 && v[0] == 0x01)  // the bind write, seen from the band's side
      return "auth: bind new key " + (show_secrets_ ? hex(v.subspan(2)) : std::string("<masked>"));
    if (v.size() == 19 && v[0] == 0x10 && v[1] == 0x02 && v[2] == 0x01) return "auth: challenge " + hex(v.subspan(3));
    if (v.size() >= 3 && v[0] == 0x10) {
      const bool ok = v[2] == 0x01;
      switch (v[1] & 0x0f) {
        case 0x01: return ok ? "auth: key accepted (band tapped)" : "auth: key bind refused";
        case 0x02: return ok ? "auth: challenge" : "auth: challenge refused";
        case 0x03: return ok ? "auth: authenticated" : "auth: key rejected";
        default: break;
      }
    }
    return "auth: unknown reply";
  }
  if (type == uuids::heart_rate_measurement()) {
    heart_rate_measurement m;
    if (decode_heart_rate_measurement(v, m)) return "heart rate: malformed";
    if (m.bpm == 0) return "heart rate: 0 (failed measurement)";
    std::string s = "heart rate " + std::to_string(m.bpm) + " bpm";
    for (std::size_t i = 0; i < m.rr_count(); ++i) {
      std::snprintf(b, sizeof b, "%s%.3f", i ? " " : ", rr ", m.rr_seconds(i));
      s += b;
    }
    return s;
  }
  if (type == uuids::heart_rate_control_point()) {
    hr_command c;
    if (decode_hr_command(v, c)) return "heart rate control: unknown";
    if (c.what == hr_command::kind::keep_alive) return "heart rate: keep-alive";
    if (c.what == hr_command::kind::periodic)
      return c.minutes ? "heart rate: measure every " + std::to_string(c.minutes) + " min" : "heart rate: periodic off";
    const char* mode = c.mode == hr_mode::one_shot ? "one-shot" : c.mode == hr_mode::continuous ? "continuous" : "sleep assistance";
    return std::string("heart rate: ") + (c.enable ? "start " : "stop ") + mode;
  }
  if (type == uuids::sensor_control()) {
    if (!from_host) return reply_text("sensors", v);
    sensor_command c;
    if (decode_sensor_command(v, c)) return "sensors: unknown command";
    switch (c.command) {
      case sensor_cmd_configure:
        std::snprintf(b, sizeof b, "sensors: configure%s%s at %u Hz", (c.sensor_mask & sensor_accelerometer) ? " accel" : "",
                      (c.sensor_mask & sensor_ppg) ? " ppg" : "", c.rate_hz);
        return b;
      case sensor_cmd_start: return "sensors: start";
      case sensor_cmd_stop: return "sensors: stop";
      default: return "sensors: keep-alive";
    }
  }
  if (type == uuids::sensor_data()) {
    sensor_packet p;
    if (decode_sensor_packet(v, p)) return "sensor data: malformed";
    std::string s;
    if (p.type == sensor_packet_type::accelerometer) {
      s = "accel #" + std::to_string(p.counter) + ":";
      for (std::size_t i = 0; i < p.count; ++i) {
        auto a = p.accel(i);
        std::snprintf(b, sizeof b, " (%d,%d,%d)", a.x, a.y, a.z);
        s += b;
      }
    } else {
      s = "ppg #" + std::to_string(p.counter) + ":";
      for (auto x : p.ppg()) s += " " + std::to_string(x);
    }
    return s;
  }
  if (type == uuids::configuration()) {
    if (!from_host) return reply_text("config", v);
    if (v.empty()) return {};
    std::snprintf(b, sizeof b, "config command 0x%02x", v[0]);
    return b;
  }
  if (type == uuids::current_time()) {
    current_time t;
    if (decode_current_time(v, t)) return "time: malformed";
    std::string s = "time " + date_text(t.local);
    if (t.tz_quarters) {
      const int m = *t.tz_quarters * 15;
      std::snprintf(b, sizeof b, " tz %c%02d:%02d", m < 0 ? '-' : '+', std::abs(m) / 60, std::abs(m) % 60);
      s += b;
    }
    return s;
  }
  if (type == uuids::battery()) {
    battery_info bi;
    if (decode_battery_info(v, bi)) return "battery: malformed";
    return "battery " + std::to_string(bi.level_percent) + " %" + (bi.charging() ? " charging" : "");
  }
  if (type == uuids::realtime_steps()) {
    realtime_steps st;
    if (decode_realtime_steps(v, st)) return "steps: malformed";
    std::string s = "steps " + std::to_string(st.steps);
    if (st.distance_m) s += ", " + std::to_string(*st.distance_m) + " m";
    if (st.calories_kcal) s += ", " + std::to_string(*st.calories_kcal) + " kcal";
    return s;
  }
  if (type == uuids::device_events()) {
    device_event e;
    if (decode_device_event(v, e)) return "event: malformed";
    if (const char* name = to_string(e.code)) return std::string("event: ") + name;
    std::snprintf(b, sizeof b, "event: unknown code 0x%02x", static_cast<unsigned>(e.code));
    return b;
  }
  if (type == uuids::alert_level()) {
    if (v.size() != 1) return "alert: custom pattern";
    static const char* levels[] = {"stop", "message", "phone call", "vibrate only"};
    return std::string("alert: ") + (v[0] < 4 ? levels[v[0]] : "other level");
  }
  if (type == uuids::new_alert()) {
    new_alert a;
    if (decode_new_alert(v, a)) return "new alert: malformed";
    std::snprintf(b, sizeof b, "new alert category 0x%02x count %u", static_cast<unsigned>(a.category), a.count);
    return std::string(b) + (a.text.empty() ? "" : ": \"" + std::string(a.text) + "\"");
  }
  if (type == uuids::service_changed() && v.size() == 4) {
    std::snprintf(b, sizeof b, "service changed 0x%04x-0x%04x", get_le16(&v[0]), get_le16(&v[2]));
    return b;
  }
  if (type == uuids::serial_number() || type == uuids::hardware_revision() || type == uuids::software_revision() || type == uuids::device_name())
    return "\"" + decode_info_string(v) + "\"";
  if (type == uuids::user_settings()) return "user settings";
  return {};
}

}  // namespace bandwire::miband
