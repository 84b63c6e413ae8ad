// miband::history_sync on a session against the virtual band, on virtual
// time: multi-round fetches into a real file (history_file_sink), the link
// cut after every PDU position of the fetch and the fetch run again. Each
// minute must be in the file exactly once with its exact values, and the
// band must have seen each `03` only after the minutes it acknowledges were
// fsync'ed and the resume point stored.
#include "miband/history_sync.hpp"

#include <doctest/doctest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "miband/error.hpp"
#include "miband/session.hpp"
#include "miband/uuids.hpp"
#include "tests/support/hex.hpp"

using namespace bandwire;
using namespace bandwire::miband;
namespace chr = std::chrono;
using namespace std::chrono_literals;

namespace {

auth_key key_a1() { return *auth_key::from_bytes(test::hx("91c7954727b7ec7fb89c65b311bdd59f")); }

// The virtual epoch (2026-01-01T00:00Z): the band's stored minutes end there.
constexpr double epoch_wall = 1'767'225'600.0;
const chr::sys_seconds band_end{chr::seconds{static_cast<long long>(epoch_wall)}};
chr::minutes zone(chr::sys_seconds) { return 120min; }  // the "host" zone: +02:00

// The files of a test: under /dev/shm when it exists (fsync is then cheap;
// the order of fsync and `03` is what the test checks, from the logs).
std::string temp_dir() {
  std::string base = ::access("/dev/shm", W_OK) == 0 ? "/dev/shm" : (std::getenv("TMPDIR") ? std::getenv("TMPDIR") : "/tmp");
  std::string tmpl = base + "/bandwire-history-XXXXXX";
  REQUIRE(::mkdtemp(tmpl.data()) != nullptr);
  return tmpl;
}

// Keys, caches and resume points in memory; each resume save notes how far
// the band's log had got.
struct memory_store final : state_store {
  explicit memory_store(const virtual_band* b) : state_store("/nonexistent-bandwire-test"), vb(b) {}
  std::optional<auth_key> load_key(const std::string&, std::string&) const override { return key_a1(); }
  std::string save_key(const std::string&, const auth_key&) const override { return {}; }
  bool load_cache(const std::string& id, gatt::discovered_database& out) const override {
    auto it = caches.find(id);
    if (it == caches.end()) return false;
    out = it->second;
    return true;
  }
  void save_cache(const std::string& id, const gatt::discovered_database& s) const override { caches[id] = s; }
  void drop_cache(const std::string& id) const override { caches.erase(id); }
  std::optional<chr::sys_seconds> load_history_resume(const std::string& id, std::string&) const override {
    auto it = resume.find(id);
    if (it == resume.end()) return std::nullopt;
    return it->second;
  }
  std::string save_history_resume(const std::string& id, chr::sys_seconds next) const override {
    resume[id] = next;
    saves.push_back({vb->history().log().size(), next});
    return {};
  }
  const virtual_band* vb;
  // Shared by every rig: the virtual band's database does not change, and
  // the cut test makes hundreds of rigs (discovery once, not each time).
  static inline std::map<std::string, gatt::discovered_database> caches;
  mutable std::map<std::string, chr::sys_seconds> resume;
  struct save { std::size_t band_log; chr::sys_seconds next; };
  mutable std::vector<save> saves;
};

// The real file sink; each durable() notes how far the band's log had got
// and the last minute it made durable.
struct logged_sink final : history_sink {
  logged_sink(const virtual_band& b, history_format f) : vb(b), file(f, zone) {}
  error_code write(std::span<const minute_record> r) override {
    if (!r.empty()) written_end = r.back().time + 1min;
    dirty = true;
    return file.write(r);
  }
  error_code durable() override {
    auto ec = file.durable();
    if (!ec) {
      fsyncs.push_back({vb.history().log().size(), written_end});
      dirty = false;
    }
    return ec;
  }
  bool persistent() const noexcept override { return true; }
  std::optional<chr::sys_seconds> last_minute() const override { return file.last_minute(); }
  struct fsync_event { std::size_t band_log; chr::sys_seconds end; };
  const virtual_band& vb;
  history_file_sink file;
  chr::sys_seconds written_end{};
  bool dirty = false;  // written, not yet fsync'ed
  std::vector<fsync_event> fsyncs;
};

struct rig {
  asio::io_context io;
  virtual_time vt{epoch_wall};
  scaled_clock clock{vt};
  virtual_band vb;
  std::shared_ptr<memory_store> store = std::make_shared<memory_store>(&vb);
  std::string dir = temp_dir();
  std::string path = dir + "/activity.csv";
  history_format format = history_format::csv;
  std::vector<logged_sink::fsync_event> fsyncs;  // of every run
  std::uint32_t oldest_minutes;

