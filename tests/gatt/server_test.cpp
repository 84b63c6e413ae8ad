#include "gatt/server.hpp"  // first: the header is self-contained

#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "gatt/demo_db.hpp"

using namespace bandwire;
using namespace bandwire::gatt;

namespace {

uuid u16(std::uint16_t v) { return uuid::from16(v); }

std::vector<std::uint8_t> bytes(const std::string& hex) {
  std::vector<std::uint8_t> v;
  REQUIRE(from_hex(hex, v));
  return v;
}

// Hex of n bytes counting up from `first` (the demo long value is 00 01 02 ...).
std::string seq(std::size_t n, std::size_t first = 0) {
  std::vector<std::uint8_t> v(n);
  for (std::size_t i = 0; i < n; ++i) v[i] = static_cast<std::uint8_t>(first + i);
  return to_hex(v);
}

std::string text_hex(std::string_view s) { return to_hex(bytes_view(reinterpret_cast<const std::uint8_t*>(s.data()), s.size())); }

// Demo-database handles (gatt/demo_db.hpp).
constexpr std::uint16_t name_h = 0x0003, sc_h = 0x0008, sc_cccd = 0x0009, level_h = 0x000c, level_cccd = 0x000d,
                        hrm_h = 0x0010, hrm_cccd = 0x0011, long_h = 0x0016, desc_h = 0x0017;
const std::string vendor_le = "6977646e61621e9a654c726200000e4a";  // demo_service_uuid, little-endian
const std::string long_uuid_le = "6977646e61621e9a654c726201000e4a";

// One database and one connection's server over it. Every answer is
// checked to fit ATT_MTU and to decode with the ATT codec.
struct rig {
  database db;
  server srv;
  explicit rig(database d = make_demo_database(), server::options o = {}) : db(std::move(d)), srv(db, o) {}
  rig(std::uint16_t mtu, database d = make_demo_database()) : db(std::move(d)), srv(db, server::options{.rx_mtu = 517}) {
    if (mtu != att::default_mtu) {
      std::uint8_t m[3] = {0x02, static_cast<std::uint8_t>(mtu), static_cast<std::uint8_t>(mtu >> 8)};
      std::uint8_t out[8];
      REQUIRE(srv.handle(m, out) == 3);
      REQUIRE(srv.mtu() == mtu);
    }
  }
  std::string operator()(const std::string& hex) {
    const auto req = bytes(hex);
    std::vector<std::uint8_t> out(700, 0xee);
    const std::size_t n = srv.handle(req, out);
    if (req[0] != 0x02) CHECK(n <= srv.mtu());
    if (n > 0) {
      att::pdu p;
      CHECK_FALSE(att::decode(bytes_view(out.data(), n), p));
    }
    return to_hex(bytes_view(out.data(), n));
  }
  std::string value(std::uint16_t h) { return to_hex(db.find(h)->value); }
};

}  // namespace

TEST_CASE("Exchange MTU: min of both Rx MTUs, never below 23, decided once") {
  rig r;
  CHECK(r.srv.mtu() == 23);
  CHECK(r("020002") == "030002");
  CHECK(r.srv.mtu() == 512);
  CHECK(r("021700") == "030002");  // answered again, MTU unchanged (Vol 3 Part F §3.4.2.1)
  CHECK(r.srv.mtu() == 512);

  rig small;
  CHECK(small("020a00") == "030002");
  CHECK(small.srv.mtu() == 23);

  rig big(database{}, server::options{.rx_mtu = 517});
  CHECK(big("02ffff") == "030502");
  CHECK(big.srv.mtu() == 517);
  CHECK(big("0200") == "0102000004");
  CHECK(big("02000200") == "0102000004");  // trailing byte on a fixed-size PDU
}

