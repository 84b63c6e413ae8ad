#include "gatt/database.hpp"

#include <algorithm>
#include <cstdio>
#include <stdexcept>
#include <string>

#include <mbedtls/cipher.h>
#include <mbedtls/cmac.h>

namespace bandwire::gatt {

namespace {

bool is16(const uuid& u, std::uint16_t v) noexcept { return u.is16() && u.as16() == v; }

std::vector<std::uint8_t> uuid_le(const uuid& u) {
  std::vector<std::uint8_t> v(16);
  v.resize(u.write_le(v.data()));
  return v;
}

std::vector<std::uint8_t> le16_value(std::uint16_t x) {
  return {static_cast<std::uint8_t>(x), static_cast<std::uint8_t>(x >> 8)};
}

[[noreturn]] void fail(const std::string& what) { throw std::invalid_argument("gatt::database: " + what); }

std::string hex16(std::uint32_t h) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%04x", static_cast<unsigned>(h));
  return buf;
}

}  // namespace

// ---- building ----

database::group* database::current_group() noexcept {
  for (auto& g : groups_)
    if (g.start == current_) return &g;
  return nullptr;
}

const database::group* database::group_of(std::uint16_t handle) const noexcept {
  auto it = std::upper_bound(groups_.begin(), groups_.end(), handle,
                             [](std::uint16_t h, const group& g) { return h < g.start; });
  if (it == groups_.begin()) return nullptr;
  --it;
  return handle <= it->end ? &*it : nullptr;
}

std::uint16_t database::next_handle(std::uint16_t explicit_handle) const {
  if (explicit_handle != 0) return explicit_handle;
  const group* g = nullptr;
  for (const auto& x : groups_)
    if (x.start == current_) g = &x;
  if (g == nullptr) fail("nothing can be added before add_service()");
  // After the highest handle used inside the service so far.
  std::size_t i = lower_index(static_cast<std::uint16_t>(g->end));
  std::uint32_t last = g->start;
  if (i < attrs_.size() && attrs_[i].handle == g->end)
    last = g->end;
  else if (i > 0 && attrs_[i - 1].handle >= g->start)
    last = attrs_[i - 1].handle;
  if (last >= 0xffff) fail("no handle left after " + hex16(last));
  return static_cast<std::uint16_t>(last + 1);
}

void database::check_free(std::uint32_t handle) const {
  // Vol 3 Part F §3.2.2: 0x0000 is reserved, handles are 16-bit.
  if (handle == 0 || handle > 0xffff) fail("handle " + hex16(handle) + " is out of range");
  if (find(static_cast<std::uint16_t>(handle)) != nullptr) fail("handle " + hex16(handle) + " is already used");
  const group* in = group_of(static_cast<std::uint16_t>(handle));
  const group* cur = nullptr;
  for (const auto& g : groups_)
    if (g.start == current_) cur = &g;
  if (cur == nullptr) fail("nothing can be added before add_service()");
  if (in == cur) return;
  if (in != nullptr) fail("handle " + hex16(handle) + " lies in another service");
  if (cur->fixed_end || handle < cur->start) fail("handle " + hex16(handle) + " lies outside the current service");
  // A growing service may extend up to the next service's start.
  for (const auto& g : groups_)
    if (g.start > cur->start && g.start <= handle) fail("handle " + hex16(handle) + " would overlap another service");
}

attribute& database::insert(attribute a) {
  if (a.value.size() > a.max_length) fail("value of " + hex16(a.handle) + " exceeds its max_length");
  auto it = std::lower_bound(attrs_.begin(), attrs_.end(), a.handle,
                             [](const attribute& x, std::uint16_t h) { return x.handle < h; });
  group* g = current_group();
  if (g != nullptr && !g->fixed_end && a.handle > g->end) g->end = a.handle;
  return *attrs_.insert(it, std::move(a));
}

