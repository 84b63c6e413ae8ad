// Replays the GATT client conformance vectors (shared/vectors/att-gatt:
// mtu, discovery, read, write, notify, security) in "procedure" mode: the
// client gets the database from preludes.json, runs the named procedure
// against a scripted peer that checks every PDU byte for byte, and its result
// is compared with expect_detail.
#include "gatt/client.hpp"

#include <doctest/doctest.h>

#include <regex>

#include "tests/support/json.hpp"
#include "tests/support/shared_dir.hpp"
#include "tests/support/script_peer.hpp"

using namespace bandwire;
using namespace std::chrono_literals;
using bandwire::test::json;

namespace {

std::uint16_t h16(const json& j) { return static_cast<std::uint16_t>(std::stoul(j.get<std::string>(), nullptr, 16)); }
att::uuid uid(const std::string& s) {
  auto u = att::uuid::parse(s);
  REQUIRE_MESSAGE(u.has_value(), "bad uuid " << s);
  return *u;
}

std::vector<gatt::service> load_view(const json& db) {
  std::vector<gatt::service> out;
  for (const auto& s : db) {
    gatt::service sv;
    sv.start = h16(s.at("start"));
    sv.end = h16(s.at("end"));
    sv.type = uid(s.at("uuid").get<std::string>());
    sv.primary = s.at("type").get<std::string>() == "primary";
    for (const auto& c : s.at("characteristics")) {
      gatt::characteristic ch;
      ch.decl_handle = h16(c.at("decl_handle"));
      ch.value_handle = h16(c.at("value_handle"));
      ch.properties = static_cast<std::uint8_t>(h16(c.at("properties")));
      ch.type = uid(c.at("uuid").get<std::string>());
      for (const auto& d : c.at("descriptors"))
        ch.descriptors.push_back({h16(d.at("handle")), uid(d.at("uuid").get<std::string>())});
      sv.characteristics.push_back(std::move(ch));
    }
    out.push_back(std::move(sv));
  }
  return out;
}

std::string param(const std::string& proc, const std::string& name) {
  std::smatch m;
  if (std::regex_search(proc, m, std::regex("[(, ]" + name + "=([^,)\\s]+)"))) return m[1];
  return {};
}

std::vector<std::uint8_t> value_param(const std::string& proc) {
  if (proc.find("value=512 x ff") != std::string::npos) return std::vector<std::uint8_t>(512, 0xff);
  return test::hx(param(proc, "value"));
}

struct outcome {
  int calls = 0;
  error_code ec;
  std::vector<gatt::service> services;
  std::vector<gatt::included_service> includes;
  std::vector<gatt::characteristic> chars;
  std::vector<gatt::descriptor> descs;
  gatt::value_type value;
  gatt::read_by_uuid_result rbu;
  std::vector<std::pair<std::uint16_t, std::string>> notifications;
};

// With fault_at set, the scripted peer closes the link instead of taking
// step fault_at (an index into the exchange): the procedure must then end
// exactly once, with an error unless it had already finished.
int run_vector(const json& t, const json& preludes, std::optional<std::size_t> fault_at = std::nullopt) {
  const std::string name = t.at("name").get<std::string>();
  const std::string proc = t.at("procedure").get<std::string>();
  const json& ex = t.at("exchange");
  CAPTURE(name);
  asio::io_context io;
  auto sp = test::make_socket_pair(io);
  att::bearer b(std::move(sp.local));
  test::peer peer(io, sp.peer_fd);
  att::scripted_security sec(att::security_level::low, true);
  b.set_security(&sec);
  b.start();
  gatt::client c(b);
  registration listener;
  outcome out;

  if (name == "/TP/GAC/CL/BV-01-C") {
    c.exchange_mtu(512, [&](error_code, std::uint16_t) {});
    peer.expect(t.at("expect_detail").at("first_pdu").get<std::string>());
    return 1;
  }
  std::size_t skip = 0;
  if (ex.size() >= 2 && ex[0].at("pdu").get<std::string>() == "020002") {
    int mtu_done = 0;
    c.exchange_mtu(512, [&](error_code ec, std::uint16_t) { mtu_done += !ec; });
    peer.expect("020002");
    peer.send(ex[1].at("pdu").get<std::string>());
    REQUIRE(peer.run_until([&] { return mtu_done == 1; }));
    CHECK(b.mtu() == 512);
    skip = t.at("harness").get<std::string>() == "att" ? 2 : t.at("prelude_pdus").get<std::size_t>();
  }
  if (t.contains("server_db")) c.set_services(load_view(preludes.at("client_view_databases").at(t.at("server_db").get<std::string>())));
  if (t.contains("security_mode") && t.at("security_mode").get<std::string>().rfind("medium", 0) == 0)
    sec.set_level(att::security_level::medium);

  auto done0 = [&](error_code ec) { ++out.calls, out.ec = ec; };
  bool no_completion = false;
  const std::string fn = proc.substr(0, proc.find('('));
  if (fn == "discover_all_primary_services") {
    c.discover_primary([&](error_code ec, auto s) { ++out.calls, out.ec = ec, out.services = std::move(s); });
  } else if (fn == "discover_primary_services_by_uuid") {
    const bool as128 = proc.find("given as a 128-bit UUID") != std::string::npos;
    c.discover_primary(uid(param(proc, "uuid")), as128 ? gatt::uuid_width::full : gatt::uuid_width::shortest,
                       [&](error_code ec, auto s) { ++out.calls, out.ec = ec, out.services = std::move(s); });
  } else if (fn == "discover_included_services") {
    c.discover_included(static_cast<std::uint16_t>(std::stoul(param(proc, "start"), nullptr, 16)),
                        static_cast<std::uint16_t>(std::stoul(param(proc, "end"), nullptr, 16)),
                        [&](error_code ec, auto s) { ++out.calls, out.ec = ec, out.includes = std::move(s); });
  } else if (fn == "discover_characteristics") {
    c.discover_characteristics(static_cast<std::uint16_t>(std::stoul(param(proc, "start"), nullptr, 16)),
                               static_cast<std::uint16_t>(std::stoul(param(proc, "end"), nullptr, 16)), std::nullopt,
                               [&](error_code ec, auto s) { ++out.calls, out.ec = ec, out.chars = std::move(s); });
  } else if (fn == "discover_descriptors") {
    c.discover_descriptors(static_cast<std::uint16_t>(std::stoul(param(proc, "start"), nullptr, 16)),
                           static_cast<std::uint16_t>(std::stoul(param(proc, "end"), nullptr, 16)),
                           [&](error_code ec, auto s) { ++out.calls, out.ec = ec, out.descs = std::move(s); });
  } else if (fn == "read_value" || fn == "read_long_value") {
    c.read(static_cast<std::uint16_t>(std::stoul(param(proc, "handle"), nullptr, 16)), 0,
           [&](error_code ec, auto v) { ++out.calls, out.ec = ec, out.value = std::move(v); });
  } else if (fn == "read_multiple") {
    std::smatch m;
    REQUIRE(std::regex_search(proc, m, std::regex("handles=\\[([^\\]]*)\\]")));
    std::vector<std::uint16_t> hs;
    std::string list = m[1];
    const std::regex hex_re("0x[0-9a-f]+");
    for (std::sregex_iterator it(list.begin(), list.end(), hex_re), e; it != e; ++it)
      hs.push_back(static_cast<std::uint16_t>(std::stoul(it->str(), nullptr, 16)));
    c.read_multiple(hs, false, [&](error_code ec, auto v) { ++out.calls, out.ec = ec, out.value = std::move(v); });
  } else if (fn == "read_using_characteristic_uuid") {
    c.read_by_uuid(1, 0xffff, uid(param(proc, "uuid")),
                   [&](error_code ec, auto r) { ++out.calls, out.ec = ec, out.rbu = std::move(r); });
  } else if (fn == "write_without_response") {
    const auto h = static_cast<std::uint16_t>(std::stoul(param(proc, "handle"), nullptr, 16));
    auto v = value_param(proc);
    if (param(proc, "signed") == "true") {
      gatt::signing_key key;
      auto k = test::hx("d8515948451fea320dc05a2e88308188");
      std::copy(k.begin(), k.end(), key.csrk.begin());
      CHECK_FALSE(c.signed_write(h, v, key));
    } else {
      CHECK_FALSE(c.write_without_response(h, v));
    }
    no_completion = true;
  } else if (fn == "write_value") {
    c.write(static_cast<std::uint16_t>(std::stoul(param(proc, "handle"), nullptr, 16)), value_param(proc), done0);
  } else if (fn == "write_long_value") {
    c.write_long(static_cast<std::uint16_t>(std::stoul(param(proc, "handle"), nullptr, 16)),
                 static_cast<std::uint16_t>(std::stoul(param(proc, "offset"), nullptr, 16)), value_param(proc),
                 param(proc, "reliable") == "true", done0);
  } else if (fn.rfind("register_notify", 0) == 0) {
    const auto vh = static_cast<std::uint16_t>(std::stoul(param(proc, "value_handle"), nullptr, 16));
    listener = c.listen(vh, [&](std::uint16_t h, bytes_view v, bool) { out.notifications.emplace_back(h, to_hex(v)); });
    c.subscribe(vh, done0);
  } else {
    FAIL("no procedure mapping for " << proc);
  }

  for (std::size_t i = skip; i < ex.size(); ++i) {
    if (fault_at && i == *fault_at) {
      const bool finished_before = out.calls == 1;
      const error_code ec_before = out.ec;
      peer.close();
      REQUIRE(peer.run_until([&] { return no_completion || out.calls == 1; }));
      for (int k = 0; k < 5; ++k) peer.pump();
      if (!no_completion) {
        CHECK(out.calls == 1);
        CHECK(out.ec == (finished_before ? ec_before : make_error_code(att::errc::closed)));
      }
      CHECK(b.idle());
      return 1;
    }
    const std::string pdu = ex[i].at("pdu").get<std::string>();
    CAPTURE(i);
    if (ex[i].at("dir").get<std::string>() == "client->server") {
      if (pdu.empty())
        CHECK(peer.silent());
      else
        peer.expect(pdu);
    } else {
      peer.send(pdu);
    }
  }
  if (!no_completion) REQUIRE(peer.run_until([&] { return out.calls == 1; }));
  peer.pump();
  CHECK(peer.silent());  // nothing extra after the script
  if (!no_completion) CHECK(out.calls == 1);

  const json& d = t.at("expect_detail");
  if (d.contains("success")) {
    CHECK(!out.ec == d.at("success").get<bool>());
    if (d.contains("att_ecode") && fn != "read_using_characteristic_uuid")
      CHECK(out.ec.value() == d.at("att_ecode").get<int>());
  }
  if (d.contains("value")) CHECK(to_hex(out.value) == d.at("value").get<std::string>());
  if (d.contains("services")) {
    REQUIRE(out.services.size() == d.at("services").size());
    for (std::size_t i = 0; i < out.services.size(); ++i) {
      CHECK(out.services[i].start == h16(d.at("services")[i].at("start")));
      CHECK(out.services[i].end == h16(d.at("services")[i].at("end")));
      CHECK(out.services[i].type == uid(d.at("services")[i].at("uuid").get<std::string>()));
    }
  }
  if (d.contains("includes")) {
    REQUIRE(out.includes.size() == d.at("includes").size());
    for (std::size_t i = 0; i < out.includes.size(); ++i) {
      CHECK(out.includes[i].decl_handle == h16(d.at("includes")[i].at("decl_handle")));
      CHECK(out.includes[i].start == h16(d.at("includes")[i].at("start")));
      CHECK(out.includes[i].end == h16(d.at("includes")[i].at("end")));
      CHECK(out.includes[i].type == uid(d.at("includes")[i].at("uuid").get<std::string>()));
    }
  }
  if (d.contains("characteristics")) {
    REQUIRE(out.chars.size() == d.at("characteristics").size());
    for (std::size_t i = 0; i < out.chars.size(); ++i) {
      const json& e = d.at("characteristics")[i];
      CHECK(out.chars[i].decl_handle == h16(e.at("decl_handle")));
      CHECK(out.chars[i].value_handle == h16(e.at("value_handle")));
      CHECK(out.chars[i].properties == h16(e.at("properties")));
      CHECK(out.chars[i].type == uid(e.at("uuid").get<std::string>()));
    }
  }
  if (d.contains("descriptors")) {
    REQUIRE(out.descs.size() == d.at("descriptors").size());
    for (std::size_t i = 0; i < out.descs.size(); ++i) {
      CHECK(out.descs[i].handle == h16(d.at("descriptors")[i].at("handle")));
      CHECK(out.descs[i].type == uid(d.at("descriptors")[i].at("uuid").get<std::string>()));
    }
  }
  if (d.contains("entries")) {
    CHECK(out.rbu.end_code == d.at("att_ecode").get<int>());
    REQUIRE(out.rbu.entries.size() == d.at("entries").size());
    for (std::size_t i = 0; i < out.rbu.entries.size(); ++i) {
      CHECK(out.rbu.entries[i].handle == h16(d.at("entries")[i].at("handle")));
      CHECK(to_hex(out.rbu.entries[i].value) == d.at("entries")[i].at("value").get<std::string>());
    }
  }
  if (d.contains("notifications")) {
    REQUIRE(out.notifications.size() == d.at("notifications").size());
    for (std::size_t i = 0; i < out.notifications.size(); ++i) {
      CHECK(out.notifications[i].first == h16(d.at("notifications")[i].at("handle")));
      CHECK(out.notifications[i].second == d.at("notifications")[i].at("value").get<std::string>());
    }
  }
  if (d.contains("last_client_pdu") && fn == "write_without_response") {
    // Already checked byte for byte by the replay: it is the script's last client PDU.
    CHECK(ex[ex.size() - 1].at("pdu").get<std::string>() == d.at("last_client_pdu").get<std::string>());
  }
  CHECK(b.idle());
  return 1;
}

}  // namespace