TEST_CASE("Read By Group Type at MTU 23 and 517") {
  rig r23;
  CHECK(r23("100100ffff0028") == "1106" "010005000018" "060009000118" "0a000d000f18");
  CHECK(r23("100e00ffff0028") == "11060e001300" "0d18");
  CHECK(r23("100f00ffff0028") == "1114" "14001700" + vendor_le);
  CHECK(r23("101800ffff0028") == "011018000a");
  CHECK(r23("100100ffff0128") == "011001000a");  // no secondary services
  CHECK(r23("100100ffff0328") == "0110010010");  // Unsupported Group Type
  CHECK(r23("100000ffff0028") == "0110000001");
  CHECK(r23("10020001000028") == "0110020001");
  CHECK(r23("100100ffff00") == "0110000004");
  CHECK(r23("100100ffff00280000") == "0110000004");  // ATT has no 32-bit UUIDs
  // The 128-bit form of 0x2800 names the same group type.
  CHECK(r23("100100ffff" "fb349b5f800000800010000000280000") == "1106" "010005000018" "060009000118" "0a000d000f18");

  rig r517(517);
  CHECK(r517("100100ffff0028") == "1106010005000018060009000118" "0a000d000f18" "0e0013000d18");
}

TEST_CASE("Find Information at MTU 23 and 517") {
  rig r23;
  CHECK(r23("040100ffff") == "0501" "01000028" "02000328" "0300002a" "04000328" "0500012a");
  CHECK(r23("041600ffff") == "0502" "1600" + long_uuid_le);
  CHECK(r23("041500ffff") == "0501" "15000328");
  CHECK(r23("041800ffff") == "010418000a");
  CHECK(r23("040000ffff") == "0104000001");
  CHECK(r23("0405000400") == "0104050001");
  CHECK(r23("04050004") == "0104000004");

  rig r517(517);
  const std::string all = r517("040100ffff");
  CHECK(all.size() == 2 * (2 + 21 * 4));  // 0x0001..0x0015, then the 128-bit type stops the list
  CHECK(all.substr(0, 4) == "0501");
  CHECK(all.substr(all.size() - 8) == "15000328");
}

TEST_CASE("Find By Type Value: services by 16- and 128-bit UUID, other types by value") {
  rig r;
  CHECK(r("060100ffff00280f18") == "070a000d00");
  CHECK(r("060100ffff0028fb349b5f80000080001000000f180000") == "070a000d00");  // same service, 128-bit form
  CHECK(r("060100ffff0028" + vendor_le) == "0714001700");
  CHECK(r("060100ffff00280218") == "010601000a");
  CHECK(r("060b00ffff00280f18") == "01060b000a");
  CHECK(r("060000ffff00280f18") == "0106000001");
  CHECK(r("0601000100") == "0106000004");
  // Non-grouping attributes: the group end is the handle itself (§3.4.3.4).
  CHECK(r("060100ffff02290000") == "07" "09000900" "0d000d00" "11001100");
  // Unreadable attributes are never matched.
  CHECK(r("060100ffff372a0000") == "010601000a");

  rig r517(517);
  CHECK(r517("060100ffff02290000") == "07" "09000900" "0d000d00" "11001100");
}

TEST_CASE("Read By Type at MTU 23 and 517") {
  rig r23;
  CHECK(r23("080100ffff0328") == "0907" "0200020300002a" "0400020500012a" "0700200800052a");
  CHECK(r23("080100ffff192a") == "09030c0064");
  CHECK(r23("080100ffff372a") == "0108100002");  // the first match is unreadable: its error
  CHECK(r23("080100ffff0229") == "0904" "09000000" "0d000000" "11000000");
  CHECK(r23("080100ffff" + long_uuid_le) == "0915" "1600" + seq(19));  // cut to ATT_MTU - 4
  CHECK(r23("080100ffff0000") == "010801000a");
  CHECK(r23("080000ffff0328") == "0108000001");
  CHECK(r23("08020001000028") == "0108020001");
  CHECK(r23("080100ffff03") == "0108000004");

  rig r517(517);
  CHECK(r517("080100ffff0328") ==
        "0907" "0200020300002a" "0400020500012a" "0700200800052a" "0b00120c00192a" "0f00101000372a" "1200021300382a");
  CHECK(r517("080100ffff" + long_uuid_le) == "0966" "1600" + seq(100));

  // Values longer than 253 octets are cut to 253 (the Length field is one octet).
  database db;
  db.add_primary_service(u16(0xa000));
  db.add_characteristic({.type = u16(0xb000), .properties = prop::read, .permissions = perm::read,
                         .value = std::vector<std::uint8_t>(300, 0x5a)});
  db.add_characteristic({.type = u16(0xb000), .properties = prop::read, .permissions = perm::read,
                         .value = std::vector<std::uint8_t>(300, 0x5b)});
  rig big(517, std::move(db));
  const std::string rsp = big("080100ffff00b0");
  CHECK(rsp.substr(0, 4) == "09ff");
  CHECK(rsp.size() == 2 * (2 + 2 * 255));
}

