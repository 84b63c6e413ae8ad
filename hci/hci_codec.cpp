#include "hci/hci_codec.hpp"

namespace bandwire::hci {

namespace {

using boost::system::error_code;

// A bounds-checked cursor over event parameters. Every take fails (and
// leaves the cursor where it was) rather than read past the end.
class reader {
 public:
  explicit reader(bytes_view v) noexcept : v_(v) {}
  std::size_t left() const noexcept { return v_.size() - pos_; }
  bool u8(std::uint8_t& out) noexcept {
    if (left() < 1) return false;
    out = v_[pos_++];
    return true;
  }
  bool s8(std::int8_t& out) noexcept {
    std::uint8_t b = 0;
    if (!u8(b)) return false;
    out = static_cast<std::int8_t>(b);
    return true;
  }
  bool u16(std::uint16_t& out) noexcept {
    if (left() < 2) return false;
    out = get_le16(v_.data() + pos_);
    pos_ += 2;
    return true;
  }
  bool addr(address& out) noexcept {
    if (left() < 6) return false;
    out = address::from_le(v_.data() + pos_);
    pos_ += 6;
    return true;
  }
  bool bytes(std::size_t n, bytes_view& out) noexcept {
    if (left() < n) return false;
    out = v_.subspan(pos_, n);
    pos_ += n;
    return true;
  }

