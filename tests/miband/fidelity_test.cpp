// FIDELITY CHECK: the phone's side of CAP-A (a real Mi Fit session with a
// real Mi Band 2, fact sheet Appendix A) is replayed, PDU for PDU and byte for
// byte, against the virtual band, and every answer the virtual band gives is
// compared with the one the real band gave.
//
// Set-up. The virtual band holds the capture's key (the payload of the
// phone's `01 00 <key>` write on 0x0054) and its challenge source returns the
// capture's challenge (the band's `10 02 01 <r>`), so authentication replays
// exactly. The phone side is a raw scripted client on a socketpair: it sends
// the recorded phone PDU bytes unchanged, on a scaled_clock at 50x.
//
// Pacing. Each phone PDU is sent no earlier than the recorded gap after the
// previous one (band time), and only once the virtual band has sent as many
// write-driven notifications of each kind (below) as the real band had sent
// before that PDU in the capture (so `CCCD off` follows the HR result, `02 00`
// follows the tap's `10 01 01`...); such a wait gives up after 15 s of band
// time (at least 1 s of real time), and a response wait after 30 s (2 s). A request is sent only after the previous request's response
// (ATT allows one outstanding request, Core 5.4 Vol 3 Part F §3.3.2); other
// PDUs may be sent while a request is outstanding, as the phone did. A Handle
// Value Confirmation (`1e`) is sent when an unconfirmed indication has
// arrived, as the phone did.
//
// What is compared ("the match rate"):
//  1. Every response to a phone request, strictly paired: the first ATT
//     response PDU after a request is its response, in the capture and live.
//     Categories by request: discovery (Read By Group Type, Read By Type, Find
//     Information, Find By Type Value, and their Error Responses), device
//     information reads (0x0003, 0x000e..0x0016), write responses, and dynamic
//     reads (time 0x002f, battery 0x0047, steps 0x004a).
//  2. Write-driven notifications and indications, matched in order per kind
//     (the i-th recorded with the i-th live one), not by interleaving: Service
//     Changed indication (0x000a), auth replies (0x0054), configuration replies
//     (0x003b), raw sensor control replies (0x0035) and one-shot heart-rate
//     results (0x0029 while the last HR start written was `15 02 01`). A
//     recorded one with no live counterpart, or the reverse, is a mismatch.
//  Verdicts: byte-identical; framing-only = same opcode, same handle (for
//  notifications/indications) and same length but other bytes, accepted only
//  for dynamic kinds (dynamic reads, one-shot HR values); anything else is a
//  mismatch. Discovery, device information, write responses, service changed,
//  auth (seeded), configuration and sensor control replies must be
//  byte-identical.
//
// Checked separately, not counted in the match rate, because the virtual band
// generates these values rather than replaying them:
//  * streams: raw sensor packets (0x0038, type 01 accelerometer / 02 PPG) and
//    continuous heart rate (0x0029 after `15 01 01`): each live one must be a
//    well-formed §5.1 / §6.3 packet, each streaming run's shared counter must
//    start at 0 and step by 1, and the same kinds must arrive as in the
//    capture; their counts are reported.
//  * periodic realtime steps notifications (0x004a, about once a minute, §9):
//    same framing as recorded; their number depends on the band's minute
//    phase and is reported.
//  * the delays of the timed replies (bind tap, one-shot HR, first raw packet,
//    first continuous HR) are reported next to the recorded ones.
//
// Run: meson setup /tmp/bw-fid && ninja -C /tmp/bw-fid tests/miband/test_fidelity &&
//      /tmp/bw-fid/tests/miband/test_fidelity   (from the repository, or with BANDWIRE_SHARED)
#include <sys/socket.h>

#include <doctest/doctest.h>

#include <array>
#include <fstream>
#include <iomanip>
#include <iterator>
#include <map>
#include <set>
#include <sstream>

#include "att/opcode.hpp"
#include "hci/btsnoop.hpp"
#include "miband/virtual_band.hpp"
#include "tests/support/shared_dir.hpp"
#include "tests/support/script_peer.hpp"

using namespace bandwire;
using namespace bandwire::miband;
using namespace std::chrono_literals;