TEST_CASE("Read By Type stops before an unreadable attribute or a different length") {
  database db;
  db.add_primary_service(u16(0xa000));
  db.add_characteristic({.type = u16(0xb000), .properties = prop::read, .permissions = perm::read, .value = {1}});
  db.add_characteristic({.type = u16(0xb000), .properties = prop::read, .permissions = perm::read, .value = {2}});
  db.add_characteristic({.type = u16(0xb000), .properties = prop::write, .permissions = perm::write, .value = {3}});
  db.add_characteristic({.type = u16(0xb000), .properties = prop::read, .permissions = perm::read, .value = {4}});
  db.add_characteristic({.type = u16(0xb000), .properties = prop::read, .permissions = perm::read, .value = {5, 5}});
  rig r(std::move(db));
  CHECK(r("080100ffff00b0") == "0903" "030001" "050002");
  CHECK(r("080600ffff00b0") == "0108070002");
  CHECK(r("080800ffff00b0") == "0903" "090004");
  CHECK(r("080a00ffff00b0") == "0904" "0b000505");
}

TEST_CASE("Read and Read Blob at MTU 23 and 517") {
  rig r23;
  CHECK(r23("0a0300") == "0b" + text_hex("bandwire demo"));
  CHECK(r23("0a1600") == "0b" + seq(22));  // ATT_MTU - 1
  CHECK(r23("0a1000") == "010a100002");
  CHECK(r23("0a0000") == "010a000001");
  CHECK(r23("0a9999") == "010a999901");
  CHECK(r23("0a03") == "010a000004");
  CHECK(r23("0a0d00") == "0b0000");  // a CCCD reads this client's value
  CHECK(r23("0c16001600") == "0d" + seq(22, 22));
  CHECK(r23("0c16004200") == "0d" + seq(22, 66));
  CHECK(r23("0c16005800") == "0d" + seq(12, 88));
  CHECK(r23("0c16006400") == "0d");  // offset == length: empty
  CHECK(r23("0c16006500") == "010c160007");
  CHECK(r23("0c03000500") == "0d" + text_hex("ire demo"));  // short values too: no Attribute Not Long
  CHECK(r23("0c10000000") == "010c100002");
  CHECK(r23("0c99990000") == "010c999901");

  rig r517(517);
  CHECK(r517("0a1600") == "0b" + seq(100));
  CHECK(r517("0c16000a00") == "0d" + seq(90, 10));
}

TEST_CASE("Read Multiple and Read Multiple Variable") {
  rig r23;
  CHECK(r23("0e0c001300") == "0f6402");
  CHECK(r23("0e0c001600") == "0f64" + seq(21));  // concatenation cut at ATT_MTU - 1
  CHECK(r23("0e0c001000") == "010e100002");
  CHECK(r23("0e99990c00") == "010e999901");
  CHECK(r23("0e0c00") == "010e000004");
  CHECK(r23("0e0c0013") == "010e000004");
  CHECK(r23("200c001300") == "21" "010064" "010002");
  CHECK(r23("200c001600") == "21" "010064" "6400" + seq(17));
  // A 19-byte value fills 21 of 22 octets: the next tuple's length is cut
  // after its first octet (Vol 3 Part F §3.4.4.12 allows it).
  CHECK(r23("2017000c00") == "21" "1300" + text_hex("bandwire long value") + "01");
  CHECK(r23("2017001000") == "0120100002");
  CHECK(r23("2017") == "0120000004");

  rig r517(517);
  CHECK(r517("0e0c001600") == "0f64" + seq(100));
  CHECK(r517("200c0016001300") == "21" "010064" "6400" + seq(100) + "010002");
}

