// libFuzzer target: a gatt::server over the demo database, fed a sequence of
// client PDUs. Input layout: repeated [len][len bytes of PDU]; a len of 0 is
// followed by one control byte that drives the server side instead
// (notification, indication, security level, signing key), so stateful paths
// (prepare queue, CCCDs, pending indication, signed writes) are reached.
//
// Oracle: no crash or sanitizer report, and every PDU the server produces
// fits ATT_MTU and decodes with the ATT codec as the kind the spec allows
// (a response to the request, an Error Response, or the expected
// notification/indication).
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "att/pdu.hpp"
#include "gatt/demo_db.hpp"
#include "gatt/server.hpp"

using namespace bandwire;

namespace {

void check(bool ok) {
  if (!ok) std::abort();
}

void check_output(const gatt::server& srv, const std::uint8_t* out, std::size_t n, std::uint8_t expect_op) {
  if (n == 0) return;
  check(n <= srv.mtu() || expect_op == 0x03);
  att::pdu p;
  check(!att::decode(bytes_view(out, n), p));
  check(out[0] == expect_op || out[0] == 0x01);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  gatt::database db = gatt::make_demo_database();
  gatt::server srv(db, gatt::server::options{.rx_mtu = 517, .prepare_queue_bytes = 2048, .prepare_queue_entries = 16});
  std::vector<std::uint8_t> out(600);
  std::size_t i = 0;
  while (i < size) {
    const std::size_t len = data[i++];
    if (len == 0) {
      if (i >= size) break;
      const std::uint8_t c = data[i++];
      const std::uint16_t handle = static_cast<std::uint16_t>(c & 0x1f);
      const std::uint8_t value[40] = {c, 1, 2, 3};
      const std::size_t vlen = (c >> 5) * 5u;
      switch (c % 5) {
        case 0: check_output(srv, out.data(), srv.encode_notification(handle, bytes_view(value, vlen), out), 0x1b); break;
        case 1: check_output(srv, out.data(), srv.encode_indication(handle, bytes_view(value, vlen), out), 0x1d); break;
        case 2: srv.set_security({.level = static_cast<std::uint8_t>(1 + (c >> 3) % 4),
                                  .key_level = static_cast<std::uint8_t>((c >> 5) % 5),
                                  .authorized = (c & 0x80) != 0});
          break;
        case 3: {
          std::array<std::uint8_t, 16> key{};
          key[0] = c;
          srv.set_signing_key(key, c);
          break;
        }
        default: (void)srv.subscriptions(); break;
      }
      continue;
    }
    const std::size_t n = len <= size - i ? len : size - i;
    if (n == 0) break;
    const bytes_view req(data + i, n);
    i += n;
    const std::size_t r = srv.handle(req, out);
    const auto& row = att::info(req[0]);
    check_output(srv, out.data(), r, row.kind == att::pdu_kind::request ? row.pair : 0x01);
    // Commands, confirmations and non-requests are never answered.
    if (row.kind != att::pdu_kind::request && !(row.kind == att::pdu_kind::unknown && !att::is_command_flag(req[0])))
      check(r == 0);
  }
  (void)db.hash();
  (void)db.services();
  return 0;
}