TEST_CASE("GATT client conformance vectors (procedure mode)") {
  const std::string preludes_path = test::shared_file("vectors/att-gatt/preludes.json");
  if (preludes_path.empty()) return;  // skipped (shared_file says why)
  const std::string dir = preludes_path.substr(0, preludes_path.size() - std::string_view("preludes.json").size());
  const json preludes = test::load_json(dir + "preludes.json");
  int ran = 0, total = 0;
  for (const char* family : {"mtu", "discovery", "read", "write", "notify", "security"}) {
    const json f = test::load_json(dir + family + ".json");
    for (const auto& t : f.at("tests")) {
      ++total;
      // Whole-database bring-ups are checked against a real server instead
      // (discovery_test.cpp): their scripts follow BlueZ's own order.
      if (t.at("name").get<std::string>().find("/client-") != std::string::npos) continue;
      ran += run_vector(t, preludes);
    }
  }
  MESSAGE("client vectors replayed: " << ran << " of " << total << " (the other "
          << total - ran << " are whole-database bring-ups, checked against a real server in discovery_test.cpp)");
  CHECK(ran == 37);
}

TEST_CASE("GATT client conformance vectors with the link dropped at every step") {
  const std::string preludes_path = test::shared_file("vectors/att-gatt/preludes.json");
  if (preludes_path.empty()) return;  // skipped (shared_file says why)
  const std::string dir = preludes_path.substr(0, preludes_path.size() - std::string_view("preludes.json").size());
  const json preludes = test::load_json(dir + "preludes.json");
  int runs = 0;
  for (const char* family : {"discovery", "read", "write", "notify", "security"}) {
    const json f = test::load_json(dir + family + ".json");
    for (const auto& t : f.at("tests")) {
      if (t.at("name").get<std::string>().find("/client-") != std::string::npos) continue;
      const std::size_t skip = t.at("harness").get<std::string>() == "att" ? 2 : t.at("prelude_pdus").get<std::size_t>();
      for (std::size_t k = skip; k < t.at("exchange").size(); ++k) {
        // Only a server slot can be replaced by a disconnect.
        if (t.at("exchange")[k].at("dir").get<std::string>() != "server->client") continue;
        CAPTURE(k);
        runs += run_vector(t, preludes, k);
      }
    }
  }
  MESSAGE("fault-injected runs: " << runs);
  CHECK(runs > 50);
}