TEST_CASE("Write Request, Write Command and write hooks") {
  rig r;
  CHECK(r("121600aabb") == "13");
  CHECK(r.value(long_h) == "aabb");
  CHECK(r("0a1600") == "0baabb");
  CHECK(r("12030041") == "0112030003");              // Write Not Permitted
  CHECK(r("120c0001") == "01120c0003");              // Battery Level is read-only
  CHECK(r("120d00010000") == "01120d000d");          // longer than max_length
  CHECK(r("12999900") == "0112999901");
  CHECK(r("12000000") == "0112000001");
  CHECK(r("1216") == "0112000004");
  CHECK(r("121600") == "13");  // an empty value is a value
  CHECK(r.value(long_h) == "");
  CHECK(r("521600cc") == "");  // commands are never answered
  CHECK(r.value(long_h) == "cc");
  CHECK(r("52030041") == "");
  CHECK(r.value(name_h) == text_hex("bandwire demo"));
  CHECK(r("52999941") == "");

  // Hooks: a control point that refuses some values, a counter read hook.
  database db;
  std::vector<std::string> written;
  int reads = 0;
  db.add_primary_service(u16(0xfee1));
  const auto cp = db.add_characteristic(
      {.type = u16(0x0009), .properties = prop::write, .permissions = perm::write,
       .on_write = [&](bytes_view v) -> att_status {
         written.push_back(to_hex(v));
         return v.size() == 1 && v[0] == 0xff ? 0x80 : 0;  // an application error
       }});
  const auto counter = db.add_characteristic({.type = u16(0x000a), .properties = prop::read, .permissions = perm::read,
                                              .on_read = [&](std::vector<std::uint8_t>& v) -> att_status {
                                                v.push_back(static_cast<std::uint8_t>(++reads));
                                                return reads > 2 ? 0x81 : 0;
                                              }});
  rig h(std::move(db));
  CHECK(h("120300" "0102") == "13");
  CHECK(h("120300" "ff") == "0112030080");
  CHECK(h.value(cp) == "0102");  // the refused value is not stored
  CHECK(written == std::vector<std::string>{"0102", "ff"});
  CHECK(h("0a0500") == "0b01");
  CHECK(h("0c05000000") == "0d02");
  CHECK(h("0a0500") == "010a050081");
  CHECK(counter == 0x0005);
}

TEST_CASE("Prepare and Execute Write: long writes, cancel, errors at execute") {
  rig r;
  CHECK(r("161600" "0000" + seq(18)) == "171600" "0000" + seq(18));  // echo (§3.4.6.2)
  CHECK(r("161600" "1200" + seq(18, 18)) == "171600" "1200" + seq(18, 18));
  CHECK(r("161600" "2400" + seq(4, 36)) == "171600" "2400" + seq(4, 36));
  CHECK(r.srv.prepare_queue_size() == 1);  // one contiguous long write
  CHECK(r.value(long_h) == seq(100));      // nothing written before Execute
  CHECK(r("1801") == "19");
  CHECK(r.value(long_h) == seq(40));
  CHECK(r.srv.prepare_queue_size() == 0);

  // Cancel.
  CHECK(r("161600" "0000" "ff") == "171600" "0000" "ff");
  CHECK(r("1800") == "19");
  CHECK(r.value(long_h) == seq(40));
  // Execute with an empty queue, and reserved flags.
  CHECK(r("1801") == "19");
  CHECK(r("1802") == "0118000004");
  CHECK(r("18") == "0118000004");

  // Offsets are checked at Execute Write, not at Prepare (§3.4.6.1).
  CHECK(r("161600" "c800" "01") == "171600" "c800" "01");
  CHECK(r("1801") == "0118160007");
  CHECK(r.value(long_h) == seq(40));
  CHECK(r.srv.prepare_queue_size() == 0);  // cleared whatever the outcome
  // A segment at an offset inside the value replaces the rest of it.
  CHECK(r("161600" "0200" "ffff") == "171600" "0200" "ffff");
  CHECK(r("1801") == "19");
  CHECK(r.value(long_h) == "0001ffff");
  // Length over max_length, and over 512.
  CHECK(r("160d00" "0000" "010000") == "170d00" "0000" "010000");
  CHECK(r("1801") == "01180d000d");
  CHECK(r("0a0d00") == "0b0000");

  // Permission and handle errors come at Prepare time.
  CHECK(r("160300" "0000" "41") == "0116030003");
  CHECK(r("169999" "0000" "41") == "0116999901");
  CHECK(r("160000" "0000" "41") == "0116000001");
  CHECK(r("1616" "00") == "0116000004");
}

