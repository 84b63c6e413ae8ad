// The activity history codec and fetch state machine (fact sheet §14, §20.7).
#include "miband/history.hpp"  // first: the header is self-contained

#include <doctest/doctest.h>

#include <cstdlib>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "hex.hpp"
#include "miband/history_fetch.hpp"
#include "miband/history_model.hpp"
#include "miband/history_server.hpp"
#include "miband/signal_model.hpp"

using namespace bandwire;
using namespace bandwire::miband;
using miband_test::compact;
using miband_test::hex_of;
using miband_test::hx;
namespace chr = std::chrono;
using namespace std::chrono_literals;

namespace {

chr::sys_seconds utc(int y, unsigned mo, unsigned d, int h, int mi, int s = 0) {
  return chr::sys_days{chr::year{y} / mo / d} + chr::hours{h} + chr::minutes{mi} + chr::seconds{s};
}

// §20.7's example: the host is at +2 h.
history_fetch_options at_plus_2h() {
  history_fetch_options o;
  o.utc_offset = [](chr::sys_seconds) { return chr::minutes{120}; };
  return o;
}

// A data packet with counter c and n records whose intensity is base+i
// (so every record of a round is distinguishable).
std::vector<std::uint8_t> packet(std::uint8_t c, std::size_t n, std::uint8_t base = 0) {
  std::vector<std::uint8_t> v{c};
  for (std::size_t i = 0; i < n; ++i) {
    const std::uint8_t b[4] = {0x01, static_cast<std::uint8_t>(base + i), static_cast<std::uint8_t>(i), 0xff};
    v.insert(v.end(), b, b + 4);
  }
  return v;
}

void require_write(const history_action& a, const std::string& hex) {
  REQUIRE(a.what == history_action::kind::write);
  CHECK(hex_of(a.value) == compact(hex));
}

// Feeds `records` records as full 4-record packets (a shorter last one),
// counters from 0; returns the action of the last packet.
history_action send_records(history_fetch& f, std::size_t records) {
  history_action last;
  std::uint8_t c = 0;
  for (std::size_t sent = 0; sent < records; sent += 4) {
    const std::size_t n = std::min<std::size_t>(4, records - sent);
    last = f.on_data(packet(c++, n, static_cast<std::uint8_t>(sent)));
    REQUIRE(last.what == history_action::kind::wait);
  }
  return last;
}

}  // namespace

// ---------------------------------------------------------------- codec

TEST_CASE("history: the §20.7 request, seconds dropped, tz from the given offset") {
  // 2018-03-20 10:00 at +2 h = 08:00Z; seconds are truncated (GB-FETCH).
  CHECK(hex_of(make_fetch_request(fetch_type_activity, make_fetch_start(utc(2018, 3, 20, 8, 0, 37), 120min))) ==
        compact("01 01 e2 07 03 14 0a 00 00 08"));
  // +5:30 is 22 quarters (0x16, as in §20.2 MB3PY); −3:30 is −14 (0xf2).
  CHECK(hex_of(make_fetch_request(fetch_type_activity, make_fetch_start(utc(2018, 1, 29, 18, 30), 330min))) ==
        compact("01 01 e2 07 01 1e 00 00 00 16"));
  CHECK(hex_of(make_fetch_request(fetch_type_activity, make_fetch_start(utc(2018, 1, 30, 3, 30), -210min))) ==
        compact("01 01 e2 07 01 1e 00 00 00 f2"));
  CHECK(hex_of(make_fetch_transfer()) == "02");
  CHECK(hex_of(make_fetch_ack()) == "03");
}

TEST_CASE("history: the host offset comes from localtime_r, DST included") {
  const char* old = std::getenv("TZ");
  const std::string saved = old ? old : "";
  // POSIX rule strings need no tzdata: Central Europe, and India (+5:30).
  ::setenv("TZ", "CET-1CEST,M3.5.0,M10.5.0/3", 1);
  ::tzset();
  CHECK(host_utc_offset(utc(2018, 1, 15, 12, 0)) == 60min);
  CHECK(host_utc_offset(utc(2018, 7, 15, 12, 0)) == 120min);
  // The switch of 2018-03-25 01:00Z.
  CHECK(host_utc_offset(utc(2018, 3, 25, 0, 59)) == 60min);
  CHECK(host_utc_offset(utc(2018, 3, 25, 1, 0)) == 120min);
  ::setenv("TZ", "IST-5:30", 1);
  ::tzset();
  CHECK(host_utc_offset(utc(2018, 7, 15, 12, 0)) == 330min);
  if (old) ::setenv("TZ", saved.c_str(), 1);
  else ::unsetenv("TZ");
  ::tzset();
}