  rig(std::uint32_t minutes, std::uint32_t limit) : vb(io.get_executor(), clock, band(minutes, limit)), oldest_minutes(minutes) {}
  ~rig() { std::filesystem::remove_all(dir); }
  static sim_options band(std::uint32_t minutes, std::uint32_t limit) {
    sim_options so;
    so.key = key_a1();
    so.seed = 11;
    so.history_end = band_end;
    so.history_minutes = minutes;
    so.history_round_limit = limit;
    so.history_utc_offset = 60min;  // the band's own zone differs from the host's
    return so;
  }
  chr::sys_seconds oldest() const { return band_end - chr::minutes{oldest_minutes}; }

  struct outcome {
    error_code ec;
    history_sync_result result;
    std::size_t pdus = 0;  // PDUs of the fetch (both directions) on this link
    std::size_t acks_sent = 0;
  };
  // One run of `bandwire activity`: a new session, connect, fetch. With
  // `cut_after`, the link is closed right after that many PDUs of the fetch.
  outcome run(std::optional<std::size_t> cut_after = std::nullopt, bool keep = false) {
    outcome out;
    {
      session_options o;
      o.transport.device = "sim";
      o.store = store;
      o.key = key_a1();
      o.sim_band = &vb;
      o.reconnect.enabled = false;
      session s(io, clock, o);
      std::optional<error_code> cec;
      s.connect(true, [&](error_code e) { cec = e; });
      REQUIRE(vt.run_until(io, [&] { return cec.has_value(); }, 60s));
      REQUIRE_FALSE(*cec);
      logged_sink sink(vb, format);
      const std::uint16_t control = s.client()->find_characteristic(uuids::activity_control())->value_handle;
      registration tap = s.bearer()->tap([&](att::direction d, bytes_view pdu) {
        ++out.pdus;
        // `03` going on the wire (Write Command 52 <control> 03): everything
        // written is fsync'ed, and the resume point is after it.
        if (d == att::direction::sent && pdu.size() == 4 && pdu[0] == 0x52 && get_le16(&pdu[1]) == control &&
            pdu[3] == fetch_cmd_ack) {
          ++out.acks_sent;
          CHECK_FALSE(sink.dirty);
          CHECK(sink.written_end > chr::sys_seconds{});
          CHECK(store->resume.at("sim") == sink.written_end);
        }
        // Posted: the PDU is handled in full first (a notification acted
        // on, a write sent), then the link goes down before anything else.
        if (cut_after && out.pdus == *cut_after) asio::post(io, [&s] { s.close(); });
      });
      std::string msg;
      REQUIRE_FALSE(sink.file.open(path, msg));
      history_sync sync(s);
      history_sync_options so;
      so.keep = keep;
      so.fetch.utc_offset = zone;
      std::optional<error_code> done;
      sync.run(so, sink, nullptr, [&](error_code e, history_sync_result r) {
        done = e;
        out.result = std::move(r);
      });
      REQUIRE(vt.run_until(io, [&] { return done.has_value(); }, 600s));
      out.ec = *done;
      CHECK(out.acks_sent == out.result.acks);
      fsyncs.insert(fsyncs.end(), sink.fsyncs.begin(), sink.fsyncs.end());
    }
    vt.run_for(io, 1s);  // the band sees the link go
    REQUIRE_FALSE(vb.connected());
    return out;
  }

  std::vector<std::string> file_lines() const {
    std::ifstream f(path);
    std::vector<std::string> v;
    for (std::string l; std::getline(f, l);) v.push_back(l);
    return v;
  }