TEST_CASE("Prepare Write: values over 512 octets and a bounded queue") {
  database db;
  db.add_primary_service(u16(0xa000));
  db.add_characteristic({.type = u16(0xb000), .properties = prop::write, .permissions = perm::read | perm::write});
  rig r(std::move(db), server::options{.prepare_queue_bytes = 600, .prepare_queue_entries = 2});
  const auto offset = [](int i) {
    const auto off = static_cast<std::uint16_t>(i * 18);
    return to_hex(std::vector<std::uint8_t>{static_cast<std::uint8_t>(off), static_cast<std::uint8_t>(off >> 8)});
  };
  for (int i = 0; i < 29; ++i) CHECK(r("160300" + offset(i) + seq(18)) == "170300" + offset(i) + seq(18));
  CHECK(r("1801") == "011803000d");  // 522 octets (Vol 3 Part F §3.2.9)
  // The byte budget: 33 x 18 = 594 octets fit in 600, one more chunk does not.
  for (int i = 0; i < 33; ++i) CHECK(r("160300" + offset(i) + seq(18)) == "170300" + offset(i) + seq(18));
  CHECK(r("160300" + offset(33) + seq(18)) == "0116030009");
  CHECK(r("1800") == "19");
  // The segment budget (non-contiguous segments).
  CHECK(r("160300" "0000" "01") == "170300" "0000" "01");
  CHECK(r("160300" "0000" "02") == "170300" "0000" "02");
  CHECK(r("160300" "0000" "03") == "0116030009");
  CHECK(r("160300" "0100" "04") == "170300" "0100" "04");  // continues the last segment: no new one
  CHECK(r("1800") == "19");
}

TEST_CASE("Reliable Write needs the Reliable Write extended property") {
  database db;
  db.add_primary_service(u16(0xa00b));
  const auto a = db.add_characteristic({.type = u16(0xb001), .properties = prop::read | prop::write | prop::extended,
                                        .permissions = perm::read | perm::write, .value = {0xa0}});
  db.add_extended_properties(0x0001);
  const auto b = db.add_characteristic({.type = u16(0xb002), .properties = prop::read | prop::write | prop::extended,
                                        .permissions = perm::read | perm::write, .value = {0xb0}});
  db.add_extended_properties(0x0001);
  const auto c = db.add_characteristic(
      {.type = u16(0xb003), .properties = prop::read | prop::write, .permissions = perm::read | perm::write, .value = {0xc0}});
  REQUIRE(a == 0x0003);
  REQUIRE(b == 0x0006);
  REQUIRE(c == 0x0009);
  rig r(std::move(db));
  CHECK(r("160300" "0000" "0102") == "170300" "0000" "0102");
  CHECK(r("160600" "0000" "0304") == "170600" "0000" "0304");
  CHECK(r("1801") == "19");
  CHECK(r.value(a) == "0102");
  CHECK(r.value(b) == "0304");
  // Including a characteristic without the bit fails the whole write.
  CHECK(r("160300" "0000" "11") == "170300" "0000" "11");
  CHECK(r("160900" "0000" "22") == "170900" "0000" "22");
  CHECK(r("1801") == "0118090006");
  CHECK(r.value(a) == "0102");
  CHECK(r.value(c) == "c0");
  // A bad offset in a later segment leaves the earlier handles untouched.
  CHECK(r("160300" "0000" "33") == "170300" "0000" "33");
  CHECK(r("160600" "0500" "44") == "170600" "0500" "44");
  CHECK(r("1801") == "0118060007");
  CHECK(r.value(a) == "0102");
  // A plain long write to the characteristic without the bit is fine.
  CHECK(r("160900" "0000" "55") == "170900" "0000" "55");
  CHECK(r("160900" "0100" "66") == "170900" "0100" "66");
  CHECK(r("1801") == "19");
  CHECK(r.value(c) == "5566");
}