TEST_CASE("history: decode the reply to 01 (count, the returned start date and tz)") {
  fetch_start_reply r;
  REQUIRE_FALSE(decode_fetch_start_reply(hx("10 01 01 3c 00 00 00 e2 07 03 14 0a 00 00 08"), r));
  CHECK(r.count == 60);
  CHECK(r.start.local == date_time{2018, 3, 20, 10, 0, 0});
  CHECK(r.start.tz_quarters == 8);
  CHECK(*r.start.utc() == utc(2018, 3, 20, 8, 0));
  // count is u32 LE; a negative tz byte.
  REQUIRE_FALSE(decode_fetch_start_reply(hx("10 01 01 01 02 03 04 e2 07 03 14 0a 00 00 f2"), r));
  CHECK(r.count == 0x04030201u);
  CHECK(r.start.tz_quarters == -14);
  // Later bands append a byte (GB-FETCH: MB7 sends 16); accepted.
  CHECK_FALSE(decode_fetch_start_reply(hx("10 01 01 3c 00 00 00 e2 07 03 14 0a 00 00 08 00"), r));
  CHECK(decode_fetch_start_reply(hx("10 01 04"), r) == history_errc::fetch_refused);
  CHECK(decode_fetch_start_reply(hx("10 01 02 00 00"), r) == history_errc::fetch_refused);
  CHECK(decode_fetch_start_reply(hx("10 01 01 3c 00 00 00 e2 07 03 14 0a 00 00"), r) == history_errc::malformed_reply);
  CHECK(decode_fetch_start_reply(hx("10 02 01"), r) == history_errc::malformed_reply);
  CHECK(decode_fetch_start_reply(hx("11 01 01"), r) == history_errc::malformed_reply);
  CHECK(decode_fetch_start_reply({}, r) == history_errc::malformed_reply);
  // The virtual band's encoder gives the same bytes back.
  CHECK(hex_of(make_fetch_start_reply(60, {{2018, 3, 20, 10, 0, 0}, 8})) ==
        compact("10 01 01 3c 00 00 00 e2 07 03 14 0a 00 00 08"));
}

TEST_CASE("history: requests as the band decodes them") {
  fetch_request q;
  REQUIRE_FALSE(decode_fetch_request(hx("01 01 e2 07 03 14 0a 00 00 08"), q));
  CHECK(q.command == 1);
  CHECK(q.type == 1);
  CHECK(q.start == zoned_date{{2018, 3, 20, 10, 0, 0}, 8});
  REQUIRE_FALSE(decode_fetch_request(hx("02"), q));
  CHECK(q.command == 2);
  REQUIRE_FALSE(decode_fetch_request(hx("03"), q));
  CHECK(q.command == 3);
  for (const char* bad : {"", "01 01 e2 07 03 14 0a 00 00", "01 01 e2 07 03 14 0a 00 00 08 00", "02 00", "03 01", "04"})
    CHECK_MESSAGE(decode_fetch_request(hx(bad), q) == history_errc::malformed_reply, bad);
}