std::uint16_t database::add_service(const uuid& type, bool primary, std::uint16_t start, std::uint16_t end) {
  if (start == 0) {
    std::uint32_t top = attrs_.empty() ? 0 : attrs_.back().handle;
    for (const auto& g : groups_) top = std::max<std::uint32_t>(top, g.end);
    if (top >= 0xffff) fail("no handle left for a service");
    start = static_cast<std::uint16_t>(top + 1);
  }
  const bool fixed = end != 0;
  if (!fixed) end = start;
  if (end < start) fail("service end " + hex16(end) + " is before its start " + hex16(start));
  for (const auto& g : groups_)
    if (!(end < g.start || start > g.end)) fail("service " + hex16(start) + " overlaps the one at " + hex16(g.start));
  // A growing predecessor that would later run into this service is stopped
  // when it adds a handle (check_free), not here.
  auto it = std::lower_bound(groups_.begin(), groups_.end(), start,
                             [](const group& g, std::uint16_t h) { return g.start < h; });
  groups_.insert(it, group{start, end, fixed});
  current_ = start;
  last_char_value_ = 0;
  // Vol 3 Part G §3.1: the declaration's value is the service UUID.
  attribute a;
  a.handle = start;
  a.type = uuid::from16(primary ? primary_service_type : secondary_service_type);
  a.permissions = perm::read;
  a.value = uuid_le(type);
  insert(std::move(a));
  return start;
}

std::uint16_t database::add_include(std::uint16_t start, std::uint16_t end, const uuid& type, std::uint16_t handle) {
  handle = next_handle(handle);
  check_free(handle);
  // Vol 3 Part G §3.2: start, end, and the service UUID only when it is 16-bit.
  attribute a;
  a.handle = handle;
  a.type = uuid::from16(include_type);
  a.permissions = perm::read;
  a.value = le16_value(start);
  auto e = le16_value(end);
  a.value.insert(a.value.end(), e.begin(), e.end());
  if (type.is16()) {
    auto t = le16_value(type.as16());
    a.value.insert(a.value.end(), t.begin(), t.end());
  }
  insert(std::move(a));
  return handle;
}

std::uint16_t database::add_include(std::uint16_t service_start, std::uint16_t handle) {
  const attribute* decl = find(service_start);
  const std::uint16_t end = service_end(service_start);
  if (decl == nullptr || end == 0) fail("no service starts at " + hex16(service_start));
  return add_include(service_start, end, *uuid::from_le(decl->value), handle);
}

std::uint16_t database::add_characteristic(characteristic_params p) {
  std::uint32_t decl = p.decl_handle, value = p.value_handle;
  if (decl == 0 && value == 0) {
    decl = next_handle(0);
    value = decl + 1;
  } else if (value == 0) {
    value = decl + 1;
  } else if (decl == 0) {
    decl = value - 1u;
  }
  if (value <= decl) fail("characteristic value " + hex16(value) + " must follow its declaration");
  check_free(decl);
  check_free(value);
  // Vol 3 Part G §3.3.1: properties, value handle, characteristic UUID.
  attribute d;
  d.handle = static_cast<std::uint16_t>(decl);
  d.type = uuid::from16(characteristic_type);
  d.permissions = perm::read;
  d.value = {p.properties, static_cast<std::uint8_t>(value), static_cast<std::uint8_t>(value >> 8)};
  auto u = uuid_le(p.type);
  d.value.insert(d.value.end(), u.begin(), u.end());
  insert(std::move(d));

  attribute v;
  v.handle = static_cast<std::uint16_t>(value);
  v.type = p.type;
  v.permissions = p.permissions;
  v.value = std::move(p.value);
  v.max_length = p.max_length;
  v.on_read = std::move(p.on_read);
  v.on_write = std::move(p.on_write);
  insert(std::move(v));
  last_char_value_ = static_cast<std::uint16_t>(value);
  return last_char_value_;
}

std::uint16_t database::add_descriptor(descriptor_params p) {
  if (last_char_value_ == 0) fail("a descriptor needs a characteristic before it");
  const std::uint16_t handle = next_handle(p.handle);
  if (handle <= last_char_value_) fail("descriptor " + hex16(handle) + " must follow its characteristic value");
  check_free(handle);
  attribute a;
  a.handle = handle;
  a.type = p.type;
  a.permissions = p.permissions;
  a.value = std::move(p.value);
  a.max_length = p.max_length;
  a.on_read = std::move(p.on_read);
  a.on_write = std::move(p.on_write);
  insert(std::move(a));
  return handle;
}

