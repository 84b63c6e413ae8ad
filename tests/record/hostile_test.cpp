// Hostile Mi Band peers against the recorder, on virtual time: the virtual
// band behind a relay that injects what a real band never sends — every
// notification kind at every length, Service Changed values that are not 4
// bytes, floods, no answers at all, answers nobody asked for. Each is
// counted and skipped or fails cleanly (the link is dropped and recovered);
// nothing crashes, hangs or grows without bound, and the packets the band
// really sent are all in the files.
#include <doctest/doctest.h>

#include "miband/sensor.hpp"
#include "tests/record/rig.hpp"

using namespace bandwire;
using namespace bandwire::test;
using verdict = relay_band::verdict;
using vb = miband::virtual_band;

namespace {

std::vector<std::uint8_t> notification(std::uint16_t handle, std::size_t length, std::uint8_t fill, bool indication = false) {
  std::vector<std::uint8_t> p{static_cast<std::uint8_t>(indication ? 0x1d : 0x1b), static_cast<std::uint8_t>(handle & 0xff),
                              static_cast<std::uint8_t>(handle >> 8)};
  for (std::size_t i = 0; i < length; ++i) p.push_back(static_cast<std::uint8_t>(fill + i));
  return p;
}

// Sends `pdu`, running the loop whenever the socket is full.
void inject(rig& r, const std::vector<std::uint8_t>& pdu) {
  auto& relay = *r.relays["b"];
  for (int tries = 0; !relay.inject(pdu); ++tries) {
    REQUIRE(relay.linked());
    REQUIRE(tries < 1000);
    r.vt.settle(r.io);
  }
}

void check_exact(rig& r) {
  const auto t = count_files(r.band_dir("b"));
  CHECK(t.n_ok);
  CHECK(t.packets + t.missing == r.bands["b"]->stats().sensor_packets);
}

rig& running_rig(rig& r) {
  r.add_band("b", true);
  r.start();
  REQUIRE(r.run_until([&] { return r.state("b") == record::link_state::running; }, 60s));
  r.vt.run_for(r.io, 10s);
  return r;
}

}  // namespace

TEST_CASE("record hostile: every notification kind at every length is counted and skipped; the link stays") {
  rig r;
  running_rig(r);
  auto& sess = r.rec->band_supervisor("b")->session();
  const auto malformed_before = sess.band()->stats().malformed;
  std::size_t injected = 0, bad_sensor = 0;
  for (std::uint16_t h : {vb::hr_measurement_handle, vb::sensor_data_handle, vb::sensor_control_handle,
                          vb::steps_handle, vb::events_handle, vb::auth_handle, vb::activity_control_handle,
                          vb::activity_data_handle, vb::battery_handle, vb::time_handle, vb::service_changed_handle,
                          std::uint16_t{0x00ff}}) {
    for (std::size_t len = 0; len <= 20; ++len) {
      for (std::uint8_t first : {std::uint8_t{0x01}, std::uint8_t{0x02}, std::uint8_t{0xee}}) {
        auto pdu = notification(h, len, first);
        if (h == vb::sensor_data_handle) {
          // A well-formed sensor packet would be data, not hostility: only the undecodable ones.
          miband::sensor_packet p;
          if (!miband::decode_sensor_packet(bytes_view(pdu.data() + 3, pdu.size() - 3), p)) continue;
          ++bad_sensor;
        }
        inject(r, pdu);
        ++injected;
      }
    }
    r.vt.run_for(r.io, 1s);
  }
  r.vt.run_for(r.io, 10s);
  MESSAGE("injected " << injected << " notifications, " << bad_sensor << " undecodable sensor packets; band counted "
                      << sess.band()->stats().malformed - malformed_before << " malformed");
  CHECK(sess.band()->stats().malformed - malformed_before >= bad_sensor);
  const auto st = r.rec->band_supervisor("b")->status();
  CHECK(st.state == record::link_state::running);
  CHECK(st.losses == 0);  // skipped, not fatal
  r.stop();
  check_exact(r);
}

TEST_CASE("record hostile: Service Changed values that are not 4 bytes are confirmed and ignored") {
  rig r;
  running_rig(r);
  REQUIRE_FALSE(r.store->caches.empty());
  const auto caches = r.store->caches.size();
  std::size_t confirmations = 0;
  // The client confirms the relay's indications: those confirmations are
  // the relay's, not the band's (which would take one it never asked for
  // as a protocol error).
  r.relays["b"]->filter = [&](bool to_band, std::vector<std::uint8_t>& pdu) {
    if (to_band && pdu.size() == 1 && pdu[0] == 0x1e) {
      ++confirmations;
      return verdict::swallow;
    }
    return verdict::forward;
  };
  std::size_t sent = 0;
  for (std::size_t len : {0, 1, 2, 3, 5, 6, 8, 20}) {
    inject(r, notification(vb::service_changed_handle, len, 0x01, true));
    ++sent;
    r.vt.run_for(r.io, 1s);
  }
  CHECK(confirmations == sent);  // every indication confirmed (Core Vol 3 Part F §3.4.7.2)
  CHECK(r.store->caches.size() == caches);  // not taken as a change of the database
  CHECK(r.rec->band_supervisor("b")->status().losses == 0);
  r.stop();
  check_exact(r);
}

