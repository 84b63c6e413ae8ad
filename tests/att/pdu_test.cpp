#include "att/pdu.hpp"  // first: the header is self-contained

#include <doctest/doctest.h>

#include <string>
#include <vector>
#include "tests/support/hex.hpp"

using namespace bandwire;
using namespace bandwire::att;

namespace {
using bandwire::test::hx;
// decode -> encode must reproduce the exact bytes, and the opcode must match.
void round_trip(const char* hex) {
  std::string hex_s = hex; CAPTURE(hex_s);
  auto in = hx(hex);
  pdu p;
  REQUIRE_FALSE(decode(in, p));
  CHECK(static_cast<std::uint8_t>(opcode_of(p)) == in[0]);
  std::uint8_t out[600];
  std::size_t n = encode(p, out);
  REQUIRE(n == in.size());
  CHECK(std::vector<std::uint8_t>(out, out + n) == in);
  // Every strictly shorter buffer must be refused by the encoder.
  CHECK(encode(p, bytes_span(out, n - 1)) == 0);
}
boost::system::error_code dec(const char* hex) {
  auto in = hx(hex);
  pdu p;
  return decode(in, p);
}
}  // namespace

TEST_CASE("every ATT opcode round-trips byte for byte") {
  const char* vectors[] = {
      "0108010009",                                  // Error Rsp
      "020002", "031700",                            // MTU
      "0401000800", "050104000129",                  // Find Information (16-bit)
      "0502050000ffeeddccbbaa998877665544332211",  // Find Information (128-bit)
      "060100ffff00280d18",                          // Find By Type Value
      "0701000400",                                  // Find By Type Value Rsp
      "080100ffff0328", "080100ffff00112233445566778899aabbccddeeff", "09070200020300002a",
      "0a0300", "0b426c75655a", "0b",
      "0c03000100", "0d01020304",
      "0e03000700", "0f0102",
      "100100ffff0028", "1106010004000118050008000d18",
      "12070001020304", "13",
      "16070000000102", "17070000000102",
      "1801", "1800", "19",
      "1b0300aabb", "1d0300aabb", "1e",
      "2003000700", "21020001020000",
      "2303000200aabb04000000",
      "52070001", "d2070001020300000000311f0acd1c3a5b0a",
  };
  for (const char* v : vectors) round_trip(v);
}

TEST_CASE("decoded fields hold the wire values") {
  auto in = hx("0108010009");
  pdu p;
  REQUIRE_FALSE(decode(in, p));
  auto& e = std::get<error_rsp>(p);
  CHECK(e.request_opcode == 0x08);
  CHECK(e.handle == 0x0001);
  CHECK(e.code == 0x09);

  auto sw = hx("d2070001020300000000311f0acd1c3a5b0a");
  REQUIRE_FALSE(decode(sw, p));
  auto& s = std::get<signed_write_cmd>(p);
  CHECK(s.handle == 7);
  CHECK(to_hex(s.value) == "010203");
  CHECK(to_hex(s.signature) == "00000000311f0acd1c3a5b0a");

  auto rbt = hx("080100ffff00112233445566778899aabbccddeeff");
  REQUIRE_FALSE(decode(rbt, p));
  CHECK(std::get<read_by_type_req>(p).type.to_string() == "ffeeddcc-bbaa-9988-7766-554433221100");
}

TEST_CASE("list responses iterate their entries") {
  auto in = hx("1106010004000118050008000d18");
  pdu p;
  REQUIRE_FALSE(decode(in, p));
  std::vector<std::string> seen;
  for_each(std::get<read_by_group_type_rsp>(p), [&](group_entry e) {
    seen.push_back(std::to_string(e.start) + "-" + std::to_string(e.end) + ":" + to_hex(e.value));
  });
  CHECK(seen == std::vector<std::string>{"1-4:0118", "5-8:0d18"});

  auto fi = hx("05010400012905000229");
  REQUIRE_FALSE(decode(fi, p));
  std::vector<std::uint16_t> handles;
  for_each(std::get<find_information_rsp>(p), [&](handle_uuid e) {
    handles.push_back(e.handle);
    CHECK(e.type.is16());
  });
  CHECK(handles == std::vector<std::uint16_t>{4, 5});

  auto mh = hx("2303000200aabb04000000");
  REQUIRE_FALSE(decode(mh, p));
  std::vector<std::string> tuples;
  for_each(std::get<multiple_handle_value_ntf>(p),
           [&](handle_value e) { tuples.push_back(std::to_string(e.handle) + ":" + to_hex(e.value)); });
  CHECK(tuples == std::vector<std::string>{"3:aabb", "4:"});
}