TEST_CASE("history: the three real packets of §14.2 decode record by record") {
  struct expect { std::uint8_t counter; history_sample s[4]; };
  const char* real[] = {"0f 00 02 00 ff 00 07 00 ff 0a 14 00 ff 00 1a 00 ff",
                        "10 0a 14 00 ff 00 18 00 ff 00 01 00 ff 0a 14 00 ff",
                        "24 00 0c 00 ff 0a 14 00 ff 0a 14 00 ff 0a 14 00 ff"};
  const expect want[] = {
      {0x0f, {{0x00, 0x02, 0, 0xff}, {0x00, 0x07, 0, 0xff}, {0x0a, 0x14, 0, 0xff}, {0x00, 0x1a, 0, 0xff}}},
      {0x10, {{0x0a, 0x14, 0, 0xff}, {0x00, 0x18, 0, 0xff}, {0x00, 0x01, 0, 0xff}, {0x0a, 0x14, 0, 0xff}}},
      {0x24, {{0x00, 0x0c, 0, 0xff}, {0x0a, 0x14, 0, 0xff}, {0x0a, 0x14, 0, 0xff}, {0x0a, 0x14, 0, 0xff}}},
  };
  // Fed in order: 0x0f, 0x10, then 0x24 where 0x11 was due — a gap of 19
  // packets that must be reported, not absorbed.
  packet_counter seq(0x0f);
  for (int i = 0; i < 3; ++i) {
    const auto bytes = hx(real[i]);
    REQUIRE(bytes.size() == 17);
    history_packet p;
    REQUIRE_FALSE(decode_history_packet(bytes, p));
    CHECK(p.counter == want[i].counter);
    REQUIRE(p.count() == 4);
    for (std::size_t k = 0; k < 4; ++k) CHECK(p.sample(k) == want[i].s[k]);
    const auto ec = seq.check(p.counter);
    if (i < 2) {
      CHECK_FALSE(ec);
    } else {
      CHECK(ec == history_errc::packet_gap);
      CHECK(seq.expected() == 0x11);  // unchanged by the failed check
    }
  }
  CHECK(seq.accepted() == 2);
  // Their minutes: HR 0xFF is "not measured", kind 0x0a is "ignore".
  history_packet p;
  const auto bytes = hx(real[0]);
  REQUIRE_FALSE(decode_history_packet(bytes, p));
  const auto m = make_minute_record(utc(2017, 6, 1, 0, 2), 8, p.sample(2));
  CHECK(m.time == utc(2017, 6, 1, 0, 2));
  CHECK(m.tz_quarters == 8);
  CHECK(m.raw_kind == 0x0a);
  CHECK(m.category == activity_category::ignore);
  CHECK(m.intensity == 0x14);
  CHECK(m.steps == 0);
  CHECK_FALSE(m.heart_rate.has_value());
  CHECK(make_minute_record({}, 0, {0x01, 0x50, 0x60, 72}).heart_rate == std::optional<std::uint8_t>(72));
  CHECK(make_minute_record({}, 0, {0x01, 0x50, 0x60, 0}).heart_rate == std::optional<std::uint8_t>(0));
}

TEST_CASE("history: packet lengths must be 1 + 4N") {
  history_packet p;
  for (std::size_t n : {1u, 5u, 9u, 13u, 17u, 21u}) {
    std::vector<std::uint8_t> v(n, 0x11);
    REQUIRE_FALSE(decode_history_packet(v, p));
    CHECK(p.count() == (n - 1) / 4);
    CHECK(p.counter == 0x11);
  }
  for (std::size_t n : {0u, 2u, 3u, 4u, 16u, 18u, 20u}) {
    std::vector<std::uint8_t> v(n, 0x11);
    CHECK_MESSAGE(decode_history_packet(v, p) == history_errc::bad_packet_length, n);
  }
  // The encoder: 17 bytes full, shorter with fewer records.
  const history_sample s[3] = {{1, 2, 3, 4}, {5, 6, 7, 8}, {9, 10, 11, 0xff}};
  CHECK(hex_of(make_history_packet(0xfe, s)) == compact("fe 01 02 03 04 05 06 07 08 09 0a 0b ff"));
}

TEST_CASE("history: the counter wraps 255 -> 0; repeats and gaps are distinct") {
  packet_counter c;
  for (int i = 0; i < 256 + 10; ++i) REQUIRE_FALSE(c.check(static_cast<std::uint8_t>(i)));
  CHECK(c.expected() == 10);
  CHECK(c.check(9) == history_errc::packet_repeated);
  CHECK(c.check(11) == history_errc::packet_gap);
  CHECK(c.check(8) == history_errc::packet_gap);  // older than the previous one: not a simple repeat
  packet_counter w(0xff);
  REQUIRE_FALSE(w.check(0xff));
  CHECK(w.expected() == 0);
  CHECK(w.check(0xff) == history_errc::packet_repeated);
  CHECK_FALSE(w.check(0));
  // Before the first packet nothing can be a repeat.
  packet_counter fresh;
  CHECK(fresh.check(0xff) == history_errc::packet_gap);
}

