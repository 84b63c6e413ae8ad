// GATT client procedures (Core 5.4 Vol 3 Part G §4.4-§4.12). Each procedure
// is a small object holding only its own progress; it turns one response into
// the next request or the final result. They talk to the peer only through
// att::bearer::request and decode only through att::decode (via the bearer).
#include <algorithm>
#include <array>
#include <memory>

#include "gatt/client.hpp"
#include "gatt/error.hpp"

namespace bandwire::gatt {

namespace {

template <class T> using done_fn = unique_function<void(error_code, T)>;
using att::pdu;

// Encodes a request and queues it. A PDU that does not fit ATT_MTU fails
// with value_too_long (from the bearer), never inline.
void send(att::bearer& b, const pdu& p, att::bearer::response_handler h) {
  std::array<std::uint8_t, 520> buf;
  const std::size_t n = att::encode(p, buf);
  if (n == 0) {
    asio::post(b.get_executor(), [h = std::move(h)]() mutable {
      h(att::make_error_code(att::errc::invalid_argument), pdu{});
    });
    return;
  }
  b.request(bytes_view(buf.data(), n), std::move(h));
}

bool is_not_found(const error_code& ec) { return ec == att::error::attribute_not_found; }

// ---- §4.4.1 Discover All Primary Services / §4.4.2 by Service UUID ----
struct primary_op : std::enable_shared_from_this<primary_op> {
  att::bearer& b;
  std::optional<uuid> type;
  uuid_width width;
  done_fn<std::vector<service>> done;
  std::uint32_t start = 1;
  std::vector<service> found;

  primary_op(att::bearer& b_, std::optional<uuid> t, uuid_width w, done_fn<std::vector<service>> d)
      : b(b_), type(t), width(w), done(std::move(d)) {}

  void next() {
    auto self = shared_from_this();
    auto on = [self](error_code ec, const pdu& p) { self->on_response(ec, p); };
    const auto s = static_cast<std::uint16_t>(start);
    if (type) {
      std::array<std::uint8_t, 16> v;
      std::size_t n = type->write_le(v.data());
      if (width == uuid_width::full && n == 2) {
        std::reverse_copy(type->canonical().begin(), type->canonical().end(), v.begin());
        n = 16;
      }
      send(b, att::find_by_type_value_req{s, 0xffff, primary_service_type, bytes_view(v.data(), n)}, on);
    } else {
      send(b, att::read_by_group_type_req{s, 0xffff, uuid::from16(primary_service_type)}, on);
    }
  }
  void on_response(error_code ec, const pdu& p) {
    if (is_not_found(ec)) return done({}, std::move(found));
    if (ec) return done(ec, {});
    std::uint32_t last_end = 0;
    bool bad = false;
    if (type) {
      auto* r = std::get_if<att::find_by_type_value_rsp>(&p);
      if (!r || r->data.empty()) return done(make_error_code(errc::invalid_response), {});
      att::for_each(*r, [&](att::handles_range e) {
        if (e.found < start || e.group_end < e.found) bad = true;
        found.push_back(service{e.found, e.group_end, *type, true, {}, {}});
        last_end = e.group_end;
      });
    } else {
      auto& r = std::get<att::read_by_group_type_rsp>(p);
      att::for_each(r, [&](att::group_entry e) {
        auto u = uuid::from_le(e.value);
        if (!u || e.start < start || e.end < e.start) bad = true;
        if (u) found.push_back(service{e.start, e.end, *u, true, {}, {}});
        last_end = e.end;
      });
    }
    // Handles must move forward, or a looping peer would keep us here forever.
    if (bad) return done(make_error_code(errc::invalid_response), {});
    if (last_end >= 0xffff) return done({}, std::move(found));
    start = last_end + 1;
    next();
  }
};

// ---- §4.5.1 Find Included Services ----
struct included_op : std::enable_shared_from_this<included_op> {
  att::bearer& b;
  std::uint16_t end;
  done_fn<std::vector<included_service>> done;
  std::uint32_t start;
  std::vector<included_service> found;
  std::size_t resolving = 0;  // next entry whose 128-bit UUID must be read

  included_op(att::bearer& b_, std::uint16_t s, std::uint16_t e, done_fn<std::vector<included_service>> d)
      : b(b_), end(e), done(std::move(d)), start(s) {}