TEST_CASE("malformed lengths are rejected, never read past the end") {
  const char* bad[] = {
      "",                       // empty
      "01080100",               // Error Rsp short
      "010801000900",           // Error Rsp trailing byte
      "0200", "02000200",       // MTU short / long
      "04010008", "050104",     // Find Info short
      "0503040001",             // Find Info bad format
      "05010400012905",         // Find Info partial entry
      "050204000129",           // Find Info format 2 with a 16-bit entry
      "0601000800",             // Find By Type Value short
      "07010004", "070100040005",  // FBTV Rsp partial
      "080100ffff03", "080100ffff032800",  // Read By Type bad UUID size
      "0900", "0905", "0901aa", "09070200020300002a01",  // Read By Type Rsp: length 0/5 empty/short entry/partial
      "0a03", "0a030000",       // Read short / long
      "0c0300", "0c0300010000", // Read Blob short/long
      "0e0300", "0e030007000a", // Read Multiple: one handle / odd
      "1006", "1103010002", "1104010004", // Group Type Rsp bad lengths
      "1207", "13aa",           // Write short / Write Rsp long
      "16070000", "170700",     // Prepare short
      "18", "180101", "19aa",   // Execute
      "1b", "1b03",             // Notification shorter than a handle (BlueZ underflow)
      "1d03", "1e00",           // Indication short, Confirmation long
      "230300", "2303000300aabb",  // Multiple ntf: short / tuple overruns
      "52", "d2070001020300000000311f0a",  // Write Cmd short, Signed Write short
  };
  for (const char* b : bad) {
    std::string b_s = b; CAPTURE(b_s);
    auto ec = dec(b);
    CHECK(ec == make_error_code(errc::malformed_pdu));
  }
}

TEST_CASE("unknown opcodes are reported as not supported, with the command flag visible") {
  CHECK(dec("ff0102") == make_error_code(error::request_not_supported));
  CHECK(dec("7f") == make_error_code(error::request_not_supported));
  CHECK(is_command_flag(0x7f));
  CHECK_FALSE(is_command_flag(0x3f));
}

TEST_CASE("opcode table pairs requests with responses") {
  for (int op = 0; op < 256; ++op) {
    const auto& r = info(static_cast<std::uint8_t>(op));
    if (r.kind == pdu_kind::request) {
      CAPTURE(op);
      const auto& rsp = info(r.pair);
      CHECK(rsp.kind == pdu_kind::response);
      CHECK(rsp.pair == op);
    }
  }
  CHECK(info(0x1d).pair == 0x1e);
  CHECK(info(0x52).kind == pdu_kind::command);
}

TEST_CASE("encoder refuses invalid field combinations") {
  std::uint8_t out[64];
  CHECK(encode(read_by_type_rsp{0, {}}, out) == 0);
  CHECK(encode(read_multiple_req{}, out) == 0);
  std::uint8_t three[3] = {1, 2, 3};
  CHECK(encode(signed_write_cmd{1, {}, bytes_view(three, 3)}, out) == 0);
}

TEST_CASE("error categories are distinct and name every value") {
  auto peer = make_error_code(error::invalid_handle);
  auto local = make_error_code(errc::timeout);
  CHECK(is_peer_error(peer));
  CHECK_FALSE(is_peer_error(local));
  CHECK(peer != local);
  CHECK(std::string(peer.category().name()) == "bandwire.att");
  CHECK(peer.message() == "ATT error 0x01 Invalid Handle");
  CHECK(describe_peer_error(0x80) == "0x80 Application Error");
  CHECK(describe_peer_error(0x14) == "0x14 Reserved");
  for (int e = 1; e <= static_cast<int>(errc::cancelled); ++e)
    CHECK(make_error_code(static_cast<errc>(e)).message() != "unknown ATT local error");
}
