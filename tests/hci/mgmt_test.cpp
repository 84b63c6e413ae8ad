#include "hci/mgmt.hpp"  // first: the header is self-contained

#include <doctest/doctest.h>

#include <sys/socket.h>
#include <unistd.h>

#include <string>
#include <thread>
#include <vector>
#include "tests/support/hex.hpp"

// Expected bytes are written from BlueZ doc/mgmt-api.txt's field lists
// (header: code, index, length, all little-endian), not from the encoder.

using namespace bandwire;
using namespace bandwire::hci;

namespace {

using bytes = std::vector<std::uint8_t>;

using bandwire::test::hx;

const char* const mb2_adv = "02 01 06 1b ff 57 01 00 2c 04 e3 a0 9e e1 be ab 47 73 fa 45 01 ec 4f d7 03 fa 8e e3 12 b4 a9";
const char* const mb2_rsp = "0a 09 4d 49 20 42 61 6e 64 20 32 03 02 e0 fe";

}  // namespace

TEST_CASE("mgmt commands: exact bytes") {
  CHECK(to_hex(mgmt::encode_read_controller_info(0)) == "040000000000");
  CHECK(to_hex(mgmt::encode_set_powered(1, true)) == "05000100010001");
  CHECK(to_hex(mgmt::encode_set_powered(0, false)) == "05000000010000");
  CHECK(to_hex(mgmt::encode_set_le(0, true)) == "0d000000010001");
  CHECK(to_hex(mgmt::encode_set_bondable(2, true)) == "09000200010001");
  CHECK(to_hex(mgmt::encode_command(mgmt::op::read_controller_index_list, mgmt::index_none, {})) == "0300ffff0000");

  bytes out;
  REQUIRE_FALSE(mgmt::encode_set_static_address(1, *address::parse("C0:11:22:33:44:55"), out));
  CHECK(to_hex(out) == "2b0001000600" "5544332211c0");
  REQUIRE_FALSE(mgmt::encode_set_static_address(0, address{}, out));  // clear
  CHECK(to_hex(out) == "2b0000000600000000000000");
  out = {0xaa};
  CHECK(mgmt::encode_set_static_address(0, *address::parse("40:11:22:33:44:55"), out) == errc::invalid_argument);
  CHECK(mgmt::encode_set_static_address(0, *address::parse("80:11:22:33:44:55"), out) == errc::invalid_argument);
  CHECK(out == bytes{0xaa});

  const address band = *address::parse("FA:8E:E3:12:B4:A9");
  CHECK(to_hex(mgmt::encode_user_confirm_reply(0, band, mgmt::address_kind::le_random, true)) ==
        "1c0000000700" "a9b412e38efa" "02");
  CHECK(to_hex(mgmt::encode_user_confirm_reply(3, band, mgmt::address_kind::le_public, false)) ==
        "1d0003000700" "a9b412e38efa" "01");
}

TEST_CASE("mgmt Add Advertising carries the Mi Band's exact payloads") {
  mgmt::add_advertising_params p;
  p.instance = 1;
  p.flags = mgmt::adv_flag::connectable;  // no managed flags: the data carries its own Flags
  p.adv_data = hx(mb2_adv);
  p.scan_rsp = hx(mb2_rsp);
  bytes out;
  REQUIRE_FALSE(mgmt::encode_add_advertising(1, p, out));
  // 11 fixed octets + 31 + 15 = 57 (0x39).
  CHECK(to_hex(out) == "3e0001003900" "01" "01000000" "0000" "0000" "1f" "0f" + to_hex(hx(mb2_adv)) + to_hex(hx(mb2_rsp)));
  p.flags = mgmt::adv_flag::discoverable | mgmt::adv_flag::local_name;
  p.duration = 2;
  p.timeout = 0x0102;
  p.adv_data.clear();
  p.scan_rsp.clear();
  REQUIRE_FALSE(mgmt::encode_add_advertising(0, p, out));
  CHECK(to_hex(out) == "3e0000000b00" "01" "42000000" "0200" "0201" "00" "00");
  p.instance = 0;
  CHECK(mgmt::encode_add_advertising(0, p, out) == errc::invalid_argument);
  p.instance = 255;
  CHECK(mgmt::encode_add_advertising(0, p, out) == errc::invalid_argument);
  p.instance = 1;
  p.adv_data.assign(256, 0);
  CHECK(mgmt::encode_add_advertising(0, p, out) == errc::invalid_argument);
}

