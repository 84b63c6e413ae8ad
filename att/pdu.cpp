#include "att/pdu.hpp"

#include <algorithm>
#include <cstring>

namespace bandwire::att {

namespace {

using k = pdu_kind;

// Core 5.4 Vol 3 Part F §3.4 (PDU formats) and §3.4.8 (Table 3.37, opcode
// summary). min_len/max_len include the opcode byte.
constexpr std::array<opcode_info, 256> make_table() {
  std::array<opcode_info, 256> t{};
  auto row = [&](std::uint8_t op, k kind, std::uint8_t min, std::uint8_t max, std::uint8_t pair,
                 const char* name) { t[op] = {kind, min, max, pair, name}; };
  row(0x01, k::response, 5, 5, 0, "Error Response");
  row(0x02, k::request, 3, 3, 0x03, "Exchange MTU Request");
  row(0x03, k::response, 3, 3, 0x02, "Exchange MTU Response");
  row(0x04, k::request, 5, 5, 0x05, "Find Information Request");
  row(0x05, k::response, 6, 0, 0x04, "Find Information Response");
  row(0x06, k::request, 7, 0, 0x07, "Find By Type Value Request");
  row(0x07, k::response, 5, 0, 0x06, "Find By Type Value Response");
  row(0x08, k::request, 7, 21, 0x09, "Read By Type Request");
  row(0x09, k::response, 4, 0, 0x08, "Read By Type Response");
  row(0x0a, k::request, 3, 3, 0x0b, "Read Request");
  row(0x0b, k::response, 1, 0, 0x0a, "Read Response");
  row(0x0c, k::request, 5, 5, 0x0d, "Read Blob Request");
  row(0x0d, k::response, 1, 0, 0x0c, "Read Blob Response");
  row(0x0e, k::request, 5, 0, 0x0f, "Read Multiple Request");
  row(0x0f, k::response, 1, 0, 0x0e, "Read Multiple Response");
  row(0x10, k::request, 7, 21, 0x11, "Read By Group Type Request");
  row(0x11, k::response, 6, 0, 0x10, "Read By Group Type Response");
  row(0x12, k::request, 3, 0, 0x13, "Write Request");
  row(0x13, k::response, 1, 1, 0x12, "Write Response");
  row(0x16, k::request, 5, 0, 0x17, "Prepare Write Request");
  row(0x17, k::response, 5, 0, 0x16, "Prepare Write Response");
  row(0x18, k::request, 2, 2, 0x19, "Execute Write Request");
  row(0x19, k::response, 1, 1, 0x18, "Execute Write Response");
  row(0x1b, k::notification, 3, 0, 0, "Handle Value Notification");
  row(0x1d, k::indication, 3, 0, 0x1e, "Handle Value Indication");
  row(0x1e, k::confirmation, 1, 1, 0x1d, "Handle Value Confirmation");
  row(0x20, k::request, 5, 0, 0x21, "Read Multiple Variable Request");
  row(0x21, k::response, 3, 0, 0x20, "Read Multiple Variable Response");
  row(0x23, k::notification, 5, 0, 0, "Multiple Handle Value Notification");
  row(0x52, k::command, 3, 0, 0, "Write Command");
  row(0xd2, k::command, 15, 0, 0, "Signed Write Command");
  return t;
}

constexpr auto table = make_table();

boost::system::error_code malformed() noexcept { return make_error_code(errc::malformed_pdu); }

// A UUID field of a request: 2 or 16 bytes (Vol 3 Part F §3.4.4.1).
bool read_uuid(bytes_view b, uuid& u) noexcept {
  if (b.size() != 2 && b.size() != 16) return false;
  u = *uuid::from_le(b);
  return true;
}

}  // namespace

const opcode_info& info(std::uint8_t op) noexcept { return table[op]; }

boost::system::error_code decode(bytes_view in, pdu& out) noexcept {
  if (in.empty()) return malformed();
  const std::uint8_t op = in[0];
  const opcode_info& row = table[op];
  if (row.kind == k::unknown) return make_error_code(error::request_not_supported);
  if (in.size() < row.min_len) return malformed();
  if (row.max_len != 0 && in.size() > row.max_len && op != 0x08 && op != 0x10) return malformed();
  const std::uint8_t* p = in.data();
  const bytes_view rest = in.subspan(1);
  switch (static_cast<opcode>(op)) {
    case opcode::error_rsp: out = error_rsp{p[1], get_le16(p + 2), p[4]}; return {};
    case opcode::exchange_mtu_req: out = exchange_mtu_req{get_le16(p + 1)}; return {};
    case opcode::exchange_mtu_rsp: out = exchange_mtu_rsp{get_le16(p + 1)}; return {};
    case opcode::find_information_req: out = find_information_req{get_le16(p + 1), get_le16(p + 3)}; return {};
    case opcode::find_information_rsp: {
      const std::size_t n = p[1] == 1 ? 4 : p[1] == 2 ? 18 : 0;
      const bytes_view data = in.subspan(2);
      if (n == 0 || data.empty() || data.size() % n != 0) return malformed();
      out = find_information_rsp{p[1], data};
      return {};
    }
    case opcode::find_by_type_value_req:
      out = find_by_type_value_req{get_le16(p + 1), get_le16(p + 3), get_le16(p + 5), in.subspan(7)};
      return {};
    case opcode::find_by_type_value_rsp:
      if (rest.size() % 4 != 0) return malformed();
      out = find_by_type_value_rsp{rest};
      return {};
    case opcode::read_by_type_req:
    case opcode::read_by_group_type_req: {
      uuid u;
      if (!read_uuid(in.subspan(5), u)) return malformed();
      if (op == 0x08)
        out = read_by_type_req{get_le16(p + 1), get_le16(p + 3), u};
      else
        out = read_by_group_type_req{get_le16(p + 1), get_le16(p + 3), u};
      return {};
    }
    case opcode::read_by_type_rsp:
    case opcode::read_by_group_type_rsp: {
      // A zero or too-small Length, or a list that is not a whole number of
      // entries, is malformed (BlueZ divided by zero here; vectors README).
      const std::uint8_t len = p[1];
      const std::uint8_t min_entry = op == 0x09 ? 2 : 4;
      const bytes_view data = in.subspan(2);
      if (len < min_entry || data.empty() || data.size() % len != 0) return malformed();
      if (op == 0x09)
        out = read_by_type_rsp{len, data};
      else
        out = read_by_group_type_rsp{len, data};
      return {};
    }
    case opcode::read_req: out = read_req{get_le16(p + 1)}; return {};
    case opcode::read_rsp: out = read_rsp{rest}; return {};
    case opcode::read_blob_req: out = read_blob_req{get_le16(p + 1), get_le16(p + 3)}; return {};
    case opcode::read_blob_rsp: out = read_blob_rsp{rest}; return {};
    case opcode::read_multiple_req:
    case opcode::read_multiple_variable_req:
      if (rest.size() % 2 != 0) return malformed();
      if (op == 0x0e)
        out = read_multiple_req{rest};
      else
        out = read_multiple_variable_req{rest};
      return {};
    case opcode::read_multiple_rsp: out = read_multiple_rsp{rest}; return {};
    case opcode::read_multiple_variable_rsp: out = read_multiple_variable_rsp{rest}; return {};
    case opcode::write_req: out = write_req{get_le16(p + 1), in.subspan(3)}; return {};
    case opcode::write_rsp: out = write_rsp{}; return {};
    case opcode::write_cmd: out = write_cmd{get_le16(p + 1), in.subspan(3)}; return {};
    case opcode::signed_write_cmd:
      out = signed_write_cmd{get_le16(p + 1), in.subspan(3, in.size() - 15), in.subspan(in.size() - 12)};
      return {};
    case opcode::prepare_write_req:
      out = prepare_write_req{get_le16(p + 1), get_le16(p + 3), in.subspan(5)};
      return {};
    case opcode::prepare_write_rsp:
      out = prepare_write_rsp{get_le16(p + 1), get_le16(p + 3), in.subspan(5)};
      return {};
    case opcode::execute_write_req: out = execute_write_req{p[1]}; return {};
    case opcode::execute_write_rsp: out = execute_write_rsp{}; return {};
    case opcode::handle_value_ntf: out = handle_value_ntf{get_le16(p + 1), in.subspan(3)}; return {};
    case opcode::handle_value_ind: out = handle_value_ind{get_le16(p + 1), in.subspan(3)}; return {};
    case opcode::handle_value_cfm: out = handle_value_cfm{}; return {};
    case opcode::multiple_handle_value_ntf: {
      // Every (handle, length, value) tuple must fit exactly (§3.4.7.4).
      std::size_t i = 0;
      while (i < rest.size()) {
        if (rest.size() - i < 4) return malformed();
        const std::size_t len = get_le16(&rest[i + 2]);
        if (rest.size() - i - 4 < len) return malformed();
        i += 4 + len;
      }
      out = multiple_handle_value_ntf{rest};
      return {};
    }
  }
  return make_error_code(error::request_not_supported);
}

namespace {

// Writes bytes sequentially into a span, remembering overflow.
class writer {
 public:
  explicit writer(bytes_span out) noexcept : out_(out) {}
  void u8(std::uint8_t v) noexcept {
    if (ok(1)) out_[n_] = v;
    n_ += 1;
  }
  void u16(std::uint16_t v) noexcept {
    if (ok(2)) put_le16(&out_[n_], v);
    n_ += 2;
  }
  void bytes(bytes_view b) noexcept {
    if (ok(b.size()) && !b.empty()) std::memcpy(&out_[n_], b.data(), b.size());
    n_ += b.size();
  }
  void type(const uuid& u) noexcept {
    if (ok(u.wire_size())) u.write_le(&out_[n_]);
    n_ += u.wire_size();
  }
  std::size_t done() const noexcept { return fail_ || n_ > out_.size() ? 0 : n_; }
  void fail() noexcept { fail_ = true; }

