#include "tools/output.hpp"

#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "miband/band.hpp"
#include "tools/clocks.hpp"

namespace bandwire::tools {

// Runs that need no escape are copied whole.
void append_json_string(std::string& o, std::string_view s) {
  o += '"';
  std::size_t run = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    o.append(s.data() + run, i - run);
    run = i + 1;
    switch (c) {
      case '"': o += "\\\""; break;
      case '\\': o += "\\\\"; break;
      case '\n': o += "\\n"; break;
      case '\r': o += "\\r"; break;
      case '\t': o += "\\t"; break;
      default:
        o += "\\u00";
        o += "0123456789abcdef"[c >> 4];
        o += "0123456789abcdef"[c & 15];
    }
  }
  o.append(s.data() + run, s.size() - run);
  o += '"';
}

std::string json_string(std::string_view s) {
  std::string o;
  append_json_string(o, s);
  return o;
}

void json_object::key(std::string_view k) {
  if (body_.size() > 1) body_ += ",";
  body_ += json_string(k) + ":";
}
json_object& json_object::add(std::string_view k, std::string_view v) {
  key(k);
  body_ += json_string(v);
  return *this;
}
json_object& json_object::add(std::string_view k, long long v) {
  key(k);
  body_ += std::to_string(v);
  return *this;
}
json_object& json_object::add(std::string_view k, double v) {
  key(k);
  if (!std::isfinite(v)) {
    body_ += "null";
    return *this;
  }
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.6f", v);
  body_ += buf;
  return *this;
}
json_object& json_object::add(std::string_view k, bool v) {
  key(k);
  body_ += v ? "true" : "false";
  return *this;
}
json_object& json_object::add_raw(std::string_view k, std::string_view json) {
  key(k);
  body_ += json;
  return *this;
}

void emit(const std::string& line) {
  std::fwrite(line.data(), 1, line.size(), stdout);
  std::fputc('\n', stdout);
  std::fflush(stdout);
}

std::string hex8(unsigned v) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "0x%02x", v & 0xff);
  return buf;
}

std::string hex16(unsigned v) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "0x%04x", v & 0xffff);
  return buf;
}

std::string date_text(const miband::date_time& d) {
  char b[32];
  std::snprintf(b, sizeof b, "%04u-%02u-%02u %02u:%02u:%02u", d.year, d.month, d.day, d.hour, d.minute, d.second);
  return b;
}

std::string tz_text(int quarters) {
  char b[16];
  const int m = quarters * 15;
  std::snprintf(b, sizeof b, "%c%02d:%02d", m < 0 ? '-' : '+', std::abs(m) / 60, std::abs(m) % 60);
  return b;
}

void print_device_information(const miband::device_information& info, bool json) {
  if (json) {
    json_object o;
    o.add("kind", "info").add("serial", info.serial).add("hardware", info.hardware).add("software", info.software);
    o.add("system_id", to_hex(info.system_id));
    if (info.pnp)
      o.add("vendor_id", info.pnp->vendor_id).add("product_id", info.pnp->product_id).add("product_version", info.pnp->product_version);
    return emit(o.str());
  }
  emit("serial:    " + info.serial);
  emit("hardware:  " + info.hardware);
  emit("software:  " + info.software);
  emit("system id: " + to_hex(info.system_id));
  if (info.pnp) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "pnp id:    vendor 0x%04x product 0x%04x version 0x%04x", info.pnp->vendor_id,
                  info.pnp->product_id, info.pnp->product_version);
    emit(buf);
  }
}

void print_battery(const miband::battery_info& bat, bool json) {
  if (json) {
    json_object o;
    o.add("kind", "battery").add("level", bat.level_percent).add("charging", bat.charging());
    if (bat.date_a) o.add("date_a", date_text(bat.date_a->local));
    if (bat.date_b) o.add("date_b", date_text(bat.date_b->local));
    if (bat.level_at_date_b) o.add("level_at_date_b", *bat.level_at_date_b);
    return emit(o.str());
  }
  emit("battery:   " + std::to_string(bat.level_percent) + " %" + (bat.charging() ? " (charging)" : ""));
  if (bat.date_a) emit("charge A:  " + date_text(bat.date_a->local));
  if (bat.date_b)
    emit("charge B:  " + date_text(bat.date_b->local) +
         (bat.level_at_date_b ? " (" + std::to_string(*bat.level_at_date_b) + " %)" : ""));
}

