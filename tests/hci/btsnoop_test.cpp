#include "hci/btsnoop.hpp"  // first: the header is self-contained

#include <doctest/doctest.h>

#include <unistd.h>

#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "att/pdu.hpp"
#include "tests/support/hex.hpp"
#include "tests/support/shared_dir.hpp"

using namespace bandwire;
using namespace bandwire::hci;

namespace {

using bytes = std::vector<std::uint8_t>;

using bandwire::test::hx;
bytes cat(std::initializer_list<bytes> parts) {
  bytes out;
  for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

// A small H4 capture written by hand, field by field (all big-endian):
const char* const header_hex = "6274736e6f6f7000 00000001 000003ea";
const char* const record_hex[] = {
    // HCI_Reset sent: orig 4, incl 4, flags 2 (command, sent), drops 0, ts, 01 030c 00
    "00000004 00000004 00000002 00000000 00e245876e4630e8 01030c00",
    // Command Complete received: flags 3 (event, received)
    "00000007 00000007 00000003 00000000 00e245876e4630f0 040e0401030c00",
    // ATT Read Request sent: ACL handle 0x040 PB 0b00, len 7; L2CAP len 3 CID 4; 0a 0300
    "0000000c 0000000c 00000000 00000000 00e245876e463100 02 4000 0700 0300 0400 0a0300",
    // ATT Read Response received: ACL handle 0x040 PB 0b10, len 8; L2CAP len 4 CID 4; 0b 426c75
    "0000000d 0000000d 00000001 00000000 00e245876e463200 02 4020 0800 0400 0400 0b426c75",
};

bytes small_file() {
  bytes f = hx(header_hex);
  for (const char* r : record_hex) {
    bytes b = hx(r);
    f.insert(f.end(), b.begin(), b.end());
  }
  return f;
}

// One HCI ACL data packet (no H4 indicator): Core 5.4 Vol 4 Part E §5.4.2.
bytes acl(std::uint16_t handle, unsigned pb, const bytes& data) {
  bytes p(4);
  put_le16(p.data(), static_cast<std::uint16_t>(handle | (pb << 12)));
  put_le16(p.data() + 2, static_cast<std::uint16_t>(data.size()));
  p.insert(p.end(), data.begin(), data.end());
  return p;
}
// An L2CAP basic frame: Vol 3 Part A §3.1.
bytes l2cap(std::uint16_t cid, const bytes& payload) {
  bytes f(4);
  put_le16(f.data(), static_cast<std::uint16_t>(payload.size()));
  put_le16(f.data() + 2, cid);
  f.insert(f.end(), payload.begin(), payload.end());
  return f;
}
bytes pattern(std::size_t n, std::uint8_t seed = 0) {
  bytes v(n);
  for (std::size_t i = 0; i < n; ++i) v[i] = static_cast<std::uint8_t>(seed + i * 7);
  return v;
}

std::vector<btsnoop_record> read_all(bytes_view file, boost::system::error_code& ec) {
  std::vector<btsnoop_record> out;
  btsnoop_reader r(file);
  btsnoop_record rec;
  while (r.next(rec)) out.push_back(rec);
  ec = r.error();
  return out;
}

bool same(const btsnoop_record& a, const btsnoop_record& b) {
  return a.original_length == b.original_length && a.flags == b.flags && a.drops == b.drops &&
         a.timestamp == b.timestamp && bytes(a.data.begin(), a.data.end()) == bytes(b.data.begin(), b.data.end());
}

bytes read_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return bytes(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// ---- tshark as an independent oracle, when installed ----
bool have_tshark() { return std::system("command -v tshark >/dev/null 2>&1") == 0; }

std::vector<std::string> run_lines(const std::string& cmd) {
  std::vector<std::string> lines;
  FILE* p = ::popen(cmd.c_str(), "r");
  REQUIRE(p != nullptr);
  std::string cur;
  for (int c; (c = std::fgetc(p)) != EOF;) {
    if (c == '\n') {
      lines.push_back(cur);
      cur.clear();
    } else {
      cur.push_back(static_cast<char>(c));
    }
  }
  if (!cur.empty()) lines.push_back(cur);
  CHECK(::pclose(p) == 0);
  return lines;
}

// The same line tshark prints for `-e frame.number -e frame.time_epoch
// -e hci_h4.direction -e bthci_acl.chandle -e btatt.opcode`.
std::string tshark_line(const att_record& r) {
  char buf[128];
  const std::int64_t s = r.timestamp_us / 1000000, us = r.timestamp_us % 1000000;
  std::snprintf(buf, sizeof buf, "%zu\t%" PRId64 ".%06" PRId64 "000\t0x%02x\t0x%04x\t0x%02x", r.frame, s, us,
                r.dir == direction::controller_to_host ? 1 : 0, r.conn_handle,
                r.pdu.empty() ? 0 : r.pdu[0]);
  return buf;
}
const char* const tshark_fields =
    " -Y btatt -T fields -e frame.number -e frame.time_epoch -e hci_h4.direction"
    " -e bthci_acl.chandle -e btatt.opcode 2>/dev/null";

std::filesystem::path temp_capture(const char* tag) {
  return std::filesystem::temp_directory_path() /
         ("bandwire-test-hci-" + std::to_string(::getpid()) + "-" + tag + ".btsnoop");
}

}  // namespace

// ---------------------------------------------------------------- reader

TEST_CASE("btsnoop file header: exact bytes") {
  btsnoop_header h;
  REQUIRE_FALSE(decode_btsnoop_header(hx(header_hex), h));
  CHECK(h.version == 1);
  CHECK(h.link == datalink::h4);

  REQUIRE_FALSE(decode_btsnoop_header(hx("6274736e6f6f7000 00000001 000007d1"), h));
  CHECK(h.link == datalink::monitor);

  CHECK(decode_btsnoop_header(hx("6274736e6f6f7000 00000002 000003ea"), h) == errc::unsupported_version);
  CHECK(decode_btsnoop_header(hx("6274736e6f6f7000 00000001 000003e9"), h) == errc::unsupported_datalink);
  CHECK(decode_btsnoop_header(hx("6274736e6f6f7000 00000001 ea030000"), h) == errc::unsupported_datalink);
  CHECK(decode_btsnoop_header(hx("6274736e6f6f7001 00000001 000003ea"), h) == errc::not_btsnoop);
  CHECK(decode_btsnoop_header(hx("d4c3b2a1 02000400 00000000 00000000"), h) == errc::not_btsnoop);  // pcap
  CHECK(decode_btsnoop_header(hx("627473"), h) == errc::truncated_header);
  CHECK(decode_btsnoop_header(hx("ff"), h) == errc::not_btsnoop);
  CHECK(decode_btsnoop_header({}, h) == errc::truncated_header);
}

TEST_CASE("btsnoop records: exact bytes, fields and timestamps") {
  const bytes file = small_file();
  boost::system::error_code ec;
  const auto recs = read_all(file, ec);
  REQUIRE_FALSE(ec);
  REQUIRE(recs.size() == 4);

  CHECK(recs[0].original_length == 4);
  CHECK(recs[0].flags == 2);
  CHECK(recs[0].drops == 0);
  CHECK(recs[0].timestamp == 0x00e245876e4630e8);
  // 2018-03-20 09:05:09.603560 UTC, as tshark prints the first frame of CAP-A.
  CHECK(recs[0].unix_time_us() == 1521536709603560);
  CHECK(bytes(recs[0].data.begin(), recs[0].data.end()) == hx("01030c00"));
  CHECK_FALSE(recs[0].truncated());
  CHECK(recs[3].unix_time_us() - recs[0].unix_time_us() == 0x3200 - 0x30e8);

  CHECK(btsnoop_to_unix_us(btsnoop_epoch_offset_us) == 0);
  CHECK(unix_to_btsnoop_us(0) == btsnoop_epoch_offset_us);
  CHECK(unix_to_btsnoop_us(btsnoop_to_unix_us(-5)) == -5);

  SUBCASE("decode_btsnoop_record reports its size") {
    btsnoop_record r;
    std::size_t consumed = 0;
    REQUIRE_FALSE(decode_btsnoop_record(bytes_view(file).subspan(16), r, consumed));
    CHECK(consumed == 28);
  }
  SUBCASE("included length larger than original length is corrupt") {
    btsnoop_record r;
    std::size_t consumed = 0;
    CHECK(decode_btsnoop_record(hx("00000003 00000004 00000002 00000000 0000000000000000 01030c00"), r,
                                consumed) == errc::invalid_record_length);
  }
  SUBCASE("a cut packet (incl < orig) is kept and flagged") {
    btsnoop_record r;
    std::size_t consumed = 0;
    REQUIRE_FALSE(decode_btsnoop_record(hx("00000010 00000002 00000000 00000000 0000000000000000 0240"), r,
                                        consumed));
    CHECK(r.truncated());
    CHECK(r.data.size() == 2);
  }
  SUBCASE("an included length near 2^32 cannot wrap the bounds check") {
    btsnoop_record r;
    std::size_t consumed = 0;
    CHECK(decode_btsnoop_record(hx("ffffffff ffffffff 00000000 00000000 0000000000000000 00"), r, consumed) ==
          errc::truncated_record);
  }
  SUBCASE("a header with no records is a valid, empty capture") {
    const auto none = read_all(hx(header_hex), ec);
    CHECK_FALSE(ec);
    CHECK(none.empty());
  }
}

TEST_CASE("every truncation of a valid file is rejected or ends cleanly at a record boundary") {
  const bytes file = small_file();
  boost::system::error_code ec;
  const auto full = read_all(file, ec);
  REQUIRE_FALSE(ec);
  std::vector<std::size_t> boundaries{16};
  for (const auto& r : full) boundaries.push_back(boundaries.back() + 24 + r.data.size());
  REQUIRE(boundaries.back() == file.size());

  for (std::size_t n = 0; n < file.size(); ++n) {
    CAPTURE(n);
    const auto recs = read_all(bytes_view(file).first(n), ec);
    if (n < 16) {
      CHECK(ec == errc::truncated_header);
      CHECK(recs.empty());
      continue;
    }
    std::size_t whole = 0;
    while (whole + 1 < boundaries.size() && boundaries[whole + 1] <= n) ++whole;
    if (boundaries[whole] == n)
      CHECK_FALSE(ec);
    else
      CHECK(ec == errc::truncated_record);
    REQUIRE(recs.size() == whole);
    for (std::size_t i = 0; i < whole; ++i) CHECK(same(recs[i], full[i]));
    // extract_att agrees and keeps what came before the damage.
    std::vector<att_record> att;
    CHECK(extract_att(bytes_view(file).first(n), att) == ec);
    CHECK(att.size() == (whole >= 4 ? 2u : whole >= 3 ? 1u : 0u));
  }
}

TEST_CASE("corrupting any byte never crashes and yields a clean result or an hci error") {
  const bytes file = small_file();
  for (std::size_t i = 0; i < file.size(); ++i) {
    for (std::uint8_t v : {std::uint8_t{0x00}, std::uint8_t{0xff}, static_cast<std::uint8_t>(file[i] ^ 0x80)}) {
      bytes bad = file;
      bad[i] = v;
      std::vector<att_record> att;
      att_extract_stats st;
      const auto ec = extract_att(bad, att, &st);
      CAPTURE(i);
      CHECK((!ec || &ec.category() == &errc_category()));
      CHECK(att.size() <= 2);
    }
  }
}

TEST_CASE("to_hci_packet: H4 indicators and direction flag") {
  const bytes file = small_file();
  boost::system::error_code ec;
  const auto recs = read_all(file, ec);
  REQUIRE(recs.size() == 4);
  const packet_type types[] = {packet_type::command, packet_type::event, packet_type::acl, packet_type::acl};
  const direction dirs[] = {direction::host_to_controller, direction::controller_to_host,
                            direction::host_to_controller, direction::controller_to_host};
  for (int i = 0; i < 4; ++i) {
    const auto p = to_hci_packet(datalink::h4, recs[i]);
    REQUIRE(p);
    CHECK(p->type == types[i]);
    CHECK(p->dir == dirs[i]);
    CHECK(p->payload.size() == recs[i].data.size() - 1);
    CHECK(p->controller_index == 0);
    CHECK(h4_flags(p->type, p->dir) == recs[i].flags);
  }
  btsnoop_record r;
  CHECK_FALSE(to_hci_packet(datalink::h4, r));  // empty record
  const bytes unknown = hx("09 0102");
  r.data = unknown;
  r.original_length = 3;
  CHECK_FALSE(to_hci_packet(datalink::h4, r));
}

TEST_CASE("to_hci_packet: Linux monitor opcodes and controller index") {
  const bytes data = hx("4000 0700 0300 0400 0a0300");
  btsnoop_record r;
  r.data = data;
  r.original_length = static_cast<std::uint32_t>(data.size());
  struct row { std::uint16_t opcode; packet_type type; direction dir; };
  const row rows[] = {
      {2, packet_type::command, direction::host_to_controller}, {3, packet_type::event, direction::controller_to_host},
      {4, packet_type::acl, direction::host_to_controller},     {5, packet_type::acl, direction::controller_to_host},
      {6, packet_type::sco, direction::host_to_controller},     {7, packet_type::sco, direction::controller_to_host},
      {18, packet_type::iso, direction::host_to_controller},    {19, packet_type::iso, direction::controller_to_host},
  };
  for (const auto& row : rows) {
    r.flags = (3u << 16) | row.opcode;
    const auto p = to_hci_packet(datalink::monitor, r);
    REQUIRE(p);
    CHECK(p->type == row.type);
    CHECK(p->dir == row.dir);
    CHECK(p->controller_index == 3);
    CHECK(p->payload.size() == data.size());  // no H4 indicator to skip
  }
  for (std::uint16_t meta : {0, 1, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17}) {
    r.flags = meta;
    CHECK_FALSE(to_hci_packet(datalink::monitor, r));
  }

  // A whole monitor capture: ACL TX on index 0 reaches the ATT extractor.
  bytes file;
  write_btsnoop_header(file, datalink::monitor);
  btsnoop_record tx = r;
  tx.flags = 4;
  REQUIRE_FALSE(write_btsnoop_record(file, tx));
  std::vector<att_record> att;
  REQUIRE_FALSE(extract_att(file, att));
  REQUIRE(att.size() == 1);
  CHECK(att[0].pdu == hx("0a0300"));
  CHECK(att[0].dir == direction::host_to_controller);
  CHECK(att[0].conn_handle == 0x40);
}

// ---------------------------------------------------------------- ACL reassembly

TEST_CASE("ACL reassembly: every 2-part split of an L2CAP frame") {
  const bytes pdu = cat({hx("12 2500"), pattern(40)});  // Write Request, 43 bytes
  const bytes frame = l2cap(att_cid, pdu);
  for (std::size_t k = 1; k < frame.size(); ++k) {
    CAPTURE(k);
    acl_reassembler r;
    const bytes a(frame.begin(), frame.begin() + static_cast<std::ptrdiff_t>(k));
    const bytes b(frame.begin() + static_cast<std::ptrdiff_t>(k), frame.end());
    CHECK_FALSE(r.feed(direction::controller_to_host, acl(0x0040, 0b10, a)));
    CHECK(r.pending() == 1);
    const auto f = r.feed(direction::controller_to_host, acl(0x0040, 0b01, b));
    REQUIRE(f);
    CHECK(f->cid == att_cid);
    CHECK(f->conn_handle == 0x0040);
    CHECK(f->dir == direction::controller_to_host);
    CHECK(bytes(f->payload.begin(), f->payload.end()) == pdu);
    CHECK(r.pending() == 0);
    CHECK(r.stats().frames == 1);
  }
}

TEST_CASE("ACL reassembly: fragments interleaved across handles and directions") {
  const bytes p1 = cat({hx("1b 0e00"), pattern(30, 1)});
  const bytes p2 = cat({hx("52 2000"), pattern(25, 2)});
  const bytes p3 = cat({hx("1d 0f00"), pattern(20, 3)});
  const bytes f1 = l2cap(att_cid, p1), f2 = l2cap(att_cid, p2), f3 = l2cap(0x0006, p3);
  for (std::size_t k = 1; k < f2.size(); ++k) {
    CAPTURE(k);
    const std::size_t k1 = 1 + k % (f1.size() - 1), k3 = 1 + (k * 5) % (f3.size() - 1);
    auto head = [](const bytes& f, std::size_t n) { return bytes(f.begin(), f.begin() + static_cast<std::ptrdiff_t>(n)); };
    auto tail = [](const bytes& f, std::size_t n) { return bytes(f.begin() + static_cast<std::ptrdiff_t>(n), f.end()); };
    acl_reassembler r;
    // Handle 0x40 received, handle 0x41 received, and handle 0x40 *sent*:
    // three independent frames in progress at once.
    CHECK_FALSE(r.feed(direction::controller_to_host, acl(0x0040, 0b10, head(f1, k1))));
    CHECK_FALSE(r.feed(direction::controller_to_host, acl(0x0041, 0b10, head(f3, k3))));
    CHECK_FALSE(r.feed(direction::host_to_controller, acl(0x0040, 0b00, head(f2, k))));
    CHECK(r.pending() == 3);
    auto a = r.feed(direction::host_to_controller, acl(0x0040, 0b01, tail(f2, k)));
    REQUIRE(a);
    CHECK(a->dir == direction::host_to_controller);
    CHECK(bytes(a->payload.begin(), a->payload.end()) == p2);
    auto b = r.feed(direction::controller_to_host, acl(0x0040, 0b01, tail(f1, k1)));
    REQUIRE(b);
    CHECK(b->conn_handle == 0x0040);
    CHECK(bytes(b->payload.begin(), b->payload.end()) == p1);
    auto c = r.feed(direction::controller_to_host, acl(0x0041, 0b01, tail(f3, k3)));
    REQUIRE(c);
    CHECK(c->conn_handle == 0x0041);
    CHECK(c->cid == 0x0006);
    CHECK(bytes(c->payload.begin(), c->payload.end()) == p3);
    CHECK(r.pending() == 0);
    CHECK(r.stats().orphan_continuations == 0);
    CHECK(r.stats().abandoned == 0);
  }
}

TEST_CASE("ACL reassembly: three fragments, header split across the first two") {
  const bytes pdu = pattern(10, 9);
  const bytes f = l2cap(att_cid, pdu);  // 14 bytes
  acl_reassembler r;
  CHECK_FALSE(r.feed(direction::controller_to_host, acl(0x0001, 0b10, bytes(f.begin(), f.begin() + 2))));
  CHECK_FALSE(r.feed(direction::controller_to_host, acl(0x0001, 0b01, bytes(f.begin() + 2, f.begin() + 9))));
  CHECK_FALSE(r.feed(direction::controller_to_host, acl(0x0001, 0b01, {})));  // empty continuation
  const auto done = r.feed(direction::controller_to_host, acl(0x0001, 0b01, bytes(f.begin() + 9, f.end())));
  REQUIRE(done);
  CHECK(bytes(done->payload.begin(), done->payload.end()) == pdu);
}

TEST_CASE("ACL reassembly: orphans, abandoned frames, length overflow, malformed headers") {
  const bytes f = l2cap(att_cid, pattern(12));
  const bytes head(f.begin(), f.begin() + 6), tail(f.begin() + 6, f.end());
  acl_reassembler r;

  SUBCASE("a continuation with nothing in progress is dropped and counted") {
    CHECK_FALSE(r.feed(direction::controller_to_host, acl(0x0040, 0b01, tail)));
    CHECK(r.stats().orphan_continuations == 1);
    CHECK(r.pending() == 0);
    // A continuation in the other direction does not match a frame in progress.
    CHECK_FALSE(r.feed(direction::controller_to_host, acl(0x0040, 0b10, head)));
    CHECK_FALSE(r.feed(direction::host_to_controller, acl(0x0040, 0b01, tail)));
    CHECK(r.stats().orphan_continuations == 2);
  }
  SUBCASE("a new start abandons the frame in progress") {
    CHECK_FALSE(r.feed(direction::controller_to_host, acl(0x0040, 0b10, head)));
    CHECK_FALSE(r.feed(direction::controller_to_host, acl(0x0040, 0b10, head)));
    CHECK(r.stats().abandoned == 1);
    CHECK(r.feed(direction::controller_to_host, acl(0x0040, 0b01, tail)));
  }
  SUBCASE("fragments beyond the L2CAP length are dropped, never emitted") {
    CHECK_FALSE(r.feed(direction::controller_to_host, acl(0x0040, 0b10, head)));
    CHECK_FALSE(r.feed(direction::controller_to_host, acl(0x0040, 0b01, cat({tail, hx("00")}))));
    CHECK(r.stats().length_overflows == 1);
    CHECK(r.pending() == 0);
    // An unfragmented start that is longer than its L2CAP length, too.
    CHECK_FALSE(r.feed(direction::controller_to_host, acl(0x0040, 0b10, cat({f, hx("00")}))));
    CHECK(r.stats().length_overflows == 2);
    CHECK(r.stats().frames == 0);
  }
  SUBCASE("an L2CAP length split across fragments is still bounded") {
    // Length 0xffff announced over two fragments: 65,539 bytes in all, not one more.
    CHECK_FALSE(r.feed(direction::controller_to_host, acl(0x0040, 0b10, hx("ff"))));
    CHECK_FALSE(r.feed(direction::controller_to_host, acl(0x0040, 0b01, cat({hx("ff0400"), pattern(65532)}))));
    CHECK(r.pending() == 1);
    CHECK_FALSE(r.feed(direction::controller_to_host, acl(0x0040, 0b01, pattern(4))));
    CHECK(r.stats().length_overflows == 1);
    CHECK(r.stats().frames == 0);
    CHECK(r.pending() == 0);
  }
  SUBCASE("ACL header length disagreeing with the packet is malformed") {
    CHECK_FALSE(r.feed(direction::controller_to_host, acl(0x0040, 0b10, head)));
    bytes bad = acl(0x0040, 0b01, tail);
    bad[2] = static_cast<std::uint8_t>(bad[2] + 1);
    CHECK_FALSE(r.feed(direction::controller_to_host, bad));
    CHECK_FALSE(r.feed(direction::controller_to_host, hx("4000")));
    CHECK(r.stats().malformed == 2);
    CHECK(r.stats().abandoned == 1);
    CHECK(r.pending() == 0);
  }
  SUBCASE("PB 0b11 is read as a complete frame") {
    CHECK(r.feed(direction::controller_to_host, acl(0x0040, 0b11, f)));
  }
}

TEST_CASE("ATT extraction drops a cut (incl < orig) fragment and its frame") {
  const bytes pdu = cat({hx("0b"), pattern(40)});
  bytes file;
  write_btsnoop_header(file);
  REQUIRE_FALSE(write_att_pdu(file, direction::controller_to_host, 0, pdu, {0x0040, 20}));
  // Re-write the second fragment's record as cut to 10 of its bytes.
  boost::system::error_code ec;
  auto recs = read_all(file, ec);
  REQUIRE(recs.size() == 3);
  bytes cut;
  write_btsnoop_header(cut);
  for (std::size_t i = 0; i < recs.size(); ++i) {
    btsnoop_record r = recs[i];
    if (i == 1) r.data = r.data.first(10);
    REQUIRE_FALSE(write_btsnoop_record(cut, r));
  }
  std::vector<att_record> att;
  att_extract_stats st;
  REQUIRE_FALSE(extract_att(cut, att, &st));
  CHECK(att.empty());
  CHECK(st.truncated_packets == 1);
  CHECK(st.acl.abandoned == 1);
  CHECK(st.acl.orphan_continuations == 1);
}

// ---------------------------------------------------------------- writer

TEST_CASE("writer: header, record and ATT framing exact bytes") {
  bytes file;
  write_btsnoop_header(file);
  CHECK(file == hx(header_hex));

  bytes rec_out;
  const bytes data = hx("01030c00");
  btsnoop_record rec{4, 2, 0, 0x00e245876e4630e8, data};
  REQUIRE_FALSE(write_btsnoop_record(rec_out, rec));
  CHECK(rec_out == hx(record_hex[0]));
  rec.original_length = 3;
  CHECK(write_btsnoop_record(rec_out, rec) == errc::invalid_record_length);
  CHECK(rec_out.size() == 28);  // nothing appended on failure

  std::vector<bytes> pkts;
  REQUIRE_FALSE(frame_att_pdu(hx("0a0300"), direction::host_to_controller, {}, pkts));
  REQUIRE(pkts.size() == 1);
  CHECK(pkts[0] == hx("02 4000 0700 0300 0400 0a0300"));
  pkts.clear();
  REQUIRE_FALSE(frame_att_pdu(hx("0b426c75"), direction::controller_to_host, {0x0201, 251}, pkts));
  CHECK(pkts[0] == hx("02 0122 0800 0400 0400 0b426c75"));

  // The whole small file, rebuilt by the writer.
  bytes rebuilt;
  write_btsnoop_header(rebuilt);
  const bytes cmd = hx("01030c00"), evt = hx("040e0401030c00");
  REQUIRE_FALSE(write_btsnoop_record(
      rebuilt, {4, h4_flags(packet_type::command, direction::host_to_controller), 0, 0x00e245876e4630e8, cmd}));
  REQUIRE_FALSE(write_btsnoop_record(
      rebuilt, {7, h4_flags(packet_type::event, direction::controller_to_host), 0, 0x00e245876e4630f0, evt}));
  REQUIRE_FALSE(write_att_pdu(rebuilt, direction::host_to_controller, btsnoop_to_unix_us(0x00e245876e463100),
                              hx("0a0300")));
  REQUIRE_FALSE(write_att_pdu(rebuilt, direction::controller_to_host, btsnoop_to_unix_us(0x00e245876e463200),
                              hx("0b426c75")));
  CHECK(to_hex(rebuilt) == to_hex(small_file()));
}

TEST_CASE("writer: fragmentation at the ACL MTU") {
  const bytes pdu = cat({hx("1b 1500"), pattern(597)});  // 600-byte notification
  std::vector<bytes> pkts;
  REQUIRE_FALSE(frame_att_pdu(pdu, direction::controller_to_host, {}, pkts));
  REQUIRE(pkts.size() == 3);  // 604 bytes of L2CAP frame: 251 + 251 + 102
  CHECK(to_hex(bytes(pkts[0].begin(), pkts[0].begin() + 9)) == "024020fb005802" "0400");
  CHECK(to_hex(bytes(pkts[1].begin(), pkts[1].begin() + 5)) == "024010fb00");
  CHECK(to_hex(bytes(pkts[2].begin(), pkts[2].begin() + 5)) == "0240106600");
  acl_reassembler r;
  std::optional<l2cap_frame> f;
  for (const auto& p : pkts) f = r.feed(direction::controller_to_host, bytes_view(p).subspan(1));
  REQUIRE(f);
  CHECK(bytes(f->payload.begin(), f->payload.end()) == pdu);

  std::vector<bytes> none;
  CHECK(frame_att_pdu(pdu, direction::controller_to_host, {0x0f00, 251}, none) == errc::invalid_argument);
  CHECK(frame_att_pdu(pdu, direction::controller_to_host, {0x0040, 0}, none) == errc::invalid_argument);
  CHECK(frame_att_pdu(pattern(65536), direction::controller_to_host, {}, none) == errc::pdu_too_long);
  CHECK(none.empty());
  bytes file;
  CHECK(write_att_pdu(file, direction::host_to_controller, 0, pdu, {0x1000, 27}) == errc::invalid_argument);
  CHECK(file.empty());
  // The largest PDU an L2CAP basic frame carries still works.
  REQUIRE_FALSE(frame_att_pdu(pattern(65535), direction::controller_to_host, {0x0eff, 65535}, none));
  CHECK(none.size() == 2);
}

TEST_CASE("writer -> reader round trip is byte-exact") {
  const bytes d1 = hx("01030c00"), d2 = pattern(300), d3 = hx("02");
  const btsnoop_record in[] = {
      {4, 2, 0, 0x00e245876e4630e8, d1},
      {300, 0x00030004, 7, -1, d2},                 // monitor-style flags, odd timestamp
      {1000, 1, 0xffffffff, INT64_MIN, d3},         // cut packet
      {0, 0, 0, INT64_MAX, {}},                      // empty record
  };
  for (datalink link : {datalink::h4, datalink::monitor}) {
    bytes file;
    write_btsnoop_header(file, link);
    for (const auto& r : in) REQUIRE_FALSE(write_btsnoop_record(file, r));
    btsnoop_reader reader(file);
    REQUIRE_FALSE(reader.error());
    CHECK(reader.header().link == link);
    bytes again;
    write_btsnoop_header(again, reader.header().link);
    btsnoop_record rec;
    std::size_t i = 0;
    while (reader.next(rec)) {
      REQUIRE(i < 4);
      CHECK(same(rec, in[i++]));
      REQUIRE_FALSE(write_btsnoop_record(again, rec));
    }
    CHECK_FALSE(reader.error());
    CHECK(i == 4);
    CHECK(reader.offset() == file.size());
    CHECK(again == file);
  }
}

TEST_CASE("ATT PDUs written at every ACL MTU read back identically") {
  const bytes pdus[] = {hx("0a0300"), hx("13"), cat({hx("1b 2a00"), pattern(60)}), cat({hx("52 1000"), pattern(17)})};
  for (std::uint16_t mtu = 1; mtu <= 70; ++mtu) {
    CAPTURE(mtu);
    bytes file;
    write_btsnoop_header(file);
    std::vector<att_record> expect;
    std::int64_t t = 1521536709603560;
    for (std::size_t i = 0; i < std::size(pdus); ++i) {
      const auto dir = i % 2 ? direction::controller_to_host : direction::host_to_controller;
      const std::uint16_t handle = static_cast<std::uint16_t>(0x40 + i % 3);
      REQUIRE_FALSE(write_att_pdu(file, dir, t, pdus[i], {handle, mtu}));
      expect.push_back({t, dir, handle, pdus[i], 0});
      t += 1250;
    }
    std::vector<att_record> got;
    att_extract_stats st;
    REQUIRE_FALSE(extract_att(file, got, &st));
    REQUIRE(got.size() == expect.size());
    for (std::size_t i = 0; i < got.size(); ++i) {
      expect[i].frame = got[i].frame;
      CHECK(got[i] == expect[i]);
    }
    CHECK(st.acl.orphan_continuations == 0);
    CHECK(st.acl.abandoned == 0);
    CHECK(st.acl.length_overflows == 0);
    CHECK(st.acl.malformed == 0);
  }
}

// ---------------------------------------------------------------- real captures

namespace {

void check_capture(const std::string& name, std::size_t expected) {
  const std::string found = test::shared_file("captures/" + name);
  if (found.empty()) return;  // skipped (shared_file says why)
  const std::filesystem::path path = found;
  const bytes file = read_file(path);
  REQUIRE(file.size() == std::filesystem::file_size(path));
  std::vector<att_record> att;
  att_extract_stats st;
  REQUIRE_FALSE(extract_att(file, att, &st));
  CHECK(att.size() == expected);
  CHECK(st.att_pdus == expected);
  CHECK(st.non_hci == 0);
  CHECK(st.truncated_packets == 0);
  CHECK(st.acl.malformed == 0);
  CHECK(st.acl.orphan_continuations == 0);
  CHECK(st.acl.length_overflows == 0);

  std::size_t decoded = 0;
  for (const auto& r : att) {
    att::pdu p;
    const auto ec = att::decode(r.pdu, p);
    if (!ec) ++decoded;
    else
      MESSAGE(name, " frame ", r.frame, ": ", to_hex(r.pdu), " does not decode: ", ec.message());
  }
  CHECK(decoded == att.size());
  MESSAGE(name, ": ", att.size(), " ATT PDUs (", decoded, " decode with att::decode), ", st.records,
          " records, ", st.acl.packets, " ACL packets, ", st.other_l2cap, " non-ATT L2CAP frames");

  if (!have_tshark()) {
    MESSAGE("SKIPPED tshark comparison for ", name, ": tshark is not installed");
    return;
  }
  const auto lines = run_lines("tshark -r '" + path.string() + "'" + tshark_fields);
  REQUIRE(lines.size() == att.size());
  std::size_t agree = 0;
  for (std::size_t i = 0; i < att.size(); ++i) {
    CAPTURE(i);
    CHECK(lines[i] == tshark_line(att[i]));
    agree += lines[i] == tshark_line(att[i]);
  }
  MESSAGE(name, ": tshark agrees on frame, time, direction, handle and opcode for ", agree, "/", att.size());
}

}  // namespace

TEST_CASE("real capture CAP-A: Mi Fit session yields 1,349 ATT PDUs") {
  check_capture("miband2-official-app-session.btsnoop", 1349);
}

TEST_CASE("real capture CAP-B: discovery and pairing yields 136 ATT PDUs") {
  check_capture("miband2-discovery-pairing.btsnoop", 136);
}

TEST_CASE("tshark reads what the writer wrote") {
  if (!have_tshark()) {
    MESSAGE("SKIPPED: tshark is not installed");
    return;
  }
  // An MTU exchange, a read, and a 300-byte write split over 27-byte ACL packets.
  const bytes long_write = cat({hx("52 2f00"), pattern(297)});
  struct step { direction dir; bytes pdu; };
  const step steps[] = {
      {direction::host_to_controller, hx("02 0002")}, {direction::controller_to_host, hx("03 f700")},
      {direction::host_to_controller, hx("0a 0300")}, {direction::controller_to_host, hx("0b 4d49 3220")},
      {direction::host_to_controller, long_write},    {direction::controller_to_host, hx("1b 2a00 0102")},
  };
  bytes file;
  write_btsnoop_header(file);
  std::int64_t t = 1700000000000000;
  for (const auto& s : steps) REQUIRE_FALSE(write_att_pdu(file, s.dir, t += 1000, s.pdu, {0x0040, 27}));
  std::vector<att_record> ours;
  REQUIRE_FALSE(extract_att(file, ours));
  REQUIRE(ours.size() == std::size(steps));

  const auto path = temp_capture("writer");
  {
    std::ofstream out(path, std::ios::binary);
    out.write(reinterpret_cast<const char*>(file.data()), static_cast<std::streamsize>(file.size()));
  }
  const auto lines = run_lines("tshark -r '" + path.string() + "'" + tshark_fields);
  const auto len_lines = run_lines("tshark -r '" + path.string() + "' -Y btatt -T fields -e btl2cap.length 2>/dev/null");
  std::filesystem::remove(path);
  REQUIRE(lines.size() == ours.size());
  for (std::size_t i = 0; i < ours.size(); ++i) CHECK(lines[i] == tshark_line(ours[i]));
  REQUIRE(len_lines.size() == ours.size());
  CHECK(len_lines[4] == "300");  // tshark reassembled the fragmented write in full
}