std::uint16_t database::add_cccd(std::uint16_t permissions, std::uint16_t handle) {
  // Vol 3 Part G §3.3.3.3: two octets, one value per client.
  const std::uint16_t h = add_descriptor({.type = uuid::from16(cccd_type),
                                          .permissions = permissions,
                                          .value = {0, 0},
                                          .max_length = 2,
                                          .handle = handle});
  find(h)->per_connection = true;
  return h;
}

std::uint16_t database::add_user_description(std::string_view text, std::uint16_t permissions, std::uint16_t handle) {
  return add_descriptor({.type = uuid::from16(user_description_type),
                         .permissions = permissions,
                         .value = std::vector<std::uint8_t>(text.begin(), text.end()),
                         .handle = handle});
}

std::uint16_t database::add_extended_properties(std::uint16_t bits, std::uint16_t handle) {
  return add_descriptor({.type = uuid::from16(extended_properties_type),
                         .permissions = perm::read,
                         .value = le16_value(bits),
                         .max_length = 2,
                         .handle = handle});
}

// ---- lookup ----

std::size_t database::lower_index(std::uint16_t handle) const noexcept {
  auto it = std::lower_bound(attrs_.begin(), attrs_.end(), handle,
                             [](const attribute& x, std::uint16_t h) { return x.handle < h; });
  return static_cast<std::size_t>(it - attrs_.begin());
}

const attribute* database::find(std::uint16_t handle) const noexcept {
  const std::size_t i = lower_index(handle);
  return i < attrs_.size() && attrs_[i].handle == handle ? &attrs_[i] : nullptr;
}

attribute* database::find(std::uint16_t handle) noexcept {
  const std::size_t i = lower_index(handle);
  return i < attrs_.size() && attrs_[i].handle == handle ? &attrs_[i] : nullptr;
}

bool database::set_value(std::uint16_t handle, bytes_view value) {
  attribute* a = find(handle);
  if (a == nullptr || a->per_connection || value.size() > a->max_length) return false;
  a->value.assign(value.begin(), value.end());
  return true;
}

std::uint16_t database::service_end(std::uint16_t decl_handle) const noexcept {
  const attribute* a = find(decl_handle);
  if (a == nullptr || !(is16(a->type, primary_service_type) || is16(a->type, secondary_service_type))) return 0;
  const group* g = group_of(decl_handle);
  return g != nullptr && g->start == decl_handle ? g->end : 0;
}

namespace {

// Parses a characteristic declaration value (Vol 3 Part G §3.3.1); false
// when it is not 5 or 19 bytes.
bool parse_decl(const attribute& a, characteristic& c) {
  if (a.value.size() != 5 && a.value.size() != 19) return false;
  c.decl_handle = a.handle;
  c.properties = a.value[0];
  c.value_handle = get_le16(&a.value[1]);
  c.type = *uuid::from_le(bytes_view(a.value).subspan(3));
  return true;
}

}  // namespace

std::vector<service> database::services() const {
  std::vector<service> out;
  for (const auto& g : groups_) {
    const attribute* decl = find(g.start);
    if (decl == nullptr) continue;
    service s;
    s.start = g.start;
    s.end = g.end;
    s.primary = is16(decl->type, primary_service_type);
    if (auto u = uuid::from_le(decl->value)) s.type = *u;
    for (std::size_t i = lower_index(g.start) + 1; i < attrs_.size() && attrs_[i].handle <= g.end; ++i) {
      const attribute& a = attrs_[i];
      if (is16(a.type, include_type) && (a.value.size() == 4 || a.value.size() == 6)) {
        included_service inc;
        inc.decl_handle = a.handle;
        inc.start = get_le16(&a.value[0]);
        inc.end = get_le16(&a.value[2]);
        if (a.value.size() == 6) inc.type = uuid::from16(get_le16(&a.value[4]));
        s.includes.push_back(inc);
        continue;
      }
      characteristic c;
      if (is16(a.type, characteristic_type) && parse_decl(a, c)) {
        if (!s.characteristics.empty()) s.characteristics.back().end_handle = static_cast<std::uint16_t>(a.handle - 1);
        s.characteristics.push_back(c);
        continue;
      }
      if (!s.characteristics.empty() && a.handle != s.characteristics.back().value_handle)
        s.characteristics.back().descriptors.push_back(descriptor{a.handle, a.type});
    }
    if (!s.characteristics.empty()) s.characteristics.back().end_handle = g.end;
    out.push_back(std::move(s));
  }
  return out;
}

