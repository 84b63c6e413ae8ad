// Deterministic synthetic btsnoop captures for `bandwire decode`'s
// byte-for-byte output checks (tests/tools/decode_golden_test.cpp): every
// opcode, every Mi Band characteristic the decoder explains, valid and
// malformed values, strings JSON must escape, timestamps that go backwards,
// multi-fragment PDUs, other L2CAP channels, non-ACL records, and (monitor
// datalink) two controllers. The PDU stream comes from a fixed-seed
// generator that uses only std::mt19937's raw output, which the standard
// fixes on every platform, so the same bytes come out everywhere.
//
// The golden hashes of decode's output on these captures were made with the
// decoder as it was before it was rewritten for speed; a change in this
// generator changes the captures and needs new hashes from that decoder.
#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "hci/btsnoop.hpp"

namespace bandwire::test {

namespace corpus_detail {

using bytes = std::vector<std::uint8_t>;

// Handles of the Mi Band 2 fallback layout (fact sheet §1) plus a few the
// layout does not name.
inline constexpr std::uint16_t handles[] = {0x0003, 0x000a, 0x000b, 0x000e, 0x0010, 0x0012, 0x0014, 0x0016,
                                            0x001f, 0x0026, 0x0029, 0x002a, 0x002c, 0x002f, 0x0030, 0x0035,
                                            0x0036, 0x0038, 0x0039, 0x003b, 0x003c, 0x0047, 0x0048, 0x004a,
                                            0x004b, 0x004d, 0x004e, 0x0050, 0x0051, 0x0054, 0x0055, 0x0099};

struct gen {
  std::mt19937 rng{20261202};
  std::uint16_t last_read = 0x0003;  // a Read Response is explained by the last Read Request's handle
  std::uint32_t u32() { return static_cast<std::uint32_t>(rng()); }
  std::uint32_t below(std::uint32_t n) { return u32() % n; }
  std::uint8_t byte() { return static_cast<std::uint8_t>(u32()); }
  bytes random_bytes(std::size_t n) {
    bytes b(n);
    for (auto& x : b) x = byte();
    return b;
  }
  std::uint16_t handle() { return handles[below(sizeof handles / sizeof handles[0])]; }
};

inline void le16(bytes& b, std::uint16_t v) {
  b.push_back(static_cast<std::uint8_t>(v));
  b.push_back(static_cast<std::uint8_t>(v >> 8));
}

// A value meaningful (or nearly so) for the characteristic at `h`.
inline bytes value_for(gen& g, std::uint16_t h, bool from_host) {
  // (Device events stick to listed codes: an unlisted one crashed the decoder
  // these hashes were made with; tests/tools/decode_golden_test.cpp checks it apart.)
  switch (g.below(6) == 0 && h != 0x0050 ? 0 : h) {
    case 0x0029: {  // heart rate: flags, bpm (8 or 16 bit), RR intervals
      bytes v{static_cast<std::uint8_t>(g.below(2) ? 0x00 : 0x10 | (g.below(2) ? 0x01 : 0x00))};
      v.push_back(g.byte());
      if (v[0] & 0x01) v.push_back(g.byte());
      if (v[0] & 0x10)
        for (std::uint32_t i = 0, n = g.below(4); i < n; ++i) le16(v, static_cast<std::uint16_t>(g.u32()));
      return v;
    }
    case 0x0038: {  // raw sensor: 01|02 counter samples
      const bool accel = g.below(2);
      bytes v{static_cast<std::uint8_t>(accel ? 0x01 : 0x02), g.byte()};
      const std::uint32_t n = accel ? 1 + g.below(3) : 1 + g.below(9);
      for (std::uint32_t i = 0; i < n * (accel ? 3 : 1); ++i) le16(v, static_cast<std::uint16_t>(g.u32()));
      if (g.below(10) == 0) v.push_back(g.byte());  // odd length: malformed
      return v;
    }
    case 0x0035:
      if (from_host) {
        static const bytes cmds[] = {{0x01, 0x03, 0x19}, {0x01, 0x01, 0x32}, {0x02}, {0x03}, {0x00}, {0x07, 0x01}};
        return cmds[g.below(6)];
      }
      return {0x10, static_cast<std::uint8_t>(1 + g.below(3)), static_cast<std::uint8_t>(g.below(5))};
    case 0x0054: {
      if (from_host) {
        switch (g.below(4)) {
          case 0: {
            bytes v{0x01, 0x00};
            auto k = g.random_bytes(16);
            v.insert(v.end(), k.begin(), k.end());
            return v;
          }
          case 1: return {0x02, 0x00};
          case 2: {
            bytes v{0x03, 0x00};
            auto k = g.random_bytes(16);
            v.insert(v.end(), k.begin(), k.end());
            return v;
          }
          default: return g.random_bytes(g.below(20));
        }
      }
      if (g.below(2)) {
        bytes v{0x10, 0x02, 0x01};
        auto k = g.random_bytes(16);
        v.insert(v.end(), k.begin(), k.end());
        return v;
      }
      return {0x10, static_cast<std::uint8_t>(1 + g.below(3)), static_cast<std::uint8_t>(1 + g.below(4))};
    }
    case 0x002c: {
      static const bytes cmds[] = {{0x15, 0x02, 0x01}, {0x15, 0x01, 0x01}, {0x15, 0x01, 0x00}, {0x15, 0x05, 0x01},
                                   {0x16},             {0x14, 0x00},       {0x14, 0x0a},       {0x99}};
      return cmds[g.below(8)];
    }
    case 0x002f: {  // current time: year month day h m s dow frac reason [tz]
      bytes v;
      le16(v, static_cast<std::uint16_t>(2000 + g.below(60)));
      for (int i = 0; i < 6; ++i) v.push_back(static_cast<std::uint8_t>(g.below(i == 0 ? 14 : 62)));
      v.push_back(0), v.push_back(0);
      if (g.below(3)) v.push_back(static_cast<std::uint8_t>(static_cast<std::int8_t>(g.below(97)) - 48));
      return v;
    }
    case 0x0047: {  // battery: flags level charging date date level
      bytes v{0x0f, static_cast<std::uint8_t>(g.below(101)), static_cast<std::uint8_t>(g.below(2))};
      for (int d = 0; d < 2; ++d) {
        le16(v, static_cast<std::uint16_t>(2015 + g.below(10)));
        v.push_back(static_cast<std::uint8_t>(1 + g.below(12)));
        v.push_back(static_cast<std::uint8_t>(1 + g.below(28)));
        v.push_back(static_cast<std::uint8_t>(g.below(24)));
        v.push_back(static_cast<std::uint8_t>(g.below(60)));
        v.push_back(static_cast<std::uint8_t>(g.below(60)));
        v.push_back(static_cast<std::uint8_t>(g.below(9)));
      }
      v.push_back(static_cast<std::uint8_t>(g.below(101)));
      if (g.below(5) == 0) v.resize(g.below(static_cast<std::uint32_t>(v.size())));
      return v;
    }
    case 0x004a: {  // steps: 0c steps(4) [distance(4) calories(4)]
      bytes v{0x0c};
      const std::uint32_t n = g.below(3) == 0 ? 4 : 12;
      for (std::uint32_t i = 0; i < n; ++i) v.push_back(g.below(3) ? static_cast<std::uint8_t>(g.below(200)) : 0);
      return v;
    }
    case 0x0050: {
      static constexpr std::uint8_t listed[] = {0x01, 0x02, 0x03, 0x04, 0x06, 0x07, 0x08, 0x09, 0x0a,
                                                0x0b, 0x0e, 0x0f, 0x10, 0x14, 0x16, 0x1a, 0xfe};
      bytes v{listed[g.below(sizeof listed)]};
      for (std::uint32_t i = 0, n = g.below(4); i < n; ++i) v.push_back(g.byte());
      return v;
    }
    case 0x0026: return g.below(4) ? bytes{static_cast<std::uint8_t>(g.below(6))} : g.random_bytes(3);
    case 0x001f: {  // new alert: category count text (quotes, escapes, UTF-8)
      static const char* texts[] = {"", "hi", "say \"hello\"", "tab\there", "back\\slash", "line\nbreak",
                                    "\x01\x1f ctl", "caf\xc3\xa9", "\xff\xfe bad utf8"};
      bytes v{static_cast<std::uint8_t>(g.below(12)), static_cast<std::uint8_t>(g.below(3))};
      const char* t = texts[g.below(9)];
      for (const char* p = t; *p; ++p) v.push_back(static_cast<std::uint8_t>(*p));
      return v;
    }
    case 0x003b:
      if (from_host) return g.random_bytes(1 + g.below(8));
      return {0x10, g.byte(), static_cast<std::uint8_t>(1 + g.below(5)), g.byte()};
    case 0x000a: return g.below(4) ? bytes{0x01, 0x00, 0xff, 0xff} : g.random_bytes(3);
    case 0x0003:
    case 0x000e:
    case 0x0010:
    case 0x0012: {
      static const char* names[] = {"MI Band 2", "V1.0.1.69", "quote\"d", "ctl\x07", "\xc3\xa9t\xc3\xa9", ""};
      const char* t = names[g.below(6)];
      return bytes(t, t + std::char_traits<char>::length(t));
    }
    case 0x000b:
    case 0x002a:
    case 0x0030:
    case 0x0036:
    case 0x0039:
    case 0x003c:
    case 0x0048:
    case 0x004b:
    case 0x004e:
    case 0x0051:
    case 0x0055: {
      static const bytes v[] = {{0x00, 0x00}, {0x01, 0x00}, {0x02, 0x00}, {0x03, 0x00}, {0x01}};
      return v[g.below(5)];
    }
    default: return g.random_bytes(g.below(21));
  }
}

// One PDU of a random opcode, well-formed most of the time.
inline bytes random_pdu(gen& g, bool& from_host) {
  // Notifications and writes, which carry the Mi Band meanings, come most often.
  static constexpr std::uint8_t ops[] = {0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c,
                                         0x0d, 0x0e, 0x0f, 0x10, 0x11, 0x12, 0x13, 0x16, 0x17, 0x18, 0x19, 0x1b,
                                         0x1d, 0x1e, 0x20, 0x21, 0x52, 0xd2, 0x7f, 0xff, 0x23, 0x1b, 0x1b, 0x1b,
                                         0x1b, 0x1b, 0x1b, 0x1b, 0x1b, 0x52, 0x52, 0x52, 0x12, 0x12, 0x12, 0x0b,
                                         0x0a, 0x0b, 0x0a, 0x1d};
  const std::uint8_t op = ops[g.below(sizeof ops)];
  bytes p{op};
  const std::uint16_t h = g.handle();
  switch (op) {
    case 0x12:
    case 0x52:
    case 0x1b:
    case 0x1d:
      from_host = op == 0x12 || op == 0x52;
      le16(p, h);
      for (auto b : value_for(g, h, from_host)) p.push_back(b);
      break;
    case 0x0a:
      from_host = true;
      le16(p, h);
      g.last_read = h;
      break;
    case 0x0b: {
      from_host = false;
      for (auto b : value_for(g, g.last_read, false)) p.push_back(b);
      break;
    }
    case 0x01:
      from_host = false;
      p.push_back(static_cast<std::uint8_t>(1 + g.below(0x1e)));
      le16(p, h);
      p.push_back(static_cast<std::uint8_t>(g.below(4) ? g.below(0x12) : g.u32()));
      break;
    case 0x02:
    case 0x03:
      from_host = op == 0x02;
      le16(p, static_cast<std::uint16_t>(23 + g.below(500)));
      break;
    case 0x08:
      from_host = true;
      le16(p, h), le16(p, 0xffff);
      if (g.below(3)) le16(p, 0x2803);
      else for (int i = 0; i < 16; ++i) p.push_back(static_cast<std::uint8_t>(i));
      break;
    case 0x09: {  // characteristic declarations of the real layout (§1), 16- or 128-bit
      from_host = false;
      struct decl_row { std::uint16_t value, type; bool huami; };
      static constexpr decl_row narrow[] = {{0x0003, 0x2a00, false}, {0x000a, 0x2a05, false}, {0x000e, 0x2a25, false},
                                            {0x0010, 0x2a27, false}, {0x0012, 0x2a28, false}, {0x001f, 0x2a46, false},
                                            {0x0026, 0x2a06, false}, {0x0029, 0x2a37, false}, {0x002c, 0x2a39, false},
                                            {0x002f, 0x2a2b, false}, {0x0099, 0x1234, false}};
      static constexpr decl_row wide_rows[] = {{0x0035, 0x0001, true}, {0x0038, 0x0002, true}, {0x003b, 0x0003, true},
                                               {0x0047, 0x0006, true}, {0x004a, 0x0007, true}, {0x004d, 0x0008, true},
                                               {0x0050, 0x0010, true}, {0x0054, 0x0009, true}, {0x0044, 0x0005, true}};
      const bool wide = g.below(2);
      p.push_back(wide ? 21 : 7);
      for (std::uint32_t i = 0, n = wide ? 1 : 1 + g.below(3); i < n; ++i) {
        const decl_row& r = wide ? wide_rows[g.below(9)] : narrow[g.below(11)];
        le16(p, static_cast<std::uint16_t>(r.value - 1));
        p.push_back(g.byte());
        le16(p, r.value);
        if (wide) {
          static const std::uint8_t base[] = {0x00, 0x07, 0x10, 0xaf, 0x09, 0x00, 0x18, 0x21,
                                              0x12, 0x35, 0x00, 0x00};
          p.insert(p.end(), base, base + 12);
          le16(p, r.type);
          p.push_back(0), p.push_back(0);
        } else {
          le16(p, r.type);
        }
      }
      break;
    }
    case 0x04:
      from_host = true;
      le16(p, h), le16(p, static_cast<std::uint16_t>(h + g.below(4)));
      break;
    case 0x05: {
      from_host = false;
      const bool wide = g.below(4) == 0;
      p.push_back(wide ? 2 : 1);
      for (std::uint32_t i = 0, n = wide ? 1 : 1 + g.below(4); i < n; ++i) {
        le16(p, static_cast<std::uint16_t>(h + i));
        if (wide) for (int k = 0; k < 16; ++k) p.push_back(g.byte());
        else le16(p, g.below(2) ? 0x2902 : 0x2901);
      }
      break;
    }
    case 0x06:
      from_host = true;
      le16(p, h), le16(p, 0xffff), le16(p, 0x2800), le16(p, 0x1801);
      break;
    case 0x07:
      from_host = false;
      le16(p, h), le16(p, static_cast<std::uint16_t>(h + 3));
      break;
    case 0x10:
      from_host = true;
      le16(p, h), le16(p, 0xffff), le16(p, 0x2800);
      break;
    case 0x11:
      from_host = false;
      p.push_back(6);
      for (std::uint32_t i = 0, n = 1 + g.below(3); i < n; ++i) {
        le16(p, static_cast<std::uint16_t>(h + 8 * i)), le16(p, static_cast<std::uint16_t>(h + 8 * i + 7));
        le16(p, static_cast<std::uint16_t>(0x1800 + g.below(16)));
      }
      break;
    case 0x0c:
      from_host = true;
      le16(p, h), le16(p, static_cast<std::uint16_t>(g.below(40)));
      break;
    default:
      from_host = g.below(2);
      for (auto b : g.random_bytes(g.below(22))) p.push_back(b);
      break;
  }
  // Now and then cut or extend a PDU, so the decoder meets malformed input.
  if (g.below(25) == 0 && p.size() > 1) p.resize(1 + g.below(static_cast<std::uint32_t>(p.size() - 1)));
  return p;
}

inline void record(bytes& out, hci::datalink link, std::uint32_t flags, std::int64_t unix_us, const bytes& data) {
  hci::btsnoop_record r;
  r.original_length = static_cast<std::uint32_t>(data.size());
  r.flags = flags;
  r.timestamp = hci::unix_to_btsnoop_us(unix_us);
  r.data = bytes_view(data);
  (void)link;
  (void)hci::write_btsnoop_record(out, r);
}

}  // namespace corpus_detail

/// An H4 (Android-style) capture of `n` random PDUs and the odd records.
inline std::vector<std::uint8_t> decode_corpus_h4(std::size_t n = 4000) {
  using namespace corpus_detail;
  gen g;
  bytes out;
  hci::write_btsnoop_header(out, hci::datalink::h4);
  std::int64_t t = 1521540000000000;  // 2018-03-20, as CAP-A
  for (std::size_t i = 0; i < n; ++i) {
    // Mostly forward, sometimes backwards (a capture that wraps or is concatenated).
    t += g.below(40) == 0 ? -static_cast<std::int64_t>(g.below(5000000)) : static_cast<std::int64_t>(g.below(150000));
    bool from_host = false;
    const bytes pdu = random_pdu(g, from_host);
    const auto dir = from_host ? hci::direction::host_to_controller : hci::direction::controller_to_host;
    hci::att_framing f;
    f.conn_handle = g.below(10) == 0 ? 0x0041 : 0x0040;
    f.acl_mtu = g.below(8) == 0 ? 4 : 27;  // some PDUs in several fragments
    (void)hci::write_att_pdu(out, dir, t, pdu, f);
    switch (g.below(60)) {
      case 0: record(out, hci::datalink::h4, 3, t, {0x04, 0x0e, 0x04, 0x01, 0x01, 0x0c, 0x00}); break;  // event
      case 1: record(out, hci::datalink::h4, 0, t, {}); break;                                       // empty record
      case 2: record(out, hci::datalink::h4, 0, t, {0x02, 0x40, 0x00, 0x05, 0x00, 0x01, 0x00, 0x05, 0x00, 0xaa});
        break;  // L2CAP channel 5 (LE signalling)
      case 3: record(out, hci::datalink::h4, 1, t, {0x02, 0x40, 0x10, 0x02, 0x00, 0x11, 0x22}); break;  // orphan continuation
      default: break;
    }
  }
  return out;
}

/// A btmon (monitor datalink) capture: the same link seen by controllers 0
/// and 1 (each PDU twice, opposite directions), plus controller 2's own.
inline std::vector<std::uint8_t> decode_corpus_monitor(std::size_t n = 1500) {
  using namespace corpus_detail;
  gen g;
  g.rng.seed(7);
  bytes out;
  hci::write_btsnoop_header(out, hci::datalink::monitor);
  std::int64_t t = 1700000000000000;
  auto acl = [](const bytes& pdu, std::uint16_t handle) {
    bytes a;
    le16(a, handle);
    le16(a, static_cast<std::uint16_t>(pdu.size() + 4));
    le16(a, static_cast<std::uint16_t>(pdu.size()));
    le16(a, 0x0004);
    a.insert(a.end(), pdu.begin(), pdu.end());
    return a;
  };
  for (std::size_t i = 0; i < n; ++i) {
    t += static_cast<std::int64_t>(g.below(90000));
    bool from_host = false;
    const bytes pdu = random_pdu(g, from_host);
    const bytes a = acl(pdu, 0x0001);
    // opcode 4 ACL TX, 5 ACL RX; flags = index << 16 | opcode
    record(out, hci::datalink::monitor, (1u << 16) | (from_host ? 5u : 4u), t, a);
    record(out, hci::datalink::monitor, (0u << 16) | (from_host ? 4u : 5u), t + 3, a);
    if (g.below(7) == 0) record(out, hci::datalink::monitor, (2u << 16) | 4u, t + 5, acl({0x0a, 0x03, 0x00}, 0x0002));
    if (g.below(50) == 0) record(out, hci::datalink::monitor, (1u << 16) | 12u, t, {'n', 'o', 't', 'e', 0});
  }
  return out;
}

}  // namespace bandwire::test