namespace {

using bytes = std::vector<std::uint8_t>;

enum class cat : std::size_t {
  // paired, counted in the match rate
  discovery,
  device_info,
  write_rsp,
  dynamic_read,
  other_rsp,
  service_changed,
  auth,
  config,
  sensor_control,
  hr_one_shot,
  other_ntf,
  // checked separately
  steps,
  accel,
  ppg,
  raw_other,
  hr_stream,
};
constexpr std::size_t n_cats = 16;
constexpr std::size_t n_paired = 11;  // discovery .. other_ntf

struct cat_def {
  const char* name;
  bool exact;  // byte-identical required
};
constexpr std::array<cat_def, n_cats> defs{{
    {"discovery responses", true},
    {"device information reads", true},
    {"write responses", true},
    {"dynamic reads (time, battery, steps)", false},
    {"other responses", true},
    {"service changed indication", true},
    {"auth replies", true},
    {"configuration replies", true},
    {"sensor control replies", true},
    {"one-shot heart rate results", false},
    {"other notifications", true},
    {"periodic steps", false},
    {"stream: accelerometer", false},
    {"stream: PPG", false},
    {"stream: raw, other type", false},
    {"stream: continuous heart rate", false},
}};

constexpr std::size_t idx(cat c) { return static_cast<std::size_t>(c); }
bool is_notification_cat(cat c) { return idx(c) >= idx(cat::service_changed); }

constexpr std::uint16_t dis_handles[] = {0x0003, 0x000e, 0x0010, 0x0012, 0x0014, 0x0016};

std::uint16_t handle_of(const bytes& pdu) { return pdu.size() >= 3 ? get_le16(&pdu[1]) : 0; }

cat classify_response(const bytes& request) {
  switch (static_cast<att::opcode>(request.at(0))) {
    case att::opcode::find_information_req:
    case att::opcode::find_by_type_value_req:
    case att::opcode::read_by_type_req:
    case att::opcode::read_by_group_type_req: return cat::discovery;
    case att::opcode::read_req:
      return std::find(std::begin(dis_handles), std::end(dis_handles), handle_of(request)) != std::end(dis_handles)
                 ? cat::device_info
                 : cat::dynamic_read;
    case att::opcode::write_req: return cat::write_rsp;
    default: return cat::other_rsp;
  }
}

// A notification or indication from the band; `one_shot`: the last HR start
// the phone wrote was `15 02 01`.
cat classify_value(const bytes& pdu, bool one_shot) {
  if (pdu.size() < 3) return cat::other_ntf;
  const auto op = static_cast<att::opcode>(pdu[0]);
  const std::uint16_t h = handle_of(pdu);
  if (op == att::opcode::handle_value_ind) return h == virtual_band::service_changed_handle ? cat::service_changed : cat::other_ntf;
  if (op != att::opcode::handle_value_ntf) return cat::other_ntf;
  switch (h) {
    case virtual_band::auth_handle: return cat::auth;
    case virtual_band::config_handle: return cat::config;
    case virtual_band::sensor_control_handle: return cat::sensor_control;
    case virtual_band::hr_measurement_handle: return one_shot ? cat::hr_one_shot : cat::hr_stream;
    case virtual_band::steps_handle: return cat::steps;
    case virtual_band::sensor_data_handle:
      if (pdu.size() >= 4 && pdu[3] == 0x01) return cat::accel;
      if (pdu.size() >= 4 && pdu[3] == 0x02) return cat::ppg;
      return cat::raw_other;
    default: return cat::other_ntf;
  }
}

// Tracks the phone's HR mode and raw-sensor runs from the PDUs it sends.
struct phone_context {
  bool one_shot = false;
  int run = -1;  // raw streaming runs started (`02` on 0x0035), minus one
  void sent(const bytes& pdu) {
    if (pdu.size() == 6 && pdu[0] == 0x12 && handle_of(pdu) == 0x002c && pdu[3] == 0x15 && pdu[5] == 0x01)
      one_shot = pdu[4] == 0x02;  // `15 02 01` one-shot, `15 01 01` continuous
    if (pdu.size() == 4 && pdu[0] == 0x52 && handle_of(pdu) == virtual_band::sensor_control_handle && pdu[3] == 0x02)
      ++run;
  }
};

struct step {
  bytes pdu;
  double t = 0;
  bool request = false;
  std::optional<bytes> response;  // the recorded answer to a request
  std::array<std::size_t, n_paired> need{};  // recorded write-driven notifications before it
};

struct raw_packet {
  int run;
  std::uint8_t counter;
};

struct script {
  std::vector<step> steps;
  std::array<std::vector<bytes>, n_cats> band{};  // recorded notifications by kind
  std::array<std::vector<double>, n_cats> latency{};  // each one's delay after the phone's previous PDU
  std::vector<raw_packet> raw;
  std::size_t band_pdus = 0, unpaired_responses = 0;
  bytes key, challenge;
};

script build_script(const std::vector<hci::att_record>& recs) {
  script s;
  phone_context ctx;
  std::optional<std::size_t> open;
  const std::int64_t t0 = recs.empty() ? 0 : recs.front().timestamp_us;
  double last_phone = 0;
  for (const auto& r : recs) {
    if (r.pdu.empty()) continue;
    const auto kind = att::info(r.pdu[0]).kind;
    const double t = static_cast<double>(r.timestamp_us - t0) / 1e6;
    if (r.dir == hci::direction::host_to_controller) {
      last_phone = t;
      step st;
      st.pdu = r.pdu;
      st.t = t;
      st.request = kind == att::pdu_kind::request;
      for (std::size_t c = 0; c < n_paired; ++c) st.need[c] = s.band[c].size();
      ctx.sent(r.pdu);
      // The key the phone binds: `52 54 00 01 <flag> <16 bytes>`.
      if (r.pdu.size() == 21 && r.pdu[0] == 0x52 && handle_of(r.pdu) == virtual_band::auth_handle && r.pdu[3] == 0x01)
        s.key.assign(r.pdu.begin() + 5, r.pdu.end());
      if (st.request) open = s.steps.size();
      s.steps.push_back(std::move(st));
      continue;
    }
    ++s.band_pdus;
    if (kind == att::pdu_kind::response) {
      if (open) s.steps[*open].response = r.pdu;
      else ++s.unpaired_responses;
      open.reset();
      continue;
    }
    const cat c = classify_value(r.pdu, ctx.one_shot);
    s.band[idx(c)].push_back(r.pdu);
    s.latency[idx(c)].push_back(t - last_phone);
    if (c == cat::accel || c == cat::ppg) s.raw.push_back({ctx.run, r.pdu.at(4)});
    // The challenge: `1b 54 00 10 02 01 <16 bytes>`.
    if (c == cat::auth && r.pdu.size() == 22 && r.pdu[3] == 0x10 && r.pdu[4] == 0x02 && r.pdu[5] == 0x01)
      s.challenge.assign(r.pdu.begin() + 6, r.pdu.end());
  }
  return s;
}

enum class verdict { identical, framing, mismatch };

verdict compare(const bytes& recorded, const bytes& live, bool exact, bool has_handle) {
  if (recorded == live) return verdict::identical;
  const bool same_frame = !recorded.empty() && recorded.size() == live.size() && recorded[0] == live[0] &&
                          (!has_handle || handle_of(recorded) == handle_of(live));
  return same_frame && !exact ? verdict::framing : verdict::mismatch;
}

struct tally {
  std::size_t compared = 0, identical = 0, framing = 0, mismatch = 0;
};

// §5.1 / §6.3 well-formedness of a streamed value.
bool well_formed(cat c, const bytes& pdu) {
  if (pdu.size() < 3) return false;
  const std::size_t n = pdu.size() - 3;
  switch (c) {
    case cat::accel: return n == 8 || n == 14 || n == 20;
    case cat::ppg: return n >= 4 && n <= 20 && n % 2 == 0;
    case cat::hr_stream:
    case cat::hr_one_shot: return n == 2 && pdu[3] == 0x00;
    default: return false;
  }
}

// Runs' counters start at 0 and step by 1 (mod 256) (§6.3).
std::size_t counter_breaks(const std::vector<raw_packet>& raw) {
  std::size_t breaks = 0;
  for (std::size_t i = 0; i < raw.size(); ++i) {
    const bool first = i == 0 || raw[i].run != raw[i - 1].run;
    const std::uint8_t want = first ? 0 : static_cast<std::uint8_t>(raw[i - 1].counter + 1);
    if (raw[i].counter != want) ++breaks;
  }
  return breaks;
}

// The virtual band on one end of a socketpair, a raw client on the other.
struct live_band {
  asio::io_context io;
  scaled_clock clock;
  virtual_band vb;
  std::unique_ptr<test::peer> phone;
  phone_context ctx;
  std::array<std::vector<bytes>, n_cats> band{};
  std::array<std::vector<double>, n_cats> latency{};
  std::vector<raw_packet> raw;
  double last_send = 0;  // band time of the last phone PDU
  std::size_t unconfirmed = 0;
  std::size_t unsolicited_responses = 0;
  bool awaiting = false;
  std::optional<bytes> response;
  bool closed = false;

