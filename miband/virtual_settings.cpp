#include "miband/virtual_settings.hpp"

#include <algorithm>

#include "common/bounded_log.hpp"
#include "miband/reply.hpp"
#include "miband/settings_file.hpp"

namespace bandwire::miband {

namespace {

// `06` ids a Mi Band 2 answers `10 06 id 00 01` to: CAP-A's (01 02 03 05 06
// 07 0a 0d 10) and the MB2 ones Gadgetbridge and HMK send (04 0b 0c, §13.2).
constexpr std::uint16_t mb2_ids[] = {0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x0a, 0x0b, 0x0c, 0x0d, 0x10};
constexpr std::uint16_t factory_reset_id = 0x0b;
constexpr std::uint8_t att_value_not_allowed = 0x13;

std::string joined(const band_settings& s) {
  std::string out;
  for (const auto& l : describe_settings(s)) out += (out.empty() ? "" : "; ") + l;
  return out;
}

}  // namespace

virtual_settings::virtual_settings(std::vector<std::uint16_t> unsupported, display_items_layout layout)
    : unsupported_(std::move(unsupported)), layout_(layout) {}

void virtual_settings::note(const char* channel, bytes_view written, const frame* reply, const std::string& what) {
  std::string line = std::string(channel) + " " + hex_bytes(written);
  if (reply) line += " -> " + hex_bytes(reply->bytes());
  line += ": " + what;
  listeners_.emit(push_bounded(log_, std::move(line)));
}

frame virtual_settings::on_setting(bytes_view v) {
  const frame refused{reply_marker, 0x06, 0x06};  // CAP-A's answer to `06 17 00 en_US`
  const std::uint16_t id = get_le16(&v[1]);
  const bool known = std::find(std::begin(mb2_ids), std::end(mb2_ids), id) != std::end(mb2_ids) &&
                     std::find(unsupported_.begin(), unsupported_.end(), id) == unsupported_.end();
  if (!known) {
    note("0003", v, &refused, "not supported");
    return refused;
  }
  const frame ok{reply_marker, 0x06, v[1], v[2], status_success};
  if (id == factory_reset_id && v.size() == 4 && v[3] == 0x01) {
    settings_ = {};
    alarms_ = {};
    note("0003", v, &ok, "factory reset: settings and alarms cleared");
    return ok;
  }
  band_settings s;
  const auto ec = decode_config_setting(v, s);
  if (ec == errc::invalid_argument) {  // an MB2 id this codec does not interpret (04 07 10)
    note("0003", v, &ok, "accepted, not interpreted");
    return ok;
  }
  if (ec) {
    note("0003", v, &refused, "refused: a value this band cannot hold");
    return refused;
  }
  settings_.merge(s);
  note("0003", v, &ok, joined(s));
  return ok;
}

frame virtual_settings::on_config(bytes_view v) {
  if (v.empty()) return {};
  const std::uint8_t cmd = v[0];
  if (cmd == 0x06 && v.size() >= 4) return on_setting(v);
  if (cmd == 0x06) {
    const frame refused{reply_marker, 0x06, 0x06};
    note("0003", v, &refused, "refused: too short");
    return refused;
  }
  if (cmd == 0x0c) {
    const frame r{reply_marker, 0x0c, 0x01, 0x02, 0x01, 0x00};  // CAP-A; meaning unknown (§13.1)
    note("0003", v, &r, "query 0c");
    return r;
  }
  const frame ok = make_reply(cmd, status_success), failed = make_reply(cmd, status_failure);
  if (cmd == 0x02) {
    alarm_write a;
    if (decode_alarm(v, a)) {
      note("0003", v, &failed, "refused: not an alarm this band holds");
      return failed;
    }
    alarms_[a.slot] = a.value;
    note("0003", v, &ok, "alarm " + std::to_string(a.slot) + " = " + (a.value ? describe_alarm(*a.value) : "unused"));
    return ok;
  }
  if (cmd == 0x08 || cmd == 0x09 || cmd == 0x0a) {
    band_settings s;
    if (decode_config_setting(v, s, layout_)) {
      note("0003", v, &failed, cmd == 0x0a ? std::string("refused: not a display-items command of a ") + describe(layout_)
                                           : std::string("refused: malformed"));
      return failed;
    }
    settings_.merge(s);
    note("0003", v, &ok, joined(s));
    return ok;
  }
  note("0003", v, &ok, "accepted, not interpreted");
  return ok;
}

std::uint8_t virtual_settings::on_user_settings(bytes_view v) {
  user_settings_write w;
  if (decode_user_settings(v, w)) {
    note("0008", v, nullptr, "refused (ATT Value Not Allowed): malformed");
    return att_value_not_allowed;
  }
  band_settings s;
  s.user = w.user;
  s.step_goal = w.step_goal;
  s.wear = w.wear;
  settings_.merge(s);
  note("0008", v, nullptr, joined(s));
  return 0;
}

void virtual_settings::on_heart_rate(const hr_command& c) {
  band_settings s;
  frame written;
  if (c.what == hr_command::kind::periodic) {
    s.hr_interval_minutes = c.minutes;
    written = frame{hr_cmd_periodic, c.minutes};
  } else if (c.what == hr_command::kind::set_mode && c.mode == hr_mode::sleep) {
    s.sleep_assistance = c.enable;
    written = make_hr_mode(hr_mode::sleep, c.enable);
  } else {
    return;
  }
  settings_.merge(s);
  note("2a39", written.bytes(), nullptr, joined(s));
}

}  // namespace bandwire::miband
