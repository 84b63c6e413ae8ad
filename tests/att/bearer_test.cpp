#include "att/bearer.hpp"  // first: the header is self-contained

#include <doctest/doctest.h>

#include "tests/support/script_peer.hpp"

using namespace bandwire;
using namespace bandwire::att;
using namespace std::chrono_literals;
using test::hx;

namespace {

struct fixture {
  asio::io_context io;
  test::socket_pair sp = test::make_socket_pair(io);
  bearer b;
  test::peer peer;
  explicit fixture(bearer::options o = {}) : b(std::move(sp.local), o), peer(io, sp.peer_fd) { b.start(); }
};

// Records one response: how often, with what error, and the PDU's bytes.
struct response_probe {
  int calls = 0;
  error_code ec;
  std::string pdu_hex;
  bearer::response_handler fn() {
    return [this](error_code e, const pdu& p) {
      ++calls;
      ec = e;
      std::uint8_t buf[600];
      std::size_t n = encode(p, buf);
      pdu_hex = to_hex(bytes_view(buf, n));
    };
  }
};

}  // namespace

TEST_CASE("bearer: request and response, then idle") {
  fixture f;
  response_probe r;
  f.b.request(hx("0a0300"), r.fn());
  CHECK(r.calls == 0);  // never inline
  f.peer.expect("0a0300");
  f.peer.send("0b010203");
  REQUIRE(f.peer.run_until([&] { return r.calls == 1; }));
  CHECK_FALSE(r.ec);
  CHECK(r.pdu_hex == "0b010203");
  CHECK(f.b.idle());
  CHECK(f.b.is_open());
}

TEST_CASE("bearer: exactly one outstanding request; the next goes after the response") {
  fixture f;
  response_probe r1, r2;
  f.b.request(hx("0a0300"), r1.fn());
  f.b.request(hx("0a0400"), r2.fn());
  f.peer.expect("0a0300");
  CHECK(f.peer.silent());  // second request held back (§3.3.2)
  f.peer.send("0b01");
  f.peer.expect("0a0400");
  f.peer.send("0b02");
  REQUIRE(f.peer.run_until([&] { return r2.calls == 1; }));
  CHECK(r1.pdu_hex == "0b01");
  CHECK(r2.pdu_hex == "0b02");
}

TEST_CASE("bearer: commands and notifications are not held behind a request") {
  fixture f;
  response_probe r;
  std::vector<std::string> values;
  auto value_reg = f.b.on_value([&](std::uint16_t h, bytes_view v, bool ind) {
    values.push_back(std::to_string(h) + (ind ? "i:" : "n:") + to_hex(v));
  });
  f.b.request(hx("0a0300"), r.fn());
  f.peer.expect("0a0300");
  CHECK_FALSE(f.b.send(hx("520700aa")));
  f.peer.expect("520700aa");
  f.peer.send("1b0700beef");
  REQUIRE(f.peer.run_until([&] { return values.size() == 1; }));
  CHECK(values[0] == "7n:beef");
  CHECK(r.calls == 0);
  f.peer.send("0b00");
  REQUIRE(f.peer.run_until([&] { return r.calls == 1; }));
}

TEST_CASE("bearer: every indication is confirmed, even with no listener") {
  fixture f;
  f.peer.send("1d0300010203");
  f.peer.expect("1e");
  int seen = 0;
  auto value_reg = f.b.on_value([&](std::uint16_t, bytes_view, bool ind) { seen += ind; });
  f.peer.send("1d0300");
  f.peer.expect("1e");
  CHECK(seen == 1);
  CHECK(f.b.stats().indications == 2);
}

TEST_CASE("bearer: a response with no request pending closes the bearer") {
  fixture f;
  int closes = 0;
  error_code why;
  auto close_reg = f.b.on_close([&](error_code ec) {
    ++closes;
    why = ec;
  });
  f.peer.send("0b0102");
  REQUIRE(f.peer.run_until([&] { return closes == 1; }));
  CHECK(why == errc::unexpected_pdu);
  CHECK_FALSE(f.b.is_open());
  CHECK_FALSE(f.peer.recv(100ms));
  CHECK(f.peer.closed());
}

TEST_CASE("bearer: a response to another request fails the pending one only") {
  fixture f;
  response_probe r, r2;
  f.b.request(hx("0a0300"), r.fn());
  f.peer.expect("0a0300");
  f.peer.send("13");  // Write Response to a Read Request
  REQUIRE(f.peer.run_until([&] { return r.calls == 1; }));
  CHECK(r.ec == errc::mismatched_response);
  CHECK(f.b.is_open());
  // An Error Response naming another request opcode is a mismatch too.
  f.b.request(hx("0a0300"), r2.fn());
  f.peer.expect("0a0300");
  f.peer.send("0112030001");
  REQUIRE(f.peer.run_until([&] { return r2.calls == 1; }));
  CHECK(r2.ec == errc::mismatched_response);
}