void print_time(const miband::current_time& t, bool json) {
  const std::string tz = t.tz_quarters ? tz_text(*t.tz_quarters) : "";
  if (json)
    emit(json_object().add("kind", "time").add("time", date_text(t.local)).add("tz", tz).add("day_of_week", t.day_of_week).str());
  else
    emit("time:      " + date_text(t.local) + (tz.empty() ? "" : " " + tz));
}

void print_steps(const miband::realtime_steps& st, bool json) {
  if (json) {
    json_object o;
    o.add("kind", "steps").add("time", now_wall()).add("steps", st.steps);
    if (st.distance_m) o.add("distance_m", *st.distance_m);
    if (st.calories_kcal) o.add("calories_kcal", *st.calories_kcal);
    return emit(o.str());
  }
  std::string line = "steps " + std::to_string(st.steps);
  if (st.distance_m) line += ", " + std::to_string(*st.distance_m) + " m";
  if (st.calories_kcal) line += ", " + std::to_string(*st.calories_kcal) + " kcal";
  emit(line);
}

std::string rr_seconds_text(std::uint16_t ticks) {
  // ticks / 1024 = whole + frac / 1024, and frac / 1024 = frac * 9765625 / 10^10.
  const unsigned long long frac = static_cast<unsigned long long>(ticks % 1024u) * 9765625ull;
  char buf[40];
  std::snprintf(buf, sizeof buf, "%u.%010llu", static_cast<unsigned>(ticks / 1024u), frac);
  std::string s = buf;
  while (s.back() == '0') s.pop_back();
  if (s.back() == '.') s.pop_back();
  return s;
}

void print_heart_rate(const miband::heart_rate_measurement& m, bool json) {
  using contact = miband::sensor_contact;
  if (!json) {
    std::string line = "heart rate " + std::to_string(m.bpm) + " bpm";
    if (m.rr_count()) {
      line += ", RR";
      for (std::size_t i = 0; i < m.rr_count(); ++i) line += " " + rr_seconds_text(m.rr_1024ths(i));
      line += " s";
    }
    if (m.energy_expended_kj) line += ", energy " + std::to_string(*m.energy_expended_kj) + " kJ";
    if (m.contact != contact::not_supported) line += m.contact == contact::detected ? ", contact" : ", no contact";
    return emit(line);
  }
  json_object o;
  o.add("kind", "hr").add("time", now_wall()).add("bpm", m.bpm);
  if (m.rr_count()) {
    std::string rr = "[";
    for (std::size_t i = 0; i < m.rr_count(); ++i) rr += (i ? "," : "") + rr_seconds_text(m.rr_1024ths(i));
    o.add_raw("rr", rr + "]");
  }
  if (m.energy_expended_kj) o.add("energy_kj", *m.energy_expended_kj);
  if (m.contact != contact::not_supported) o.add_raw("contact", m.contact == contact::detected ? "true" : "false");
  emit(o.str());
}

void print_heart_rate_stall(double seconds, bool json) {
  if (json)
    emit(json_object().add("kind", "gap").add("time", now_wall()).add("missing", 0).add("seconds", seconds).str());
  else
    std::fprintf(stderr, "bandwire: no heart rate for %.1f s\n", seconds);
}

void print_event(const miband::device_event& e, bool json) {
  // A code the list does not name (a sibling band's, say) is printed as such.
  const char* name = miband::to_string(e.code);
  if (json)
    emit(json_object()
             .add("kind", "event")
             .add("time", now_wall())
             .add("code", static_cast<int>(e.code))
             .add("event", name ? name : "unknown")
             .add("params", to_hex(e.params))
             .str());
  else
    emit(std::string("event ") + (name ? name : "unknown " + hex8(static_cast<unsigned>(e.code))) +
         (e.params.empty() ? "" : " " + to_hex(e.params)));
}

}  // namespace bandwire::tools