TEST_CASE("history: categories are kind & 0x0F, unknown ones kept (§14.3)") {
  CHECK(categorize(0x51) == activity_category::activity);     // awake, inactive (#686)
  CHECK(categorize(0x5b) == activity_category::deep_sleep);
  CHECK(categorize(0x70) == activity_category::no_change);
  CHECK(categorize(0x79) == activity_category::light_sleep);
  CHECK(categorize(0x7b) == activity_category::deep_sleep);
  CHECK(categorize(0x1c) == activity_category::wake_up);
  for (std::uint8_t k : {16, 80, 96, 112}) CHECK(categorize(k) == activity_category::no_change);
  CHECK(categorize(0x02) == activity_category::running);
  CHECK(categorize(0x03) == activity_category::not_worn);
  CHECK(categorize(0x04) == activity_category::cycling);
  CHECK(categorize(0x06) == activity_category::charging);
  std::set<std::string> names;
  for (int k = 0; k < 256; ++k) {
    const auto c = categorize(static_cast<std::uint8_t>(k));
    const int low = k & 0x0f;
    const bool named = low != 5 && low != 7 && low != 8 && low < 13;
    CHECK(c == (named ? static_cast<activity_category>(low) : activity_category::unknown));
    names.insert(to_string(c));
    // The raw kind survives in the record whatever its category.
    CHECK(make_minute_record({}, 0, {static_cast<std::uint8_t>(k), 0, 0, 0xff}).raw_kind == k);
  }
  CHECK(names.size() == 11);
  CHECK(std::string(to_string(activity_category::unknown)) == "unknown");
}

TEST_CASE("history_errc: stable category name and a distinct message for every value") {
  std::set<std::string> messages;
  for (int v = 1; v <= static_cast<int>(history_errc::invalid_argument); ++v) {
    const boost::system::error_code ec = static_cast<history_errc>(v);
    CHECK(std::string(ec.category().name()) == "bandwire.miband.history");
    CHECK(ec.message() != "unknown history fetch error");
    messages.insert(ec.message());
  }
  CHECK(messages.size() == static_cast<std::size_t>(history_errc::invalid_argument));
  CHECK(make_error_code(static_cast<history_errc>(999)).message() == "unknown history fetch error");
  const boost::system::error_code mine = history_errc::no_answer;
  CHECK(mine != errc::no_answer);  // not miband::errc's
}

// ---------------------------------------------------------------- fetch

TEST_CASE("history_fetch: the §20.7 exchange byte for byte, fsync before ack, then the empty round") {
  history_fetch f(utc(2018, 3, 20, 8, 0, 30), at_plus_2h());
  require_write(f.start(), "01 01 e2 07 03 14 0a 00 00 08");
  CHECK(f.state() == history_state::awaiting_start);
  const auto go = f.on_control(hx("10 01 01 3c 00 00 00 e2 07 03 14 0a 00 00 08"));
  require_write(go, "02");
  CHECK(go.timeout == 5000ms);
  send_records(f, 60);  // 15 packets × 17 bytes
  const auto c = f.on_control(hx("10 02 01"));
  REQUIRE(c.what == history_action::kind::commit);
  REQUIRE(c.records.size() == 60);
  CHECK(c.records.front().time == utc(2018, 3, 20, 8, 0));
  CHECK(c.records.back().time == utc(2018, 3, 20, 8, 59));
  for (std::size_t i = 0; i < 60; ++i) {
    CHECK(c.records[i].time == utc(2018, 3, 20, 8, 0) + chr::minutes{i});
    CHECK(c.records[i].intensity == i);  // in order, none lost or repeated
    CHECK(c.records[i].tz_quarters == 8);
  }
  CHECK(f.warnings().empty());
  // Nothing is acknowledged until the caller says the round is stored.
  CHECK(f.state() == history_state::awaiting_commit);
  CHECK(f.on_control(hx("10 03 01")).what == history_action::kind::none);
  CHECK(f.on_timeout().what == history_action::kind::none);
  CHECK(f.next_start() == utc(2018, 3, 20, 8, 0));
  const auto ack = f.committed();
  require_write(ack, "03");
  CHECK(f.next_start() == utc(2018, 3, 20, 9, 0));
  // Next round from one minute after the last record: 11:00 local.
  require_write(f.on_control(hx("10 03 01")), "01 01 e2 07 03 14 0b 00 00 08");
  const auto end = f.on_control(hx("10 01 01 00 00 00 00 e2 07 03 14 0b 00 00 08"));
  CHECK(end.what == history_action::kind::done);
  CHECK_FALSE(end.ec);
  CHECK(f.state() == history_state::finished);
  CHECK(f.rounds_committed() == 1);
  CHECK(f.records_committed() == 60);
  CHECK(f.faults().empty());
}

