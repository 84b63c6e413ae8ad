#include "miband/session_decoder.hpp"

#include <cstdlib>
#include <utility>
#include <vector>

#include "common/append.hpp"
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
std::vector<std::pair<std::uint16_t, att::uuid>> fallback_map() {
  namespace u = uuids;
  std::vector<std::pair<std::uint16_t, att::uuid>> m = {
      {0x0003, u::device_name()}, {0x000a, u::service_changed()}, {0x000e, u::serial_number()},
      {0x0010, u::hardware_revision()}, {0x0012, u::software_revision()}, {0x0014, u::system_id()},
      {0x0016, u::pnp_id()}, {0x001f, u::new_alert()}, {0x0026, u::alert_level()},
      {0x0029, uuids::heart_rate_measurement()}, {0x002c, u::heart_rate_control_point()},
      {0x002f, uuids::current_time()}, {0x0035, u::sensor_control()}, {0x0038, u::sensor_data()},
      {0x003b, u::configuration()}, {0x0047, u::battery()}, {0x004a, uuids::realtime_steps()},
      {0x004d, u::user_settings()}, {0x0050, u::device_events()}, {0x0054, u::auth()}};
  for (std::uint16_t h : {0x000b, 0x002a, 0x0030, 0x0036, 0x0039, 0x003c, 0x0048, 0x004b, 0x004e, 0x0051, 0x0055})
    m.emplace_back(h, att::uuid::from16(gatt::cccd_type));
  return m;
}

// Output appended with std::to_chars (common/append.hpp): the same bytes
// snprintf and std::to_string printed before, without their cost per PDU
// (`bandwire decode` of a large capture).
void zero_padded(std::string& s, unsigned v, std::size_t width) {
  char b[12];
  const auto r = std::to_chars(b, b + sizeof b, v);
  const auto n = static_cast<std::size_t>(r.ptr - b);
  if (n < width) s.append(width - n, '0');
  s.append(b, n);
}

void date_text(std::string& s, const date_time& d) {
  zero_padded(s, d.year, 4), s += '-', zero_padded(s, d.month, 2), s += '-', zero_padded(s, d.day, 2), s += ' ';
  zero_padded(s, d.hour, 2), s += ':', zero_padded(s, d.minute, 2), s += ':', zero_padded(s, d.second, 2);
}

void reply_text(std::string& s, const char* what, bytes_view v) {
  reply r;
  if (decode_reply(v, r)) return;
  s += what;
  s += " reply: command ";
  append_hex_number(s, r.command, 2);
  s += r.status == status_success ? " ok" : r.status == status_failure ? " failed" : " status";
  if (r.status != status_success && r.status != status_failure) {
    s += ' ';
    append_hex_number(s, r.status, 2);
  }
}

bool is_cccd(const att::uuid& t) { return t == att::uuid::from16(gatt::cccd_type); }

}  // namespace

session_decoder::session_decoder(bool show_secrets) : show_secrets_(show_secrets) {
  for (const auto& [h, t] : fallback_map()) set_type(h, t);
}

std::optional<att::uuid> session_decoder::type_at(std::uint16_t handle) const {
  auto it = types_.find(handle);
  if (it == types_.end()) return std::nullopt;
  return it->second.type;
}

void session_decoder::set_type(std::uint16_t handle, const att::uuid& t) {
  handle_type& e = types_[handle];
  e.type = t;
  e.name = {};
  e.is_service = false;
  if (auto k = find_known_uuid(t)) e.name = k->name, e.is_service = k->is_service;
  namespace u = uuids;
  const std::pair<att::uuid, kind> kinds[] = {
      {att::uuid::from16(gatt::cccd_type), kind::cccd}, {u::auth(), kind::auth},
      {u::heart_rate_measurement(), kind::hr_measurement}, {u::heart_rate_control_point(), kind::hr_control},
      {u::sensor_control(), kind::sensor_control}, {u::sensor_data(), kind::sensor_data},
      {u::configuration(), kind::configuration}, {u::current_time(), kind::current_time},
      {u::battery(), kind::battery}, {u::realtime_steps(), kind::steps}, {u::device_events(), kind::events},
      {u::alert_level(), kind::alert_level}, {u::new_alert(), kind::new_alert},
      {u::service_changed(), kind::service_changed}, {u::serial_number(), kind::info_string},
      {u::hardware_revision(), kind::info_string}, {u::software_revision(), kind::info_string},
      {u::device_name(), kind::info_string}, {u::user_settings(), kind::user_settings}};
  e.what = kind::other;
  for (const auto& [type, k] : kinds)
    if (type == t) {
      e.what = k;
      break;
    }
}