 private:
  bool ok(std::size_t more) const noexcept { return n_ <= out_.size() && out_.size() - n_ >= more; }
  bytes_span out_;
  std::size_t n_ = 0;
  bool fail_ = false;
};

struct encoder {
  writer& w;
  void operator()(const error_rsp& v) { w.u8(v.request_opcode), w.u16(v.handle), w.u8(v.code); }
  void operator()(const exchange_mtu_req& v) { w.u16(v.mtu); }
  void operator()(const exchange_mtu_rsp& v) { w.u16(v.mtu); }
  void operator()(const find_information_req& v) { w.u16(v.start), w.u16(v.end); }
  void operator()(const find_information_rsp& v) {
    const std::size_t n = v.format == 1 ? 4 : v.format == 2 ? 18 : 0;
    if (n == 0 || v.data.empty() || v.data.size() % n) w.fail();
    w.u8(v.format), w.bytes(v.data);
  }
  void operator()(const find_by_type_value_req& v) { w.u16(v.start), w.u16(v.end), w.u16(v.type), w.bytes(v.value); }
  void operator()(const find_by_type_value_rsp& v) {
    if (v.data.size() % 4) w.fail();
    w.bytes(v.data);
  }
  void operator()(const read_by_type_req& v) { w.u16(v.start), w.u16(v.end), w.type(v.type); }
  void operator()(const read_by_type_rsp& v) { list(v.length, 2, v.data); }
  void operator()(const read_req& v) { w.u16(v.handle); }
  void operator()(const read_rsp& v) { w.bytes(v.value); }
  void operator()(const read_blob_req& v) { w.u16(v.handle), w.u16(v.offset); }
  void operator()(const read_blob_rsp& v) { w.bytes(v.value); }
  void operator()(const read_multiple_req& v) { handles(v.handles); }
  void operator()(const read_multiple_rsp& v) { w.bytes(v.values); }
  void operator()(const read_by_group_type_req& v) { w.u16(v.start), w.u16(v.end), w.type(v.type); }
  void operator()(const read_by_group_type_rsp& v) { list(v.length, 4, v.data); }
  void operator()(const read_multiple_variable_req& v) { handles(v.handles); }
  void operator()(const read_multiple_variable_rsp& v) { w.bytes(v.data); }
  void operator()(const write_req& v) { w.u16(v.handle), w.bytes(v.value); }
  void operator()(const write_rsp&) {}
  void operator()(const write_cmd& v) { w.u16(v.handle), w.bytes(v.value); }
  void operator()(const signed_write_cmd& v) {
    if (v.signature.size() != 12) w.fail();
    w.u16(v.handle), w.bytes(v.value), w.bytes(v.signature);
  }
  void operator()(const prepare_write_req& v) { w.u16(v.handle), w.u16(v.offset), w.bytes(v.value); }
  void operator()(const prepare_write_rsp& v) { w.u16(v.handle), w.u16(v.offset), w.bytes(v.value); }
  void operator()(const execute_write_req& v) { w.u8(v.flags); }
  void operator()(const execute_write_rsp&) {}
  void operator()(const handle_value_ntf& v) { w.u16(v.handle), w.bytes(v.value); }
  void operator()(const handle_value_ind& v) { w.u16(v.handle), w.bytes(v.value); }
  void operator()(const handle_value_cfm&) {}
  void operator()(const multiple_handle_value_ntf& v) { w.bytes(v.data); }