  void next() {
    auto self = shared_from_this();
    send(b, att::read_by_type_req{static_cast<std::uint16_t>(start), end, uuid::from16(include_type)},
         [self](error_code ec, const pdu& p) { self->on_response(ec, p); });
  }
  void on_response(error_code ec, const pdu& p) {
    if (is_not_found(ec)) return done({}, std::move(found));
    if (ec) return done(ec, {});
    auto& r = std::get<att::read_by_type_rsp>(p);
    // Entry: decl handle + (start, end[, uuid16]) => length 8 or 6.
    if (r.length != 8 && r.length != 6) return done(make_error_code(errc::invalid_response), {});
    std::uint32_t last = 0;
    bool bad = false;
    att::for_each(r, [&](att::handle_value e) {
      included_service inc;
      inc.decl_handle = e.handle;
      inc.start = get_le16(&e.value[0]);
      inc.end = get_le16(&e.value[2]);
      if (e.value.size() == 6) inc.type = uuid::from16(get_le16(&e.value[4]));
      if (e.handle < start) bad = true;
      last = e.handle;
      found.push_back(inc);
    });
    if (bad) return done(make_error_code(errc::invalid_response), {});
    start = last + 1;
    resolve();
  }
  // §4.5.1: an include without a 16-bit UUID names a 128-bit service; read
  // that service's declaration to learn it.
  void resolve() {
    while (resolving < found.size() && found[resolving].type != uuid{}) ++resolving;
    if (resolving == found.size()) {
      if (start > end) return done({}, std::move(found));
      return next();
    }
    auto self = shared_from_this();
    send(b, att::read_req{found[resolving].start}, [self](error_code ec, const pdu& p) {
      if (ec) return self->done(ec, {});
      auto& r = std::get<att::read_rsp>(p);
      auto u = uuid::from_le(r.value);
      if (!u || r.value.size() != 16) return self->done(make_error_code(errc::invalid_response), {});
      self->found[self->resolving++].type = *u;
      self->resolve();
    });
  }
};

// ---- §4.6.1 Discover All Characteristics / §4.6.2 by UUID ----
struct characteristics_op : std::enable_shared_from_this<characteristics_op> {
  att::bearer& b;
  std::uint16_t end;
  std::optional<uuid> type;
  done_fn<std::vector<characteristic>> done;
  std::uint32_t start;
  std::vector<characteristic> found;

  characteristics_op(att::bearer& b_, std::uint16_t s, std::uint16_t e, std::optional<uuid> t,
                     done_fn<std::vector<characteristic>> d)
      : b(b_), end(e), type(t), done(std::move(d)), start(s) {}

  void next() {
    auto self = shared_from_this();
    send(b, att::read_by_type_req{static_cast<std::uint16_t>(start), end, uuid::from16(characteristic_type)},
         [self](error_code ec, const pdu& p) { self->on_response(ec, p); });
  }
  void finish() {
    // A characteristic ends where the next declaration begins (§3.3).
    for (std::size_t i = 0; i < found.size(); ++i)
      found[i].end_handle = i + 1 < found.size() ? static_cast<std::uint16_t>(found[i + 1].decl_handle - 1) : end;
    if (type) std::erase_if(found, [&](const characteristic& c) { return c.type != *type; });
    done({}, std::move(found));
  }
  void on_response(error_code ec, const pdu& p) {
    if (is_not_found(ec)) return finish();
    if (ec) return done(ec, {});
    auto& r = std::get<att::read_by_type_rsp>(p);
    // Entry: decl handle + properties(1) + value handle(2) + UUID(2|16).
    if (r.length != 7 && r.length != 21) return done(make_error_code(errc::invalid_response), {});
    std::uint32_t last = 0;
    bool bad = false;
    att::for_each(r, [&](att::handle_value e) {
      characteristic c;
      c.decl_handle = e.handle;
      c.properties = e.value[0];
      c.value_handle = get_le16(&e.value[1]);
      c.type = *uuid::from_le(e.value.subspan(3));
      if (e.handle < start || e.handle > end || c.value_handle <= e.handle) bad = true;
      last = e.handle;
      found.push_back(std::move(c));
    });
    if (bad) return done(make_error_code(errc::invalid_response), {});
    start = last + 1;
    if (start > end) return finish();
    next();
  }
};

// ---- §4.7.1 Discover All Characteristic Descriptors ----
struct descriptors_op : std::enable_shared_from_this<descriptors_op> {
  att::bearer& b;
  std::uint16_t end;
  done_fn<std::vector<descriptor>> done;
  std::uint32_t start;
  std::vector<descriptor> found;