  // The file holds every stored minute once, in order, exactly as the
  // band's model has it (after the header).
  // (Built once per band size: the cut test compares hundreds of files.)
  void check_file() const {
    static std::map<std::pair<std::uint32_t, int>, std::string> expected;
    auto& want = expected[{oldest_minutes, static_cast<int>(format)}];
    if (want.empty()) {
      if (format == history_format::csv) want = "time,unix,kind,category,intensity,steps,hr\n";
      for (std::size_t i = 0; i < oldest_minutes; ++i) {
        const auto t = oldest() + chr::minutes{i};
        want += format_minute(make_minute_record(t, 4, vb.history().at(t)), format, 120min);
      }
    }
    std::ifstream f(path, std::ios::binary);
    std::stringstream ss;
    ss << f.rdbuf();
    const std::string got = ss.str();
    if (got != want) {
      // Say where: the first differing line.
      const auto lines = file_lines();
      std::istringstream w(want);
      std::size_t i = 0;
      for (std::string l; std::getline(w, l); ++i) {
        CAPTURE(i);
        REQUIRE(i < lines.size());
        REQUIRE(lines[i] == l);
      }
      REQUIRE(lines.size() == i);
    }
    CHECK(got == want);
  }

  // Every `03` the band saw came after an fsync and a resume save covering
  // the minutes it acknowledged. Returns the number of acks.
  std::size_t check_ack_order() const {
    const auto& log = vb.history().log();
    chr::sys_seconds sent_end{};
    std::size_t acks = 0;
    for (std::size_t i = 0; i < log.size(); ++i) {
      const auto& e = log[i];
      if (e.what == history_event::kind::transfer) sent_end = e.start + chr::minutes{e.records};
      if (e.what != history_event::kind::ack) continue;
      ++acks;
      CAPTURE(i);
      bool synced = false, saved = false;
      for (const auto& f : fsyncs) synced = synced || (f.band_log <= i && f.end >= sent_end);
      for (const auto& s : store->saves) saved = saved || (s.band_log <= i && s.next >= sent_end);
      CHECK(synced);
      CHECK(saved);
    }
    return acks;
  }
};

}  // namespace

TEST_CASE("history_sync: a first run fetches everything the band holds in rounds, fsync before each ack") {
  struct param { std::uint32_t limit, minutes, rounds; };
  for (const param p : {param{1, 5, 5}, param{17, 60, 4}, param{1440, 2 * 1440 + 9, 3}}) {
    CAPTURE(p.limit);
    rig r(p.minutes, p.limit);
    auto out = r.run();
    REQUIRE_FALSE(out.ec);
    CHECK(out.result.rounds == p.rounds);
    CHECK(out.result.records == p.minutes);
    CHECK(out.result.acks == p.rounds);
    CHECK(out.result.since == band_end - chr::hours{100 * 24});
    CHECK(out.result.next == band_end);
    CHECK(r.store->resume.at("sim") == band_end);
    r.check_file();
    CHECK(r.check_ack_order() == p.rounds);
    CHECK(r.vb.history().first_kept() == band_end);
    // A run with nothing new adds no row and writes no `03`.
    const auto before = r.file_lines();
    const auto log_before = r.vb.history().log().size();
    auto again = r.run();
    REQUIRE_FALSE(again.ec);
    CHECK(again.result.records == 0);
    CHECK(again.result.since == band_end);
    CHECK(r.file_lines() == before);
    const auto& log = r.vb.history().log();
    REQUIRE(log.size() == log_before + 1);
    CHECK(log.back().what == history_event::kind::request);
    CHECK(log.back().requested == band_end);
    CHECK(log.back().records == 0);
  }
}

TEST_CASE("history_sync: the link cut after every PDU position of a fetch, then run again: each minute once") {
  // Limits 1 and 17 (many short rounds), and 1440: three rounds of 360, 360
  // and 3 packets, so the packet counter wraps within a round.
  struct param { std::uint32_t limit, minutes, rounds; };
  std::size_t total_positions = 0, total_runs = 0;
  for (const param p : {param{1, 5, 5}, param{17, 60, 4}, param{1440, 2 * 1440 + 9, 3}}) {
    CAPTURE(p.limit);
    // A clean run counts the positions: 2 CCCD writes and their responses,
    // per round `01`, `10 01`, `02`, the packets, `10 02 01`, `03`, `10 03 01`,
    // then the last `01` and its `10 01 01 0…`.
    std::size_t positions = 0;
    {
      rig r(p.minutes, p.limit);
      positions = r.run().pdus;
      std::size_t packets = 0;
      for (const auto& e : r.vb.history().log())
        if (e.what == history_event::kind::transfer) packets += e.packets;
      REQUIRE(positions == 4 + 6 * p.rounds + packets + 2);
    }
    total_positions += positions;
    MESSAGE("limit " << p.limit << ": " << p.minutes << " minutes, " << p.rounds << " rounds, " << positions
                     << " cut positions");
    for (std::size_t cut = 1; cut <= positions; ++cut) {
      CAPTURE(cut);
      rig r(p.minutes, p.limit);
      auto first = r.run(cut);
      // Cut before the end, the run fails with the link; at the last
      // position the fetch had already finished.
      if (cut < positions) CHECK(first.ec);
      auto second = r.run();
      REQUIRE_FALSE(second.ec);
      CHECK(first.result.records + second.result.records == p.minutes);
      r.check_file();
      r.check_ack_order();
      CHECK(r.vb.history().first_kept() == band_end);
      total_runs += 2;
    }
  }
  MESSAGE("cut positions: " << total_positions << ", runs: " << total_runs);
}

