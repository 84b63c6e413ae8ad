#include "miband/auth.hpp"  // first: the header is self-contained

#include <doctest/doctest.h>

#include <array>
#include <string>

#include "hex.hpp"

using namespace bandwire;
using namespace bandwire::miband;
using miband_test::compact;
using miband_test::hex_of;
using miband_test::hx;
using std::chrono::milliseconds;

namespace {

auth_key key_of(const char* hex) {
  auto k = auth_key::from_bytes(hx(hex));
  REQUIRE(k);
  return *k;
}
std::array<std::uint8_t, 16> block(const char* hex) {
  auto v = hx(hex);
  REQUIRE(v.size() == 16);
  std::array<std::uint8_t, 16> a;
  for (std::size_t i = 0; i < 16; ++i) a[i] = v[i];
  return a;
}

// Fact sheet §20.1.
constexpr const char* a1_key = "91 c7 95 47 27 b7 ec 7f b8 9c 65 b3 11 bd d5 9f";
constexpr const char* a1_random = "0d a6 96 23 f7 98 f0 c5 41 6a aa 47 eb 1c c4 a9";
constexpr const char* a1_answer = "87 18 21 90 ce 01 47 47 99 c8 69 85 a0 32 84 a1";
constexpr const char* a2_key = "d8 8c a0 fe f5 04 cc 82 73 5f 15 fe b6 bf 9b 1f";
constexpr const char* a2_random = "68 9c 1d d5 8a 66 6f 0f 8c 90 a1 a9 6e 1a b3 a3";
constexpr const char* a2_answer = "ce 1c 01 35 db 39 e6 1f 1a 27 01 2f b9 07 df 3b";

/// A fluent script over the auth state machine: what it must write, what
/// the band answers, how it ends (style anchors §7 rec. 9).
class script {
 public:
  explicit script(authenticator& a) : a_(a) {}
  script& start() {
    last_ = a_.start();
    return *this;
  }
  script& feed(const std::string& hex) {
    auto v = hx(hex);
    last_ = a_.on_notification(v);
    return *this;
  }
  script& time_out() {
    last_ = a_.on_timeout();
    return *this;
  }
  script& expect_write(const std::string& hex, milliseconds timeout) {
    CAPTURE(hex);
    REQUIRE(last_.what == auth_action::kind::write);
    CHECK(hex_of(last_.value) == compact(hex));
    CHECK(last_.timeout == timeout);
    return *this;
  }
  script& expect_done(boost::system::error_code ec) {
    REQUIRE(last_.what == auth_action::kind::done);
    CHECK(last_.ec == ec);
    CHECK(a_.finished());
    return *this;
  }
  /// A call that was refused without touching the run (start() twice).
  script& expect_refused() {
    REQUIRE(last_.what == auth_action::kind::done);
    CHECK(last_.ec == errc::invalid_argument);
    return *this;
  }
  script& expect_nothing() {
    CHECK(last_.what == auth_action::kind::none);
    return *this;
  }