TEST_CASE("history_fetch: minute times follow the band's returned date and tz, not the request") {
  history_fetch f(utc(2018, 3, 20, 8, 0), at_plus_2h());
  f.start();
  // Asked for 10:00 +2 h (08:00Z); the band answers 09:30 at +1 h, i.e.
  // 08:30Z (it may differ, §14.1): the minutes count from there.
  require_write(f.on_control(hx("10 01 01 05 00 00 00 e2 07 03 14 09 1e 00 04")), "02");
  send_records(f, 5);
  const auto c = f.on_control(hx("10 02 01"));
  REQUIRE(c.what == history_action::kind::commit);
  REQUIRE(c.records.size() == 5);
  CHECK(c.records[0].time == utc(2018, 3, 20, 8, 30));
  CHECK(c.records[4].time == utc(2018, 3, 20, 8, 34));
  CHECK(c.records[0].tz_quarters == 4);
  f.committed();
  // The next request is in the HOST's zone again (+2 h): 08:35Z = 10:35.
  require_write(f.on_control(hx("10 03 01")), "01 01 e2 07 03 14 0a 23 00 08");
}

TEST_CASE("history_fetch: the request's tz is the host offset at that instant (DST switch between rounds)") {
  history_fetch_options o;
  // Central Europe: +1 h until 2018-03-25 01:00Z, +2 h after.
  o.utc_offset = [](chr::sys_seconds t) { return t < utc(2018, 3, 25, 1, 0) ? 60min : 120min; };
  o.acknowledge = false;
  history_fetch f(utc(2018, 3, 25, 0, 58), o);
  require_write(f.start(), "01 01 e2 07 03 19 01 3a 00 04");  // 01:58 +1 h
  f.on_control(hx("10 01 01 02 00 00 00 e2 07 03 19 01 3a 00 04"));
  send_records(f, 2);
  REQUIRE(f.on_control(hx("10 02 01")).what == history_action::kind::commit);
  // --keep: no `03`, straight to the next round, now at +2 h: 01:00Z = 03:00.
  require_write(f.committed(), "01 01 e2 07 03 19 03 00 00 08");
}

TEST_CASE("history_fetch: a skipped packet is reported with its position and the round is retried from its start") {
  history_fetch f(utc(2018, 3, 20, 8, 0), at_plus_2h());
  f.start();
  f.on_control(hx("10 01 01 3c 00 00 00 e2 07 03 14 0a 00 00 08"));
  CHECK(f.on_data(packet(0, 4)).what == history_action::kind::wait);
  CHECK(f.on_data(packet(1, 4)).what == history_action::kind::wait);
  const auto a = f.on_data(packet(3, 4));  // packet 2 is missing
  CHECK(a.what == history_action::kind::wait);  // drain the rest of the transfer
  CHECK(f.state() == history_state::draining);
  REQUIRE(f.faults().size() == 1);
  const auto& fault = f.faults()[0];
  CHECK(fault.ec == history_errc::packet_gap);
  CHECK(*fault.packet == 2);
  CHECK(*fault.counter == 3);
  CHECK(*fault.expected == 2);
  CHECK(fault.length == 17);
  CHECK(*fault.minute == utc(2018, 3, 20, 8, 8));
  CHECK(fault.text() ==
        "round 1 try 1: packet 2 (counter 0x03, expected 0x02, 17 bytes) at 2018-03-20T08:08Z: "
        "history data packets were skipped (counter jumped)");
  // The rest of the broken transfer is not kept.
  CHECK(f.on_data(packet(4, 4)).what == history_action::kind::wait);
  const auto r = f.on_control(hx("10 02 01"));
  require_write(r, "01 01 e2 07 03 14 0a 00 00 08");  // same start: nothing was committed
  REQUIRE(r.retry.has_value());
  CHECK(r.retry->ec == history_errc::packet_gap);
  // Late packets of the abandoned transfer while waiting for `10 01` are ignored.
  const auto before = f.ignored();
  CHECK(f.on_data(packet(5, 4)).what == history_action::kind::none);
  CHECK(f.on_control(hx("10 02 01")).what == history_action::kind::none);
  CHECK(f.ignored() == before + 2);
  // The retry is clean: all 8 records, counted from the round's start.
  f.on_control(hx("10 01 01 08 00 00 00 e2 07 03 14 0a 00 00 08"));
  send_records(f, 8);
  const auto c = f.on_control(hx("10 02 01"));
  REQUIRE(c.what == history_action::kind::commit);
  REQUIRE(c.records.size() == 8);
  CHECK(c.records[0].time == utc(2018, 3, 20, 8, 0));
  CHECK(c.records[7].intensity == 7);
  CHECK(f.faults().size() == 1);
  CHECK(f.warnings().empty());  // the abandoned try's count is never compared
}