namespace {
// A sink whose write or fsync fails (a full disk), or that is not persistent.
struct failing_sink final : history_sink {
  bool fail_write = false, fail_sync = false, persist = true;
  std::vector<minute_record> got;
  error_code write(std::span<const minute_record> r) override {
    if (fail_write) return make_error_code(boost::system::errc::no_space_on_device);
    got.insert(got.end(), r.begin(), r.end());
    return {};
  }
  error_code durable() override {
    return fail_sync ? make_error_code(boost::system::errc::io_error) : error_code{};
  }
  bool persistent() const noexcept override { return persist; }
};

struct one_session {
  rig& r;
  std::unique_ptr<session> s;
  explicit one_session(rig& rr) : r(rr) {
    session_options o;
    o.transport.device = "sim";
    o.store = r.store;
    o.key = key_a1();
    o.sim_band = &r.vb;
    s = std::make_unique<session>(r.io, r.clock, o);
    std::optional<error_code> cec;
    s->connect(true, [&](error_code e) { cec = e; });
    REQUIRE(r.vt.run_until(r.io, [&] { return cec.has_value(); }, 60s));
    REQUIRE_FALSE(*cec);
  }
  std::pair<error_code, history_sync_result> fetch(history_sink& sink, history_sync_options so = {}) {
    history_sync sync(*s);
    so.fetch.utc_offset = zone;
    std::optional<error_code> done;
    history_sync_result res;
    sync.run(so, sink, nullptr, [&](error_code e, history_sync_result x) {
      done = e;
      res = std::move(x);
    });
    REQUIRE(r.vt.run_until(r.io, [&] { return done.has_value(); }, 600s));
    return {*done, res};
  }
  std::size_t acks() const {
    std::size_t n = 0;
    for (const auto& e : r.vb.history().log()) n += e.what == history_event::kind::ack;
    return n;
  }
};
}  // namespace

TEST_CASE("history_sync: a sink that fails to write or fsync ends the run; nothing is acknowledged") {
  for (int which = 0; which < 2; ++which) {
    rig r(100, 17);
    one_session os(r);
    failing_sink sink;
    (which ? sink.fail_sync : sink.fail_write) = true;
    auto [ec, res] = os.fetch(sink);
    CHECK(ec == history_errc::commit_failed);
    CHECK(res.commit_error == (which ? boost::system::errc::io_error : boost::system::errc::no_space_on_device));
    CHECK(res.records == 0);
    CHECK(os.acks() == 0);
    CHECK(r.store->resume.empty());
    CHECK(r.vb.history().first_kept() == r.oldest());
  }
}

TEST_CASE("history_sync: --keep and a non-persistent sink never acknowledge nor store a resume point") {
  rig r(100, 17);
  one_session os(r);
  failing_sink pipe;
  pipe.persist = false;
  auto [ec, res] = os.fetch(pipe);
  REQUIRE_FALSE(ec);
  CHECK(pipe.got.size() == 100);
  CHECK_FALSE(res.acknowledging);
  CHECK(res.acks == 0);
  CHECK(r.store->resume.empty());
  failing_sink file;
  history_sync_options keep;
  keep.keep = true;
  auto [ec2, res2] = os.fetch(file, keep);
  REQUIRE_FALSE(ec2);
  CHECK(file.got == pipe.got);  // the same minutes again: nothing was deleted
  CHECK(res2.acks == 0);
  CHECK(r.store->resume.at("sim") == band_end);  // a file: resumable
  CHECK(os.acks() == 0);
  CHECK(r.vb.history().first_kept() == r.oldest());
}