pdu_description session_decoder::describe(bool from_host, bytes_view bytes) {
  pdu_description d;
  describe(from_host, bytes, d);
  return d;
}

void session_decoder::describe(bool from_host, bytes_view bytes, pdu_description& d) {
  d.opcode_name.clear();
  d.handle.reset();
  d.value_hex.clear();
  d.characteristic.clear();
  d.meaning.clear();
  d.malformed = false;
  att::pdu p;
  if (bytes.empty()) {
    d.opcode_name = "Empty";
    d.malformed = true;
    return;
  }
  d.opcode_name = att::info(bytes[0]).name;
  if (att::decode(bytes, p)) {
    d.malformed = true;
    append_hex(d.value_hex, bytes.subspan(1));
    d.meaning = "malformed PDU";
    return;
  }
  const std::uint8_t op = bytes[0];
  if (att::info(op).kind == att::pdu_kind::request) last_request_op_[from_host] = op;

  auto with_handle = [&](std::uint16_t h, bytes_view v) {
    d.handle = h;
    append_hex(d.value_hex, v);
    auto it = types_.find(h);
    if (it == types_.end()) return;
    const handle_type& t = it->second;
    const bool cccd = t.what == kind::cccd;
    if (!t.name.empty()) d.characteristic = t.name;
    else if (cccd) d.characteristic = "cccd";
    if (cccd) cccd_meaning(d.meaning, h, v);
    else meaning(d.meaning, t.what, from_host, v);
    // The key of a bind write is the band's only secret (fact sheet §4.1).
    // Masked whichever side it was captured on: a btmon capture of two
    // local controllers shows the band's copy of the write as well.
    if (!show_secrets_ && v.size() == 18 && v[0] == 0x01 && t.what == kind::auth) {
      d.value_hex.resize(4);
      d.value_hex.append(32, 'x');
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
          auto it = types_.find(m.handle);
          if (it != types_.end() && !it->second.name.empty()) d.characteristic = it->second.name;
        } else if constexpr (std::is_same_v<T, att::read_rsp>) {
          with_handle(last_read_handle_, m.value);
        } else if constexpr (std::is_same_v<T, att::read_by_type_req>) {
          last_read_by_type_ = m.type;
          d.value_hex = m.type.to_string();
        } else if constexpr (std::is_same_v<T, att::read_by_type_rsp>) {
          append_hex(d.value_hex, m.data);
          if (last_read_by_type_ == att::uuid::from16(gatt::characteristic_type) && (m.length == 7 || m.length == 21)) {
            if (!learned_) types_.clear(), learned_ = true;  // the session's own layout wins
            int n = 0;
            att::for_each(m, [&](att::handle_value e) {
              set_type(get_le16(&e.value[1]), *att::uuid::from_le(e.value.subspan(3)));
              ++n;
            });
            d.meaning = "discovered ";
            append_decimal(d.meaning, n);
            d.meaning += " characteristic(s)";
          }
        } else if constexpr (std::is_same_v<T, att::find_information_rsp>) {
          append_hex(d.value_hex, m.data);
          att::for_each(m, [&](att::handle_uuid e) {
            if (!types_.count(e.handle) || is_cccd(e.type)) set_type(e.handle, e.type);
          });
        } else if constexpr (std::is_same_v<T, att::error_rsp>) {
          d.handle = m.handle;
          d.meaning = "error ";
          d.meaning += att::describe_peer_error(m.code);
          d.meaning += " to ";
          d.meaning += att::info(m.request_opcode).name;
        } else if constexpr (std::is_same_v<T, att::exchange_mtu_req> || std::is_same_v<T, att::exchange_mtu_rsp>) {
          d.meaning = "MTU ";
          append_decimal(d.meaning, m.mtu);
        } else if constexpr (std::is_same_v<T, att::read_by_group_type_rsp>) {
          append_hex(d.value_hex, m.data);
          d.meaning = "services:";
          att::for_each(m, [&](att::group_entry e) {
            d.meaning += ' ';
            append_hex_number(d.meaning, e.start, 4);
            d.meaning += '-';
            append_hex_number(d.meaning, e.end, 4);
          });
        } else {
          std::uint8_t buf[600];
          const std::size_t n = att::encode(p, buf);
          if (n > 1) append_hex(d.value_hex, bytes_view(buf + 1, n - 1));
        }
      },
      p);
}