TEST_CASE("mgmt events: Command Complete/Status, Device Found, User Confirmation Request") {
  // Set Powered complete on hci0, Current_Settings = powered | bondable | LE (0x00000211).
  const bytes cc_packet = hx("0100 0000 0700 0500 00 11020000");
  mgmt::event e;
  REQUIRE_FALSE(mgmt::decode_event(cc_packet, e));
  CHECK(e.code == mgmt::ev::command_complete);
  CHECK(e.index == 0);
  mgmt::command_complete cc;
  REQUIRE_FALSE(mgmt::decode_command_complete(e, cc));
  CHECK(cc.opcode == mgmt::op::set_powered);
  CHECK(cc.status == 0);
  REQUIRE(cc.return_params.size() == 4);
  const std::uint32_t settings = get_le32(cc.return_params.data());
  CHECK((settings & mgmt::setting::powered) != 0);
  CHECK((settings & mgmt::setting::le) != 0);
  CHECK((settings & mgmt::setting::bondable) != 0);
  CHECK((settings & mgmt::setting::bredr) == 0);

  // Command Status: Add Advertising refused, Permission Denied.
  const bytes status_packet = hx("0200 0100 0300 3e00 14");
  REQUIRE_FALSE(mgmt::decode_event(status_packet, e));
  mgmt::command_status cs;
  REQUIRE_FALSE(mgmt::decode_command_status(e, cs));
  CHECK(e.index == 1);
  CHECK(cs.opcode == mgmt::op::add_advertising);
  CHECK(cs.status == 0x14);
  const auto ec = mgmt::status_error(cs.status);
  CHECK(ec == mgmt::status::permission_denied);
  CHECK(ec.message() == "mgmt: Permission Denied (needs CAP_NET_ADMIN)");
  CHECK(std::string(mgmt::status_category().name()) == "bandwire.mgmt");
  CHECK_FALSE(mgmt::status_error(0));
  CHECK(mgmt::status_error(0x99).message() == "mgmt: unknown status 153");
  CHECK(mgmt::decode_command_complete(e, cc) == errc::unexpected_event);

  // Device Found: the band, LE random, RSSI -59, no flags, its 31-octet advertisement.
  const bytes found = [&] {
    bytes v = hx("1200 0000 2d00 a9b412e38efa 02 c5 00000000 1f00");
    const bytes adv = hx(mb2_adv);
    v.insert(v.end(), adv.begin(), adv.end());
    return v;
  }();
  REQUIRE_FALSE(mgmt::decode_event(found, e));
  mgmt::device_found df;
  REQUIRE_FALSE(mgmt::decode_device_found(e, df));
  CHECK(df.addr.to_string() == "FA:8E:E3:12:B4:A9");
  CHECK(df.kind == mgmt::address_kind::le_random);
  CHECK(df.rssi == -59);
  CHECK(df.flags == 0);
  CHECK(to_hex(df.eir) == to_hex(hx(mb2_adv)));

  // User Confirmation Request: Just Works (hint 1) from the CAP-B band.
  const bytes ucr = hx("0f00 0000 0c00 53307b955dce 02 01 00000000");
  REQUIRE_FALSE(mgmt::decode_event(ucr, e));
  mgmt::user_confirm_request r;
  REQUIRE_FALSE(mgmt::decode_user_confirm_request(e, r));
  CHECK(r.addr.to_string() == "CE:5D:95:7B:30:53");
  CHECK(r.kind == mgmt::address_kind::le_random);
  CHECK(r.confirm_hint == 1);
  CHECK(r.value == 0);
  bytes reply;
  REQUIRE(mgmt::agent_reply(ucr, reply));
  CHECK(to_hex(reply) == "1c0000000700" "53307b955dce" "02");
  // Numeric comparison (hint 0, value 123456): refused unless allowed.
  const bytes numeric = hx("0f00 0100 0c00 53307b955dce 01 00 40e20100");
  REQUIRE(mgmt::agent_reply(numeric, reply));
  CHECK(to_hex(reply) == "1d0001000700" "53307b955dce" "01");
  REQUIRE(mgmt::agent_reply(numeric, reply, true));
  CHECK(to_hex(reply) == "1c0001000700" "53307b955dce" "01");
  REQUIRE_FALSE(mgmt::decode_event(numeric, e));
  REQUIRE_FALSE(mgmt::decode_user_confirm_request(e, r));
  CHECK(r.value == 123456);
  // Anything else is not the agent's business.
  CHECK_FALSE(mgmt::agent_reply(cc_packet, reply));
  CHECK_FALSE(mgmt::agent_reply(found, reply));
}