TEST_CASE("history_sync: --since, the output's last minute and the resume point decide the start") {
  rig r(600, 1440);
  one_session os(r);
  failing_sink a;
  history_sync_options so;
  so.since = band_end - 30min + 20s;  // rounded down to the minute
  auto [ec, res] = os.fetch(a, so);
  REQUIRE_FALSE(ec);
  CHECK(res.since == band_end - 30min);
  CHECK(a.got.size() == 30);
  // A bad resume file is a state error, named.
  struct bad_store final : state_store {
    // Under /proc nothing can be created, even by root: no stray cache files.
    bad_store() : state_store("/proc/bandwire-test-nonexistent") {}
    std::optional<chr::sys_seconds> load_history_resume(const std::string&, std::string& e) const override {
      e = "resume file X is not a bandwire resume point";
      return std::nullopt;
    }
  };
  session_options o = os.s->options();
  o.store = std::make_shared<bad_store>();
  os.s.reset();
  r.vt.run_for(r.io, 1s);
  session s2(r.io, r.clock, o);
  std::optional<error_code> cec;
  s2.connect(true, [&](error_code e) { cec = e; });
  REQUIRE(r.vt.run_until(r.io, [&] { return cec.has_value(); }, 60s));
  history_sync sync(s2);
  std::optional<error_code> done;
  history_sync_result got;
  failing_sink b;
  sync.run({}, b, nullptr, [&](error_code e, history_sync_result x) { done = e, got = std::move(x); });
  REQUIRE(r.vt.run_until(r.io, [&] { return done.has_value(); }, 60s));
  CHECK(*done == errc::state_error);
  CHECK(got.message == "resume file X is not a bandwire resume point");
}

TEST_CASE("history_sync: destroyed or cancelled mid-fetch, the handler runs once with operation_aborted") {
  for (int mode = 0; mode < 2; ++mode) {
    rig r(3000, 1440);
    one_session os(r);
    failing_sink sink;
    auto sync = std::make_unique<history_sync>(*os.s);
    int calls = 0;
    error_code got;
    std::size_t packets = 0;
    sync->run({}, sink, [&](const history_progress& p) {
      ++packets;
      CHECK(p.round_received <= p.round_announced);
      if (packets == 100) {
        if (mode == 0) sync.reset();
        else sync->cancel();
      }
    }, [&](error_code e, history_sync_result) { ++calls, got = e; });
    r.vt.run_for(r.io, 30s);
    CHECK(calls == 1);
    CHECK(got == asio::error::operation_aborted);
    CHECK(packets == 100);
    CHECK(sink.got.empty());
    CHECK(os.acks() == 0);
  }
}

TEST_CASE("state_store: the resume point file is written atomically and read back") {
  const std::string dir = temp_dir();
  state_store st(dir);
  std::string err;
  CHECK_FALSE(st.load_history_resume("sim", err));
  CHECK(err.empty());
  CHECK(st.save_history_resume("sim", band_end) == "");
  CHECK(st.history_resume_path("sim") == dir + "/history/sim.resume");
  CHECK(st.load_history_resume("sim", err) == band_end);
  CHECK_FALSE(std::filesystem::exists(dir + "/history/sim.resume.tmp"));
  std::ofstream(dir + "/history/sim.resume", std::ios::trunc) << "garbage";
  CHECK_FALSE(st.load_history_resume("sim", err));
  CHECK(err.find("is not a bandwire resume point") != std::string::npos);
  std::filesystem::remove_all(dir);
}

TEST_CASE("history_sync: a crash between fsync and the resume save: the file's last minute wins, no row twice") {
  rig r(2 * 1440 + 9, 1440);
  // Cut right after the second round's `03` went out: two rounds written.
  auto first = r.run(4 + 2 * (6 + 360) - 1);
  CHECK(first.ec);
  CHECK(first.result.records == 2880);
  // The resume point as if its update had been lost: back at the start.
  r.store->resume.clear();
  auto second = r.run();
  REQUIRE_FALSE(second.ec);
  CHECK(second.result.since == r.oldest() + 2880min);  // after the file's last minute
  CHECK(second.result.records == 9);
  r.check_file();
}