TEST_CASE("permission checks answer Insufficient Authentication / Encryption / Authorization") {
  database db;
  db.add_primary_service(u16(0xa000));
  db.add_characteristic({.type = u16(0xb001), .permissions = perm::read_encrypted, .value = {1}});       // 0x0003
  db.add_characteristic({.type = u16(0xb002), .permissions = perm::read_authenticated, .value = {2}});   // 0x0005
  db.add_characteristic({.type = u16(0xb003), .permissions = perm::read_secure, .value = {3}});          // 0x0007
  db.add_characteristic({.type = u16(0xb004), .permissions = perm::read | perm::read_authorized, .value = {4}});  // 0x0009
  db.add_characteristic({.type = u16(0xb005), .permissions = perm::read | perm::write_encrypted, .value = {5}});  // 0x000b
  rig r(std::move(db));
  // Unencrypted, no key: pair first (Vol 3 Part C §10.3.2).
  CHECK(r("0a0300") == "010a030005");
  CHECK(r("080100ffff01b0") == "0108030005");
  CHECK(r("0a0b00") == "0b05");
  CHECK(r("120b0009") == "01120b0005");
  CHECK(r("160b00000009") == "01160b0005");
  CHECK(r("0e0b000300") == "010e030005");
  // Unencrypted with a stored key: just encrypt.
  r.srv.set_security({.level = 1, .key_level = 2});
  CHECK(r("0a0300") == "010a03000f");
  CHECK(r("0a0500") == "010a05000f");
  // Encrypted, unauthenticated.
  r.srv.set_security({.level = 2, .key_level = 2});
  CHECK(r("0a0300") == "0b01");
  CHECK(r("0a0500") == "010a050005");
  CHECK(r("120b0009") == "13");
  // Authenticated, then Secure Connections.
  r.srv.set_security({.level = 3, .key_level = 3});
  CHECK(r("0a0500") == "0b02");
  CHECK(r("0a0700") == "010a070005");
  r.srv.set_security({.level = 4, .key_level = 4});
  CHECK(r("0a0700") == "0b03");
  // Authorization is the application's decision.
  CHECK(r("0a0900") == "010a090008");
  r.srv.set_security({.level = 4, .key_level = 4, .authorized = true});
  CHECK(r("0a0900") == "0b04");
  // Without any read bit, security does not help.
  CHECK(r("0a0200") == "0b" "000300" "01b0");  // declarations stay readable
}

