#include "miband/replay.hpp"

#include <algorithm>
#include <map>
#include <optional>
#include <variant>

#include "att/opcode.hpp"
#include "att/pdu.hpp"
#include "hci/btsnoop.hpp"
#include "miband/uuids.hpp"

namespace bandwire::miband {

namespace {

// What one connection's discovery revealed.
struct link_handles {
  bool awaiting_decls = false;  // a Read By Type 0x2803 request is outstanding
  std::optional<std::uint16_t> sensor, hr;
};

// A characteristic declaration value (Vol 3 Part G §3.3.1):
// properties(1) | value handle(2) | UUID (2 or 16).
void note_declaration(bytes_view decl, link_handles& h) {
  if (decl.size() != 5 && decl.size() != 19) return;
  const auto type = att::uuid::from_le(decl.subspan(3));
  if (!type) return;
  const std::uint16_t value_handle = get_le16(&decl[1]);
  if (value_handle == 0) return;
  if (*type == uuids::sensor_data()) h.sensor = value_handle;
  else if (*type == uuids::heart_rate_measurement()) h.hr = value_handle;
}

}  // namespace

error_code load_replay(bytes_view btsnoop_file, std::vector<recorded_notification>& out, replay_info* info) {
  std::vector<hci::att_record> recs;
  if (error_code ec = hci::extract_att(btsnoop_file, recs)) return ec;

  // Pass 1: each connection's characteristic declarations, from the Read By
  // Type (0x2803) responses that answer the host's requests. ATT allows one
  // outstanding request per direction (Vol 3 Part F §3.3.2), so the next
  // response from the band answers the host's last request.
  std::map<std::uint16_t, link_handles> links;
  const att::uuid char_decl = att::uuid::from16(0x2803);
  for (const auto& r : recs) {
    if (r.pdu.empty()) continue;
    auto& link = links[r.conn_handle];
    const auto kind = att::info(r.pdu[0]).kind;
    att::pdu p;
    const bool ok = !att::decode(r.pdu, p);
    if (r.dir == hci::direction::host_to_controller) {
      if (kind == att::pdu_kind::request) {
        const auto* q = ok ? std::get_if<att::read_by_type_req>(&p) : nullptr;
        link.awaiting_decls = q && q->type == char_decl;
      }
      continue;
    }
    if (kind != att::pdu_kind::response) continue;
    if (link.awaiting_decls && ok) {
      if (const auto* rsp = std::get_if<att::read_by_type_rsp>(&p))
        att::for_each(*rsp, [&](const att::handle_value& e) { note_declaration(e.value, link); });
    }
    link.awaiting_decls = false;
  }

  // Pass 2: the notifications on those handles.
  std::vector<recorded_notification> found;
  std::optional<std::int64_t> first_us;
  double last_t = 0;
  replay_info inf;
  inf.att_pdus = recs.size();
  auto describe = [&inf](const link_handles& link) {
    inf.sensor_data_handle = link.sensor.value_or(default_sensor_data_handle);
    inf.heart_rate_handle = link.hr.value_or(default_heart_rate_handle);
    inf.sensor_from_discovery = link.sensor.has_value();
    inf.heart_rate_from_discovery = link.hr.has_value();
  };
  describe(recs.empty() ? link_handles{} : links[recs.back().conn_handle]);
  for (const auto& r : recs) {
    if (r.dir != hci::direction::controller_to_host || r.pdu.empty()) continue;
    const auto op = static_cast<att::opcode>(r.pdu[0]);
    if (op != att::opcode::handle_value_ntf && op != att::opcode::multiple_handle_value_ntf) continue;
    att::pdu p;
    if (att::decode(r.pdu, p)) continue;
    const auto& link = links[r.conn_handle];
    const std::uint16_t sensor = link.sensor.value_or(default_sensor_data_handle);
    const std::uint16_t hr = link.hr.value_or(default_heart_rate_handle);
    describe(link);
    auto take = [&](std::uint16_t handle, bytes_view value) {
      if (handle != sensor && handle != hr) return;
      if (!first_us) first_us = r.timestamp_us;
      // Microsecond difference as double; clamp so t never goes back.
      // (modular: absurd timestamps of a corrupt capture cannot overflow).
      const auto us = static_cast<std::int64_t>(static_cast<std::uint64_t>(r.timestamp_us) -
                                                static_cast<std::uint64_t>(*first_us));
      const double t = static_cast<double>(us) / 1e6;
      last_t = std::max(last_t, t);
      recorded_notification n;
      n.t = last_t;
      n.heart_rate = handle == hr;
      n.value.assign(value.begin(), value.end());
      ++(n.heart_rate ? inf.heart_rate : inf.sensor);
      found.push_back(std::move(n));
    };
    if (const auto* n = std::get_if<att::handle_value_ntf>(&p)) {
      take(n->handle, n->value);
    } else if (const auto* m = std::get_if<att::multiple_handle_value_ntf>(&p)) {
      att::for_each(*m, [&](const att::handle_value& e) { take(e.handle, e.value); });
    }
  }
  out.insert(out.end(), std::make_move_iterator(found.begin()), std::make_move_iterator(found.end()));
  if (info) *info = inf;
  return {};
}

}  // namespace bandwire::miband
