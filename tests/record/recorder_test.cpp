// The recorder as a service, on virtual time: a reload keeps unchanged
// bands' links and restarts changed ones, status lines say what each band
// does, a full disk is one band's clear error and recording resumes when
// space returns, a history sync pauses the stream with a gap, connection
// attempts take turns per adapter, and each connect sets the band's clock.
#include <doctest/doctest.h>

#include "tests/record/rig.hpp"

using namespace bandwire;
using namespace bandwire::test;

TEST_CASE("record reload: unchanged bands keep their links, a changed one restarts, a removed one stops") {
  rig r;
  r.add_band("a", false, 1);
  r.add_band("b", false, 2);
  r.add_band("c", false, 3);
  r.start();
  REQUIRE(r.run_until([&] {
    return r.state("a") == record::link_state::running && r.state("b") == record::link_state::running &&
           r.state("c") == record::link_state::running;
  }, 60s));
  r.vt.run_for(r.io, 10s);
  auto* a = r.rec->band_supervisor("a");
  const auto a_connections = r.bands["a"]->stats().connections;
  auto next = r.cfg;
  next.bands[1].accel = false;  // b changes
  next.bands.pop_back();        // c goes
  CHECK(r.rec->apply(next).empty());
  r.vt.run_for(r.io, 20s);
  CHECK(r.rec->band_supervisor("a") == a);  // the same supervisor, the same link
  CHECK(r.bands["a"]->stats().connections == a_connections);
  CHECK(r.rec->band_supervisor("c") == nullptr);
  CHECK_FALSE(r.bands["c"]->connected());
  REQUIRE(r.rec->band_supervisor("b"));
  CHECK(r.state("b") == record::link_state::running);
  CHECK(r.bands["b"]->stats().connections == 2);
  // c was stopped cleanly: its streams off on the band, its files closed (state written).
  CHECK(r.bands["c"]->stats().hr_values > 0);
  record::posix_file_system fs;
  CHECK(fs.read_small(r.band_dir("c") + "/hr.next").has_value());
  r.stop();
  for (const char* alias : {"a", "b", "c"}) {
    CAPTURE(std::string(alias));
    const auto t = count_files(r.band_dir(alias));
    CHECK(t.n_ok);
    CHECK(t.packets + t.missing == r.bands[alias]->stats().sensor_packets);
  }
}

TEST_CASE("record status: one line per band, as the README shows it") {
  record::band_status s;
  s.alias = "left";
  s.link.state = record::link_state::running;
  s.streaming = true;
  s.records_per_second = 37.54;
  s.records = 1234;
  CHECK(record::format_status(s) == "left: connected, streaming 37.5 rec/s, 1234 records, last error: none");
  s.alias = "right";
  s.streaming = false;
  s.link.state = record::link_state::reconnecting;
  s.link.reconnect_in = 3.96;
  s.link.attempt = 3;
  s.link.last_error = "link lost: ATT bearer closed";
  CHECK(record::format_status(s) ==
        "right: reconnecting in 4.0 s (attempt 3), 1234 records, last error: link lost: ATT bearer closed");
  s.link.state = record::link_state::running;
  s.streaming = true;
  s.records_per_second = 0;
  s.dropped = 17;
  s.file_error = "writing /x/hr-2026-01-01.jsonl: No space left on device";
  CHECK(record::format_status(s) == "right: connected, streaming 0.0 rec/s, 1234 records, 17 dropped, last error: "
                                    "writing /x/hr-2026-01-01.jsonl: No space left on device");
}

TEST_CASE("record disk full: that band's clear error, nothing damaged, recording resumes when space returns") {
  rig r;
  r.add_band("a", false, 1);
  r.start();
  REQUIRE(r.run_until([&] { return r.state("a") == record::link_state::running; }, 60s));
  r.vt.run_for(r.io, 20s);
  r.rec->status();  // starts the rate window
  r.fs.partial_then_fail = 17;
  r.vt.run_for(r.io, 30s);
  auto st = r.rec->status().at(0);
  INFO(record::format_status(st));
  CHECK(st.file_error.find("No space left on device") != std::string::npos);
  CHECK(st.dropped > 0);
  CHECK(st.link.state == record::link_state::running);  // the link stays; only the files wait
  CHECK(record::format_status(st).find("dropped, last error: writing " + r.band_dir("a") + "/") != std::string::npos);
  r.fs.fail_all = false;
  r.vt.run_for(r.io, 20s);
  st = r.rec->status().at(0);
  CHECK(st.file_error.empty());
  CHECK(st.records_per_second > 10);
  r.stop();
  const auto t = count_files(r.band_dir("a"));
  CHECK(t.n_ok);  // no torn or repeated line: the partial append was taken back
  CHECK(t.write_gaps >= 1);
  CHECK(t.dropped == st.dropped - 0);
  CHECK(t.samples > 0);
}

TEST_CASE("record history: the stream pauses for a sync, with a gap; each minute once in the activity file") {
  rig r;
  auto& b = r.add_band("a", false, 1);
  b.history_every = 10min;
  r.start();
  r.vt.run_for(r.io, 35min);
  r.stop();
  const auto t = count_files(r.band_dir("a"));
  CHECK(t.history_gaps == 3);  // at 10, 20 and 30 min (the first sync ran before the stream started)
  CHECK(t.packets + t.missing == r.bands["a"]->stats().sensor_packets);
  std::ifstream f(r.band_dir("a") + "/activity.jsonl");
  std::vector<long long> minutes;
  for (std::string l; std::getline(f, l);) minutes.push_back(json_int(l, "unix"));
  REQUIRE(minutes.size() == 90);
  for (std::size_t i = 1; i < minutes.size(); ++i) CHECK(minutes[i] == minutes[i - 1] + 60);
  // The band acknowledged and deleted what was written (fact sheet §14.1).
  CHECK(r.bands["a"]->history().first_kept() == r.bands["a"]->history().end());
}