TEST_CASE("CCCDs: per connection, validated, reported, and gating notifications") {
  database db = make_demo_database();
  server a(db), b(db);
  std::vector<server::subscription> seen;
  a.on_subscription = [&](const server::subscription& s) { seen.push_back(s); };
  std::uint8_t out[600];
  const std::uint8_t level[] = {55};

  CHECK(a.encode_notification(level_h, level, out) == 0);  // not enabled yet
  const auto en = bytes("120d000100");
  REQUIRE(a.handle(en, out) == 1);
  CHECK(out[0] == 0x13);
  REQUIRE(seen.size() == 1);
  CHECK(seen[0].value_handle == level_h);
  CHECK(seen[0].cccd_handle == level_cccd);
  CHECK(seen[0].notify);
  CHECK_FALSE(seen[0].indicate);
  CHECK(a.cccd_bits(level_h) == 1);
  CHECK(b.cccd_bits(level_h) == 0);  // the other connection is unaffected
  CHECK(a.encode_notification(level_h, level, out) == 4);
  CHECK(to_hex(bytes_view(out, 4)) == "1b0c0037");
  CHECK(b.encode_notification(level_h, level, out) == 0);
  CHECK(a.encode_indication(level_h, level, out) == 0);  // only notifications enabled
  CHECK(to_hex(db.find(level_cccd)->value) == "0000");   // nothing stored in the shared table

  // Invalid CCCD writes.
  const auto one = bytes("120d0001");
  REQUIRE(a.handle(one, out) == 5);
  CHECK(to_hex(bytes_view(out, 5)) == "01120d000d");
  const auto three = bytes("120d00010000");
  REQUIRE(a.handle(three, out) == 5);
  CHECK(to_hex(bytes_view(out, 5)) == "01120d000d");
  CHECK(seen.size() == 1);

  // Notifications are cut to ATT_MTU - 3.
  const auto hrm = bytes("1211000100");
  REQUIRE(a.handle(hrm, out) == 1);
  std::vector<std::uint8_t> big(40, 0x77);
  CHECK(a.encode_notification(hrm_h, big, out) == 23);
  CHECK(a.encode_notification(hrm_h, big, bytes_span(out, 10)) == 10);

  // The subscription list, and restoring a bonded client's configuration.
  auto subs = a.subscriptions();
  REQUIRE(subs.size() == 2);
  CHECK(subs[0].value_handle == level_h);
  CHECK(subs[1].value_handle == hrm_h);
  CHECK(b.set_cccd_value(level_cccd, 0x0001));
  CHECK_FALSE(b.set_cccd_value(level_h, 0x0001));
  CHECK(b.cccd_value(level_cccd) == 1);
  CHECK(b.encode_notification(level_h, level, out) == 4);
  // Disabling is reported too.
  const auto off = bytes("120d000000");
  REQUIRE(a.handle(off, out) == 1);
  REQUIRE(seen.size() == 3);
  CHECK_FALSE(seen[2].notify);
  CHECK(a.cccd_bits(level_h) == 0);

  // A long write to a CCCD is assembled and validated at Execute.
  const auto p1 = bytes("160d00000001");
  const auto p2 = bytes("160d00010000");
  const auto ex = bytes("1801");
  REQUIRE(a.handle(p1, out) == 6);
  REQUIRE(a.handle(p2, out) == 6);
  REQUIRE(a.handle(ex, out) == 1);
  CHECK(out[0] == 0x19);
  CHECK(a.cccd_bits(level_h) == 1);
}

TEST_CASE("indications: one outstanding, released by the confirmation") {
  database db = make_demo_database();
  server s(db);
  std::vector<std::uint16_t> confirmed;
  s.on_confirmation = [&](std::uint16_t h) { confirmed.push_back(h); };
  std::uint8_t out[64];
  const std::uint8_t range[] = {0x01, 0x00, 0xff, 0xff};
  const auto cfm = bytes("1e");

  CHECK(s.encode_indication(sc_h, range, out) == 0);
  const auto en = bytes("1209000200");
  REQUIRE(s.handle(en, out) == 1);
  CHECK(s.cccd_bits(sc_h) == 2);
  CHECK(s.encode_notification(sc_h, range, out) == 0);  // only indications enabled
  REQUIRE(s.encode_indication(sc_h, range, out) == 7);
  CHECK(to_hex(bytes_view(out, 7)) == "1d08000100ffff");
  CHECK(s.pending_indication() == sc_h);
  CHECK(s.encode_indication(sc_h, range, out) == 0);  // Vol 3 Part F §3.3.2
  CHECK(s.handle(cfm, out) == 0);
  CHECK(confirmed == std::vector<std::uint16_t>{sc_h});
  CHECK_FALSE(s.pending_indication());
  CHECK(s.encode_indication(sc_h, range, out) == 7);
  s.clear_pending_indication();
  CHECK(s.handle(cfm, out) == 0);  // nothing pending: ignored
  CHECK(confirmed.size() == 1);
  const auto bad_cfm = bytes("1e00");
  CHECK(s.handle(bad_cfm, out) == 0);
}