std::optional<characteristic> database::characteristic_at(std::uint16_t handle) const {
  const group* g = group_of(handle);
  if (g == nullptr) return std::nullopt;
  // The last declaration at or before `handle` inside the service.
  std::size_t i = lower_index(handle);
  if (i == attrs_.size() || attrs_[i].handle != handle) return std::nullopt;
  for (;; --i) {
    if (attrs_[i].handle < g->start) return std::nullopt;
    if (is16(attrs_[i].type, characteristic_type)) break;
    if (i == 0) return std::nullopt;
  }
  characteristic c;
  if (!parse_decl(attrs_[i], c)) return std::nullopt;
  c.end_handle = g->end;
  for (std::size_t j = i + 1; j < attrs_.size() && attrs_[j].handle <= g->end; ++j) {
    if (is16(attrs_[j].type, characteristic_type)) {
      c.end_handle = static_cast<std::uint16_t>(attrs_[j].handle - 1);
      break;
    }
    if (attrs_[j].handle != c.value_handle) c.descriptors.push_back(descriptor{attrs_[j].handle, attrs_[j].type});
  }
  return c;
}

std::uint16_t database::find_value_handle(const uuid& characteristic_type) const {
  for (const auto& a : attrs_) {
    characteristic c;
    if (is16(a.type, gatt::characteristic_type) && parse_decl(a, c) && c.type == characteristic_type)
      return c.value_handle;
  }
  return 0;
}

std::uint16_t database::find_cccd(std::uint16_t value_handle) const {
  auto c = characteristic_at(value_handle);
  if (!c || c->value_handle != value_handle) return 0;
  for (const auto& d : c->descriptors)
    if (is16(d.type, cccd_type)) return d.handle;
  return 0;
}

bool database::reliable_write_enabled(std::uint16_t handle) const {
  auto c = characteristic_at(handle);
  if (!c || c->value_handle != handle) return false;
  for (const auto& d : c->descriptors) {
    if (!is16(d.type, extended_properties_type)) continue;
    const attribute* a = find(d.handle);
    return a != nullptr && !a->value.empty() && (a->value[0] & 0x01) != 0;
  }
  return false;
}

std::array<std::uint8_t, 16> database::hash() const {
  // Vol 3 Part G §7.3.1: which attributes take part, and with which fields.
  std::vector<std::uint8_t> m;
  for (const auto& a : attrs_) {
    if (!a.type.is16()) continue;
    const std::uint16_t t = a.type.as16();
    const bool with_value = t == primary_service_type || t == secondary_service_type || t == include_type ||
                            t == characteristic_type || t == extended_properties_type;
    const bool without_value = t >= 0x2901 && t <= 0x2905;
    if (!with_value && !without_value) continue;
    m.push_back(static_cast<std::uint8_t>(a.handle));
    m.push_back(static_cast<std::uint8_t>(a.handle >> 8));
    m.push_back(static_cast<std::uint8_t>(t));
    m.push_back(static_cast<std::uint8_t>(t >> 8));
    if (with_value) m.insert(m.end(), a.value.begin(), a.value.end());
  }
  std::array<std::uint8_t, 16> out{};
  const std::array<std::uint8_t, 16> key{};
  const mbedtls_cipher_info_t* aes = mbedtls_cipher_info_from_type(MBEDTLS_CIPHER_AES_128_ECB);
  // mbedtls reads the input even when m is empty; give it a valid pointer.
  static constexpr std::uint8_t empty = 0;
  if (mbedtls_cipher_cmac(aes, key.data(), 128, m.empty() ? &empty : m.data(), m.size(), out.data()) != 0) return {};
  return out;
}

}  // namespace bandwire::gatt
