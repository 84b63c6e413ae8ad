// Each device family end to end through miband::session against its virtual
// device (sim:mb3, sim:mb4, sim:hrx, sim:hrs) on virtual time: the family is
// told from the database and the name, the auth bytes are each family's
// (fact sheet §18, §22.16), a missing service is named, and a standard strap
// is measured with no key, no auth and no Mi Band command on its 2A39.
#include <doctest/doctest.h>

#include <map>

#include "miband/error.hpp"
#include "miband/session.hpp"
#include "miband/virtual_models.hpp"
#include "miband/virtual_strap.hpp"
#include "tests/support/hex.hpp"
#include "tests/support/keys.hpp"

using namespace bandwire;
using namespace bandwire::miband;
using namespace std::chrono_literals;

namespace {

using test::key_a1;

struct memory_store final : state_store {
  memory_store() : state_store("/nonexistent-bandwire-test") {}
  std::optional<auth_key> load_key(const std::string& id, std::string&) const override {
    auto it = keys.find(id);
    if (it == keys.end()) return std::nullopt;
    return it->second;
  }
  std::string save_key(const std::string& id, const auth_key& k) const override {
    keys.insert_or_assign(id, k);
    return {};
  }
  bool load_cache(const std::string&, gatt::discovered_database&) const override { return false; }
  void save_cache(const std::string&, const gatt::discovered_database&) const override {}
  void drop_cache(const std::string&) const override {}
  mutable std::map<std::string, auth_key> keys;
};

// The random numbers of the virtual band's challenges: 01 08 0f ...
void counting(bytes_span out) {
  for (std::size_t i = 0; i < out.size(); ++i) out[i] = static_cast<std::uint8_t>(i * 7 + 1);
}
constexpr const char* challenge = "01 08 0f 16 1d 24 2b 32 39 40 47 4e 55 5c 63 6a";

// A session on the virtual device of `model`, which holds key A1.
struct rig {
  asio::io_context io;
  virtual_time vt;
  scaled_clock clock{vt};
  std::shared_ptr<memory_store> store = std::make_shared<memory_store>();
  std::unique_ptr<virtual_band> vb;
  std::unique_ptr<session> s;

  explicit rig(sim_model model, std::optional<auth_key> user_key = key_a1(), crypt_answer crypt = crypt_answer::accept) {
    sim_options so;
    apply_model(model, so);
    so.key = key_a1();
    so.random = counting;
    so.crypt = crypt;
    vb = std::make_unique<virtual_band>(io.get_executor(), clock, so);
    session_options o;
    o.transport.device = std::string("sim:") + to_string(model);
    o.store = store;
    o.key = user_key;
    o.sim_band = vb.get();
    s = std::make_unique<session>(io, clock, o);
  }
  error_code connect(bool authenticate = true) {
    std::optional<error_code> ec;
    s->connect(authenticate, [&](error_code e) { ec = e; });
    REQUIRE(vt.run_until(io, [&] { return ec.has_value(); }, 600s));
    return *ec;
  }
  const device_capabilities& caps() { return s->band()->capabilities(); }
  std::vector<std::string> auth_writes() const {
    std::vector<std::string> v;
    for (const auto& w : vb->stats().auth_writes) v.push_back(to_hex(w));
    return v;
  }
  std::pair<error_code, std::uint16_t> heart_once() {
    std::optional<std::pair<error_code, std::uint16_t>> r;
    s->band()->heart_rate_once(15s, [&](error_code ec, std::uint16_t bpm) { r.emplace(ec, bpm); });
    REQUIRE(vt.run_until(io, [&] { return r.has_value(); }, 60s));
    return *r;
  }
};

std::string answer_to_challenge() {
  const auto r = test::hx(challenge);
  std::array<std::uint8_t, 16> a;
  std::copy(r.begin(), r.end(), a.begin());
  return to_hex(encrypt_challenge(key_a1(), a));
}

}  // namespace

TEST_CASE("families: sim:mb3 is told apart by its name and authenticates as a Mi Band 2 (flag 00)") {
  rig r(sim_model::mb3);
  REQUIRE_FALSE(r.connect());
  CHECK(r.caps().family == device_family::mi_band_3);
  CHECK(r.s->band()->device_name() == "Mi Band 3");
  CHECK(r.vb->authenticated());
  CHECK(r.auth_writes() == std::vector<std::string>{"0200", "0300" + answer_to_challenge()});
  auto [ec, bpm] = r.heart_once();
  CHECK_FALSE(ec);
  CHECK(bpm > 40);
}

