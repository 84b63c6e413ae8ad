// libFuzzer target: the GATT client and the ATT bearer against a hostile
// server. The first byte picks a procedure; the rest is a sequence of
// length-prefixed PDUs the "server" sends, one after each client request.
// Every procedure must finish (or the bearer close) without a crash, and
// every completion handler must run exactly once.
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>

#include "gatt/client.hpp"

using namespace bandwire;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  asio::io_context io;
  int fds[2];
  if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, fds) != 0) return 0;
  att::bearer::options o;
  o.timeout = std::chrono::milliseconds(50);
  att::bearer b(seqpacket_socket(io, asio::generic::seq_packet_protocol(AF_UNIX, 0), fds[0]), o);
  b.start();
  gatt::client c(b);
  auto all = c.listen_all([](std::uint16_t, bytes_view, bool) {});
  int calls = 0;
  auto done0 = [&](error_code) { ++calls; };
  // Discovery by needs: a Mi Band's auth and Service Changed, plus a 128-bit
  // service, from nothing or from a partial cache.
  const gatt::discovery_needs needs = {
      {att::uuid::from16(0x1801), {{att::uuid::from16(0x2a05), true}}},
      {att::uuid::from16(0xfee1), {{*att::uuid::parse("00000009-0000-3512-2118-0009af100700"), true}}},
      {*att::uuid::parse("00001530-0000-3512-2118-0009af100700"), {{att::uuid::from16(0x2a37), false}}}};
  switch (data[0] % 12) {
    case 10: c.discover(needs, done0); break;
    case 11: {
      gatt::discovered_database db;
      gatt::service s{0x0008, 0x0040, att::uuid::from16(0x1801), true, {}, {}};
      s.characteristics_through = 0x0010;
      gatt::characteristic ch;
      ch.decl_handle = 0x0009, ch.value_handle = 0x000a, ch.end_handle = 0x0040, ch.type = att::uuid::from16(0x2a05);
      ch.descriptors_known = false;
      s.characteristics.push_back(ch);
      db.services.push_back(s);
      c.set_database(db);
      c.discover(needs, done0);
      break;
    }
    case 0: c.discover_all([&](error_code, auto) { ++calls; }); break;
    case 1: c.discover_primary([&](error_code, auto) { ++calls; }); break;
    case 2: c.discover_primary(att::uuid::from16(0x180d), gatt::uuid_width::shortest, [&](error_code, auto) { ++calls; }); break;
    case 3: c.discover_included(1, 0xffff, [&](error_code, auto) { ++calls; }); break;
    case 4: c.discover_characteristics(1, 0xffff, std::nullopt, [&](error_code, auto) { ++calls; }); break;
    case 5: c.discover_descriptors(1, 0xffff, [&](error_code, auto) { ++calls; }); break;
    case 6: c.read(3, 0, [&](error_code, auto) { ++calls; }); break;
    case 7: c.read_by_uuid(1, 0xffff, att::uuid::from16(0x2a00), [&](error_code, auto) { ++calls; }); break;
    case 8: {
      std::vector<std::uint8_t> v(100, 0xab);
      c.write_long(7, 0, v, true, done0);
      break;
    }
    default: c.read_multiple({3, 7}, data[0] & 0x80, [&](error_code, auto) { ++calls; }); break;
  }
  std::size_t i = 1;
  std::uint8_t sink[1024];
  for (int round = 0; round < 64 && calls == 0 && b.is_open(); ++round) {
    io.restart();
    io.poll();
    while (::recv(fds[1], sink, sizeof sink, MSG_DONTWAIT) > 0) {
    }
    if (i >= size) break;
    const std::size_t len = std::min<std::size_t>(data[i], size - i - 1);
    if (len > 0) ::send(fds[1], data + i + 1, len, MSG_NOSIGNAL);
    i += 1 + len;
  }
  ::close(fds[1]);  // end of script: the link goes away
  for (int k = 0; k < 16; ++k) {
    io.restart();
    io.poll();
  }
  if (calls != 1) std::abort();
  return 0;
}
