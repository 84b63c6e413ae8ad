// Discovery by needs (Core 5.4 Vol 3 Part G §4.4.2, §4.6.1, §4.7.1, applied
// only as far as a program needs): the pure bookkeeping, and
// client::discover, which asks the peer for what the database lacks.
#include "gatt/needs.hpp"

#include <algorithm>
#include <array>
#include <memory>

#include "gatt/client.hpp"
#include "gatt/error.hpp"

namespace bandwire::gatt {

const characteristic* find_in(const service& s, const uuid& type) noexcept {
  for (const auto& c : s.characteristics)
    if (c.type == type) return &c;
  return nullptr;
}

bool satisfied(const discovered_database& db, const service_need& need) {
  const presence p = db.service_presence(need.type);
  if (p == presence::absent) return true;
  if (p == presence::unknown) return false;
  const service& s = *db.find_service(need.type);
  for (const auto& n : need.characteristics) {
    const characteristic* c = find_in(s, n.type);
    if (!c) {
      if (!s.characteristics_complete()) return false;
      continue;  // known not to exist
    }
    if (n.cccd && !c->descriptors_known) return false;
  }
  return true;
}

discovery_needs unmet(const discovered_database& db, const discovery_needs& needs) {
  discovery_needs out;
  for (const auto& n : needs)
    if (!satisfied(db, n)) out.push_back(n);
  return out;
}

std::vector<uuid> missing_characteristics(const discovered_database& db, const discovery_needs& needs) {
  std::vector<uuid> out;
  for (const auto& n : needs) {
    const presence p = db.service_presence(n.type);
    if (p == presence::unknown) continue;
    const service* s = db.find_service(n.type);
    for (const auto& c : n.characteristics)
      if (p == presence::absent || (!find_in(*s, c.type) && s->characteristics_complete())) out.push_back(c.type);
  }
  return out;
}

discovery_needs merge(discovery_needs base, const discovery_needs& more) {
  for (const auto& m : more) {
    auto it = std::find_if(base.begin(), base.end(), [&](const service_need& b) { return b.type == m.type; });
    if (it == base.end()) {
      base.push_back(m);
      continue;
    }
    for (const auto& c : m.characteristics) {
      auto ci = std::find_if(it->characteristics.begin(), it->characteristics.end(),
                             [&](const characteristic_need& x) { return x.type == c.type; });
      if (ci == it->characteristics.end()) it->characteristics.push_back(c);
      else ci->cccd = ci->cccd || c.cccd;
    }
  }
  return base;
}

namespace {

bool is_declaration(const uuid& t) {
  return t == uuid::from16(primary_service_type) || t == uuid::from16(secondary_service_type) ||
         t == uuid::from16(include_type) || t == uuid::from16(characteristic_type);
}

}  // namespace

// One step at a time, each chosen afresh from what the database still
// lacks, so the procedure holds no progress of its own beyond the need it is
// on. Every answer moves something forward (a service found or absent,
// characteristic declarations known further, descriptors known), so it ends.
//
//  * A service: Find By Type Value (§4.4.2) from 0x0001, stopping at its
//    first answer. The procedure would go on to the end of the database for
//    further instances; bandwire uses the first, and a band has one of each
//    (fact sheet §3.1), so the extra request would learn nothing it uses.
//  * Characteristics: Read By Type 0x2803 (§4.6.1) inside the service,
//    stopping once every needed one is found.
//  * Descriptors, for a characteristic that needs its CCCD: Find Information
//    (§4.7.1) from after its value, stopping at the next declaration, which
//    also tells where the characteristic ends.
struct discover_needs_op : std::enable_shared_from_this<discover_needs_op> {
  client& c;
  discovered_database& db;
  discovery_needs needs;
  unique_function<void(error_code)> done;
  std::size_t si = 0;

  discover_needs_op(client& cl, discovered_database& d, discovery_needs n, unique_function<void(error_code)> f)
      : c(cl), db(d), needs(std::move(n)), done(std::move(f)) {}