TEST_CASE("mgmt Read Controller Information return parameters (280 octets)") {
  bytes p = hx("000000 01aa00"   // address 00:AA:01:00:00:00 (btvirt's hci0)
               "0b"              // Bluetooth 5.2
               "f105"            // manufacturer 0x05f1 (Linux Foundation)
               "ffbf0100"        // supported settings
               "01060000"        // current: powered | LE | advertising
               "000000");        // class of device
  const std::string name = "bandwire";
  bytes field(249, 0);
  std::copy(name.begin(), name.end(), field.begin());
  p.insert(p.end(), field.begin(), field.end());
  bytes short_name(11, 0);
  short_name[0] = 'b';
  short_name[1] = 'w';
  p.insert(p.end(), short_name.begin(), short_name.end());
  REQUIRE(p.size() == mgmt::controller_info_size);
  mgmt::controller_info ci;
  REQUIRE_FALSE(mgmt::decode_controller_info(p, ci));
  CHECK(ci.addr.to_string() == "00:AA:01:00:00:00");
  CHECK(ci.version == 0x0b);
  CHECK(ci.manufacturer == 0x05f1);
  CHECK(ci.supported_settings == 0x0001bfff);
  CHECK(ci.current_settings == (mgmt::setting::powered | mgmt::setting::le | mgmt::setting::advertising));
  CHECK(ci.name == "bandwire");
  CHECK(ci.short_name == "bw");
  // A name filling the whole field without a NUL is cut at the field's end.
  std::fill(p.begin() + 20, p.begin() + 269, 'x');
  REQUIRE_FALSE(mgmt::decode_controller_info(p, ci));
  CHECK(ci.name.size() == 249);
  p.pop_back();
  CHECK(mgmt::decode_controller_info(p, ci) == errc::truncated_parameters);
}