TEST_CASE("record hostile: a flood of notifications is written or skipped as it comes; the heap stays bounded") {
  rig r;
  running_rig(r);
  const auto heap_before = heap_in_use();
  const auto hr_before = count_files(r.band_dir("b")).hr;
  constexpr std::size_t flood = 20000;
  for (std::size_t i = 0; i < flood; ++i) {
    inject(r, std::vector<std::uint8_t>{0x1b, vb::hr_measurement_handle, 0x00, 0x00, 70});  // valid: 70 bpm
    inject(r, notification(vb::sensor_data_handle, 1, 0x01));                               // undecodable
    if (i % 256 == 0) r.vt.settle(r.io);
  }
  r.vt.run_for(r.io, 5s);
  const auto heap_after = heap_in_use();
  MESSAGE("heap in use: " << heap_before / 1024 << " KiB before a flood of " << 2 * flood << " notifications, "
                          << heap_after / 1024 << " KiB after");
  CHECK(heap_after < heap_before + 256 * 1024);
  CHECK(r.state("b") == record::link_state::running);
  r.stop();
  const auto t = count_files(r.band_dir("b"));
  CHECK(t.hr >= hr_before + flood);  // each valid value is a record
  check_exact(r);
}

TEST_CASE("record hostile: a band that never answers is retried with a capped back-off; the other band records on") {
  rig r;
  r.add_band("b", true);
  r.add_band("ok", false, 5);
  r.start();
  REQUIRE(r.run_until([&] { return r.state("b") == record::link_state::running && r.state("ok") == record::link_state::running; }, 60s));
  // From the next link on, band b never answers anything.
  bool mute = true;
  r.relays["b"]->filter = [&](bool to_band, std::vector<std::uint8_t>&) {
    return (!to_band && mute) ? verdict::swallow : verdict::forward;
  };
  r.bands["b"]->drop_link();
  const auto heap_before = heap_in_use();
  const auto ok_before = count_files(r.band_dir("ok"));
  std::size_t pending_max = 0;
  double backoff_max = 0;
  for (int s = 0; s < 600; ++s) {
    r.vt.run_for(r.io, 1s);
    if (s % 30 == 29) r.bands["ok"]->drop_link();  // the good band must get its turns on the adapter
    pending_max = std::max(pending_max, r.vt.pending());
    const auto st = r.rec->band_supervisor("b")->status();
    CHECK(st.state != record::link_state::running);
    backoff_max = std::max(backoff_max, st.reconnect_in);
  }
  const auto st = r.rec->band_supervisor("b")->status();
  MESSAGE("mute band after 600 s: attempt " << st.attempt << ", last error: " << st.last_error
                                           << "; back-off at most " << backoff_max << " s; timers pending at most "
                                           << pending_max);
  CHECK(st.attempt >= 10);
  CHECK(backoff_max <= 10.0);
  CHECK(pending_max < 64);
  CHECK(heap_in_use() < heap_before + 256 * 1024);
  const auto ok_after = count_files(r.band_dir("ok"));
  CHECK(ok_after.hr > ok_before.hr + 300);  // ~1 value per 1.25 s while the other band was mute
  CHECK(ok_after.link_gaps >= ok_before.link_gaps + 19);
  CHECK(r.state("ok") == record::link_state::running);
  // It answers again: recording resumes.
  mute = false;
  CHECK(r.run_until([&] { return r.state("b") == record::link_state::running; }, 60s));
  r.vt.run_for(r.io, 10s);
  r.stop();
  check_exact(r);
}

TEST_CASE("record hostile: answers nobody asked for end the link cleanly; the recorder reconnects") {
  rig r;
  running_rig(r);
  for (const auto& pdu : std::vector<std::vector<std::uint8_t>>{
           {0x0b, 0x01, 0x02},        // Read Response, no read pending
           {0x13},                    // Write Response, no write pending
           {0x09, 0x07, 0x02, 0x00},  // Read By Type Response
           {0x01, 0x12, 0x35, 0x00, 0x0a},  // Error Response to nothing
       }) {
    const auto losses = r.rec->band_supervisor("b")->status().losses;
    // Sent between the band's own answers: no request of the client is pending at that moment.
    inject(r, pdu);
    r.vt.run_for(r.io, 1s);
    CHECK(r.rec->band_supervisor("b")->status().losses == losses + 1);
    CHECK(r.run_until([&] { return r.state("b") == record::link_state::running; }, 60s));
    r.vt.run_for(r.io, 5s);
  }
  r.stop();
  check_exact(r);
  CHECK(count_files(r.band_dir("b")).link_gaps == 4);
}