TEST_CASE("Signed Write Command: applied only with a valid signature from a known CSRK") {
  database db;
  db.add_primary_service(u16(0x1800), 0x0001, 0x0010);
  const auto h = db.add_characteristic({.type = u16(0x2a29), .properties = prop::write | prop::signed_write,
                                        .permissions = perm::read | perm::write, .value = {0x00}, .value_handle = 0x0007});
  REQUIRE(h == 0x0007);
  rig r(std::move(db));
  // shared/vectors/att-gatt/README.md: CSRK d8 51 ... 88, counter 0.
  const std::string signed_pdu = "d2070001020300000000311f0acd1c3a5b0a";
  CHECK(r(signed_pdu) == "");
  CHECK(r.value(h) == "00");  // no CSRK: ignored
  const auto key = bytes("d8515948451fea320dc05a2e88308188");
  std::array<std::uint8_t, 16> csrk{};
  std::copy(key.begin(), key.end(), csrk.begin());
  r.srv.set_signing_key(csrk);
  CHECK(r("d2070001020300000000311f0acd1c3a5b0b") == "");  // wrong MAC
  CHECK(r.value(h) == "00");
  CHECK(r(signed_pdu) == "");
  CHECK(r.value(h) == "010203");
  CHECK(r.srv.next_sign_counter() == 1);
  CHECK(r("52070000") == "");
  CHECK(r(signed_pdu) == "");  // replayed counter
  CHECK(r.value(h) == "00");
  r.srv.clear_signing_key();
  r.srv.set_signing_key(csrk, 0);
  CHECK(r(signed_pdu) == "");
  CHECK(r.value(h) == "010203");
  CHECK(r("d20700") == "");  // malformed: silence
}

TEST_CASE("robustness: unknown, malformed and misdirected PDUs") {
  rig r;
  CHECK(r("bf00") == "01bf000006");  // Request Not Supported
  CHECK(r("ff00") == "");            // Command Flag: ignored (§3.3.1)
  CHECK(r("7f") == "");
  CHECK(r("14") == "0114000006");
  CHECK(r("5203") == "");            // malformed command: no answer
  CHECK(r("0b00") == "");            // responses are the client side's
  CHECK(r("01020304") == "");
  CHECK(r("1b0300aa") == "");
  CHECK(r("1d0300aa") == "");
  // A request longer than ATT_MTU (23) is malformed.
  CHECK(r("121600" + seq(21)) == "0112000004");
  CHECK(r("121600" + seq(20)) == "13");
  std::uint8_t tiny[4];
  const auto rd = bytes("0a0300");
  CHECK(r.srv.handle(rd, tiny) == 0);  // no room even for an Error Response
  std::uint8_t small[10];
  CHECK(r.srv.handle(rd, small) == 10);  // answers never exceed the caller's buffer
  CHECK(r.srv.handle(bytes_view{}, small) == 0);
}

TEST_CASE("every request type stays within ATT_MTU at 23 and 517") {
  for (std::uint16_t mtu : {std::uint16_t{23}, std::uint16_t{517}}) {
    CAPTURE(mtu);
    rig r(mtu);
    const std::string requests[] = {
        "040100ffff", "060100ffff00280f18", "080100ffff0328", "0a1600", "0c16000100", "0e0c0016000300",
        "100100ffff0028", "121600" + seq(18), "521600" + seq(18), "160300000041", "1800", "200c00160003001700",
    };
    for (const auto& q : requests) {
      CAPTURE(q);
      const std::string a = r(q);
      if (q[0] == '5') {
        CHECK(a.empty());
        continue;
      }
      REQUIRE(a.size() >= 2);
      const auto req_op = bytes(q.substr(0, 2))[0];
      const auto rsp_op = bytes(a.substr(0, 2))[0];
      CHECK((rsp_op == 0x01 || rsp_op == att::info(req_op).pair));
      CHECK(a.size() / 2 <= mtu);
    }
  }
}