  live_band(double speed, sim_options o) : clock(speed), vb(io.get_executor(), clock, std::move(o)) {
    auto sp = test::make_socket_pair(io);
    REQUIRE(vb.serve(std::move(sp.local)));
    phone = std::make_unique<test::peer>(io, sp.peer_fd);
  }

  void on_pdu(bytes pdu) {
    const auto kind = att::info(pdu.at(0)).kind;
    if (kind == att::pdu_kind::response) {
      if (awaiting) response = std::move(pdu), awaiting = false;
      else ++unsolicited_responses;
      return;
    }
    if (kind == att::pdu_kind::indication) ++unconfirmed;
    const cat c = classify_value(pdu, ctx.one_shot);
    if (c == cat::accel || c == cat::ppg) raw.push_back({ctx.run, pdu.at(4)});
    band[idx(c)].push_back(std::move(pdu));
    latency[idx(c)].push_back(clock.seconds() - last_send);
  }
  void pump() {
    io.restart();
    io.run_for(1ms);
    std::uint8_t buf[600];
    for (;;) {
      const ssize_t n = ::recv(phone->fd(), buf, sizeof buf, MSG_DONTWAIT);
      if (n > 0) on_pdu(bytes(buf, buf + n));
      if (n == 0) closed = true;
      if (n <= 0) break;
    }
  }
  template <class P> bool wait_until(P pred, std::chrono::steady_clock::duration limit) {
    const auto end = std::chrono::steady_clock::now() + limit;
    while (!pred()) {
      if (closed || std::chrono::steady_clock::now() > end) return pred();
      pump();
    }
    return true;
  }
  void send(const bytes& pdu) {
    ctx.sent(pdu);
    phone->send(pdu);
    last_send = clock.seconds();
  }
};

std::optional<std::vector<std::uint8_t>> read_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return std::nullopt;
  return std::vector<std::uint8_t>(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
}

}  // namespace