  enum class step { service, characteristics, descriptors };

  void send(step st, const att::pdu& p) {
    std::array<std::uint8_t, 32> buf;
    const std::size_t n = att::encode(p, buf);
    auto self = shared_from_this();
    c.bearer().request(bytes_view(buf.data(), n), [self, st](error_code ec, const att::pdu& rsp) {
      self->on_response(st, ec, rsp);
    });
  }

  service* find_service(const uuid& t) {
    for (auto& s : db.services)
      if (s.type == t) return &s;
    return nullptr;
  }
  static characteristic* find_char(service& s, const uuid& t) {
    for (auto& ch : s.characteristics)
      if (ch.type == t) return &ch;
    return nullptr;
  }

  void next() {
    for (; si < needs.size(); ++si) {
      const service_need& n = needs[si];
      const presence p = db.service_presence(n.type);
      if (p == presence::absent) continue;
      if (p == presence::unknown) return find_service_request(n.type);
      service& s = *find_service(n.type);
      const bool chars_missing = std::any_of(n.characteristics.begin(), n.characteristics.end(),
                                             [&](const characteristic_need& cn) { return !find_in(s, cn.type); });
      if (chars_missing && !s.characteristics_complete()) return characteristics_request(s);
      for (const auto& cn : n.characteristics) {
        if (!cn.cccd) continue;
        characteristic* ch = find_char(s, cn.type);
        if (!ch || ch->descriptors_known) continue;
        if (ch->value_handle >= ch->end_handle) {
          ch->descriptors_known = true;  // no room for descriptors
          continue;
        }
        return descriptors_request(*ch, static_cast<std::uint16_t>(ch->value_handle + 1));
      }
    }
    done({});
  }

  // ---- requests ----
  uuid pending_type;
  // Where the answer goes, by handle: the database may have grown (and
  // moved) while the request was out.
  std::uint16_t pending_service = 0;  // start handle
  std::uint16_t pending_char = 0;     // declaration handle
  std::uint16_t pending_start = 0;

  void find_service_request(const uuid& t) {
    pending_type = t;
    std::array<std::uint8_t, 16> v;
    const std::size_t n = t.write_le(v.data());
    send(step::service, att::find_by_type_value_req{0x0001, 0xffff, primary_service_type, bytes_view(v.data(), n)});
  }
  void characteristics_request(service& s) {
    pending_service = s.start;
    pending_start = static_cast<std::uint16_t>(std::max<std::uint32_t>(s.characteristics_through, s.start) + 1);
    send(step::characteristics, att::read_by_type_req{pending_start, s.end, uuid::from16(characteristic_type)});
  }
  void descriptors_request(characteristic& ch, std::uint16_t from) {
    pending_char = ch.decl_handle;
    pending_start = from;
    send(step::descriptors, att::find_information_req{from, ch.end_handle});
  }

  // ---- responses ----
  void fail(error_code ec) { done(ec); }
  service* service_at(std::uint16_t start) {
    for (auto& s : db.services)
      if (s.start == start) return &s;
    return nullptr;
  }
  characteristic* char_at(std::uint16_t decl) {
    for (auto& s : db.services)
      for (auto& ch : s.characteristics)
        if (ch.decl_handle == decl) return &ch;
    return nullptr;
  }
  void invalid() { done(make_error_code(errc::invalid_response)); }

  void on_response(step st, error_code ec, const att::pdu& p) {
    const bool not_found = ec == att::error::attribute_not_found;
    if (ec && !not_found) return fail(ec);
    switch (st) {
      case step::service: return on_service(not_found, p);
      case step::characteristics: return on_characteristics(not_found, p);
      case step::descriptors: return on_descriptors(not_found, p);
    }
  }