TEST_CASE("record adapter: attempts take turns per adapter; each connect sets the band's clock") {
  rig r;
  r.add_band("a", true, 1);
  r.add_band("b", true, 2);
  auto& c = r.add_band("c", true, 3);
  c.adapter = "hci1";
  std::map<std::string, int> time_writes;
  for (const auto& [alias, relay] : r.relays) {
    relay->filter = [&, alias = alias](bool to_band, std::vector<std::uint8_t>& pdu) {
      // Write Request to the Current Time characteristic (fact sheet §8).
      if (to_band && pdu.size() >= 3 && pdu[0] == 0x12 && pdu[1] == miband::virtual_band::time_handle) ++time_writes[alias];
      return relay_band::verdict::forward;
    };
  }
  r.start();
  // A band's attempt holds its adapter from "connecting" until its link is
  // up (link event `connected`) or the attempt failed: never two at once.
  std::map<std::string, std::string> holder;  // adapter → alias
  std::map<std::string, std::string> adapter_of{{"a", "hci0"}, {"b", "hci0"}, {"c", "hci1"}};
  std::size_t overlaps = 0, attempts = 0;
  std::vector<registration> regs;
  for (const auto& [alias, ad] : adapter_of) {
    regs.push_back(r.rec->band_supervisor(alias)->session().on_link_event([&, alias = alias](const miband::link_event& e) {
      if (e.what == miband::link_event::kind::connected && holder[adapter_of[alias]] == alias) holder[adapter_of[alias]].clear();
    }));
  }
  r.rec->on_change = [&](const std::string& alias) {
    auto* sup = r.rec->band_supervisor(alias);
    if (!sup) return;  // stopping
    const auto st = sup->status().state;
    auto& h = holder[adapter_of[alias]];
    if (st == record::link_state::connecting) {
      ++attempts;
      if (!h.empty() && h != alias) ++overlaps;
      h = alias;
    } else if (st == record::link_state::reconnecting && h == alias) {
      h.clear();
    }
  };
  REQUIRE(r.run_until([&] {
    return r.state("a") == record::link_state::running && r.state("b") == record::link_state::running &&
           r.state("c") == record::link_state::running;
  }, 60s));
  for (int i = 0; i < 3; ++i) {
    r.bands["a"]->drop_link();
    r.bands["b"]->drop_link();
    r.vt.run_for(r.io, 15s);
  }
  CHECK(attempts == 9);
  CHECK(overlaps == 0);
  CHECK(time_writes["a"] == 4);
  CHECK(time_writes["b"] == 4);
  CHECK(time_writes["c"] == 1);
  r.stop();
}

TEST_CASE("record stall: none before a stream's first value; reported when values stop on a live link") {
  rig r;
  auto& b = r.add_band("a", true, 1);
  b.accel = b.ppg = b.steps = b.events = false;
  b.battery_every = 0min;
  b.history_every = 0min;  // heart rate only: its first value comes ~6.6 s after the start (§5.3)
  bool mute = false;
  r.relays["a"]->filter = [&](bool to_band, std::vector<std::uint8_t>& pdu) {
    const bool hr = !to_band && pdu.size() >= 3 && pdu[0] == 0x1b && pdu[1] == miband::virtual_band::hr_measurement_handle;
    return hr && mute ? relay_band::verdict::swallow : relay_band::verdict::forward;
  };
  r.start();
  r.vt.run_for(r.io, 60s);
  CHECK(count_files(r.band_dir("a")).stall_gaps == 0);
  mute = true;  // the watchdog looks every 5 s: 12 s of silence is seen once or twice
  r.vt.run_for(r.io, 12s);
  mute = false;
  r.vt.run_for(r.io, 10s);
  r.stop();
  const auto t = count_files(r.band_dir("a"));
  CHECK(t.stall_gaps >= 1);
  CHECK(t.stall_gaps <= 2);
  CHECK(t.hr > 40);
}

TEST_CASE("record stop: the band's streams are stopped (`15 01 00`, `03`) before the link closes; files closed") {
  rig r;
  r.add_band("a", true, 1);
  std::vector<std::vector<std::uint8_t>> sent;
  r.relays["a"]->filter = [&](bool to_band, std::vector<std::uint8_t>& pdu) {
    if (to_band) sent.push_back(pdu);
    return relay_band::verdict::forward;
  };
  r.start();
  r.vt.run_for(r.io, 30s);
  sent.clear();
  r.stop();
  // Write Request 0x002c `15 01 00` (HR off, fact sheet §5.2), Write Command 0x0035 `03` (sensors off, §6.2).
  const std::vector<std::uint8_t> hr_off{0x12, 0x2c, 0x00, 0x15, 0x01, 0x00}, sensors_off{0x52, 0x35, 0x00, 0x03};
  CHECK(std::find(sent.begin(), sent.end(), hr_off) != sent.end());
  CHECK(std::find(sent.begin(), sent.end(), sensors_off) != sent.end());
  CHECK_FALSE(r.bands["a"]->connected());
  record::posix_file_system fs;
  for (const char* kind : {"accel", "ppg", "hr"}) {  // (no gap was written: no gaps file)
    CAPTURE(std::string(kind));
    CHECK(fs.read_small(r.band_dir("a") + "/" + kind + ".next").has_value());  // written at the close, after fsync
  }
}
