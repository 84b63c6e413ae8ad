#include "gatt/client.hpp"

#include <mbedtls/cipher.h>
#include <mbedtls/cmac.h>

#include <algorithm>
#include <memory>

#include "gatt/error.hpp"

namespace bandwire::gatt {

client::client(att::bearer& bearer) : bearer_(bearer) {
  value_reg_ = bearer_.on_value([this](std::uint16_t h, bytes_view v, bool ind) { dispatch_value(h, v, ind); });
}

client::~client() = default;

const characteristic* client::find_characteristic(std::uint16_t value_handle) const noexcept {
  for (const auto& s : db_.services)
    for (const auto& c : s.characteristics)
      if (c.value_handle == value_handle) return &c;
  return nullptr;
}

const characteristic* client::find_characteristic(const uuid& type) const noexcept {
  for (const auto& s : db_.services)
    for (const auto& c : s.characteristics)
      if (c.type == type) return &c;
  return nullptr;
}

// The notification hot path: a linear scan over a handful of subscriptions
// and one indirect call. No allocation.
void client::dispatch_value(std::uint16_t handle, bytes_view value, bool indication) {
  if (indication && value.size() == 4 && !on_service_changed_.empty()) {
    // §7.1 Service Changed: affected start and end handles.
    const characteristic* c = find_characteristic(handle);
    if (c && c->type == uuid::from16(service_changed_type) &&
        on_service_changed_.emit(0, get_le16(&value[0]), get_le16(&value[2])) < 0)
      return;  // a listener destroyed the client
  }
  const int called = subs_.emit(handle, handle, value, indication);
  if (called == 0) catch_all_.emit(0, handle, value, indication);
}

namespace {

// Discovers one service's includes, characteristics and descriptors in turn,
// then the next service.
struct discover_all_op : std::enable_shared_from_this<discover_all_op> {
  client& c;
  unique_function<void(error_code, std::vector<service>)> done;
  std::vector<service> services;
  std::size_t si = 0, ci = 0;

  discover_all_op(client& cl, unique_function<void(error_code, std::vector<service>)> d) : c(cl), done(std::move(d)) {}

  void start() {
    auto self = shared_from_this();
    c.discover_primary([self](error_code ec, std::vector<service> s) {
      if (ec) return self->done(ec, {});
      self->services = std::move(s);
      self->next_service();
    });
  }
  void next_service() {
    if (si == services.size()) {
      c.set_services(services);
      return done({}, std::move(services));
    }
    auto self = shared_from_this();
    c.discover_included(services[si].start, services[si].end, [self](error_code ec, std::vector<included_service> inc) {
      if (ec) return self->done(ec, {});
      self->services[self->si].includes = std::move(inc);
      auto& s = self->services[self->si];
      self->c.discover_characteristics(s.start, s.end, std::nullopt,
                                       [self](error_code ec2, std::vector<characteristic> chars) {
                                         if (ec2) return self->done(ec2, {});
                                         self->services[self->si].characteristics = std::move(chars);
                                         self->ci = 0;
                                         self->next_characteristic();
                                       });
    });
  }
  void next_characteristic() {
    auto& chars = services[si].characteristics;
    // Only characteristics with handles after their value can hold descriptors.
    while (ci < chars.size() && chars[ci].value_handle >= chars[ci].end_handle) ++ci;
    if (ci == chars.size()) {
      ++si;
      return next_service();
    }
    auto self = shared_from_this();
    auto& ch = chars[ci];
    c.discover_descriptors(static_cast<std::uint16_t>(ch.value_handle + 1), ch.end_handle,
                           [self](error_code ec, std::vector<descriptor> d) {
                             if (ec) return self->done(ec, {});
                             self->services[self->si].characteristics[self->ci++].descriptors = std::move(d);
                             self->next_characteristic();
                           });
  }
};

}  // namespace

void client::discover_all(unique_function<void(error_code, std::vector<service>)> done) {
  std::make_shared<discover_all_op>(*this, std::move(done))->start();
}

// Vol 3 Part H §2.4.5 signing: MAC = AES-CMAC(CSRK, message || SignCounter).
// The spec's CMAC inputs are most-significant-octet first, while the key
// array and the PDU are little-endian on the wire, so both are reversed
// before the CMAC and the MAC is reversed back (shared vectors README,
// "Signed Write", checked against GAW/CL/BV-02-C).
std::array<std::uint8_t, 12> sign_write(const signing_key& key, bytes_view pdu_prefix) {
  std::vector<std::uint8_t> msg(pdu_prefix.begin(), pdu_prefix.end());
  std::uint8_t counter[4];
  put_le32(counter, key.counter);
  msg.insert(msg.end(), counter, counter + 4);
  std::reverse(msg.begin(), msg.end());
  std::array<std::uint8_t, 16> k;
  std::reverse_copy(key.csrk.begin(), key.csrk.end(), k.begin());
  std::uint8_t mac[16] = {};
  mbedtls_cipher_cmac(mbedtls_cipher_info_from_type(MBEDTLS_CIPHER_AES_128_ECB), k.data(), 128, msg.data(),
                      msg.size(), mac);
  std::array<std::uint8_t, 12> sig{};
  std::copy(counter, counter + 4, sig.begin());
  // The MAC is the CMAC's most significant 64 bits (Vol 3 Part H §2.4.5),
  // sent least significant octet first.
  for (int i = 0; i < 8; ++i) sig[4 + i] = mac[7 - i];
  return sig;
}

error_code client::signed_write(std::uint16_t handle, bytes_view value, signing_key& key) {
  // An encrypted link already authenticates data: use a plain Write Command.
  if (bearer_.security() && bearer_.security()->encrypted()) return write_without_response(handle, value);
  std::array<std::uint8_t, 520> buf;
  const std::size_t prefix = 3 + value.size();
  if (prefix + 12 > bearer_.mtu()) return att::make_error_code(att::errc::value_too_long);
  buf[0] = static_cast<std::uint8_t>(att::opcode::signed_write_cmd);
  put_le16(&buf[1], handle);
  std::copy(value.begin(), value.end(), buf.begin() + 3);
  const auto sig = sign_write(key, bytes_view(buf.data(), prefix));
  std::copy(sig.begin(), sig.end(), buf.begin() + static_cast<std::ptrdiff_t>(prefix));
  error_code ec = bearer_.send(bytes_view(buf.data(), prefix + 12));
  if (!ec) ++key.counter;
  return ec;
}

}  // namespace bandwire::gatt