TEST_CASE("bearer: peer errors keep their ATT code; the handle in the error is ignored") {
  fixture f;
  response_probe r;
  f.b.request(hx("0a0300"), r.fn());
  f.peer.expect("0a0300");
  f.peer.send("010a990002");
  REQUIRE(f.peer.run_until([&] { return r.calls == 1; }));
  CHECK(r.ec == error::read_not_permitted);
  CHECK(is_peer_error(r.ec));
  CHECK(r.ec.value() == 0x02);
}

TEST_CASE("bearer: an Error Response with the reserved code 0x00 is malformed, never a success") {
  // Found by fuzz/gatt_client.cpp: error_code{0} reads as success.
  fixture f;
  response_probe r;
  f.b.request(hx("0404000500"), r.fn());
  f.peer.expect("0404000500");
  f.peer.send("0104040000");
  REQUIRE(f.peer.run_until([&] { return r.calls == 1; }));
  CHECK(r.ec == errc::malformed_pdu);
  CHECK(f.b.is_open());
}

TEST_CASE("bearer: a malformed response fails the request, the bearer stays up") {
  fixture f;
  response_probe r;
  f.b.request(hx("080100ffff0328"), r.fn());
  f.peer.expect("080100ffff0328");
  f.peer.send("0900");  // Read By Type Response with Length 0
  REQUIRE(f.peer.run_until([&] { return r.calls == 1; }));
  CHECK(r.ec == errc::malformed_pdu);
  CHECK(f.b.is_open());
  CHECK(f.b.stats().malformed == 1);
}

TEST_CASE("bearer: truncated notifications are dropped and counted") {
  fixture f;
  int seen = 0;
  auto value_reg = f.b.on_value([&](std::uint16_t, bytes_view, bool) { ++seen; });
  f.peer.send("1b");
  f.peer.send("1b03");
  f.peer.send("1b0300");
  REQUIRE(f.peer.run_until([&] { return seen == 1; }));
  CHECK(f.b.stats().malformed == 2);
}

TEST_CASE("bearer: a PDU longer than ATT_MTU is cut to ATT_MTU and counted") {
  fixture f;
  response_probe r;
  f.b.request(hx("0a0300"), r.fn());
  f.peer.expect("0a0300");
  std::vector<std::uint8_t> big(30, 0xab);
  big[0] = 0x0b;
  f.peer.send(big);
  REQUIRE(f.peer.run_until([&] { return r.calls == 1; }));
  CHECK(r.pdu_hex.size() == 2 * 23);
  CHECK(f.b.stats().truncated == 1);
}

TEST_CASE("bearer: the transaction timeout closes the bearer and fails everything once") {
  fixture f(bearer::options{517, 50ms});
  response_probe r1, r2;
  f.b.request(hx("0a0300"), r1.fn());
  f.b.request(hx("0a0400"), r2.fn());
  f.peer.expect("0a0300");
  REQUIRE(f.peer.run_until([&] { return r1.calls == 1 && r2.calls == 1; }));
  CHECK(r1.ec == errc::timeout);
  CHECK(r2.ec == errc::timeout);
  CHECK_FALSE(f.b.is_open());
  // After a timeout nothing more is sent (§3.3.3).
  response_probe r3;
  f.b.request(hx("0a0500"), r3.fn());
  REQUIRE(f.peer.run_until([&] { return r3.calls == 1; }));
  CHECK(r3.ec == errc::timeout);
  CHECK(f.b.send(hx("520100")) == errc::timeout);
  CHECK_FALSE(f.peer.recv(50ms));
  f.peer.pump();
  CHECK(r1.calls == 1);
  CHECK(r2.calls == 1);
}

TEST_CASE("bearer: a peer that never answers times out; a late answer is not accepted") {
  fixture f(bearer::options{517, 40ms});
  response_probe r;
  f.b.request(hx("0a0300"), r.fn());
  f.peer.expect("0a0300");
  REQUIRE(f.peer.run_until([&] { return r.calls == 1; }));
  CHECK(r.ec == errc::timeout);
  CHECK(::send(f.peer.fd(), "\x0b\x01", 2, MSG_NOSIGNAL) < 0);  // the bearer's end is gone
}