TEST_CASE("FIDELITY CHECK: CAP-A's phone PDUs against the virtual band, answer for answer") {
  const std::string path = test::shared_file("captures/miband2-official-app-session.btsnoop");
  if (path.empty()) return;  // skipped (shared_file says why)
  const auto file = read_file(path);
  REQUIRE_MESSAGE(file.has_value(), "cannot read " << path);
  std::vector<hci::att_record> recs;
  REQUIRE_FALSE(hci::extract_att(*file, recs));
  REQUIRE(recs.size() == 1349);
  const script s = build_script(recs);
  REQUIRE(s.key.size() == 16);
  REQUIRE(s.challenge.size() == 16);
  CHECK(to_hex(s.key) == "91c7954727b7ec7fb89c65b311bdd59f");        // §20.1 A1
  CHECK(to_hex(s.challenge) == "0da69623f798f0c5416aaa47eb1cc4a9");  // §20.1 A1
  CHECK(s.unpaired_responses == 0);

  sim_options o;
  o.key = auth_key::from_bytes(s.key);
  REQUIRE(o.key.has_value());
  o.random = [r = s.challenge](bytes_span out) {
    std::copy_n(r.begin(), std::min(out.size(), r.size()), out.begin());
  };
  live_band live(50, o);

  std::array<tally, n_cats> tallies{};
  std::vector<std::string> problems;
  auto judge = [&](cat c, const bytes* recorded, const bytes* got, const std::string& where) {
    auto& t = tallies[idx(c)];
    ++t.compared;
    verdict v = verdict::mismatch;
    if (recorded && got) v = compare(*recorded, *got, defs[idx(c)].exact, is_notification_cat(c));
    if (v == verdict::identical) ++t.identical;
    else if (v == verdict::framing) ++t.framing;
    else {
      ++t.mismatch;
      std::ostringstream m;
      m << defs[idx(c)].name << " " << where << ": recorded " << (recorded ? to_hex(*recorded) : "(none)")
        << ", virtual band " << (got ? to_hex(*got) : "(none)");
      problems.push_back(m.str());
    }
  };

  const auto causal_limit = std::max<std::chrono::steady_clock::duration>(live.clock.real(15s), 1s);
  const auto response_limit = std::max<std::chrono::steady_clock::duration>(live.clock.real(30s), 2s);
  std::optional<std::size_t> pending;  // step index of the outstanding request
  auto settle_response = [&] {
    if (!pending) return;
    live.wait_until([&] { return live.response.has_value(); }, response_limit);
    const auto& st = s.steps[*pending];
    const cat c = classify_response(st.pdu);
    judge(c, st.response ? &*st.response : nullptr, live.response ? &*live.response : nullptr,
          "to " + to_hex(st.pdu));
    live.response.reset();
    live.awaiting = false;
    pending.reset();
  };

  std::size_t sent = 0, confirmations_skipped = 0, causal_timeouts = 0;
  double last_band = live.clock.seconds(), last_t = s.steps.empty() ? 0 : s.steps.front().t;
  for (std::size_t i = 0; i < s.steps.size() && !live.closed; ++i) {
    const auto& st = s.steps[i];
    const double target = last_band + (st.t - last_t);
    live.wait_until([&] { return live.clock.seconds() >= target; }, 60s);
    const bool caught_up = live.wait_until(
        [&] {
          for (std::size_t c = 0; c < n_paired; ++c)
            if (live.band[c].size() < st.need[c]) return false;
          return true;
        },
        causal_limit);
    if (!caught_up) ++causal_timeouts;
    if (st.request) settle_response();
    if (st.pdu[0] == static_cast<std::uint8_t>(att::opcode::handle_value_cfm)) {
      live.wait_until([&] { return live.unconfirmed > 0; }, causal_limit);
      if (live.unconfirmed == 0) {
        ++confirmations_skipped;
        continue;
      }
      --live.unconfirmed;
    }
    if (st.request) {
      pending = i;
      live.awaiting = true;
    }
    live.send(st.pdu);
    ++sent;
    last_band = live.clock.seconds();
    last_t = st.t;
  }
  settle_response();
  // Trailing notifications (the last recorded PDU is a write response).
  const double end = live.clock.seconds() + 2;
  live.wait_until([&] { return live.clock.seconds() >= end; }, 10s);

  // Write-driven notifications, in order per kind.
  for (std::size_t c = idx(cat::service_changed); c < n_paired; ++c) {
    const auto& rec = s.band[c];
    const auto& got = live.band[c];
    for (std::size_t k = 0; k < std::max(rec.size(), got.size()); ++k)
      judge(static_cast<cat>(c), k < rec.size() ? &rec[k] : nullptr, k < got.size() ? &got[k] : nullptr,
            "#" + std::to_string(k + 1));
  }

  // ---- report ----
  tally total;
  std::ostringstream rep;
  rep << "FIDELITY CHECK (CAP-A vs virtual band, speed 50): " << sent << " of " << s.steps.size()
      << " phone PDUs replayed, " << s.band_pdus << " band PDUs recorded\n";
  for (std::size_t c = 0; c < n_paired; ++c) {
    const auto& t = tallies[c];
    if (t.compared == 0) continue;
    total.compared += t.compared, total.identical += t.identical, total.framing += t.framing,
        total.mismatch += t.mismatch;
    rep << "  " << defs[c].name << (defs[c].exact ? " [byte-identical required]" : " [dynamic]") << ": "
        << t.compared << " compared, " << t.identical << " byte-identical, " << t.framing << " framing-only, "
        << t.mismatch << " mismatches\n";
  }
  rep << "  TOTAL: " << total.compared << " compared, " << total.identical << " byte-identical, " << total.framing
      << " framing-only, " << total.mismatch << " mismatches";
  MESSAGE(rep.str());
  for (const auto& p : problems) MESSAGE("mismatch: " << p);

  // Streams and periodic notifications (not in the match rate).
  std::ostringstream st;
  st << "streams and periodic notifications (generated, framing only), recorded / virtual band:";
  std::size_t malformed = 0;
  for (cat c : {cat::accel, cat::ppg, cat::hr_stream, cat::raw_other, cat::steps}) {
    st << "\n  " << defs[idx(c)].name << ": " << s.band[idx(c)].size() << " / " << live.band[idx(c)].size();
    for (const auto& p : live.band[idx(c)]) {
      if (c == cat::steps) malformed += !s.band[idx(c)].empty() && compare(s.band[idx(c)][0], p, false, true) == verdict::mismatch;
      else malformed += !well_formed(c, p);
    }
  }
  st << "\n  raw runs: recorded " << (s.raw.empty() ? 0 : s.raw.back().run + 1) << ", virtual "
     << (live.raw.empty() ? 0 : live.raw.back().run + 1) << "; counter breaks recorded " << counter_breaks(s.raw)
     << ", virtual " << counter_breaks(live.raw);
  MESSAGE(st.str());

  // Timing (informational: the socketpair has no connection interval, so
  // replies the real band sent one or two 50 ms connection events later come
  // at once; the timed ones should match).
  std::ostringstream tm;
  tm << std::fixed << std::setprecision(2)
     << "delay after the phone's previous PDU, band seconds, recorded -> virtual band:";
  auto delays = [&](const char* what, cat c, std::size_t k) {
    const auto& a = s.latency[idx(c)];
    const auto& b = live.latency[idx(c)];
    tm << "\n  " << what << ": " << (k < a.size() ? a[k] : -1.0) << " -> " << (k < b.size() ? b[k] : -1.0);
  };
  delays("bind, 10 01 01 after the tap", cat::auth, 0);
  delays("challenge, 10 02 01", cat::auth, 1);
  for (std::size_t k = 0; k < 4; ++k) delays(("one-shot heart rate #" + std::to_string(k + 1)).c_str(), cat::hr_one_shot, k);
  delays("first raw packet after 02", cat::accel, 0);
  delays("first continuous heart rate after 02 (15 01 01 0.1 s before)", cat::hr_stream, 0);
  delays("config reply #1", cat::config, 0);
  MESSAGE(tm.str());

  // ---- assertions ----
  CHECK_FALSE(live.closed);
  CHECK(sent + confirmations_skipped == s.steps.size());
  CHECK(confirmations_skipped == 0);
  CHECK(causal_timeouts == 0);
  CHECK(live.unsolicited_responses == 0);
  // Byte-identical kinds: 100 %, with the capture's exact numbers.
  auto exact = [&](cat c, std::size_t n) {
    const auto& t = tallies[idx(c)];
    INFO(defs[idx(c)].name);
    CHECK(t.compared == n);
    CHECK(t.identical == n);
    CHECK(t.mismatch == 0);
  };
  exact(cat::discovery, 74);       // 21 of them Error Responses
  exact(cat::device_info, 5);      // 2A28, 2A23, 2A25, 2A50, 2A27
  exact(cat::write_rsp, 102);
  exact(cat::service_changed, 1);  // 01 00 ff ff
  exact(cat::auth, 3);             // 10 01 01, 10 02 01 <r>, 10 03 01
  exact(cat::config, 25);
  exact(cat::sensor_control, 2);   // 10 01 01 twice
  CHECK(tallies[idx(cat::other_rsp)].compared == 0);
  CHECK(tallies[idx(cat::other_ntf)].compared == 0);
  // Dynamic kinds: same framing for all.
  for (cat c : {cat::dynamic_read, cat::hr_one_shot}) {
    INFO(defs[idx(c)].name);
    CHECK(tallies[idx(c)].mismatch == 0);
  }
  CHECK(tallies[idx(cat::dynamic_read)].compared == 4);  // time, battery, steps x2
  CHECK(tallies[idx(cat::hr_one_shot)].compared == 4);
  CHECK(total.mismatch == 0);
  // Streams: the same kinds, well formed, counters per run from 0 without gaps.
  for (cat c : {cat::accel, cat::ppg, cat::hr_stream, cat::steps}) {
    INFO(defs[idx(c)].name);
    CHECK_FALSE(s.band[idx(c)].empty());
    CHECK_FALSE(live.band[idx(c)].empty());
  }
  CHECK(live.band[idx(cat::raw_other)].empty());
  CHECK(malformed == 0);
  CHECK(counter_breaks(s.raw) == 0);
  CHECK(counter_breaks(live.raw) == 0);
  REQUIRE_FALSE(s.raw.empty());
  REQUIRE_FALSE(live.raw.empty());
  CHECK(live.raw.back().run == s.raw.back().run);  // both streaming runs
}