TEST_CASE("mgmt malformed packets: every truncation and lying lengths") {
  const std::vector<bytes> packets = {
      hx("0100 0000 0700 0500 00 11020000"),
      hx("0200 0100 0300 3e00 14"),
      hx("0f00 0000 0c00 53307b955dce 02 01 00000000"),
      hx("1200 0000 0f00 a9b412e38efa 02 c5 00000000 0100 00"),
  };
  for (const auto& pk : packets) {
    CAPTURE(to_hex(pk));
    mgmt::event e;
    REQUIRE_FALSE(mgmt::decode_event(pk, e));
    for (std::size_t n = 0; n < pk.size(); ++n)
      CHECK(mgmt::decode_event(bytes_view(pk).first(n), e) == errc::truncated_packet);
    bytes longer = pk;
    longer.push_back(0);
    CHECK(mgmt::decode_event(longer, e) == errc::trailing_bytes);
    // Consistent header, parameters cut short: the typed decoders refuse.
    const std::uint16_t code = get_le16(pk.data());
    const std::size_t plen = pk.size() - mgmt::header_size;
    const std::size_t min_len = code == mgmt::ev::command_complete || code == mgmt::ev::command_status ? 3
                                : code == mgmt::ev::user_confirm_request                               ? 12
                                                                                                       : 15;
    for (std::size_t n = 0; n < plen; ++n) {
      CAPTURE(n);
      bytes cut = mgmt::encode_command(code, 0, bytes_view(pk).subspan(mgmt::header_size, n));
      REQUIRE_FALSE(mgmt::decode_event(cut, e));
      boost::system::error_code ec;
      if (code == mgmt::ev::command_complete) {
        mgmt::command_complete x;
        ec = mgmt::decode_command_complete(e, x);
      } else if (code == mgmt::ev::command_status) {
        mgmt::command_status x;
        ec = mgmt::decode_command_status(e, x);
      } else if (code == mgmt::ev::user_confirm_request) {
        mgmt::user_confirm_request x;
        ec = mgmt::decode_user_confirm_request(e, x);
      } else {
        mgmt::device_found x;
        ec = mgmt::decode_device_found(e, x);
      }
      CHECK(static_cast<bool>(ec) == (n < min_len));
    }
  }
  // Device Found whose EIR length runs past the event; an address type of 3.
  mgmt::event e;
  mgmt::device_found df;
  const bytes lying = hx("1200 0000 0f00 a9b412e38efa 02 c5 00000000 0200 00");
  REQUIRE_FALSE(mgmt::decode_event(lying, e));
  CHECK(mgmt::decode_device_found(e, df) == errc::truncated_parameters);
  const bytes bad_type = hx("1200 0000 0e00 a9b412e38efa 03 c5 00000000 0000");
  REQUIRE_FALSE(mgmt::decode_event(bad_type, e));
  CHECK(mgmt::decode_device_found(e, df) == errc::invalid_field);
}

TEST_CASE("mgmt::socket waits for its own reply and hands other events on (scripted kernel)") {
  int sv[2];
  REQUIRE(::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == 0);
  mgmt::socket client(sv[0]);
  const int kernel = sv[1];
  const bytes cmd = mgmt::encode_set_powered(0, true);
  std::string received;
  std::thread peer([&] {
    std::uint8_t buf[512];
    const ssize_t n = ::recv(kernel, buf, sizeof buf, 0);
    if (n > 0) received = to_hex(bytes_view(buf, static_cast<std::size_t>(n)));
    // Unrelated traffic first: a Device Found, a reply for another index,
    // then ours.
    const bytes events[] = {
        hx("1200 0000 0e00 a9b412e38efa 02 c5 00000000 0000"),
        hx("0100 0100 0700 0500 00 01000000"),
        hx("0100 0000 0700 0500 00 11020000"),
    };
    for (const auto& ev : events) (void)::send(kernel, ev.data(), ev.size(), 0);
  });
  bytes rp;
  std::vector<std::uint16_t> others;
  const auto ec = client.command(cmd, std::chrono::milliseconds(2000), rp,
                                 [&](const mgmt::event& e) { others.push_back(e.code); });
  peer.join();
  CHECK_FALSE(ec);
  CHECK(received == to_hex(cmd));
  CHECK(to_hex(rp) == "11020000");
  CHECK(others == std::vector<std::uint16_t>{mgmt::ev::device_found, mgmt::ev::command_complete});

  // A failing Command Status is returned as a mgmt status error.
  std::thread peer2([&] {
    std::uint8_t buf[512];
    (void)::recv(kernel, buf, sizeof buf, 0);
    const bytes st = hx("0200 0000 0300 0500 14");
    (void)::send(kernel, st.data(), st.size(), 0);
  });
  CHECK(client.command(cmd, std::chrono::milliseconds(2000), rp) == mgmt::status::permission_denied);
  peer2.join();

  // Silence: a timeout, promptly.
  const auto t0 = std::chrono::steady_clock::now();
  CHECK(client.command(cmd, std::chrono::milliseconds(50), rp) == errc::command_timeout);
  CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::seconds(2));
  // A malformed command is refused before anything is sent.
  CHECK(client.command(hx("0500 0000 0200 01"), std::chrono::milliseconds(50), rp) == errc::truncated_packet);
  ::close(kernel);
}