 private:
  authenticator& a_;
  auth_action last_;
};

const milliseconds bind_t{30'000};
const milliseconds reply_t{5'000};

}  // namespace

TEST_CASE("auth: AES-128-ECB answers match fact sheet §20.1 A1..A4") {
  CHECK(to_hex(encrypt_challenge(key_of(a1_key), block(a1_random))) == compact(a1_answer));  // CAP-A
  CHECK(to_hex(encrypt_challenge(key_of(a2_key), block(a2_random))) == compact(a2_answer));  // NM
  const std::array<std::uint8_t, 16> zeros{};
  CHECK(to_hex(encrypt_challenge(well_known_key(), zeros)) == "62660a4d0f8c89854e4a5137ada3f6cc");  // A3
  CHECK(to_hex(encrypt_challenge(well_known_key(), block(a1_random))) ==
        "dc8a39437f1534154c38102759a5e6cf");  // A4
  CHECK(to_hex(well_known_key().secret_bytes()) == to_hex(hx("30313233343536373839404142434445")));
}

TEST_CASE("auth: first binding, the real CAP-A exchange byte for byte (fact sheet §20.1)") {
  auth_options o;
  o.bind_new_key = true;  // Mi Fit, flag 00
  authenticator a(key_of(a1_key), o);
  CHECK(a.state() == auth_state::idle);
  script s(a);
  s.start().expect_write(std::string("01 00 ") + a1_key, bind_t);
  CHECK(a.state() == auth_state::awaiting_bind);
  s.feed("10 01 01").expect_write("02 00", reply_t);  // after the user's tap
  CHECK(a.state() == auth_state::awaiting_challenge);
  s.feed(std::string("10 02 01 ") + a1_random).expect_write(std::string("03 00 ") + a1_answer, reply_t);
  CHECK(a.state() == auth_state::awaiting_result);
  s.feed("10 03 01").expect_done({});
  CHECK(a.state() == auth_state::authenticated);
  CHECK_FALSE(a.error());
  // Stray notifications after the end change nothing.
  s.feed("10 03 04").expect_nothing();
  CHECK(a.state() == auth_state::authenticated);
}

TEST_CASE("auth: reconnect with a known key, NM exchange with Gadgetbridge's flag 08") {
  auth_options o;
  o.auth_flag = auth_flag_gadgetbridge;
  authenticator a(key_of(a2_key), o);
  script s(a);
  s.start().expect_write("02 08", reply_t);
  s.feed(std::string("10 02 01 ") + a2_random).expect_write(std::string("03 08 ") + a2_answer, reply_t);
  s.feed("10 03 01").expect_done({});
}

TEST_CASE("auth: key rejected is reported and never followed by a silent re-bind") {
  authenticator a(well_known_key());
  script s(a);
  s.start().expect_write("02 00", reply_t);
  s.feed(std::string("10 02 01 ") + a1_random)
      .expect_write("03 00 dc8a39437f1534154c38102759a5e6cf", reply_t);  // A4
  s.feed("10 03 04").expect_done(errc::key_rejected);
  CHECK(a.state() == auth_state::failed);
  CHECK(a.error() == errc::key_rejected);
  CHECK(a.band_status() == 0x04);
  // The machine is finished: no write of `01 …` can come out of it, whatever
  // the band sends next or however long the shell waits.
  s.feed("10 01 01").expect_nothing();
  s.feed(std::string("10 02 01 ") + a1_random).expect_nothing();
  s.time_out().expect_nothing();
  s.start().expect_refused();
  CHECK(a.state() == auth_state::failed);
}

TEST_CASE("auth: other statuses on 10 03 are rejections too (user-needs A3: `10 03 08`)") {
  authenticator a(well_known_key());
  script s(a);
  s.start().feed(std::string("10 02 01 ") + a1_random).feed("10 03 08").expect_done(errc::key_rejected);
  CHECK(a.band_status() == 0x08);
}

TEST_CASE("auth: bind refused, bind timed out, challenge refused, no answer") {
  auth_options bind;
  bind.bind_new_key = true;
  {
    authenticator a(well_known_key(), bind);
    script(a).start().feed("10 01 04").expect_done(errc::bind_refused);
    CHECK(a.band_status() == 0x04);
  }
  {
    authenticator a(well_known_key(), bind);
    script(a).start().time_out().expect_done(errc::bind_timed_out);
    CHECK_FALSE(a.band_status());
  }
  {
    authenticator a(well_known_key());
    script(a).start().feed("10 02 04").expect_done(errc::challenge_refused);
  }
  {
    authenticator a(well_known_key());
    script(a).start().time_out().expect_done(errc::no_answer);
  }
  {
    authenticator a(well_known_key());
    script(a).start().feed(std::string("10 02 01 ") + a1_random).time_out().expect_done(errc::no_answer);
  }
  {
    auth_options slow = bind;
    slow.bind_timeout = milliseconds{60'000};
    slow.reply_timeout = milliseconds{250};
    authenticator a(well_known_key(), slow);
    script(a).start().expect_write("01 00 30313233343536373839404142434445", milliseconds{60'000});
    script(a).feed("10 01 01").expect_write("02 00", milliseconds{250});
  }
}

TEST_CASE("auth: malformed replies and replies to the wrong step") {
  struct bad_case {
    const char* reply;
    errc expected;
  };
  // Awaiting the challenge.
  for (auto c : {bad_case{"", errc::malformed_reply},
                 bad_case{"10 02", errc::malformed_reply},
                 bad_case{"11 02 01", errc::malformed_reply},
                 bad_case{"10 02 01", errc::malformed_reply},                  // no random
                 bad_case{"10 02 01 00 01 02 03 04 05 06 07 08 09 0a 0b 0c 0d 0e", errc::malformed_reply},  // 15
                 bad_case{"10 02 01 00 01 02 03 04 05 06 07 08 09 0a 0b 0c 0d 0e 0f 10", errc::malformed_reply},
                 bad_case{"10 01 01", errc::unexpected_auth_step},
                 bad_case{"10 03 01", errc::unexpected_auth_step},
                 bad_case{"10 82 01 00 01 02 03 04 05 06 07 08 09 0a 0b 0c 0d 0e 0f", errc::unexpected_auth_step},
                 bad_case{"10 05 01", errc::unexpected_auth_step}}) {
    CAPTURE(c.reply);
    authenticator a(well_known_key());
    script(a).start().feed(c.reply).expect_done(c.expected);
    CHECK(a.error() == c.expected);
  }
  // Awaiting the result.
  for (auto c : {bad_case{"10 03 01 00", errc::malformed_reply}, bad_case{"10 02 01", errc::unexpected_auth_step},
                 bad_case{"10 03", errc::malformed_reply}}) {
    CAPTURE(c.reply);
    authenticator a(well_known_key());
    script(a).start().feed(std::string("10 02 01 ") + a1_random).feed(c.reply).expect_done(c.expected);
  }
  // Awaiting the tap.
  auth_options bind;
  bind.bind_new_key = true;
  for (auto c : {bad_case{"10 01 01 ff", errc::malformed_reply}, bad_case{"10 03 04", errc::unexpected_auth_step}}) {
    CAPTURE(c.reply);
    authenticator a(well_known_key(), bind);
    script(a).start().feed(c.reply).expect_done(c.expected);
  }
}

TEST_CASE("auth: idle machine ignores input; start twice is refused") {
  authenticator a(well_known_key());
  script s(a);
  s.feed("10 02 01").expect_nothing();
  s.time_out().expect_nothing();
  CHECK(a.state() == auth_state::idle);
  s.start().expect_write("02 00", reply_t);
  s.start().expect_refused();
  CHECK(a.state() == auth_state::awaiting_challenge);  // unchanged by the refused call
  CHECK(std::string(to_string(a.state())) == "awaiting_challenge");
}

TEST_CASE("auth: crypt flags (Mi Band 4 style, fact sheet §18)") {
  auth_options o;
  o.crypt_flags = crypt_flags_mb4;
  authenticator a(key_of(a1_key), o);
  script s(a);
  s.start().expect_write("82 00 02 01 00", reply_t);
  // GB masks the echoed command with 0x0f: both 0x82 and 0x02 are accepted.
  s.feed(std::string("10 82 01 ") + a1_random).expect_write(std::string("83 00 ") + a1_answer, reply_t);
  s.feed("10 03 01").expect_done({});

  o.bind_new_key = true;  // such bands cannot bind a key
  authenticator b(key_of(a1_key), o);
  script(b).start().expect_done(errc::bind_not_supported);
  CHECK(b.state() == auth_state::failed);
}

TEST_CASE("auth: crypt flags with the plain fallback of fact sheet §22.16") {
  auth_options o;
  o.crypt_flags = crypt_flags_mb4;
  o.plain_fallback = true;
  SUBCASE("the crypt-flag request accepted: no fallback") {
    authenticator a(key_of(a1_key), o);
    script s(a);
    s.start().expect_write("82 00 02 01 00", reply_t);
    s.feed(std::string("10 82 01 ") + a1_random).expect_write(std::string("83 00 ") + a1_answer, reply_t);
    s.feed("10 83 01").expect_done({});
    CHECK_FALSE(a.fell_back());
    CHECK(a.crypt_flags() == 0x80);
  }
  SUBCASE("refused (10 82 04): plain 02 00, then 03 00 without crypt flags") {
    authenticator a(key_of(a1_key), o);
    script s(a);
    s.start().expect_write("82 00 02 01 00", reply_t);
    s.feed("10 82 04").expect_write("02 00", reply_t);
    CHECK(a.fell_back());
    CHECK(a.crypt_flags() == 0x00);
    s.feed(std::string("10 02 01 ") + a1_random).expect_write(std::string("03 00 ") + a1_answer, reply_t);
    s.feed("10 03 01").expect_done({});
    CHECK(a.state() == auth_state::authenticated);
  }
  SUBCASE("no answer: plain 02 00 after the deadline") {
    authenticator a(key_of(a1_key), o);
    script s(a);
    s.start().expect_write("82 00 02 01 00", reply_t);
    s.time_out().expect_write("02 00", reply_t);
    s.feed(std::string("10 02 01 ") + a1_random).expect_write(std::string("03 00 ") + a1_answer, reply_t);
    s.feed("10 03 01").expect_done({});
  }
  SUBCASE("only one fallback: a refused plain request ends the run") {
    authenticator a(key_of(a1_key), o);
    script s(a);
    s.start().expect_write("82 00 02 01 00", reply_t);
    s.feed("10 82 04").expect_write("02 00", reply_t);
    s.feed("10 02 04").expect_done(errc::challenge_refused);
    CHECK(a.band_status() == 0x04);
  }
  SUBCASE("a rejected answer after the fallback is a rejection, never a bind") {
    authenticator a(key_of(a1_key), o);
    script s(a);
    s.start().expect_write("82 00 02 01 00", reply_t);
    s.time_out().expect_write("02 00", reply_t);
    s.feed(std::string("10 02 01 ") + a1_random).expect_write(std::string("03 00 ") + a1_answer, reply_t);
    s.feed("10 03 04").expect_done(errc::key_rejected);
  }
  SUBCASE("without plain_fallback a refusal ends the run") {
    o.plain_fallback = false;
    authenticator a(key_of(a1_key), o);
    script s(a);
    s.start().expect_write("82 00 02 01 00", reply_t);
    s.feed("10 82 04").expect_done(errc::challenge_refused);
  }
  SUBCASE("the fallback needs crypt flags: a plain refusal on a Mi Band 2 is final") {
    o.crypt_flags = crypt_flags_none;
    authenticator a(key_of(a1_key), o);
    script s(a);
    s.start().expect_write("02 00", reply_t);
    s.feed("10 02 04").expect_done(errc::challenge_refused);
  }
}

TEST_CASE("auth: band-side frames for the virtual band") {
  auth_request r;
  auto bind = hx(std::string("01 00 ") + a1_key);
  REQUIRE_FALSE(decode_auth_request(bind, r));
  CHECK(r.command == auth_cmd_bind);
  CHECK(r.auth_flag == 0x00);
  CHECK(to_hex(r.payload) == compact(a1_key));

  auto challenge = hx("02 08");
  REQUIRE_FALSE(decode_auth_request(challenge, r));
  CHECK(r.command == auth_cmd_challenge);
  CHECK(r.auth_flag == 0x08);
  CHECK(r.payload.empty());

  auto crypt = hx("82 00 02 01 00");
  REQUIRE_FALSE(decode_auth_request(crypt, r));
  CHECK(r.command == auth_cmd_challenge);
  CHECK(r.crypt_flags == 0x80);

  auto answer = hx(std::string("03 00 ") + a1_answer);
  REQUIRE_FALSE(decode_auth_request(answer, r));
  CHECK(r.command == auth_cmd_answer);
  CHECK(answer_matches(key_of(a1_key), block(a1_random), r.payload));
  CHECK_FALSE(answer_matches(well_known_key(), block(a1_random), r.payload));
  CHECK_FALSE(answer_matches(key_of(a1_key), block(a1_random), r.payload.first(15)));

  for (const char* bad : {"", "01", "01 00 00", "02", "02 00 00", "03 00 01 02", "04 00", "82 00"}) {
    CAPTURE(bad);
    auto v = hx(bad);
    CHECK(decode_auth_request(v, r) == errc::malformed_value);
  }
  CHECK(hex_of(make_challenge_reply(block(a1_random))) == compact(std::string("10 02 01 ") + a1_random));
  CHECK(hex_of(make_bind_request(key_of(a1_key), 0)) == compact(std::string("01 00 ") + a1_key));
  CHECK(hex_of(make_challenge_request(0x08)) == "0208");
  CHECK(hex_of(make_answer(key_of(a2_key), block(a2_random), 0x00)) == compact(std::string("03 00 ") + a2_answer));
}

TEST_CASE("auth: key files, generation and masking") {
  std::optional<auth_key> k;
  REQUIRE_FALSE(parse_key_file("91c7954727b7ec7fb89c65b311bdd59f\n", k));
  CHECK(*k == key_of(a1_key));
  REQUIRE_FALSE(parse_key_file("# band in the kitchen\n\n  0x91C7954727B7EC7FB89C65B311BDD59F  \r\n", k));
  CHECK(*k == key_of(a1_key));
  REQUIRE_FALSE(parse_key_file("91:c7:95:47:27:b7:ec:7f:b8:9c:65:b3:11:bd:d5:9f", k));
  CHECK(*k == key_of(a1_key));
  CHECK(format_key_file(*k) == "91c7954727b7ec7fb89c65b311bdd59f\n");
  std::optional<auth_key> back;
  REQUIRE_FALSE(parse_key_file(format_key_file(*k), back));
  CHECK(*back == *k);

  std::optional<auth_key> untouched;
  for (const char* bad : {"", "\n# only a comment\n", "0123456789@ABCDE",           // ASCII, not hex
                          "91c7954727b7ec7fb89c65b311bdd5",                         // 15 bytes
                          "91c7954727b7ec7fb89c65b311bdd59f00",                     // 17 bytes
                          "91c7954727b7ec7fb89c65b311bdd59",                        // odd
                          "91c7954727b7ec7fb89c65b311bdd59f\n91c7954727b7ec7fb89c65b311bdd59f"}) {
    CAPTURE(bad);
    CHECK(parse_key_file(bad, untouched) == errc::invalid_key);
  }
  CHECK_FALSE(untouched);
  CHECK_FALSE(auth_key::from_bytes(hx("00 01")));

  int calls = 0;
  auto g = generate_key([&](bytes_span out) {
    ++calls;
    CHECK(out.size() == 16);
    for (std::size_t i = 0; i < out.size(); ++i) out[i] = static_cast<std::uint8_t>(0xa0 + i);
  });
  CHECK(calls == 1);
  CHECK(to_hex(g.secret_bytes()) == "a0a1a2a3a4a5a6a7a8a9aaabacadaeaf");

  // The masked form hides every key byte but is stable per key.
  const std::string m = masked(key_of(a1_key));
  CHECK(m.rfind("auth key ********", 0) == 0);
  CHECK(m.find("91c7") == std::string::npos);
  CHECK(m == masked(key_of(a1_key)));
  CHECK(m != masked(well_known_key()));
  CHECK(masked(well_known_key()).find("62660a4d") == std::string::npos);  // not the A3 answer
  CHECK_FALSE(key_of(a1_key) == well_known_key());
}