TEST_CASE("families: sim:mb4 authenticates with the crypt flag 82 00 02 01 00 and never binds") {
  SUBCASE("the crypt-flag request accepted") {
    rig r(sim_model::mb4);
    REQUIRE_FALSE(r.connect());
    CHECK(r.caps().family == device_family::mi_band_4);
    CHECK(r.caps().public_address);
    CHECK(r.vb->authenticated());
    CHECK(r.auth_writes() == std::vector<std::string>{"8200020100", "8300" + answer_to_challenge()});
    auto [ec, bpm] = r.heart_once();
    CHECK_FALSE(ec);
  }
  SUBCASE("refused (10 82 04): the plain 02 00 fallback") {
    rig r(sim_model::mb4, key_a1(), crypt_answer::refuse);
    REQUIRE_FALSE(r.connect());
    CHECK(r.vb->authenticated());
    CHECK(r.auth_writes() == std::vector<std::string>{"8200020100", "0200", "0300" + answer_to_challenge()});
  }
  SUBCASE("not answered: the plain 02 00 after the 5 s deadline") {
    rig r(sim_model::mb4, key_a1(), crypt_answer::ignore);
    const double t0 = r.clock.seconds();
    REQUIRE_FALSE(r.connect());
    CHECK(r.clock.seconds() - t0 >= 5.0);
    CHECK(r.auth_writes() == std::vector<std::string>{"8200020100", "0200", "0300" + answer_to_challenge()});
  }
  SUBCASE("pair is refused before anything is written; no key is no_key") {
    rig r(sim_model::mb4, std::nullopt);
    REQUIRE_FALSE(r.connect(false));
    std::optional<error_code> ec;
    r.s->pair(true, [&](error_code e, std::optional<auth_key>) { ec = e; });
    REQUIRE(r.vt.run_until(r.io, [&] { return ec.has_value(); }, 60s));
    CHECK(*ec == errc::bind_not_supported);
    CHECK(r.vb->stats().auth_writes.empty());
    CHECK(r.store->keys.empty());
    r.s->close();
    r.vt.run_for(r.io, 1s);
    CHECK(r.connect() == errc::no_key);
    CHECK_FALSE(r.s->band()->capabilities().can_bind_key);
  }
  SUBCASE("a wrong user key is rejected, after the crypt request, with no bind") {
    rig r(sim_model::mb4, well_known_key());
    CHECK(r.connect() == errc::key_rejected);
    const auto w = r.auth_writes();
    REQUIRE(w.size() == 2);
    CHECK(w[0] == "8200020100");
    CHECK(w[1].substr(0, 4) == "8300");
  }
}

TEST_CASE("families: sim:hrx has no heart-rate service; heart rate fails naming 0x180D, the accelerometer streams") {
  rig r(sim_model::hrx);
  REQUIRE_FALSE(r.connect());
  CHECK(r.caps().family == device_family::mi_band_hrx);
  CHECK(r.auth_writes() == std::vector<std::string>{"0200", "0300" + answer_to_challenge()});
  auto [ec, bpm] = r.heart_once();
  CHECK(ec == errc::heart_rate_service_missing);
  CHECK(ec.message() == "the device has no Heart Rate service (0x180D)");

  // PPG needs the heart-rate engine (§6.2): refused up front, naming 180D.
  stream_options with_ppg;
  std::optional<error_code> started;
  r.s->band()->start_stream(with_ppg, [](const stream_event&) {}, [&](error_code e) { started = e; });
  REQUIRE(r.vt.run_until(r.io, [&] { return started.has_value(); }, 10s));
  CHECK(*started == errc::heart_rate_service_missing);

  stream_options accel;
  accel.ppg = accel.heart_rate = false;
  int samples = 0, ppg = 0;
  started.reset();
  r.s->band()->start_stream(
      accel,
      [&](const stream_event& e) {
        if (e.what != stream_event::kind::sensor) return;
        if (e.sensor->packet.type == sensor_packet_type::accelerometer) samples += e.sensor->packet.count;
        else ++ppg;
      },
      [&](error_code e) { started = e; });
  REQUIRE(r.vt.run_until(r.io, [&] { return started.has_value(); }, 10s));
  REQUIRE_FALSE(*started);
  r.vt.run_for(r.io, 10s);
  CHECK(samples >= 200);  // 25 Hz for ~8.6 s after the first packet at 1.35 s
  CHECK(ppg == 0);
}