TEST_CASE("bearer: disconnect mid-request fails pending and queued requests exactly once") {
  fixture f;
  response_probe r1, r2;
  int closes = 0;
  auto close_reg = f.b.on_close([&](error_code) { ++closes; });
  f.b.request(hx("0a0300"), r1.fn());
  f.b.request(hx("0a0400"), r2.fn());
  f.peer.expect("0a0300");
  f.peer.close();
  REQUIRE(f.peer.run_until([&] { return r1.calls == 1 && r2.calls == 1 && closes == 1; }));
  CHECK(r1.ec == errc::closed);
  CHECK(r2.ec == errc::closed);
  for (int i = 0; i < 5; ++i) f.peer.pump();
  CHECK(r1.calls == 1);
  CHECK(r2.calls == 1);
  CHECK(closes == 1);
}

TEST_CASE("bearer: security is raised once on Insufficient Authentication, then the request retried") {
  fixture f;
  scripted_security sec(security_level::low, true);
  f.b.set_security(&sec);
  response_probe r;
  f.b.request(hx("0a0300"), r.fn());
  f.peer.expect("0a0300");
  f.peer.send("010a030005");
  f.peer.expect("0a0300");
  f.peer.send("010a030005");  // still refused: reported, no second retry
  REQUIRE(f.peer.run_until([&] { return r.calls == 1; }));
  CHECK(r.ec == error::insufficient_authentication);
  CHECK(sec.raise_calls() == 1);
  CHECK(sec.level() == security_level::medium);
  CHECK(f.peer.silent());
}

TEST_CASE("bearer: when the link cannot raise security the peer's error is reported") {
  fixture f;
  scripted_security sec(security_level::low, false);
  f.b.set_security(&sec);
  response_probe r;
  f.b.request(hx("0a0300"), r.fn());
  f.peer.expect("0a0300");
  f.peer.send("010a03000f");
  REQUIRE(f.peer.run_until([&] { return r.calls == 1; }));
  CHECK(r.ec == error::insufficient_encryption);
  CHECK(f.peer.silent());
}

TEST_CASE("bearer: server role answers requests, ignores unknown commands, rejects unknown requests") {
  fixture f;
  f.b.on_request([](bytes_view req, bytes_span rsp) -> std::size_t {
    if (req[0] == 0x02) return encode(exchange_mtu_rsp{100}, rsp);
    if (req[0] == 0x0a) return encode(read_rsp{bytes_view(req.data() + 1, 2)}, rsp);
    return encode(error_rsp{req[0], 0, 0x06}, rsp);
  });
  f.peer.send("020002");
  f.peer.expect("036400");
  REQUIRE(f.peer.run_until([&] { return f.b.mtu() == 100; }));
  f.peer.send("0a3412");
  f.peer.expect("0b3412");
  // Without a request handler: Request Not Supported; commands are silent.
  fixture g;
  g.peer.send("0a0100");
  g.peer.expect("010a000006");
  g.peer.send("7f0102");
  g.peer.send("520100");
  CHECK(g.peer.silent());
  g.peer.send("3f");  // unknown request without the command flag
  g.peer.expect("013f000006");
}

TEST_CASE("bearer: one outstanding indication; the next waits for the confirmation") {
  fixture f;
  int d1 = 0, d2 = 0;
  f.b.indicate(hx("1d0300aa"), [&](error_code ec) { d1 += !ec; });
  f.b.indicate(hx("1d0300bb"), [&](error_code ec) { d2 += !ec; });
  f.peer.expect("1d0300aa");
  CHECK(f.peer.silent());
  f.peer.send("1e");
  f.peer.expect("1d0300bb");
  f.peer.send("1e");
  REQUIRE(f.peer.run_until([&] { return d2 == 1; }));
  CHECK(d1 == 1);
  // A confirmation with no indication outstanding is a violation.
  f.peer.send("1e");
  REQUIRE(f.peer.run_until([&] { return !f.b.is_open(); }));
  CHECK(f.b.close_reason() == errc::unexpected_pdu);
}

TEST_CASE("bearer: a value longer than ATT_MTU is refused locally") {
  fixture f;
  std::vector<std::uint8_t> big(24, 0x52);
  CHECK(f.b.send(big) == errc::value_too_long);
  response_probe r;
  big[0] = 0x12;
  f.b.request(big, r.fn());
  REQUIRE(f.peer.run_until([&] { return r.calls == 1; }));
  CHECK(r.ec == errc::value_too_long);
  CHECK(f.peer.silent());
}
