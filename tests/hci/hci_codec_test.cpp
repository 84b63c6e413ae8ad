#include "hci/hci_codec.hpp"  // first: the header is self-contained

#include <doctest/doctest.h>

#include <set>
#include <string>
#include <vector>

#include "hci/adv_data.hpp"
#include "tests/support/hex.hpp"

// Every expected byte string below was written from the field tables of Core
// 5.4 Vol 4 Part E §7 (and miband2-protocol.md §2.1/§20.8 for the Mi Band's
// payloads), never copied from the encoder's output.

using namespace bandwire;
using namespace bandwire::hci;

namespace {

using bytes = std::vector<std::uint8_t>;

using bandwire::test::hx;

// The Mi Band 2 of CAP-A (miband2-protocol.md §20.8).
const char* const mb2_adv = "02 01 06 1b ff 57 01 00 2c 04 e3 a0 9e e1 be ab 47 73 fa 45 01 ec 4f d7 03 fa 8e e3 12 b4 a9";
const char* const mb2_rsp = "0a 09 4d 49 20 42 61 6e 64 20 32 03 02 e0 fe";

// An event packet from its code and parameters, with a correct length byte.
bytes ev(std::uint8_t code, const bytes& params) {
  bytes out{code, static_cast<std::uint8_t>(params.size())};
  out.insert(out.end(), params.begin(), params.end());
  return out;
}

bytes cat(std::initializer_list<bytes> parts) {
  bytes out;
  for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

// Two legacy reports in one event: the band's ADV_IND (RSSI -59) and its
// SCAN_RSP (RSSI -60), address FA:8E:E3:12:B4:A9 random.
bytes two_legacy_reports() {
  return ev(0x3e, cat({hx("02 02"),
                       hx("00 01 a9 b4 12 e3 8e fa 1f"), hx(mb2_adv), hx("c5"),
                       hx("04 01 a9 b4 12 e3 8e fa 0f"), hx(mb2_rsp), hx("c4")}));
}

// Two extended reports: a legacy-PDU ADV_IND (event type 0x0013) and a
// connectable extended advertisement on LE 1M/2M with SID 3.
bytes two_extended_reports() {
  return ev(0x3e, cat({hx("0d 02"),
                       // Event_Type 0x0013, random, address, PHY 1/0, SID ff, TX 7f, RSSI c5,
                       // interval 0, direct type 0, direct address 0, Data_Length 31, Data
                       hx("1300 01 a9b412e38efa 01 00 ff 7f c5 0000 00 000000000000 1f"), hx(mb2_adv),
                       // Event_Type 0x0001 (connectable, complete), public 11:22:33:44:55:66,
                       // PHY 1/2, SID 3, TX -4 (fc), RSSI -70 (ba), interval 0, Data_Length 3
                       hx("0100 00 665544332211 01 02 03 fc ba 0000 00 000000000000 03 020106")}));
}

// A decoded event together with the packet its views point into.
struct decoded {
  bytes packet;
  event e;
};
decoded decode_ok(bytes packet) {
  decoded d{std::move(packet), {}};
  const auto ec = decode_event(d.packet, d.e);
  REQUIRE_MESSAGE(!ec, ec.message());
  return d;  // moving the vector keeps its buffer, so the views stay valid
}

}  // namespace

TEST_CASE("HCI commands: exact bytes (Vol 4 Part E §5.4.1, §7)") {
  CHECK(to_hex(encode_reset()) == "030c00");
  CHECK(to_hex(encode_read_local_supported_commands()) == "021000");
  CHECK(to_hex(encode_le_read_local_supported_features()) == "032000");
  CHECK(make_opcode(0x08, 0x000b) == 0x200b);
  CHECK(make_opcode(0x3f, 0x03ff) == 0xffff);

  bytes out;
  scan_parameters sp;  // active, 60 ms / 30 ms, public, accept all
  REQUIRE_FALSE(encode_le_set_scan_parameters(sp, out));
  CHECK(to_hex(out) == "0b200701600030000000");
  sp.type = scan_type::passive;
  sp.interval = 0x4000;
  sp.window = 0x0004;
  sp.own = own_address::random_address;
  sp.filter_policy = 0x01;
  REQUIRE_FALSE(encode_le_set_scan_parameters(sp, out));
  CHECK(to_hex(out) == "0b200700004004000101");

  CHECK(to_hex(encode_le_set_scan_enable(true, true)) == "0c20020101");
  CHECK(to_hex(encode_le_set_scan_enable(true, false)) == "0c20020100");
  CHECK(to_hex(encode_le_set_scan_enable(false, false)) == "0c20020000");

  REQUIRE_FALSE(encode_le_set_extended_scan_parameters(scan_parameters{}, phy_1m, out));
  CHECK(to_hex(out) == "412008" "00" "00" "01" "01" "6000" "3000");
  REQUIRE_FALSE(encode_le_set_extended_scan_parameters(scan_parameters{}, phy_1m | phy_coded, out));
  CHECK(to_hex(out) == "41200d" "00" "00" "05" "01" "6000" "3000" "01" "6000" "3000");
  CHECK(to_hex(encode_le_set_extended_scan_enable(true, duplicates::filter)) == "422006" "01" "01" "0000" "0000");
  CHECK(to_hex(encode_le_set_extended_scan_enable(false, duplicates::report_all, 0x0064, 0x0002)) ==
        "422006" "00" "00" "6400" "0200");

  // The virtual band: ADV_IND every 1.28 s from its static random address.
  REQUIRE_FALSE(encode_le_set_advertising_parameters(advertising_parameters{}, out));
  CHECK(to_hex(out) == "06200f" "0008" "0008" "00" "01" "00" "000000000000" "07" "00");
  REQUIRE_FALSE(encode_le_set_advertising_data(hx(mb2_adv), out));
  CHECK(to_hex(out) == "082020" "1f" + to_hex(hx(mb2_adv)));
  REQUIRE_FALSE(encode_le_set_scan_response_data(hx(mb2_rsp), out));
  CHECK(to_hex(out) == "092020" "0f" + to_hex(hx(mb2_rsp)) + std::string(32, '0'));
  REQUIRE_FALSE(encode_le_set_advertising_data({}, out));
  CHECK(to_hex(out) == "082020" + std::string(64, '0'));
  CHECK(to_hex(encode_le_set_advertising_enable(true)) == "0a200101");
  CHECK(to_hex(encode_le_set_advertising_enable(false)) == "0a200100");
  CHECK(to_hex(encode_le_set_random_address(*address::parse("FA:8E:E3:12:B4:A9"))) == "052006a9b412e38efa");
}

TEST_CASE("HCI commands: out-of-range arguments are refused and leave the output alone") {
  bytes out = {0xaa};
  scan_parameters sp;
  sp.window = sp.interval + 1;  // window longer than interval
  CHECK(encode_le_set_scan_parameters(sp, out) == errc::invalid_argument);
  sp = {};
  sp.interval = 0x4001;  // legacy maximum is 0x4000
  sp.window = 0x0010;
  CHECK(encode_le_set_scan_parameters(sp, out) == errc::invalid_argument);
  CHECK_FALSE(encode_le_set_extended_scan_parameters(sp, phy_1m, out));  // extended allows it
  out = {0xaa};
  sp = {};
  sp.interval = 0x0003;
  sp.window = 0x0003;
  CHECK(encode_le_set_scan_parameters(sp, out) == errc::invalid_argument);
  CHECK(encode_le_set_extended_scan_parameters(scan_parameters{}, 0, out) == errc::invalid_argument);
  CHECK(encode_le_set_extended_scan_parameters(scan_parameters{}, 0x02, out) == errc::invalid_argument);  // 2M can't scan
  advertising_parameters ap;
  ap.interval_min = 0x001f;
  CHECK(encode_le_set_advertising_parameters(ap, out) == errc::invalid_argument);
  ap = {};
  ap.channel_map = 0;
  CHECK(encode_le_set_advertising_parameters(ap, out) == errc::invalid_argument);
  ap = {};
  ap.interval_min = 0x0900;  // min > max
  CHECK(encode_le_set_advertising_parameters(ap, out) == errc::invalid_argument);
  CHECK(encode_le_set_advertising_data(bytes(32, 0), out) == errc::invalid_argument);
  CHECK(encode_le_set_scan_response_data(bytes(32, 0), out) == errc::invalid_argument);
  CHECK(out == bytes{0xaa});
}

TEST_CASE("decode_command splits the header; truncation and trailing bytes are errors") {
  std::uint16_t op = 0;
  bytes_view params;
  const bytes c = hx("0b200701600030000000");
  REQUIRE_FALSE(decode_command(c, op, params));
  CHECK(op == opcode::le_set_scan_parameters);
  CHECK(params.size() == 7);
  for (std::size_t n = 0; n < c.size(); ++n)
    CHECK(decode_command(bytes_view(c).first(n), op, params) == errc::truncated_packet);
  bytes longer = c;
  longer.push_back(0);
  CHECK(decode_command(longer, op, params) == errc::trailing_bytes);
}

TEST_CASE("Command Complete and Command Status (§7.7.14, §7.7.15)") {
  auto d = decode_ok(hx("0e 04 01 03 0c 00"));  // Reset: success
  auto* cc = std::get_if<command_complete>(&d.e);
  REQUIRE(cc);
  CHECK(cc->num_hci_command_packets == 1);
  CHECK(cc->opcode == opcode::reset);
  CHECK(cc->status() == std::uint8_t{0});
  CHECK_FALSE(command_complete_status(*cc));

  d = decode_ok(hx("0e 04 01 0b 20 0c"));  // LE Set Scan Parameters: Command Disallowed
  cc = std::get_if<command_complete>(&d.e);
  REQUIRE(cc);
  const auto ec = command_complete_status(*cc);
  CHECK(ec == status::command_disallowed);
  CHECK(ec.value() == 0x0c);
  CHECK(&ec.category() == &status_category());
  CHECK(ec.message() == "controller: Command Disallowed (0x0c)");

  d = decode_ok(hx("0e 03 01 00 00"));  // NOP: no return parameters
  cc = std::get_if<command_complete>(&d.e);
  REQUIRE(cc);
  CHECK(cc->opcode == 0);
  CHECK_FALSE(cc->status().has_value());
  CHECK(command_complete_status(*cc) == errc::truncated_parameters);

  d = decode_ok(hx("0f 04 00 01 0d 20"));  // LE Create Connection pending
  auto* cs = std::get_if<command_status>(&d.e);
  REQUIRE(cs);
  CHECK(cs->status == 0);
  CHECK(cs->num_hci_command_packets == 1);
  CHECK(cs->opcode == 0x200d);
}

TEST_CASE("Disconnection Complete and LE (Enhanced) Connection Complete") {
  auto d = decode_ok(hx("05 04 00 40 00 13"));
  auto* dc = std::get_if<disconnection_complete>(&d.e);
  REQUIRE(dc);
  CHECK(dc->status == 0);
  CHECK(dc->handle == 0x0040);
  CHECK(dc->reason == 0x13);

  // §7.7.65.1: handle 0x0040, central, random peer, 50 ms, latency 0, 20 s, CA 0.
  d = decode_ok(hx("3e 13 01 00 40 00 00 01 a9 b4 12 e3 8e fa 28 00 00 00 d0 07 00"));
  auto* c = std::get_if<le_connection_complete>(&d.e);
  REQUIRE(c);
  CHECK_FALSE(c->enhanced);
  CHECK(c->status == 0);
  CHECK(c->handle == 0x0040);
  CHECK(c->role == 0);
  CHECK(c->peer_address_type == 1);
  CHECK(c->peer.to_string() == "FA:8E:E3:12:B4:A9");
  CHECK(c->interval == 0x0028);
  CHECK(c->latency == 0);
  CHECK(c->supervision_timeout == 0x07d0);
  CHECK(c->clock_accuracy == 0);

  // §7.7.65.10: the same plus local RPA 11:.. and a zero peer RPA.
  d = decode_ok(hx("3e 1f 0a 00 41 00 01 01 53 30 7b 95 5d ce 66 55 44 33 22 11 00 00 00 00 00 00 "
                   "26 00 00 00 f4 01 05"));
  c = std::get_if<le_connection_complete>(&d.e);
  REQUIRE(c);
  CHECK(c->enhanced);
  CHECK(c->handle == 0x0041);
  CHECK(c->role == 1);
  CHECK(c->peer.to_string() == "CE:5D:95:7B:30:53");
  CHECK(c->local_rpa.to_string() == "11:22:33:44:55:66");
  CHECK(c->peer_rpa.to_string() == "00:00:00:00:00:00");
  CHECK(c->interval == 0x26);
  CHECK(c->supervision_timeout == 0x01f4);
  CHECK(c->clock_accuracy == 5);

  // A failed connection: status Connection Failed to be Established.
  d = decode_ok(hx("3e 13 01 3e 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00"));
  c = std::get_if<le_connection_complete>(&d.e);
  REQUIRE(c);
  CHECK(status_error(c->status) == status::connection_failed_to_be_established);
}

TEST_CASE("LE Advertising Report: every report of the event is decoded (§7.7.65.2)") {
  const bytes packet = two_legacy_reports();
  CHECK(packet.size() == 2 + 68);
  auto d = decode_ok(packet);
  auto* r = std::get_if<le_advertising_reports>(&d.e);
  REQUIRE(r);
  CHECK(r->format == report_format::legacy);
  REQUIRE(r->reports.size() == 2);
  const adv_report& a = r->reports[0];
  CHECK(a.format == report_format::legacy);
  CHECK(a.event_type == legacy_event::adv_ind);
  CHECK(a.connectable());
  CHECK(a.scannable());
  CHECK_FALSE(a.scan_response());
  CHECK_FALSE(a.directed());
  CHECK(a.random_address());
  CHECK(a.addr.to_string() == "FA:8E:E3:12:B4:A9");
  CHECK(a.rssi == -59);
  CHECK(to_hex(a.data) == to_hex(hx(mb2_adv)));
  const adv_report& b = r->reports[1];
  CHECK(b.event_type == legacy_event::scan_rsp);
  CHECK(b.scan_response());
  CHECK_FALSE(b.connectable());
  CHECK(b.rssi == -60);
  CHECK(to_hex(b.data) == to_hex(hx(mb2_rsp)));

  // Both reports' data parse into one view of the device.
  advertising_data ad;
  REQUIRE_FALSE(parse_advertising_data(a.data, ad));
  REQUIRE_FALSE(parse_advertising_data(b.data, ad));
  CHECK(recognise_miband2(ad, &a.addr) == miband_match::miband2);

  // Three reports, the middle one with no data and RSSI unavailable.
  const bytes three = ev(0x3e, hx("02 03"
                                  "03 00 66 55 44 33 22 11 03 02 01 04 b0"
                                  "02 01 01 00 00 00 00 c0 00 7f"
                                  "00 00 aa aa aa aa aa aa 00 a0"));
  d = decode_ok(three);
  r = std::get_if<le_advertising_reports>(&d.e);
  REQUIRE(r);
  REQUIRE(r->reports.size() == 3);
  CHECK(r->reports[0].event_type == legacy_event::adv_nonconn_ind);
  CHECK_FALSE(r->reports[0].connectable());
  CHECK_FALSE(r->reports[0].scannable());
  CHECK(r->reports[0].addr.to_string() == "11:22:33:44:55:66");
  CHECK(to_hex(r->reports[0].data) == "020104");
  CHECK(r->reports[0].rssi == -80);
  CHECK(r->reports[1].event_type == legacy_event::adv_scan_ind);
  CHECK(r->reports[1].scannable());
  CHECK(r->reports[1].data.empty());
  CHECK(r->reports[1].rssi == rssi_unavailable);
  CHECK(r->reports[2].addr.to_string() == "AA:AA:AA:AA:AA:AA");
  CHECK(r->reports[2].rssi == -96);
}

TEST_CASE("LE Extended Advertising Report: every report, legacy-PDU and extended (§7.7.65.13)") {
  auto d = decode_ok(two_extended_reports());
  auto* r = std::get_if<le_advertising_reports>(&d.e);
  REQUIRE(r);
  CHECK(r->format == report_format::extended);
  REQUIRE(r->reports.size() == 2);
  const adv_report& a = r->reports[0];
  CHECK(a.format == report_format::extended);
  CHECK(a.event_type == 0x0013);
  CHECK((a.event_type & ext_event::legacy_pdu) != 0);
  CHECK(a.connectable());
  CHECK(a.scannable());
  CHECK_FALSE(a.scan_response());
  CHECK(a.data_status() == 0);
  CHECK(a.addr.to_string() == "FA:8E:E3:12:B4:A9");
  CHECK(a.primary_phy == 1);
  CHECK(a.sid == 0xff);
  CHECK(a.tx_power == 127);
  CHECK(a.rssi == -59);
  CHECK(to_hex(a.data) == to_hex(hx(mb2_adv)));
  const adv_report& b = r->reports[1];
  CHECK(b.event_type == 0x0001);
  CHECK(b.connectable());
  CHECK_FALSE(b.scannable());
  CHECK(b.address_type == report_address::public_device);
  CHECK_FALSE(b.random_address());
  CHECK(b.addr.to_string() == "11:22:33:44:55:66");
  CHECK(b.secondary_phy == 2);
  CHECK(b.sid == 3);
  CHECK(b.tx_power == -4);
  CHECK(b.rssi == -70);
  CHECK(to_hex(b.data) == "020106");

  // Data status "incomplete, truncated" (bits 5-6 = 2), a scan response.
  d = decode_ok(ev(0x3e, hx("0d 01 4a00 01 a9b412e38efa 01 00 ff 7f c5 0000 00 000000000000 00")));
  r = std::get_if<le_advertising_reports>(&d.e);
  REQUIRE(r);
  CHECK(r->reports[0].data_status() == 2);
  CHECK(r->reports[0].scan_response());
  CHECK(r->reports[0].data.empty());
}

TEST_CASE("malformed events: every truncation, lying lengths, forbidden values") {
  struct vec {
    const char* name;
    bytes packet;
    std::size_t min_params;  ///< a parameter length this short or longer may decode (variable tail)
  };
  const std::vector<vec> vectors = {
      {"legacy reports", two_legacy_reports(), 0},
      {"extended reports", two_extended_reports(), 0},
      {"command status", hx("0f 04 00 01 0d 20"), 0},
      {"disconnection", hx("05 04 00 40 00 13"), 0},
      {"connection complete", hx("3e 13 01 00 40 00 00 01 a9 b4 12 e3 8e fa 28 00 00 00 d0 07 00"), 0},
      {"enhanced connection complete",
       hx("3e 1f 0a 00 41 00 01 01 53 30 7b 95 5d ce 66 55 44 33 22 11 00 00 00 00 00 00 26 00 00 00 f4 01 05"), 0},
      {"command complete", hx("0e 0c 01 02 10 00 11 22 33 44 55 66 77 88"), 3},
  };
  for (const auto& v : vectors) {
    CAPTURE(v.name);
    event e;
    REQUIRE_FALSE(decode_event(v.packet, e));
    // 1. Every prefix of the packet: the length byte promises more.
    for (std::size_t n = 0; n < v.packet.size(); ++n) {
      CAPTURE(n);
      CHECK(decode_event(bytes_view(v.packet).first(n), e) == errc::truncated_packet);
    }
    // 2. A trailing byte after the announced parameters.
    bytes longer = v.packet;
    longer.push_back(0x00);
    CHECK(decode_event(longer, e) == errc::trailing_bytes);
    // 3. Consistent header, parameters cut short at every length.
    const bytes params(v.packet.begin() + 2, v.packet.end());
    for (std::size_t n = 0; n < params.size(); ++n) {
      CAPTURE(n);
      const bytes cut = ev(v.packet[0], bytes(params.begin(), params.begin() + static_cast<std::ptrdiff_t>(n)));
      const auto ec = decode_event(cut, e);
      if (v.min_params != 0 && n >= v.min_params) {
        CHECK_FALSE(ec);
      } else if (v.packet[0] == 0x3e && n == 0) {
        CHECK(ec == errc::truncated_parameters);  // no subevent code
      } else {
        CHECK(ec);
        CHECK((ec == errc::truncated_parameters || ec == errc::invalid_field));
      }
    }
  }

  event e;
  // Zero reports is not a report event (Num_Reports 0x01-0x19).
  CHECK(decode_event(ev(0x3e, hx("02 00")), e) == errc::invalid_field);
  CHECK(decode_event(ev(0x3e, hx("0d 00")), e) == errc::invalid_field);
  // A legacy report claiming 32 data octets (0-31 allowed), even when present.
  CHECK(decode_event(ev(0x3e, cat({hx("02 01 00 01 a9b412e38efa 20"), bytes(32, 0), hx("c5")})), e) ==
        errc::invalid_field);
  // Num_Reports says 2, one report present.
  CHECK(decode_event(ev(0x3e, hx("02 02 00 01 a9b412e38efa 00 c5")), e) == errc::truncated_parameters);
  // Num_Reports 255 with nothing behind it.
  CHECK(decode_event(ev(0x3e, hx("02 ff")), e) == errc::truncated_parameters);
  // A report's Data_Length runs past the event.
  CHECK(decode_event(ev(0x3e, hx("02 01 00 01 a9b412e38efa 05 0201 06 c5")), e) == errc::truncated_parameters);
  CHECK(decode_event(ev(0x3e, hx("0d 01 1300 01 a9b412e38efa 01 00 ff 7f c5 0000 00 000000000000 ff 00")), e) ==
        errc::truncated_parameters);
  // The partial result keeps the reports before the bad one.
  std::vector<adv_report> reps;
  CHECK(decode_advertising_reports(hx("02 00 01 a9b412e38efa 00 c5 00 01"), reps) == errc::truncated_parameters);
  CHECK(reps.size() == 1);
  // Header-only and empty packets.
  CHECK(decode_event(bytes{}, e) == errc::truncated_packet);
  CHECK(decode_event(hx("3e"), e) == errc::truncated_packet);
  CHECK(decode_event(hx("0e 00"), e) == errc::truncated_parameters);
  // Extra parameters after a fixed-layout event are ignored (forward compatibility).
  CHECK_FALSE(decode_event(hx("05 05 00 40 00 13 ff"), e));
}

TEST_CASE("unknown events and subevents decode as opaque views") {
  auto d = decode_ok(hx("13 05 01 40 00 01 00"));  // Number Of Completed Packets
  auto* o = std::get_if<other_event>(&d.e);
  REQUIRE(o);
  CHECK(o->code == 0x13);
  CHECK(o->params.size() == 5);
  d = decode_ok(hx("3e 0a 03 00 40 00 06 00 00 00 f4 01"));  // LE Connection Update Complete
  auto* m = std::get_if<le_meta_other>(&d.e);
  REQUIRE(m);
  CHECK(m->subevent == 0x03);
  CHECK(m->params.size() == 9);
}

TEST_CASE("per-event decoders refuse other events") {
  event_packet p;
  REQUIRE_FALSE(decode_event_packet(hx("05 04 00 40 00 13"), p));
  command_complete cc;
  command_status cs;
  std::uint8_t sub = 0;
  bytes_view params;
  CHECK(decode_command_complete(p, cc) == errc::unexpected_event);
  CHECK(decode_command_status(p, cs) == errc::unexpected_event);
  CHECK(decode_le_meta(p, sub, params) == errc::unexpected_event);
  REQUIRE_FALSE(decode_event_packet(hx("0e 04 01 03 0c 00"), p));
  disconnection_complete d;
  CHECK(decode_disconnection_complete(p, d) == errc::unexpected_event);
}

TEST_CASE("Read Local Supported Commands and LE features pick legacy or extended scanning") {
  // Status 0, octet 26 = 0x0c (bits 2-3: legacy scan), octet 37 = 0x60 (bits 5-6: extended scan).
  bytes rp(65, 0);
  rp[1 + 26] = 0x0c;
  rp[1 + 37] = 0x60;
  const bytes packet = ev(0x0e, cat({hx("01 02 10"), rp}));
  auto d = decode_ok(packet);
  const auto& cc = std::get<command_complete>(d.e);
  supported_commands sc;
  REQUIRE_FALSE(decode_read_local_supported_commands(cc, sc));
  CHECK(sc.legacy_scan());
  CHECK(sc.extended_scan());
  CHECK(sc.has(37, 5));
  CHECK_FALSE(sc.has(37, 7));
  CHECK_FALSE(sc.has(64, 0));  // out of range, never read
  CHECK_FALSE(sc.has(0, 8));

  // Only the enable bit: not enough for extended scanning.
  rp[1 + 37] = 0x40;
  d = decode_ok(ev(0x0e, cat({hx("01 02 10"), rp})));
  REQUIRE_FALSE(decode_read_local_supported_commands(std::get<command_complete>(d.e), sc));
  CHECK_FALSE(sc.extended_scan());

  // One octet short, or the wrong opcode, or a failure status.
  d = decode_ok(ev(0x0e, cat({hx("01 02 10"), bytes(64, 0)})));
  CHECK(decode_read_local_supported_commands(std::get<command_complete>(d.e), sc) == errc::truncated_parameters);
  d = decode_ok(hx("0e 04 01 03 0c 00"));
  CHECK(decode_read_local_supported_commands(std::get<command_complete>(d.e), sc) == errc::unexpected_event);
  d = decode_ok(hx("0e 04 01 02 10 01"));
  CHECK(decode_read_local_supported_commands(std::get<command_complete>(d.e), sc) == status::unknown_command);

  // LE features: bit 12 (octet 1, bit 4) LE Extended Advertising; bit 11 LE Coded PHY.
  d = decode_ok(hx("0e 0c 01 03 20 00 ff 18 00 00 00 00 00 00"));
  le_features f;
  REQUIRE_FALSE(decode_le_read_local_supported_features(std::get<command_complete>(d.e), f));
  CHECK(f.extended_advertising());
  CHECK(f.coded_phy());
  CHECK(f.has(0));
  CHECK_FALSE(f.has(13));
  CHECK_FALSE(f.has(64));
  d = decode_ok(hx("0e 0b 01 03 20 00 ff 18 00 00 00 00 00"));
  CHECK(decode_le_read_local_supported_features(std::get<command_complete>(d.e), f) == errc::truncated_parameters);
}

TEST_CASE("controller status category: stable name, a message for every code") {
  CHECK(std::string(status_category().name()) == "bandwire.hci.status");
  CHECK_FALSE(status_error(0));
  for (int v = 1; v <= 0xff; ++v) {
    const boost::system::error_code ec = status_error(static_cast<std::uint8_t>(v));
    CHECK(ec.value() == v);
    CHECK(ec.message().rfind("controller: ", 0) == 0);
  }
  CHECK(status_error(0x3e).message() ==
        "controller: Connection Failed to be Established / Synchronization Timeout (0x3e)");
  CHECK(status_error(0x2b).message() == "controller: unknown status (0x2b)");  // reserved
  CHECK(status_error(0xff).message() == "controller: unknown status (0xff)");
  boost::system::error_code ec = status::command_disallowed;
  CHECK(ec == status::command_disallowed);
  CHECK(ec != errc::invalid_field);
}

TEST_CASE("hci::errc values added for the codecs have distinct messages") {
  std::set<std::string> messages;
  for (int v = static_cast<int>(errc::truncated_packet); v <= static_cast<int>(errc::command_timeout); ++v) {
    const boost::system::error_code ec = static_cast<errc>(v);
    CAPTURE(v);
    CHECK(ec.message() != "unknown HCI error");
    CHECK(messages.insert(ec.message()).second);
  }
  CHECK(messages.size() == 8);
}