 private:
  bytes_view v_;
  std::size_t pos_ = 0;
};

error_code truncated() noexcept { return make_error_code(errc::truncated_parameters); }

std::vector<std::uint8_t> command(std::uint16_t op, std::initializer_list<std::uint8_t> params) {
  std::vector<std::uint8_t> out;
  out.reserve(command_header_size + params.size());
  out.push_back(static_cast<std::uint8_t>(op));
  out.push_back(static_cast<std::uint8_t>(op >> 8));
  out.push_back(static_cast<std::uint8_t>(params.size()));
  out.insert(out.end(), params.begin(), params.end());
  return out;
}

void append16(std::vector<std::uint8_t>& out, std::uint16_t v) {
  out.push_back(static_cast<std::uint8_t>(v));
  out.push_back(static_cast<std::uint8_t>(v >> 8));
}

void set_length(std::vector<std::uint8_t>& out) {
  out[2] = static_cast<std::uint8_t>(out.size() - command_header_size);
}

std::vector<std::uint8_t> header(std::uint16_t op) {
  std::vector<std::uint8_t> out;
  append16(out, op);
  out.push_back(0);
  return out;
}

// Scan interval and window (Vol 4 Part E §7.8.10, §7.8.64): at least 0x0004,
// the window no longer than the interval; the legacy command caps both at
// 0x4000 (10.24 s).
bool valid_scan_timing(const scan_parameters& p, bool legacy) noexcept {
  if (p.interval < 0x0004 || p.window < 0x0004 || p.window > p.interval) return false;
  if (legacy && p.interval > 0x4000) return false;
  return static_cast<std::uint8_t>(p.type) <= 1 && static_cast<std::uint8_t>(p.own) <= 3 && p.filter_policy <= 3;
}

error_code encode_data_command(std::uint16_t op, bytes_view data, std::vector<std::uint8_t>& out) {
  if (data.size() > max_legacy_adv_data) return make_error_code(errc::invalid_argument);
  std::vector<std::uint8_t> v = header(op);
  v.push_back(static_cast<std::uint8_t>(data.size()));
  v.insert(v.end(), data.begin(), data.end());
  // The parameter is always 31 octets; the unused part is zero (§7.8.7).
  v.resize(command_header_size + 1 + max_legacy_adv_data, 0);
  set_length(v);
  out = std::move(v);
  return {};
}

}  // namespace

// ---------------------------------------------------------------- commands --

std::vector<std::uint8_t> encode_reset() { return command(opcode::reset, {}); }
std::vector<std::uint8_t> encode_read_local_supported_commands() {
  return command(opcode::read_local_supported_commands, {});
}
std::vector<std::uint8_t> encode_le_read_local_supported_features() {
  return command(opcode::le_read_local_supported_features, {});
}

error_code encode_le_set_scan_parameters(const scan_parameters& p, std::vector<std::uint8_t>& out) {
  if (!valid_scan_timing(p, true)) return make_error_code(errc::invalid_argument);
  std::vector<std::uint8_t> v = header(opcode::le_set_scan_parameters);
  v.push_back(static_cast<std::uint8_t>(p.type));
  append16(v, p.interval);
  append16(v, p.window);
  v.push_back(static_cast<std::uint8_t>(p.own));
  v.push_back(p.filter_policy);
  set_length(v);
  out = std::move(v);
  return {};
}

std::vector<std::uint8_t> encode_le_set_scan_enable(bool enable, bool filter_duplicates) {
  return command(opcode::le_set_scan_enable,
                 {static_cast<std::uint8_t>(enable ? 1 : 0), static_cast<std::uint8_t>(filter_duplicates ? 1 : 0)});
}

error_code encode_le_set_extended_scan_parameters(const scan_parameters& p, std::uint8_t phys,
                                                  std::vector<std::uint8_t>& out) {
  // Only the 1M (bit 0) and Coded (bit 2) PHYs can be scanned; at least one.
  if (!valid_scan_timing(p, false) || phys == 0 || (phys & ~(phy_1m | phy_coded)) != 0)
    return make_error_code(errc::invalid_argument);
  std::vector<std::uint8_t> v = header(opcode::le_set_extended_scan_parameters);
  v.push_back(static_cast<std::uint8_t>(p.own));
  v.push_back(p.filter_policy);
  v.push_back(phys);
  // One Scan_Type, Scan_Interval, Scan_Window triple per bit set, lowest bit
  // first (§7.8.64).
  for (std::uint8_t bit : {phy_1m, phy_coded}) {
    if ((phys & bit) == 0) continue;
    v.push_back(static_cast<std::uint8_t>(p.type));
    append16(v, p.interval);
    append16(v, p.window);
  }
  set_length(v);
  out = std::move(v);
  return {};
}

std::vector<std::uint8_t> encode_le_set_extended_scan_enable(bool enable, duplicates filter, std::uint16_t duration,
                                                             std::uint16_t period) {
  std::vector<std::uint8_t> v = header(opcode::le_set_extended_scan_enable);
  v.push_back(enable ? 1 : 0);
  v.push_back(static_cast<std::uint8_t>(filter));
  append16(v, duration);
  append16(v, period);
  set_length(v);
  return v;
}

error_code encode_le_set_advertising_parameters(const advertising_parameters& p, std::vector<std::uint8_t>& out) {
  // §7.8.5: intervals 0x0020-0x4000 (ignored for high duty cycle directed
  // advertising), min <= max, a non-empty channel map of bits 0-2.
  const bool high_duty = p.type == advertising_type::adv_direct_ind_high;
  if (!high_duty && (p.interval_min < 0x0020 || p.interval_max > 0x4000 || p.interval_min > p.interval_max))
    return make_error_code(errc::invalid_argument);
  if (static_cast<std::uint8_t>(p.type) > 4 || static_cast<std::uint8_t>(p.own) > 3 || p.peer_address_type > 1 ||
      p.channel_map == 0 || (p.channel_map & ~0x07) != 0 || p.filter_policy > 3)
    return make_error_code(errc::invalid_argument);
  std::vector<std::uint8_t> v = header(opcode::le_set_advertising_parameters);
  append16(v, p.interval_min);
  append16(v, p.interval_max);
  v.push_back(static_cast<std::uint8_t>(p.type));
  v.push_back(static_cast<std::uint8_t>(p.own));
  v.push_back(p.peer_address_type);
  const auto le = p.peer.le();
  v.insert(v.end(), le.begin(), le.end());
  v.push_back(p.channel_map);
  v.push_back(p.filter_policy);
  set_length(v);
  out = std::move(v);
  return {};
}

error_code encode_le_set_advertising_data(bytes_view data, std::vector<std::uint8_t>& out) {
  return encode_data_command(opcode::le_set_advertising_data, data, out);
}
error_code encode_le_set_scan_response_data(bytes_view data, std::vector<std::uint8_t>& out) {
  return encode_data_command(opcode::le_set_scan_response_data, data, out);
}
std::vector<std::uint8_t> encode_le_set_advertising_enable(bool enable) {
  return command(opcode::le_set_advertising_enable, {static_cast<std::uint8_t>(enable ? 1 : 0)});
}
std::vector<std::uint8_t> encode_le_set_random_address(const address& a) {
  std::vector<std::uint8_t> v = header(opcode::le_set_random_address);
  const auto le = a.le();
  v.insert(v.end(), le.begin(), le.end());
  set_length(v);
  return v;
}

error_code decode_command(bytes_view packet, std::uint16_t& op, bytes_view& params) noexcept {
  if (packet.size() < command_header_size) return make_error_code(errc::truncated_packet);
  const std::size_t len = packet[2];
  if (packet.size() < command_header_size + len) return make_error_code(errc::truncated_packet);
  if (packet.size() > command_header_size + len) return make_error_code(errc::trailing_bytes);
  op = get_le16(packet.data());
  params = packet.subspan(command_header_size, len);
  return {};
}

// ------------------------------------------------------------------ events --

bool adv_report::connectable() const noexcept {
  if (format == report_format::extended) return (event_type & ext_event::connectable) != 0;
  return event_type == legacy_event::adv_ind || event_type == legacy_event::adv_direct_ind;
}
bool adv_report::scannable() const noexcept {
  if (format == report_format::extended) return (event_type & ext_event::scannable) != 0;
  return event_type == legacy_event::adv_ind || event_type == legacy_event::adv_scan_ind;
}
bool adv_report::directed() const noexcept {
  if (format == report_format::extended) return (event_type & ext_event::directed) != 0;
  return event_type == legacy_event::adv_direct_ind;
}
bool adv_report::scan_response() const noexcept {
  if (format == report_format::extended) return (event_type & ext_event::scan_response) != 0;
  return event_type == legacy_event::scan_rsp;
}
std::uint8_t adv_report::data_status() const noexcept {
  if (format == report_format::legacy) return 0;
  return static_cast<std::uint8_t>((event_type & ext_event::data_status_mask) >> 5);
}

error_code decode_event_packet(bytes_view packet, event_packet& out) noexcept {
  if (packet.size() < event_header_size) return make_error_code(errc::truncated_packet);
  const std::size_t len = packet[1];
  if (packet.size() < event_header_size + len) return make_error_code(errc::truncated_packet);
  if (packet.size() > event_header_size + len) return make_error_code(errc::trailing_bytes);
  out.code = packet[0];
  out.params = packet.subspan(event_header_size, len);
  return {};
}

error_code decode_command_complete(const event_packet& ev, command_complete& out) noexcept {
  if (ev.code != event_code::command_complete) return make_error_code(errc::unexpected_event);
  // Num_HCI_Command_Packets (1), Command_Opcode (2), Return_Parameters (§7.7.14).
  reader r(ev.params);
  command_complete cc;
  if (!r.u8(cc.num_hci_command_packets) || !r.u16(cc.opcode)) return truncated();
  r.bytes(r.left(), cc.return_params);
  out = cc;
  return {};
}

error_code decode_command_status(const event_packet& ev, command_status& out) noexcept {
  if (ev.code != event_code::command_status) return make_error_code(errc::unexpected_event);
  // Status (1), Num_HCI_Command_Packets (1), Command_Opcode (2) (§7.7.15).
  reader r(ev.params);
  command_status cs;
  if (!r.u8(cs.status) || !r.u8(cs.num_hci_command_packets) || !r.u16(cs.opcode)) return truncated();
  out = cs;
  return {};
}

error_code decode_disconnection_complete(const event_packet& ev, disconnection_complete& out) noexcept {
  if (ev.code != event_code::disconnection_complete) return make_error_code(errc::unexpected_event);
  // Status (1), Connection_Handle (2, 12 bits used), Reason (1) (§7.7.5).
  reader r(ev.params);
  disconnection_complete d;
  if (!r.u8(d.status) || !r.u16(d.handle) || !r.u8(d.reason)) return truncated();
  d.handle &= 0x0fff;
  out = d;
  return {};
}

error_code decode_le_meta(const event_packet& ev, std::uint8_t& subevent, bytes_view& params) noexcept {
  if (ev.code != event_code::le_meta) return make_error_code(errc::unexpected_event);
  if (ev.params.empty()) return truncated();
  subevent = ev.params[0];
  params = ev.params.subspan(1);
  return {};
}

error_code decode_le_connection_complete(bytes_view params, bool enhanced, le_connection_complete& out) noexcept {
  // §7.7.65.1: Status, Connection_Handle, Role, Peer_Address_Type,
  // Peer_Address, Connection_Interval, Peripheral_Latency,
  // Supervision_Timeout, Central_Clock_Accuracy (18 octets after the
  // subevent code). §7.7.65.10 adds Local_Resolvable_Private_Address and
  // Peer_Resolvable_Private_Address after Peer_Address (30 octets).
  reader r(params);
  le_connection_complete c;
  c.enhanced = enhanced;
  if (!r.u8(c.status) || !r.u16(c.handle) || !r.u8(c.role) || !r.u8(c.peer_address_type) || !r.addr(c.peer))
    return truncated();
  if (enhanced && (!r.addr(c.local_rpa) || !r.addr(c.peer_rpa))) return truncated();
  if (!r.u16(c.interval) || !r.u16(c.latency) || !r.u16(c.supervision_timeout) || !r.u8(c.clock_accuracy))
    return truncated();
  c.handle &= 0x0fff;
  out = c;
  return {};
}

error_code decode_advertising_reports(bytes_view params, std::vector<adv_report>& out) {
  out.clear();
  reader r(params);
  std::uint8_t n = 0;
  if (!r.u8(n)) return truncated();
  // Num_Reports: 0x01-0x19 (§7.7.65.2). Zero reports is malformed; more than
  // 25 cannot fit with the mandatory 11 octets each, so the length checks
  // below catch it.
  if (n == 0) return make_error_code(errc::invalid_field);
  out.reserve(n);
  for (unsigned i = 0; i < n; ++i) {
    adv_report a;
    a.format = report_format::legacy;
    std::uint8_t type = 0, len = 0;
    if (!r.u8(type) || !r.u8(a.address_type) || !r.addr(a.addr) || !r.u8(len)) return truncated();
    a.event_type = type;
    // Data_Length: 0-31 (§7.7.65.2).
    if (len > max_legacy_adv_data) return make_error_code(errc::invalid_field);
    if (!r.bytes(len, a.data) || !r.s8(a.rssi)) return truncated();
    out.push_back(a);
  }
  return {};
}

error_code decode_extended_advertising_reports(bytes_view params, std::vector<adv_report>& out) {
  out.clear();
  reader r(params);
  std::uint8_t n = 0;
  if (!r.u8(n)) return truncated();
  // Num_Reports: 0x01-0x0A (§7.7.65.13); zero is malformed, too many do not fit.
  if (n == 0) return make_error_code(errc::invalid_field);
  out.reserve(n);
  for (unsigned i = 0; i < n; ++i) {
    // Event_Type (2), Address_Type (1), Address (6), Primary_PHY (1),
    // Secondary_PHY (1), Advertising_SID (1), TX_Power (1), RSSI (1),
    // Periodic_Advertising_Interval (2), Direct_Address_Type (1),
    // Direct_Address (6), Data_Length (1), Data (§7.7.65.13).
    adv_report a;
    a.format = report_format::extended;
    std::uint8_t len = 0;
    if (!r.u16(a.event_type) || !r.u8(a.address_type) || !r.addr(a.addr) || !r.u8(a.primary_phy) ||
        !r.u8(a.secondary_phy) || !r.u8(a.sid) || !r.s8(a.tx_power) || !r.s8(a.rssi) ||
        !r.u16(a.periodic_interval) || !r.u8(a.direct_address_type) || !r.addr(a.direct_address) || !r.u8(len))
      return truncated();
    if (!r.bytes(len, a.data)) return truncated();
    out.push_back(a);
  }
  return {};
}

error_code decode_event(bytes_view packet, event& out) {
  event_packet ev;
  if (error_code ec = decode_event_packet(packet, ev)) return ec;
  switch (ev.code) {
    case event_code::command_complete: {
      command_complete cc;
      if (error_code ec = decode_command_complete(ev, cc)) return ec;
      out = cc;
      return {};
    }
    case event_code::command_status: {
      command_status cs;
      if (error_code ec = decode_command_status(ev, cs)) return ec;
      out = cs;
      return {};
    }
    case event_code::disconnection_complete: {
      disconnection_complete d;
      if (error_code ec = decode_disconnection_complete(ev, d)) return ec;
      out = d;
      return {};
    }
    case event_code::le_meta: {
      std::uint8_t sub = 0;
      bytes_view params;
      if (error_code ec = decode_le_meta(ev, sub, params)) return ec;
      switch (sub) {
        case le_subevent::connection_complete:
        case le_subevent::enhanced_connection_complete: {
          le_connection_complete c;
          if (error_code ec = decode_le_connection_complete(params, sub == le_subevent::enhanced_connection_complete, c))
            return ec;
          out = c;
          return {};
        }
        case le_subevent::advertising_report:
        case le_subevent::extended_advertising_report: {
          le_advertising_reports reps;
          const bool ext = sub == le_subevent::extended_advertising_report;
          reps.format = ext ? report_format::extended : report_format::legacy;
          error_code ec = ext ? decode_extended_advertising_reports(params, reps.reports)
                              : decode_advertising_reports(params, reps.reports);
          if (ec) return ec;
          out = std::move(reps);
          return {};
        }
        default:
          out = le_meta_other{sub, params};
          return {};
      }
    }
    default:
      out = other_event{ev.code, ev.params};
      return {};
  }
}

// ------------------------------------------------------- return parameters --

error_code command_complete_status(const command_complete& cc) noexcept {
  const auto s = cc.status();
  if (!s) return truncated();
  return status_error(*s);
}

error_code decode_read_local_supported_commands(const command_complete& cc, supported_commands& out) noexcept {
  if (cc.opcode != opcode::read_local_supported_commands) return make_error_code(errc::unexpected_event);
  if (error_code ec = command_complete_status(cc)) return ec;
  // Status (1), Supported_Commands (64) (§7.4.2).
  if (cc.return_params.size() < 1 + out.octets.size()) return truncated();
  for (std::size_t i = 0; i < out.octets.size(); ++i) out.octets[i] = cc.return_params[1 + i];
  return {};
}

error_code decode_le_read_local_supported_features(const command_complete& cc, le_features& out) noexcept {
  if (cc.opcode != opcode::le_read_local_supported_features) return make_error_code(errc::unexpected_event);
  if (error_code ec = command_complete_status(cc)) return ec;
  // Status (1), LE_Features (8) (§7.8.3).
  if (cc.return_params.size() < 1 + out.octets.size()) return truncated();
  for (std::size_t i = 0; i < out.octets.size(); ++i) out.octets[i] = cc.return_params[1 + i];
  return {};
}

}  // namespace bandwire::hci