TEST_CASE("families: sim:hrs is a strap: no key, no auth, RR intervals exact, no 15/16 on its 2A39") {
  rig r(sim_model::hrs, std::nullopt);  // no key anywhere
  REQUIRE_FALSE(r.connect(true));
  CHECK(r.caps().family == device_family::heart_rate_sensor);
  CHECK(r.s->band()->device_name() == "bandwire HR strap");
  const virtual_strap& strap = *r.vb->strap();
  CHECK(r.store->keys.empty());

  // One-shot: the first reading with contact.
  auto [ec, bpm] = r.heart_once();
  CHECK_FALSE(ec);
  CHECK(bpm >= 55);
  CHECK(bpm <= 100);

  // Continuous: every notification, its RR intervals exactly as the strap sent them.
  std::vector<std::uint16_t> rr;
  std::vector<std::uint16_t> energies;
  int values = 0, contact = 0;
  std::optional<error_code> started;
  r.s->band()->start_heart_rate(
      [&](const stream_event& e) {
        if (e.what != stream_event::kind::heart_rate) return;
        ++values;
        for (std::size_t i = 0; i < e.hr->rr_count(); ++i) rr.push_back(e.hr->rr_1024ths(i));
        if (e.hr->energy_expended_kj) energies.push_back(*e.hr->energy_expended_kj);
        if (e.hr->contact == sensor_contact::detected) ++contact;
      },
      [&](error_code e) { started = e; });
  REQUIRE(r.vt.run_until(r.io, [&] { return started.has_value(); }, 10s));
  REQUIRE_FALSE(*started);
  const std::size_t sent_before = strap.stats().rr_sent.size();
  r.vt.run_for(r.io, 30s);  // longer than the Mi Band's 15 s without keep-alive: a strap needs none
  std::optional<error_code> stopped;
  r.s->band()->stop([&](error_code e) { stopped = e; });
  REQUIRE(r.vt.run_until(r.io, [&] { return stopped.has_value(); }, 10s));
  CHECK_FALSE(*stopped);

  CHECK(values >= 29);
  CHECK(contact == values);
  CHECK(energies.size() >= 3);  // every tenth notification
  const std::vector<std::uint16_t> sent(strap.stats().rr_sent.begin() + static_cast<std::ptrdiff_t>(sent_before),
                                        strap.stats().rr_sent.end());
  CHECK(rr == sent);
  REQUIRE(rr.size() >= 25);
  double sum = 0;
  for (auto t : rr) {
    CHECK(t > 512);   // below 120 bpm
    CHECK(t < 1200);  // above 51 bpm
    sum += t / 1024.0;
  }
  // The intervals cover the time they were measured in (30 s, give or take the edges).
  CHECK(sum == doctest::Approx(30.0).epsilon(0.1));
  // Nothing was ever written to the strap's control point: no 15 …, no 16.
  CHECK(strap.stats().control_writes.empty());
  CHECK(r.vb->stats().auth_writes.empty());
}

TEST_CASE("families: the strap's control point takes only 01 (reset energy expended)") {
  rig r(sim_model::hrs, std::nullopt);
  REQUIRE_FALSE(r.connect(false));
  const virtual_strap& strap = *r.vb->strap();
  auto* c = r.s->client();
  std::optional<error_code> w1, w2;
  c->write(strap.hr_control_point_handle(), test::hx("01"), [&](error_code e) { w1 = e; });
  c->write(strap.hr_control_point_handle(), test::hx("15 01 01"), [&](error_code e) { w2 = e; });
  REQUIRE(r.vt.run_until(r.io, [&] { return w1 && w2; }, 10s));
  CHECK_FALSE(*w1);
  CHECK(w2->value() == 0x80);  // HRS 1.0 §3.3.2 "Control Point value not supported"
  CHECK(strap.stats().energy_resets == 1);
  CHECK(strap.stats().control_writes.size() == 2);
}