void session_decoder::cccd_meaning(std::string& s, std::uint16_t handle, bytes_view value) const {
  if (value.size() != 2) return;
  // The CCCD belongs to the characteristic whose value handle precedes it.
  std::string_view owner = "?";
  for (auto it = types_.begin(); it != types_.end() && it->first < handle; ++it)
    if (!it->second.name.empty() && !it->second.is_service) owner = it->second.name;
  const std::uint16_t bits = get_le16(value.data());
  s += "subscription ";
  s += bits == 0 ? "off" : bits == 1 ? "notifications on" : bits == 2 ? "indications on" : "both on";
  s += " for ";
  s += owner;
}

void session_decoder::meaning(std::string& s, kind what, bool from_host, bytes_view v) const {
  if (what == kind::auth) {
    auto key = [&](bytes_view k) {
      if (show_secrets_) append_hex(s, k);
      else s += "<masked>";
    };
    if (v.size() == 18 && v[0] == 0x01) {  // a bind write, from the host or seen from the band's side
      s += "auth: bind new key ";
      return key(v.subspan(2));
    }
    if (from_host) {
      if (v.size() == 2 && (v[0] & 0x0f) == 0x02) return void(s += "auth: request challenge");
      if (v.size() == 18 && (v[0] & 0x0f) == 0x03) {
        s += "auth: challenge answer ";
        return append_hex(s, v.subspan(2));
      }
      return void(s += "auth: unknown command");
    }
    if (v.size() == 19 && v[0] == 0x10 && v[1] == 0x02 && v[2] == 0x01) {
      s += "auth: challenge ";
      return append_hex(s, v.subspan(3));
    }
    if (v.size() >= 3 && v[0] == 0x10) {
      const bool ok = v[2] == 0x01;
      switch (v[1] & 0x0f) {
        case 0x01: return void(s += ok ? "auth: key accepted (band tapped)" : "auth: key bind refused");
        case 0x02: return void(s += ok ? "auth: challenge" : "auth: challenge refused");
        case 0x03: return void(s += ok ? "auth: authenticated" : "auth: key rejected");
        default: break;
      }
    }
    return void(s += "auth: unknown reply");
  }
  if (what == kind::hr_measurement) {
    heart_rate_measurement m;
    if (decode_heart_rate_measurement(v, m)) return void(s += "heart rate: malformed");
    if (m.bpm == 0) return void(s += "heart rate: 0 (failed measurement)");
    s += "heart rate ";
    append_decimal(s, m.bpm);
    s += " bpm";
    for (std::size_t i = 0; i < m.rr_count(); ++i) {
      s += i ? " " : ", rr ";
      append_fixed(s, m.rr_seconds(i), 3);
    }
    return;
  }
  if (what == kind::hr_control) {
    hr_command c;
    if (decode_hr_command(v, c)) return void(s += "heart rate control: unknown");
    if (c.what == hr_command::kind::keep_alive) return void(s += "heart rate: keep-alive");
    if (c.what == hr_command::kind::periodic) {
      if (!c.minutes) return void(s += "heart rate: periodic off");
      s += "heart rate: measure every ";
      append_decimal(s, c.minutes);
      return void(s += " min");
    }
    s += "heart rate: ";
    s += c.enable ? "start " : "stop ";
    s += c.mode == hr_mode::one_shot ? "one-shot" : c.mode == hr_mode::continuous ? "continuous" : "sleep assistance";
    return;
  }
  if (what == kind::sensor_control) {
    if (!from_host) return reply_text(s, "sensors", v);
    sensor_command c;
    if (decode_sensor_command(v, c)) return void(s += "sensors: unknown command");
    switch (c.command) {
      case sensor_cmd_configure:
        s += "sensors: configure";
        if (c.sensor_mask & sensor_accelerometer) s += " accel";
        if (c.sensor_mask & sensor_ppg) s += " ppg";
        s += " at ";
        append_decimal(s, unsigned{c.rate_hz});
        return void(s += " Hz");
      case sensor_cmd_start: return void(s += "sensors: start");
      case sensor_cmd_stop: return void(s += "sensors: stop");
      default: return void(s += "sensors: keep-alive");
    }
  }
  if (what == kind::sensor_data) {
    sensor_packet p;
    if (decode_sensor_packet(v, p)) return void(s += "sensor data: malformed");
    if (p.type == sensor_packet_type::accelerometer) {
      s += "accel #";
      append_decimal(s, unsigned{p.counter});
      s += ':';
      for (std::size_t i = 0; i < p.count; ++i) {
        const auto a = p.accel(i);
        s += " (";
        append_decimal(s, int{a.x}), s += ',', append_decimal(s, int{a.y}), s += ',', append_decimal(s, int{a.z});
        s += ')';
      }
    } else {
      s += "ppg #";
      append_decimal(s, unsigned{p.counter});
      s += ':';
      for (auto x : p.ppg()) s += ' ', append_decimal(s, int{x});
    }
    return;
  }
  if (what == kind::configuration) {
    if (!from_host) return reply_text(s, "config", v);
    if (v.empty()) return;
    s += "config command ";
    return append_hex_number(s, v[0], 2);
  }
  if (what == kind::current_time) {
    current_time t;
    if (decode_current_time(v, t)) return void(s += "time: malformed");
    s += "time ";
    date_text(s, t.local);
    if (t.tz_quarters) {
      const int m = *t.tz_quarters * 15;
      s += " tz ";
      s += m < 0 ? '-' : '+';
      zero_padded(s, static_cast<unsigned>(std::abs(m) / 60), 2);
      s += ':';
      zero_padded(s, static_cast<unsigned>(std::abs(m) % 60), 2);
    }
    return;
  }
  if (what == kind::battery) {
    battery_info bi;
    if (decode_battery_info(v, bi)) return void(s += "battery: malformed");
    s += "battery ";
    append_decimal(s, bi.level_percent);
    s += " %";
    if (bi.charging()) s += " charging";
    return;
  }
  if (what == kind::steps) {
    realtime_steps st;
    if (decode_realtime_steps(v, st)) return void(s += "steps: malformed");
    s += "steps ";
    append_decimal(s, st.steps);
    if (st.distance_m) s += ", ", append_decimal(s, *st.distance_m), s += " m";
    if (st.calories_kcal) s += ", ", append_decimal(s, *st.calories_kcal), s += " kcal";
    return;
  }
  if (what == kind::events) {
    device_event e;
    if (decode_device_event(v, e)) return void(s += "event: malformed");
    // A code the list does not name (a sibling band's, say) is printed as such.
    if (const char* name = to_string(e.code)) return void((s += "event: ") += name);
    s += "event: unknown code ";
    return append_hex_number(s, static_cast<unsigned>(e.code), 2);
  }
  if (what == kind::alert_level) {
    if (v.size() != 1) return void(s += "alert: custom pattern");
    static const char* levels[] = {"stop", "message", "phone call", "vibrate only"};
    s += "alert: ";
    s += v[0] < 4 ? levels[v[0]] : "other level";
    return;
  }
  if (what == kind::new_alert) {
    new_alert a;
    if (decode_new_alert(v, a)) return void(s += "new alert: malformed");
    s += "new alert category ";
    append_hex_number(s, static_cast<unsigned>(a.category), 2);
    s += " count ";
    append_decimal(s, unsigned{a.count});
    if (!a.text.empty()) (s += ": \"") += a.text, s += '"';
    return;
  }
  if (what == kind::service_changed && v.size() == 4) {
    s += "service changed ";
    append_hex_number(s, get_le16(&v[0]), 4);
    s += '-';
    return append_hex_number(s, get_le16(&v[2]), 4);
  }
  if (what == kind::info_string) {
    s += '"';
    s += decode_info_string(v);
    s += '"';
    return;
  }
  if (what == kind::user_settings) s += "user settings";
}

}  // namespace bandwire::miband