  void list(std::uint8_t len, std::uint8_t min, bytes_view data) {
    if (len < min || data.empty() || data.size() % len) w.fail();
    w.u8(len), w.bytes(data);
  }
  void handles(bytes_view h) {
    if (h.size() < 4 || h.size() % 2) w.fail();
    w.bytes(h);
  }
};

constexpr std::array<opcode, std::variant_size_v<pdu>> opcodes = {
    opcode::error_rsp, opcode::exchange_mtu_req, opcode::exchange_mtu_rsp, opcode::find_information_req,
    opcode::find_information_rsp, opcode::find_by_type_value_req, opcode::find_by_type_value_rsp,
    opcode::read_by_type_req, opcode::read_by_type_rsp, opcode::read_req, opcode::read_rsp,
    opcode::read_blob_req, opcode::read_blob_rsp, opcode::read_multiple_req, opcode::read_multiple_rsp,
    opcode::read_by_group_type_req, opcode::read_by_group_type_rsp, opcode::read_multiple_variable_req,
    opcode::read_multiple_variable_rsp, opcode::write_req, opcode::write_rsp, opcode::write_cmd,
    opcode::signed_write_cmd, opcode::prepare_write_req, opcode::prepare_write_rsp,
    opcode::execute_write_req, opcode::execute_write_rsp, opcode::handle_value_ntf,
    opcode::handle_value_ind, opcode::handle_value_cfm, opcode::multiple_handle_value_ntf};

}  // namespace

opcode opcode_of(const pdu& p) noexcept { return opcodes[p.index()]; }

std::size_t encode(const pdu& p, bytes_span out) noexcept {
  writer w(out);
  w.u8(static_cast<std::uint8_t>(opcode_of(p)));
  std::visit(encoder{w}, p);
  return w.done();
}

}  // namespace bandwire::att