TEST_CASE("history_fetch: a repeated packet and a bad length are faults with positions") {
  {
    history_fetch f(utc(2018, 3, 20, 8, 0), at_plus_2h());
    f.start();
    f.on_control(hx("10 01 01 0c 00 00 00 e2 07 03 14 0a 00 00 08"));
    f.on_data(packet(0, 4));
    f.on_data(packet(1, 4));
    f.on_data(packet(1, 4));
    REQUIRE(f.faults().size() == 1);
    CHECK(f.faults()[0].ec == history_errc::packet_repeated);
    CHECK(*f.faults()[0].packet == 2);
    CHECK(*f.faults()[0].expected == 2);
  }
  {
    history_fetch f(utc(2018, 3, 20, 8, 0), at_plus_2h());
    f.start();
    f.on_control(hx("10 01 01 0c 00 00 00 e2 07 03 14 0a 00 00 08"));
    f.on_data(packet(0, 4));
    auto bad = packet(1, 4);
    bad.pop_back();  // 16 bytes
    f.on_data(bad);
    REQUIRE(f.faults().size() == 1);
    CHECK(f.faults()[0].ec == history_errc::bad_packet_length);
    CHECK(*f.faults()[0].packet == 1);
    CHECK(f.faults()[0].length == 16);
    CHECK(f.faults()[0].text() ==
          "round 1 try 1: packet 1 (counter 0x01, expected 0x01, 16 bytes) at 2018-03-20T08:04Z: "
          "history data packet length is not 1 + 4*N bytes");
    // Silence ends the draining: the retry goes out.
    const auto r = f.on_timeout();
    require_write(r, "01 01 e2 07 03 14 0a 00 00 08");
    CHECK(r.retry->ec == history_errc::bad_packet_length);
  }
}

TEST_CASE("history_fetch: after max_attempts broken tries the fetch fails, nothing committed") {
  auto o = at_plus_2h();
  o.max_attempts = 2;
  history_fetch f(utc(2018, 3, 20, 8, 0), o);
  f.start();
  for (int attempt = 0; attempt < 2; ++attempt) {
    f.on_control(hx("10 01 01 0c 00 00 00 e2 07 03 14 0a 00 00 08"));
    f.on_data(packet(0, 4));
    f.on_data(packet(2, 4));
    const auto a = f.on_control(hx("10 02 01"));
    if (attempt == 0) {
      require_write(a, "01 01 e2 07 03 14 0a 00 00 08");
    } else {
      CHECK(a.what == history_action::kind::done);
      CHECK(a.ec == history_errc::retries_exhausted);
    }
  }
  CHECK(f.state() == history_state::failed);
  CHECK(f.final_fault()->ec == history_errc::packet_gap);
  CHECK(f.final_fault()->attempt == 2);
  CHECK(f.records_committed() == 0);
}

TEST_CASE("history_fetch: the announced count is records; a mismatch is a warning, not a failure (§22.9)") {
  history_fetch f(utc(2018, 3, 20, 8, 0), at_plus_2h());
  f.start();
  f.on_control(hx("10 01 01 3c 00 00 00 e2 07 03 14 0a 00 00 08"));  // 60 announced
  send_records(f, 15);
  const auto c = f.on_control(hx("10 02 01"));
  REQUIRE(c.what == history_action::kind::commit);
  CHECK(c.records.size() == 15);
  REQUIRE(f.warnings().size() == 1);
  CHECK(f.warnings()[0].ec == history_errc::count_mismatch);
  CHECK(f.warnings()[0].text() ==
        "round 1 try 1: announced 60 records, received 15: history records received differ from the announced count");
}

TEST_CASE("history_fetch: over 256 packets the counter wraps and no record is lost") {
  history_fetch f(utc(2018, 3, 20, 8, 0), at_plus_2h());
  f.start();
  f.on_control(hx("10 01 01 b0 04 00 00 e2 07 03 14 0a 00 00 08"));  // 1200 records = 300 packets
  send_records(f, 1200);
  const auto c = f.on_control(hx("10 02 01"));
  REQUIRE(c.what == history_action::kind::commit);
  REQUIRE(c.records.size() == 1200);
  CHECK(c.records.back().time == utc(2018, 3, 20, 8, 0) + 1199min);
  CHECK(f.faults().empty());
  CHECK(f.warnings().empty());
}