  void on_service(bool not_found, const att::pdu& p) {
    if (not_found) {
      db.absent.push_back(pending_type);
      return next();
    }
    auto* r = std::get_if<att::find_by_type_value_rsp>(&p);
    if (!r || r->data.empty()) return invalid();
    bool bad = false;
    att::for_each(*r, [&](att::handles_range e) {
      if (e.found == 0 || e.group_end < e.found) bad = true;
      for (const auto& s : db.services)
        if (e.found <= s.end && s.start <= e.group_end) bad = true;  // overlaps a known service
      if (bad) return;
      service s{e.found, e.group_end, pending_type, true, {}, {}};
      s.characteristics_through = e.found;  // nothing inside known yet
      auto at = std::upper_bound(db.services.begin(), db.services.end(), s.start,
                                 [](std::uint16_t h, const service& x) { return h < x.start; });
      db.services.insert(at, std::move(s));
    });
    if (bad) return invalid();
    next();
  }

  void on_characteristics(bool not_found, const att::pdu& p) {
    service* sp = service_at(pending_service);
    if (!sp) return invalid();
    service& s = *sp;
    if (not_found) {
      s.characteristics_through = s.end;
      return next();
    }
    auto* r = std::get_if<att::read_by_type_rsp>(&p);
    // Entry: decl handle + properties(1) + value handle(2) + UUID(2|16).
    if (!r || (r->length != 7 && r->length != 21)) return invalid();
    std::uint32_t last = 0;
    bool bad = false;
    att::for_each(*r, [&](att::handle_value e) {
      characteristic ch;
      ch.decl_handle = e.handle;
      ch.properties = e.value[0];
      ch.value_handle = get_le16(&e.value[1]);
      ch.type = *uuid::from_le(e.value.subspan(3));
      ch.end_handle = s.end;  // an upper bound until the next declaration is known
      ch.descriptors_known = false;
      if (e.handle < pending_start || e.handle <= last || e.handle > s.end || ch.value_handle <= e.handle ||
          ch.value_handle > s.end) {
        bad = true;
        return;
      }
      // A characteristic ends where the next declaration begins (§3.3).
      if (!s.characteristics.empty() && s.characteristics.back().end_handle >= e.handle)
        s.characteristics.back().end_handle = static_cast<std::uint16_t>(e.handle - 1);
      last = e.handle;
      s.characteristics.push_back(std::move(ch));
    });
    if (bad || last == 0) return invalid();
    s.characteristics_through = static_cast<std::uint16_t>(last);
    next();
  }

  void on_descriptors(bool not_found, const att::pdu& p) {
    characteristic* cp = char_at(pending_char);
    if (!cp) return invalid();
    characteristic& ch = *cp;
    if (not_found) {
      ch.descriptors_known = true;
      return next();
    }
    auto* r = std::get_if<att::find_information_rsp>(&p);
    if (!r) return invalid();
    std::uint32_t last = 0;
    bool bad = false, ended = false;
    att::for_each(*r, [&](att::handle_uuid e) {
      if (ended || bad) return;
      if (e.handle < pending_start || e.handle > ch.end_handle || e.handle <= last) {
        bad = true;
        return;
      }
      last = e.handle;
      if (is_declaration(e.type)) {
        ch.end_handle = static_cast<std::uint16_t>(e.handle - 1);  // the next declaration: ours ended
        ended = true;
        return;
      }
      ch.descriptors.push_back(descriptor{e.handle, e.type});
    });
    if (bad || last == 0) return invalid();
    if (ended || last >= ch.end_handle) {
      ch.descriptors_known = true;
      return next();
    }
    descriptors_request(ch, static_cast<std::uint16_t>(last + 1));
  }
};

void client::discover(discovery_needs needs, unique_function<void(error_code)> done) {
  // The handler never runs inline, as every procedure's.
  auto posted = [ex = bearer_.get_executor(), d = std::move(done)](error_code ec) mutable {
    asio::post(ex, [d = std::move(d), ec]() mutable { d(ec); });
  };
  std::make_shared<discover_needs_op>(*this, db_, std::move(needs), std::move(posted))->next();
}

}  // namespace bandwire::gatt
