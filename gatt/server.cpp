#include "gatt/server.hpp"

#include <algorithm>

#include <mbedtls/cipher.h>
#include <mbedtls/cmac.h>

namespace bandwire::gatt {

namespace {



constexpr std::uint8_t code(att::error e) noexcept { return static_cast<std::uint8_t>(e); }

bool is16(const uuid& u, std::uint16_t v) noexcept { return u.is16() && u.as16() == v; }

void append_le16(std::vector<std::uint8_t>& v, std::uint16_t x) {
  v.push_back(static_cast<std::uint8_t>(x));
  v.push_back(static_cast<std::uint8_t>(x >> 8));
}

void append(std::vector<std::uint8_t>& v, bytes_view b) { v.insert(v.end(), b.begin(), b.end()); }

}  // namespace

server::server(database& db, options opt)
    : db_(db), opt_(opt), rx_mtu_(std::max(opt.rx_mtu, att::default_mtu)) {
  scratch_.reserve(att::max_attribute_length);
  list_.reserve(rx_mtu_);
}

std::size_t server::error(std::uint8_t op, std::uint16_t handle, std::uint8_t ecode, bytes_span out) {
  return att::encode(att::error_rsp{op, handle, ecode}, out);
}

std::size_t server::handle(bytes_view request, bytes_span response) {
  if (request.empty()) return 0;
  const std::uint8_t op = request[0];
  const att::opcode_info& row = att::info(op);
  const bytes_span out = response.first(std::min<std::size_t>(response.size(), mtu_));
  // Smaller than an Error Response: nothing sensible can be answered.
  if (out.size() < 5) return 0;

  if (row.kind == att::pdu_kind::unknown) {
    // Vol 3 Part F §3.3.1 / §3.4.1.1: an unknown PDU with the Command Flag is
    // ignored; any other unknown request gets Request Not Supported.
    if (att::is_command_flag(op)) return 0;
    return error(op, 0, att::error::request_not_supported, out);
  }
  att::pdu p;
  // A PDU longer than ATT_MTU breaks §3.2.8; it is treated as malformed.
  if (request.size() > mtu_ || att::decode(request, p)) {
    // §3.4.1.1 Invalid PDU, only where a response is expected at all.
    return row.kind == att::pdu_kind::request ? error(op, 0, att::error::invalid_pdu, out) : 0;
  }
  switch (row.kind) {
    case att::pdu_kind::request: return dispatch(p, out);
    case att::pdu_kind::command:
      // §3.4.5.3/§3.4.5.4: commands get no response, not even an error.
      if (auto* w = std::get_if<att::write_cmd>(&p)) on_write_cmd(*w);
      if (auto* s = std::get_if<att::signed_write_cmd>(&p)) on_signed_write(*s, request);
      return 0;
    case att::pdu_kind::confirmation: on_confirm(); return 0;
    default:
      // Responses, notifications and indications belong to this side's client.
      return 0;
  }
}

std::size_t server::dispatch(const att::pdu& p, bytes_span out) {
  if (auto* r = std::get_if<att::exchange_mtu_req>(&p)) return on_exchange_mtu(*r, out);
  if (auto* r = std::get_if<att::find_information_req>(&p)) return on_find_information(*r, out);
  if (auto* r = std::get_if<att::find_by_type_value_req>(&p)) return on_find_by_type_value(*r, out);
  if (auto* r = std::get_if<att::read_by_type_req>(&p)) return on_read_by_type(*r, out);
  if (auto* r = std::get_if<att::read_req>(&p)) return on_read(*r, out);
  if (auto* r = std::get_if<att::read_blob_req>(&p)) return on_read_blob(*r, out);
  if (auto* r = std::get_if<att::read_multiple_req>(&p)) return on_read_multiple(0x0e, r->handles, out);
  if (auto* r = std::get_if<att::read_multiple_variable_req>(&p)) return on_read_multiple(0x20, r->handles, out);
  if (auto* r = std::get_if<att::read_by_group_type_req>(&p)) return on_read_by_group_type(*r, out);
  if (auto* r = std::get_if<att::write_req>(&p)) return on_write(*r, out);
  if (auto* r = std::get_if<att::prepare_write_req>(&p)) return on_prepare_write(*r, out);
  if (auto* r = std::get_if<att::execute_write_req>(&p)) return on_execute_write(*r, out);
  // Every request of the opcode table is handled above.
  const std::uint8_t op = static_cast<std::uint8_t>(att::opcode_of(p));
  return error(op, 0, att::error::request_not_supported, out);
}

// ---- permissions and values ----

std::uint8_t server::check_access(const attribute& a, bool write) const {
  const std::uint16_t p = a.permissions;
  // Vol 3 Part F §3.2.5: access permissions first.
  if ((p & (write ? perm::any_write : perm::any_read)) == 0)
    return code(write ? att::error::write_not_permitted : att::error::read_not_permitted);
  std::uint8_t need = 1;
  if (p & (write ? perm::write_secure : perm::read_secure))
    need = 4;
  else if (p & (write ? perm::write_authenticated : perm::read_authenticated))
    need = 3;
  else if (p & (write ? perm::write_encrypted : perm::read_encrypted))
    need = 2;
  if (security_.level < need) {
    // Vol 3 Part C §10.3.2: on an unencrypted link, Insufficient Encryption
    // when a key exists (the client only has to encrypt), else Insufficient
    // Authentication (it has to pair). On an encrypted link that is not
    // strong enough, pairing again is the only way: Insufficient Authentication.
    if (security_.level < 2 && security_.key_level > 0) return code(att::error::insufficient_encryption);
    return code(att::error::insufficient_authentication);
  }
  if ((p & (write ? perm::write_authorized : perm::read_authorized)) && !security_.authorized)
    return code(att::error::insufficient_authorization);
  return 0;
}

std::uint16_t server::stored_cccd(const attribute& a) const {
  if (a.per_connection) {
    auto it = std::lower_bound(cccds_.begin(), cccds_.end(), a.handle,
                               [](const auto& e, std::uint16_t h) { return e.first < h; });
    return it != cccds_.end() && it->first == a.handle ? it->second : 0;
  }
  // A plain 0x2902 attribute: one value shared by every connection.
  return a.value.size() >= 2 ? get_le16(a.value.data()) : 0;
}

std::uint8_t server::read_value(const attribute& a, bytes_view& value) {
  if (a.per_connection) {
    scratch_.clear();
    append_le16(scratch_, stored_cccd(a));
    value = scratch_;
    return 0;
  }
  if (a.on_read) {
    scratch_.clear();
    if (const att_status st = a.on_read(scratch_); st != 0) return st;
    // Vol 3 Part F §3.2.9: no attribute value is longer than 512 octets.
    value = bytes_view(scratch_).first(std::min(scratch_.size(), att::max_attribute_length));
    return 0;
  }
  value = a.value;
  return 0;
}

std::uint8_t server::write_value(attribute& a, bytes_view value) {
  const std::uint16_t handle = a.handle;
  if (a.per_connection) {
    // Vol 3 Part G §3.3.3.3: the CCCD value is exactly two octets.
    if (value.size() != 2) return code(att::error::invalid_attribute_value_length);
    auto it = std::lower_bound(cccds_.begin(), cccds_.end(), handle,
                               [](const auto& e, std::uint16_t h) { return e.first < h; });
    if (it != cccds_.end() && it->first == handle)
      it->second = get_le16(value.data());
    else
      cccds_.insert(it, {handle, get_le16(value.data())});
  } else {
    if (a.on_write) {
      if (const att_status st = a.on_write(value); st != 0) return st;
    }
    // The hook may not restructure the database, but look the attribute up
    // again rather than trust a reference across user code.
    attribute* again = db_.find(handle);
    if (again == nullptr) return code(att::error::unlikely_error);
    again->value.assign(value.begin(), value.end());
  }
  const attribute* now = db_.find(handle);
  if (now != nullptr && is16(now->type, cccd_type) && value.size() == 2 && on_subscription) {
    subscription s;
    s.cccd_handle = handle;
    if (auto c = db_.characteristic_at(handle)) s.value_handle = c->value_handle;
    const std::uint16_t bits = get_le16(value.data());
    s.notify = (bits & 0x0001) != 0;
    s.indicate = (bits & 0x0002) != 0;
    on_subscription(s);
  }
  return 0;
}

// ---- requests ----

std::size_t server::on_exchange_mtu(const att::exchange_mtu_req& r, bytes_span out) {
  // Vol 3 Part F §3.4.2: ATT_MTU = min(Client Rx MTU, Server Rx MTU), never
  // below the LE default of 23. The response is still sent at the old MTU.
  const std::size_t n = att::encode(att::exchange_mtu_rsp{rx_mtu_}, out);
  // The client may send this request only once per connection (§3.4.2.1); a
  // repeated one is answered but does not change the MTU in mid-connection.
  if (!mtu_exchanged_) {
    mtu_ = std::min(std::max(r.mtu, att::default_mtu), rx_mtu_);
    mtu_exchanged_ = true;
  }
  return n;
}

std::size_t server::on_find_information(const att::find_information_req& r, bytes_span out) {
  constexpr std::uint8_t op = 0x04;
  // §3.4.3.1: start 0 or start > end is Invalid Handle, reported with the start.
  if (r.start == 0 || r.start > r.end) return error(op, r.start, att::error::invalid_handle, out);
  list_.clear();
  std::uint8_t format = 0;
  const std::size_t limit = out.size() - 2;
  const auto attrs = db_.attributes();
  for (std::size_t i = db_.lower_index(r.start); i < attrs.size() && attrs[i].handle <= r.end; ++i) {
    // §3.4.3.2: one format per response; stop at the first UUID of the other size.
    const std::uint8_t f = attrs[i].type.is16() ? 1 : 2;
    if (format == 0) format = f;
    if (f != format) break;
    if (list_.size() + (f == 1 ? 4 : 18) > limit) break;
    append_le16(list_, attrs[i].handle);
    std::uint8_t u[16];
    list_.insert(list_.end(), u, u + attrs[i].type.write_le(u));
  }
  if (list_.empty()) return error(op, r.start, att::error::attribute_not_found, out);
  return att::encode(att::find_information_rsp{format, list_}, out);
}

std::size_t server::on_find_by_type_value(const att::find_by_type_value_req& r, bytes_span out) {
  constexpr std::uint8_t op = 0x06;
  if (r.start == 0 || r.start > r.end) return error(op, r.start, att::error::invalid_handle, out);
  const uuid type = uuid::from16(r.type);
  const bool service_type = r.type == primary_service_type || r.type == secondary_service_type;
  // Discover Primary Service by UUID (Vol 3 Part G §4.4.2) may name a 16-bit
  // service in either its 2- or 16-byte form: compare services as UUIDs.
  const std::optional<uuid> wanted = service_type ? uuid::from_le(r.value) : std::nullopt;
  list_.clear();
  const std::size_t limit = out.size() - 1;
  const auto attrs = db_.attributes();
  for (std::size_t i = db_.lower_index(r.start); i < attrs.size() && attrs[i].handle <= r.end; ++i) {
    const attribute& a = attrs[i];
    if (a.type != type || check_access(a, false) != 0) continue;
    bytes_view v;
    if (read_value(a, v) != 0) continue;
    bool match = false;
    if (service_type) {
      const auto have = uuid::from_le(v);
      match = wanted && have && *have == *wanted;
    } else {
      match = std::equal(v.begin(), v.end(), r.value.begin(), r.value.end());
    }
    if (!match) continue;
    if (list_.size() + 4 > limit) break;
    // §3.4.3.4: a non-grouping attribute's group end is its own handle.
    const std::uint16_t end = service_type ? db_.service_end(a.handle) : a.handle;
    append_le16(list_, a.handle);
    append_le16(list_, end != 0 ? end : a.handle);
  }
  if (list_.empty()) return error(op, r.start, att::error::attribute_not_found, out);
  return att::encode(att::find_by_type_value_rsp{list_}, out);
}

std::size_t server::on_read_by_type(const att::read_by_type_req& r, bytes_span out) {
  constexpr std::uint8_t op = 0x08;
  if (r.start == 0 || r.start > r.end) return error(op, r.start, att::error::invalid_handle, out);
  list_.clear();
  std::size_t entry = 0;
  const std::size_t limit = out.size() - 2;
  // §3.4.4.2: values longer than min(ATT_MTU - 4, 253) are cut to that size.
  const std::size_t max_value = std::min<std::size_t>(out.size() - 4, 253);
  const auto attrs = db_.attributes();
  for (std::size_t i = db_.lower_index(r.start); i < attrs.size() && attrs[i].handle <= r.end; ++i) {
    const attribute& a = attrs[i];
    if (a.type != r.type) continue;
    bytes_view v;
    std::uint8_t err = check_access(a, false);
    if (err == 0) err = read_value(a, v);
    if (err != 0) {
      // §3.4.4.1: an error on the first match is the answer; a later one
      // ends the list before that attribute.
      if (entry == 0) return error(op, a.handle, err, out);
      break;
    }
    const std::size_t n = std::min(v.size(), max_value);
    // All pairs of one response have the same length (§3.4.4.2).
    if (entry == 0) entry = 2 + n;
    if (2 + n != entry || list_.size() + entry > limit) break;
    append_le16(list_, a.handle);
    append(list_, v.first(n));
  }
  if (list_.empty()) return error(op, r.start, att::error::attribute_not_found, out);
  return att::encode(att::read_by_type_rsp{static_cast<std::uint8_t>(entry), list_}, out);
}

std::size_t server::on_read(const att::read_req& r, bytes_span out) {
  constexpr std::uint8_t op = 0x0a;
  const attribute* a = db_.find(r.handle);
  if (a == nullptr) return error(op, r.handle, att::error::invalid_handle, out);
  bytes_view v;
  std::uint8_t err = check_access(*a, false);
  if (err == 0) err = read_value(*a, v);
  if (err != 0) return error(op, r.handle, err, out);
  // §3.4.4.4: only the first ATT_MTU - 1 octets fit; the rest is for Read Blob.
  return att::encode(att::read_rsp{v.first(std::min(v.size(), out.size() - 1))}, out);
}

std::size_t server::on_read_blob(const att::read_blob_req& r, bytes_span out) {
  constexpr std::uint8_t op = 0x0c;
  const attribute* a = db_.find(r.handle);
  if (a == nullptr) return error(op, r.handle, att::error::invalid_handle, out);
  bytes_view v;
  std::uint8_t err = check_access(*a, false);
  if (err == 0) err = read_value(*a, v);
  if (err != 0) return error(op, r.handle, err, out);
  // §3.4.4.5: an offset past the end is Invalid Offset; an offset equal to
  // the length answers an empty value. Attribute Not Long is optional ("can")
  // and is not used: short values are served at any valid offset, as the
  // conformance vectors expect.
  if (r.offset > v.size()) return error(op, r.handle, att::error::invalid_offset, out);
  const bytes_view rest = v.subspan(r.offset);
  return att::encode(att::read_blob_rsp{rest.first(std::min(rest.size(), out.size() - 1))}, out);
}

std::size_t server::on_read_multiple(std::uint8_t op, bytes_view handles, bytes_span out) {
  // §3.4.4.7 / §3.4.4.11: every handle must exist and be readable; the first
  // one that is not is reported.
  for (std::size_t i = 0; i + 1 < handles.size(); i += 2) {
    const std::uint16_t h = get_le16(&handles[i]);
    const attribute* a = db_.find(h);
    if (a == nullptr) return error(op, h, att::error::invalid_handle, out);
    if (const std::uint8_t err = check_access(*a, false); err != 0) return error(op, h, err, out);
  }
  list_.clear();
  const std::size_t limit = out.size() - 1;
  for (std::size_t i = 0; i + 1 < handles.size() && list_.size() < limit; i += 2) {
    const std::uint16_t h = get_le16(&handles[i]);
    bytes_view v;
    if (const std::uint8_t err = read_value(*db_.find(h), v); err != 0) return error(op, h, err, out);
    if (op == 0x20) append_le16(list_, static_cast<std::uint16_t>(v.size()));  // §3.4.4.12: full length
    append(list_, v);
  }
  // §3.4.4.8 / §3.4.4.12: only the first ATT_MTU - 1 octets are sent; for the
  // variable form the cut may fall inside a tuple, even inside its length.
  if (list_.size() > limit) list_.resize(limit);
  if (op == 0x0e) return att::encode(att::read_multiple_rsp{list_}, out);
  return att::encode(att::read_multiple_variable_rsp{list_}, out);
}

std::size_t server::on_read_by_group_type(const att::read_by_group_type_req& r, bytes_span out) {
  constexpr std::uint8_t op = 0x10;
  if (r.start == 0 || r.start > r.end) return error(op, r.start, att::error::invalid_handle, out);
  // §3.4.4.9: GATT defines only the service declarations as grouping types
  // (Vol 3 Part G §2.5.3).
  if (!is16(r.type, primary_service_type) && !is16(r.type, secondary_service_type))
    return error(op, r.start, att::error::unsupported_group_type, out);
  list_.clear();
  std::size_t entry = 0;
  const std::size_t limit = out.size() - 2;
  const std::size_t max_value = std::min<std::size_t>(out.size() - 6, 251);  // §3.4.4.10
  const auto attrs = db_.attributes();
  for (std::size_t i = db_.lower_index(r.start); i < attrs.size() && attrs[i].handle <= r.end; ++i) {
    const attribute& a = attrs[i];
    if (a.type != r.type) continue;
    bytes_view v;
    std::uint8_t err = check_access(a, false);
    if (err == 0) err = read_value(a, v);
    if (err != 0) {
      if (entry == 0) return error(op, a.handle, err, out);
      break;
    }
    const std::size_t n = std::min(v.size(), max_value);
    if (entry == 0) entry = 4 + n;
    if (4 + n != entry || list_.size() + entry > limit) break;
    const std::uint16_t end = db_.service_end(a.handle);
    append_le16(list_, a.handle);
    append_le16(list_, end != 0 ? end : a.handle);
    append(list_, v.first(n));
  }
  if (list_.empty()) return error(op, r.start, att::error::attribute_not_found, out);
  return att::encode(att::read_by_group_type_rsp{static_cast<std::uint8_t>(entry), list_}, out);
}

std::size_t server::on_write(const att::write_req& r, bytes_span out) {
  constexpr std::uint8_t op = 0x12;
  attribute* a = db_.find(r.handle);
  if (a == nullptr) return error(op, r.handle, att::error::invalid_handle, out);
  std::uint8_t err = check_access(*a, true);
  if (err == 0 && r.value.size() > a->max_length) err = code(att::error::invalid_attribute_value_length);
  if (err == 0) err = write_value(*a, r.value);
  if (err != 0) return error(op, r.handle, err, out);
  return att::encode(att::write_rsp{}, out);
}

void server::on_write_cmd(const att::write_cmd& r) {
  attribute* a = db_.find(r.handle);
  if (a == nullptr || check_access(*a, true) != 0 || r.value.size() > a->max_length) return;
  write_value(*a, r.value);
}

bool server::verify_signature(bytes_view pdu) const {
  // Vol 3 Part H §2.4.5 / Vol 3 Part F §3.4.5.4: MAC = the 64 most significant
  // bits of AES-CMAC(CSRK, opcode || handle || value || SignCounter). The
  // security functions work on most-significant-octet-first strings, so the
  // key and the little-endian message are reversed, and the MAC travels
  // least significant octet first.
  const std::size_t signed_len = pdu.size() - 8;
  std::vector<std::uint8_t> msg(pdu.begin(), pdu.begin() + static_cast<std::ptrdiff_t>(signed_len));
  std::reverse(msg.begin(), msg.end());
  std::array<std::uint8_t, 16> key;
  std::reverse_copy(csrk_->begin(), csrk_->end(), key.begin());
  std::array<std::uint8_t, 16> mac{};
  const mbedtls_cipher_info_t* aes = mbedtls_cipher_info_from_type(MBEDTLS_CIPHER_AES_128_ECB);
  if (mbedtls_cipher_cmac(aes, key.data(), 128, msg.data(), msg.size(), mac.data()) != 0) return false;
  std::uint8_t diff = 0;  // constant time: no early exit on the first wrong byte
  for (std::size_t k = 0; k < 8; ++k) diff |= static_cast<std::uint8_t>(pdu[signed_len + k] ^ mac[7 - k]);
  return diff == 0;
}

void server::on_signed_write(const att::signed_write_cmd& r, bytes_view pdu) {
  // Without the peer's CSRK nothing can be verified: ignore (§3.4.5.4).
  if (!csrk_) return;
  const std::uint32_t counter = get_le32(r.signature.data());
  // Vol 3 Part H §2.4.5: a SignCounter that was already used is a replay.
  if (counter < next_sign_counter_ || !verify_signature(pdu)) return;
  if (counter == 0xffffffffu)
    csrk_.reset();  // no counter is left for this key; a new one must be distributed
  else
    next_sign_counter_ = counter + 1;
  // Checked against the link's real security: a signature proves who wrote,
  // it does not encrypt, so encrypted-only attributes stay out of reach.
  on_write_cmd(att::write_cmd{r.handle, r.value});
}

std::size_t server::on_prepare_write(const att::prepare_write_req& r, bytes_span out) {
  constexpr std::uint8_t op = 0x16;
  const attribute* a = db_.find(r.handle);
  if (a == nullptr) return error(op, r.handle, att::error::invalid_handle, out);
  if (const std::uint8_t err = check_access(*a, true); err != 0) return error(op, r.handle, err, out);
  // §3.4.6.1: offset and length are only validated at Execute Write; the
  // queue is bounded so a client cannot grow it without limit.
  const bool merge = !queue_.empty() && queue_.back().handle == r.handle &&
                     std::size_t{queue_.back().offset} + queue_.back().data.size() == r.offset;
  if (queue_bytes_ + r.value.size() > opt_.prepare_queue_bytes ||
      (!merge && queue_.size() >= opt_.prepare_queue_entries))
    return error(op, r.handle, att::error::prepare_queue_full, out);
  // A contiguous continuation of the previous segment (a long write) is one
  // segment: several segments make a reliable write (see on_execute_write).
  if (merge)
    append(queue_.back().data, r.value);
  else
    queue_.push_back(prepared{r.handle, r.offset, std::vector<std::uint8_t>(r.value.begin(), r.value.end())});
  queue_bytes_ += r.value.size();
  // §3.4.6.2: the response echoes the request's fields.
  return att::encode(att::prepare_write_rsp{r.handle, r.offset, r.value}, out);
}

std::size_t server::on_execute_write(const att::execute_write_req& r, bytes_span out) {
  constexpr std::uint8_t op = 0x18;
  // §3.4.6.3: 0x00 cancels, 0x01 writes; other values are reserved.
  if (r.flags > 0x01) return error(op, 0, att::error::invalid_pdu, out);
  std::vector<prepared> queue;
  queue.swap(queue_);  // the queue is cleared whatever the outcome
  queue_bytes_ = 0;
  if (r.flags == 0x00 || queue.empty()) return att::encode(att::execute_write_rsp{}, out);

  // Several segments are a Reliable Write (Vol 3 Part G §4.9.5), allowed
  // only on characteristic values whose Extended Properties descriptor has
  // the Reliable Write bit (§3.3.3.1). A plain long write is one segment.
  if (queue.size() > 1)
    for (const auto& e : queue)
      if (!db_.reliable_write_enabled(e.handle)) return error(op, e.handle, att::error::request_not_supported, out);

  // Assemble every handle's new value first, so that a bad offset or length
  // leaves all values untouched. A segment at offset o keeps the first o
  // octets and replaces everything after them.
  struct result {
    std::uint16_t handle;
    std::vector<std::uint8_t> value;
  };
  std::vector<result> results;
  for (const auto& e : queue) {
    auto it = std::find_if(results.begin(), results.end(), [&](const result& x) { return x.handle == e.handle; });
    const attribute* a = db_.find(e.handle);
    if (a == nullptr) return error(op, e.handle, att::error::invalid_handle, out);
    if (it == results.end()) {
      result x{e.handle, {}};
      if (a->per_connection)
        append_le16(x.value, stored_cccd(*a));
      else
        x.value = a->value;
      results.push_back(std::move(x));
      it = results.end() - 1;
    }
    if (e.offset > it->value.size()) return error(op, e.handle, att::error::invalid_offset, out);
    it->value.resize(e.offset);
    append(it->value, e.data);
    if (it->value.size() > a->max_length) return error(op, e.handle, att::error::invalid_attribute_value_length, out);
  }
  for (const auto& x : results) {
    attribute* a = db_.find(x.handle);
    if (a == nullptr) return error(op, x.handle, att::error::invalid_handle, out);
    if (const std::uint8_t err = write_value(*a, x.value); err != 0) return error(op, x.handle, err, out);
  }
  return att::encode(att::execute_write_rsp{}, out);
}

void server::on_confirm() {
  // §3.4.7.3: a confirmation with nothing pending is ignored.
  if (!pending_indication_) return;
  const std::uint16_t h = *pending_indication_;
  pending_indication_.reset();
  if (on_confirmation) on_confirmation(h);
}

// ---- server-initiated PDUs and CCCD state ----

std::uint16_t server::cccd_bits(std::uint16_t value_handle) const {
  const std::uint16_t h = db_.find_cccd(value_handle);
  const attribute* a = h != 0 ? db_.find(h) : nullptr;
  return a != nullptr ? stored_cccd(*a) : 0;
}

std::uint16_t server::cccd_value(std::uint16_t cccd_handle) const {
  const attribute* a = db_.find(cccd_handle);
  return a != nullptr && is16(a->type, cccd_type) ? stored_cccd(*a) : 0;
}

bool server::set_cccd_value(std::uint16_t cccd_handle, std::uint16_t value) {
  const attribute* a = db_.find(cccd_handle);
  if (a == nullptr || !a->per_connection) return false;
  auto it = std::lower_bound(cccds_.begin(), cccds_.end(), cccd_handle,
                             [](const auto& e, std::uint16_t h) { return e.first < h; });
  if (it != cccds_.end() && it->first == cccd_handle)
    it->second = value;
  else
    cccds_.insert(it, {cccd_handle, value});
  return true;
}

std::vector<server::subscription> server::subscriptions() const {
  std::vector<subscription> out;
  for (const auto& a : db_.attributes()) {
    if (!is16(a.type, cccd_type)) continue;
    const std::uint16_t bits = stored_cccd(a);
    if ((bits & 0x0003) == 0) continue;
    subscription s;
    s.cccd_handle = a.handle;
    if (auto c = db_.characteristic_at(a.handle)) s.value_handle = c->value_handle;
    s.notify = (bits & 0x0001) != 0;
    s.indicate = (bits & 0x0002) != 0;
    out.push_back(s);
  }
  return out;
}

std::size_t server::encode_notification(std::uint16_t value_handle, bytes_view value, bytes_span out) {
  // Vol 3 Part G §4.10: only when the client enabled notifications.
  if ((cccd_bits(value_handle) & 0x0001) == 0) return 0;
  out = out.first(std::min<std::size_t>(out.size(), mtu_));
  if (out.size() < 3) return 0;
  // Vol 3 Part F §3.4.7.1: at most ATT_MTU - 3 octets of the value.
  return att::encode(att::handle_value_ntf{value_handle, value.first(std::min(value.size(), out.size() - 3))}, out);
}

std::size_t server::encode_indication(std::uint16_t value_handle, bytes_view value, bytes_span out) {
  // Vol 3 Part G §4.11 (CCCD), Vol 3 Part F §3.3.2 (one indication at a time).
  if (pending_indication_ || (cccd_bits(value_handle) & 0x0002) == 0) return 0;
  out = out.first(std::min<std::size_t>(out.size(), mtu_));
  if (out.size() < 3) return 0;
  const std::size_t n =
      att::encode(att::handle_value_ind{value_handle, value.first(std::min(value.size(), out.size() - 3))}, out);
  if (n != 0) pending_indication_ = value_handle;
  return n;
}

}  // namespace bandwire::gatt