  descriptors_op(att::bearer& b_, std::uint16_t s, std::uint16_t e, done_fn<std::vector<descriptor>> d)
      : b(b_), end(e), done(std::move(d)), start(s) {}

  void next() {
    auto self = shared_from_this();
    send(b, att::find_information_req{static_cast<std::uint16_t>(start), end},
         [self](error_code ec, const pdu& p) { self->on_response(ec, p); });
  }
  void on_response(error_code ec, const pdu& p) {
    if (is_not_found(ec)) return done({}, std::move(found));
    if (ec) return done(ec, {});
    auto& r = std::get<att::find_information_rsp>(p);
    std::uint32_t last = 0;
    bool bad = false;
    att::for_each(r, [&](att::handle_uuid e) {
      if (e.handle < start || e.handle > end) bad = true;
      found.push_back(descriptor{e.handle, e.type});
      last = e.handle;
    });
    if (bad) return done(make_error_code(errc::invalid_response), {});
    if (last >= end) return done({}, std::move(found));
    start = last + 1;
    next();
  }
};

// ---- §4.8.1 Read / §4.8.3 Read Long ----
struct read_op : std::enable_shared_from_this<read_op> {
  att::bearer& b;
  std::uint16_t handle;
  std::uint16_t first_offset;
  done_fn<value_type> done;
  value_type value;

  read_op(att::bearer& b_, std::uint16_t h, std::uint16_t off, done_fn<value_type> d)
      : b(b_), handle(h), first_offset(off), done(std::move(d)) {}

  void next() {
    auto self = shared_from_this();
    auto on = [self](error_code ec, const pdu& p) { self->on_response(ec, p); };
    const std::size_t offset = first_offset + value.size();
    if (offset == 0)
      send(b, att::read_req{handle}, on);
    else
      send(b, att::read_blob_req{handle, static_cast<std::uint16_t>(offset)}, on);
  }
  void on_response(error_code ec, const pdu& p) {
    const bool continuing = !value.empty();
    // A value of exactly ATT_MTU-1 bytes may have ended there: the peer then
    // answers the next Read Blob with Attribute Not Long or Invalid Offset.
    if (continuing && (ec == att::error::attribute_not_long || ec == att::error::invalid_offset))
      return done({}, std::move(value));
    if (ec) return done(ec, {});
    bytes_view chunk;
    if (auto* r = std::get_if<att::read_rsp>(&p)) chunk = r->value;
    if (auto* r = std::get_if<att::read_blob_rsp>(&p)) chunk = r->value;
    value.insert(value.end(), chunk.begin(), chunk.end());
    if (chunk.size() + 1 >= b.mtu() && first_offset + value.size() < att::max_attribute_length) return next();
    done({}, std::move(value));
  }
};

// ---- §4.8.2 Read Using Characteristic UUID ----
struct read_by_uuid_op : std::enable_shared_from_this<read_by_uuid_op> {
  att::bearer& b;
  std::uint16_t end;
  uuid type;
  done_fn<read_by_uuid_result> done;
  std::uint32_t start;
  bool first_only;
  read_by_uuid_result result;

  read_by_uuid_op(att::bearer& b_, std::uint16_t s, std::uint16_t e, uuid t, done_fn<read_by_uuid_result> d,
                  bool first = false)
      : b(b_), end(e), type(t), done(std::move(d)), start(s), first_only(first) {}

  void next() {
    auto self = shared_from_this();
    send(b, att::read_by_type_req{static_cast<std::uint16_t>(start), end, type},
         [self](error_code ec, const pdu& p) { self->on_response(ec, p); });
  }
  void on_response(error_code ec, const pdu& p) {
    if (ec && !result.entries.empty() && att::is_peer_error(ec)) {
      // Entries were found before the peer ended the search: a success that
      // carries the ending code (vectors: GAR/CL/BV-03-C).
      result.end_code = static_cast<std::uint8_t>(ec.value());
      return done({}, std::move(result));
    }
    if (ec) return done(ec, {});
    auto& r = std::get<att::read_by_type_rsp>(p);
    std::uint32_t last = 0;
    bool bad = false;
    att::for_each(r, [&](att::handle_value e) {
      if (e.handle < start || e.handle > end) bad = true;
      result.entries.push_back({e.handle, value_type(e.value.begin(), e.value.end())});
      last = e.handle;
    });
    if (bad) return done(make_error_code(errc::invalid_response), {});
    if (last >= end || first_only) return done({}, std::move(result));
    start = last + 1;
    next();
  }
};

// ---- §4.9.4 Write Long / §4.9.5 Reliable Writes ----
struct write_long_op : std::enable_shared_from_this<write_long_op> {
  att::bearer& b;
  std::uint16_t handle;
  std::uint16_t offset;
  value_type value;
  bool reliable;
  unique_function<void(error_code)> done;
  std::size_t sent = 0;
  error_code failure;