TEST_CASE("history_fetch: band failures, timeouts, stale replies and misuse") {
  SUBCASE("10 01 04: the band refuses") {
    history_fetch f(utc(2018, 3, 20, 8, 0), at_plus_2h());
    f.start();
    const auto a = f.on_control(hx("10 01 04"));
    CHECK(a.what == history_action::kind::done);
    CHECK(a.ec == history_errc::fetch_refused);
  }
  SUBCASE("10 02 04: the transfer fails") {
    history_fetch f(utc(2018, 3, 20, 8, 0), at_plus_2h());
    f.start();
    f.on_control(hx("10 01 01 04 00 00 00 e2 07 03 14 0a 00 00 08"));
    f.on_data(packet(0, 4));
    const auto a = f.on_control(hx("10 02 04"));
    CHECK(a.ec == history_errc::transfer_failed);
    CHECK(f.records_committed() == 0);
  }
  SUBCASE("no answer to 01, then silence mid-transfer: both retried") {
    history_fetch f(utc(2018, 3, 20, 8, 0), at_plus_2h());
    f.start();
    const auto r1 = f.on_timeout();
    require_write(r1, "01 01 e2 07 03 14 0a 00 00 08");
    CHECK(r1.retry->ec == history_errc::no_answer);
    f.on_control(hx("10 01 01 08 00 00 00 e2 07 03 14 0a 00 00 08"));
    f.on_data(packet(0, 4));
    const auto r2 = f.on_timeout();
    require_write(r2, "01 01 e2 07 03 14 0a 00 00 08");
    CHECK(*r2.retry->packet == 1);
    const auto r3 = f.on_timeout();
    CHECK(r3.ec == history_errc::retries_exhausted);
  }
  SUBCASE("an invalid returned date is retried") {
    history_fetch f(utc(2018, 3, 20, 8, 0), at_plus_2h());
    f.start();
    const auto r = f.on_control(hx("10 01 01 08 00 00 00 e2 07 0d 14 0a 00 00 08"));  // month 13
    require_write(r, "01 01 e2 07 03 14 0a 00 00 08");
    CHECK(r.retry->ec == history_errc::bad_start_date);
  }
  SUBCASE("a band that keeps returning an older start makes no progress") {
    history_fetch f(utc(2018, 3, 20, 8, 0), at_plus_2h());
    f.start();
    f.on_control(hx("10 01 01 04 00 00 00 e2 07 03 14 09 00 00 08"));  // 09:00, asked 10:00
    send_records(f, 4);
    const auto a = f.on_control(hx("10 02 01"));
    CHECK(a.what == history_action::kind::done);
    CHECK(a.ec == history_errc::no_progress);
  }
  SUBCASE("a missing or refused 10 03 is a warning; the next round goes out") {
    history_fetch f(utc(2018, 3, 20, 8, 0), at_plus_2h());
    f.start();
    f.on_control(hx("10 01 01 01 00 00 00 e2 07 03 14 0a 00 00 08"));
    send_records(f, 1);
    f.on_control(hx("10 02 01"));
    f.committed();
    require_write(f.on_timeout(), "01 01 e2 07 03 14 0a 01 00 08");
    f.on_control(hx("10 01 01 01 00 00 00 e2 07 03 14 0a 01 00 08"));
    send_records(f, 1);
    f.on_control(hx("10 02 01"));
    f.committed();
    require_write(f.on_control(hx("10 03 04")), "01 01 e2 07 03 14 0a 02 00 08");
    REQUIRE(f.warnings().size() == 2);
    CHECK(f.warnings()[0].ec == history_errc::no_answer);
    CHECK(f.warnings()[1].ec == history_errc::ack_refused);
  }
  SUBCASE("commit failure: the fetch ends and nothing is acknowledged") {
    history_fetch f(utc(2018, 3, 20, 8, 0), at_plus_2h());
    f.start();
    f.on_control(hx("10 01 01 01 00 00 00 e2 07 03 14 0a 00 00 08"));
    send_records(f, 1);
    f.on_control(hx("10 02 01"));
    const auto a = f.commit_failed(make_error_code(boost::system::errc::no_space_on_device));
    CHECK(a.what == history_action::kind::done);
    CHECK(a.ec == history_errc::commit_failed);
    CHECK(f.commit_error() == boost::system::errc::no_space_on_device);
    CHECK(f.next_start() == utc(2018, 3, 20, 8, 0));
  }
  SUBCASE("calls out of order change nothing") {
    history_fetch f(utc(2018, 3, 20, 8, 0), at_plus_2h());
    CHECK(f.committed().ec == history_errc::invalid_argument);
    CHECK(f.on_data(packet(0, 4)).what == history_action::kind::none);
    CHECK(f.state() == history_state::idle);
    f.start();
    CHECK(f.start().ec == history_errc::invalid_argument);
    CHECK(f.committed().ec == history_errc::invalid_argument);
    CHECK(f.state() == history_state::awaiting_start);
  }
}