  write_long_op(att::bearer& b_, std::uint16_t h, std::uint16_t off, value_type v, bool rel,
                unique_function<void(error_code)> d)
      : b(b_), handle(h), offset(off), value(std::move(v)), reliable(rel), done(std::move(d)) {}

  void next() {
    auto self = shared_from_this();
    if (sent >= value.size() && !(value.empty() && sent == 0 && !reliable)) return execute(0x01);
    // Each Prepare Write carries ATT_MTU-5 value bytes (opcode, handle, offset).
    const std::size_t chunk = std::min<std::size_t>(value.size() - sent, b.mtu() - 5u);
    const bytes_view part(value.data() + sent, chunk);
    const auto off = static_cast<std::uint16_t>(offset + sent);
    send(b, att::prepare_write_req{handle, off, part}, [self, off, chunk](error_code ec, const pdu& p) {
      if (ec) {
        self->failure = ec;
        return self->execute(0x00);
      }
      auto& r = std::get<att::prepare_write_rsp>(p);
      if (self->reliable) {
        const bytes_view expect(self->value.data() + self->sent, chunk);
        if (r.handle != self->handle || r.offset != off || !std::equal(r.value.begin(), r.value.end(), expect.begin(), expect.end())) {
          self->failure = att::make_error_code(att::errc::reliable_write_mismatch);
          return self->execute(0x00);
        }
      }
      self->sent += chunk;
      if (chunk == 0) return self->execute(0x01);
      self->next();
    });
  }
  // Execute Write 0x01 commits; 0x00 cancels the queue after a failure and
  // the failure is what the caller sees (§4.9.4).
  void execute(std::uint8_t flags) {
    auto self = shared_from_this();
    send(b, att::execute_write_req{flags}, [self](error_code ec, const pdu&) {
      if (self->failure) return self->done(self->failure);
      self->done(ec);
    });
  }
};

}  // namespace

void client::exchange_mtu(std::uint16_t rx_mtu, unique_function<void(error_code, std::uint16_t)> done) {
  // §4.3.1: the client sends its Rx MTU; ATT_MTU becomes min of both (>= 23).
  send(bearer_, att::exchange_mtu_req{rx_mtu}, [this, rx_mtu, done = std::move(done)](error_code ec, const pdu& p) mutable {
    if (ec) return done(ec, bearer_.mtu());
    const auto server = std::get<att::exchange_mtu_rsp>(p).mtu;
    bearer_.set_mtu(std::min(rx_mtu, server));
    done({}, bearer_.mtu());
  });
}

void client::discover_primary(done_fn<std::vector<service>> done) {
  std::make_shared<primary_op>(bearer_, std::nullopt, uuid_width::shortest, std::move(done))->next();
}
void client::discover_primary(const uuid& type, uuid_width width, done_fn<std::vector<service>> done) {
  std::make_shared<primary_op>(bearer_, type, width, std::move(done))->next();
}
void client::discover_included(std::uint16_t start, std::uint16_t end, done_fn<std::vector<included_service>> done) {
  std::make_shared<included_op>(bearer_, start, end, std::move(done))->next();
}
void client::discover_characteristics(std::uint16_t start, std::uint16_t end, std::optional<uuid> type,
                                      done_fn<std::vector<characteristic>> done) {
  std::make_shared<characteristics_op>(bearer_, start, end, type, std::move(done))->next();
}
void client::discover_descriptors(std::uint16_t start, std::uint16_t end, done_fn<std::vector<descriptor>> done) {
  std::make_shared<descriptors_op>(bearer_, start, end, std::move(done))->next();
}
void client::read(std::uint16_t handle, std::uint16_t offset, done_fn<value_type> done) {
  std::make_shared<read_op>(bearer_, handle, offset, std::move(done))->next();
}
void client::read_by_uuid(std::uint16_t start, std::uint16_t end, const uuid& type, done_fn<read_by_uuid_result> done) {
  std::make_shared<read_by_uuid_op>(bearer_, start, end, type, std::move(done))->next();
}

void client::read_first_by_uuid(std::uint16_t start, std::uint16_t end, const uuid& type,
                                done_fn<read_by_uuid_result> done) {
  std::make_shared<read_by_uuid_op>(bearer_, start, end, type, std::move(done), true)->next();
}

void client::read_multiple(std::vector<std::uint16_t> handles, bool variable, done_fn<value_type> done) {
  std::vector<std::uint8_t> list(handles.size() * 2);
  for (std::size_t i = 0; i < handles.size(); ++i) put_le16(&list[2 * i], handles[i]);
  const bytes_view hv(list);
  const pdu p = variable ? pdu{att::read_multiple_variable_req{hv}} : pdu{att::read_multiple_req{hv}};
  send(bearer_, p, [done = std::move(done)](error_code ec, const pdu& r) mutable {
    if (ec) return done(ec, {});
    bytes_view v;
    if (auto* m = std::get_if<att::read_multiple_rsp>(&r)) v = m->values;
    if (auto* m = std::get_if<att::read_multiple_variable_rsp>(&r)) v = m->data;
    done({}, value_type(v.begin(), v.end()));
  });
}

void client::write(std::uint16_t handle, bytes_view value, unique_function<void(error_code)> done) {
  send(bearer_, att::write_req{handle, value}, [done = std::move(done)](error_code ec, const pdu&) mutable { done(ec); });
}

void client::write_long(std::uint16_t handle, std::uint16_t offset, bytes_view value, bool reliable,
                        unique_function<void(error_code)> done) {
  if (offset + value.size() > att::max_attribute_length) {
    asio::post(bearer_.get_executor(), [d = std::move(done)]() mutable { d(make_error_code(errc::value_too_long)); });
    return;
  }
  std::make_shared<write_long_op>(bearer_, handle, offset, value_type(value.begin(), value.end()), reliable,
                                  std::move(done))
      ->next();
}

error_code client::write_without_response(std::uint16_t handle, bytes_view value) {
  std::array<std::uint8_t, 520> buf;
  const std::size_t n = att::encode(att::write_cmd{handle, value}, buf);
  if (n == 0) return att::make_error_code(att::errc::value_too_long);
  return bearer_.send(bytes_view(buf.data(), n));
}

void client::subscribe(std::uint16_t value_handle, unique_function<void(error_code)> done) {
  auto fail = [&](errc e) {
    asio::post(bearer_.get_executor(), [d = std::move(done), e]() mutable { d(make_error_code(e)); });
  };
  const characteristic* c = find_characteristic(value_handle);
  if (!c) return fail(errc::not_in_cache);
  std::uint16_t cccd = 0;
  for (const auto& d : c->descriptors)
    if (d.type == uuid::from16(cccd_type)) cccd = d.handle;
  if (!cccd) return fail(errc::no_cccd);
  // Vol 3 Part G §3.3.3.3: bit 0 notifications, bit 1 indications; prefer
  // notifications when both are offered.
  std::uint16_t bits = (c->properties & prop::notify) ? 0x0001 : (c->properties & prop::indicate) ? 0x0002 : 0;
  if (!bits) return fail(errc::not_subscribable);
  std::uint8_t v[2];
  put_le16(v, bits);
  write(cccd, bytes_view(v, 2), std::move(done));
}

void client::unsubscribe(std::uint16_t value_handle, unique_function<void(error_code)> done) {
  const characteristic* c = find_characteristic(value_handle);
  std::uint16_t cccd = 0;
  if (c)
    for (const auto& d : c->descriptors)
      if (d.type == uuid::from16(cccd_type)) cccd = d.handle;
  if (!cccd) {
    asio::post(bearer_.get_executor(), [d = std::move(done)]() mutable { d(make_error_code(errc::no_cccd)); });
    return;
  }
  const std::uint8_t zero[2] = {0, 0};
  write(cccd, bytes_view(zero, 2), std::move(done));
}

}  // namespace bandwire::gatt