// ---------------------------------------------------------------- model


TEST_CASE("history_model: nights of sleep, a daily shower, a charge every third day, the live exercise") {
  const history_model m(7, 60min);  // the wearer lives at +1 h
  const auto day0 = chr::sys_days{chr::year{2018} / 3 / 18} - 60min;  // local midnight
  std::map<activity_category, int> seen;
  for (int i = 0; i < 3 * 1440; ++i) ++seen[categorize(m.at(day0 + chr::minutes{i}).kind)];
  CHECK(seen[activity_category::deep_sleep] > 3 * 60);
  CHECK(seen[activity_category::light_sleep] > 3 * 120);
  CHECK(seen[activity_category::not_worn] == 3 * 18);   // 07:30–07:48 every day
  CHECK(seen[activity_category::charging] == 70);      // 20:00–21:10 on one day in three
  CHECK(seen[activity_category::wake_up] == 3);
  // 03:00 local is sleep with no steps; 07:40 is off the wrist, HR not measured.
  const auto s3 = m.at(day0 + 3h);
  CHECK((categorize(s3.kind) == activity_category::light_sleep || categorize(s3.kind) == activity_category::deep_sleep ||
         categorize(s3.kind) == activity_category::no_change));
  CHECK(s3.steps == 0);
  CHECK(m.at(day0 + 7h + 40min) == history_sample{0x03, 0, 0, 0xff});
  // 18:10 is minute 10 of the arm-curl session the live model streams: the
  // same steps per minute (walking between sets) and a heart rate in its range.
  const signal_model live(7);
  const auto ex = m.at(day0 + 18h + 10min);
  CHECK(ex.kind == 0x01);
  CHECK(ex.steps == live.steps(11 * 60) - live.steps(10 * 60));
  CHECK(ex.heart_rate >= 66);
  CHECK(ex.heart_rate <= 97);
  // Deterministic per seed; another seed is another wearer.
  const history_model again(7, 60min), other(8, 60min);
  int differ = 0;
  for (int i = 0; i < 1440; ++i) {
    const auto t = day0 + chr::minutes{i};
    REQUIRE(m.at(t) == again.at(t));
    differ += !(m.at(t) == other.at(t));
  }
  CHECK(differ > 100);
}

TEST_CASE("history_server: a start after the newest minute gets 0 records from end(), and its ack stops at end()") {
  history_server_options o;
  o.end = utc(2018, 3, 20, 12, 0);
  o.minutes = 10;
  history_server s(o);
  // Ask for 13:00 UTC, an hour past the last stored minute.
  const auto req = make_fetch_request(fetch_type_activity, make_fetch_start(utc(2018, 3, 20, 13, 0), chr::minutes{0}));
  auto out = s.on_write(req.bytes(), 0);
  REQUIRE(out.size() == 1);
  fetch_start_reply r;
  REQUIRE_FALSE(decode_fetch_start_reply(out[0].value.bytes(), r));
  CHECK(r.count == 0);
  CHECK(r.start.utc() == utc(2018, 3, 20, 12, 0));  // clamped to end(), not the future minute
  out = s.on_write(make_fetch_transfer().bytes(), 0);
  REQUIRE(out.size() == 1);  // no data packets, only `10 02 01`
  CHECK(hex_of(out[0].value) == "100201");
  out = s.on_write(make_fetch_ack().bytes(), 0);
  CHECK(hex_of(out[0].value) == "100301");
  // The ack deletes what lies before the acknowledged start (the 10 stored
  // minutes) and no further: before this fix first_kept() jumped to 13:00.
  CHECK(s.first_kept() == s.end());
  CHECK(s.end() == utc(2018, 3, 20, 12, 0));
  CHECK(s.log().back().records == 10);
}
