// Replays shared/vectors/att-gatt/server.json (BlueZ unit/test-gatt.c server
// tests, PTS GATT/SR names) against gatt::server over the databases of
// server_dbs.json, byte for byte.
#include "gatt/server.hpp"  // first: the header is self-contained

#include <doctest/doctest.h>

#include <cstdlib>
#include <filesystem>
#include <regex>
#include <string>

#include "tests/support/json.hpp"
#include "tests/support/shared_dir.hpp"
#include "vector_db.hpp"

using namespace bandwire;
using bandwire::test::json;

namespace {

// The vectors' folder, or "" when the test is skipped.
std::string vectors_dir() {
  const std::string f = test::shared_file("vectors/att-gatt/server.json");
  return f.empty() ? f : std::filesystem::path(f).parent_path().string();
}

// The server-side action an EMPTY client slot stands for, from the test's
// procedure text ("...send a notification for handle 0x0003 with value 010203").
struct trigger {
  bool indication = false;
  std::uint16_t handle = 0;
  std::vector<std::uint8_t> value;
};

std::optional<trigger> parse_trigger(const std::string& procedure) {
  static const std::regex re("send an? (notification|indication) for handle 0x([0-9a-fA-F]{4}) with value ([0-9a-fA-F]*)");
  std::smatch m;
  if (!std::regex_search(procedure, m, re)) return std::nullopt;
  trigger t;
  t.indication = m[1] == "indication";
  t.handle = static_cast<std::uint16_t>(std::stoul(m[2], nullptr, 16));
  if (!from_hex(m[3].str(), t.value)) return std::nullopt;
  return t;
}

// Runs one test; returns an empty string on success, else what went wrong.
std::string run(const json& t, const json& dbs) {
  const std::string& name = t.at("name").get<std::string>();
  gatt::database db = test::load_vector_db(dbs.at(t.at("server_db").get<std::string>()));
  gatt::server srv(db);  // Server Rx MTU 512, as BlueZ's test server
  int confirmations = 0;
  srv.on_confirmation = [&](std::uint16_t) { ++confirmations; };

  const auto& ex = t.at("exchange");
  if (ex.empty()) {
    // /robustness/hash-db: the Database Hash of a database built out of
    // handle order, up to 0xffff, must simply be computed.
    const auto h = db.hash();
    if (h == std::array<std::uint8_t, 16>{}) return "database hash failed";
    return {};
  }
  std::optional<trigger> action = parse_trigger(t.at("procedure").get<std::string>());
  bool indicated = false;
  for (std::size_t i = 0; i < ex.size(); ++i) {
    if (ex[i].at("dir").get<std::string>() != "client->server") return "step " + std::to_string(i) + ": two server PDUs in a row";
    const std::string& pdu = ex[i].at("pdu").get<std::string>();
    std::vector<std::uint8_t> out(600, 0xee);
    std::size_t n = 0;
    if (pdu.empty()) {
      if (!action) return "EMPTY client slot without a server-side action";
      n = action->indication ? srv.encode_indication(action->handle, action->value, out)
                             : srv.encode_notification(action->handle, action->value, out);
      indicated = indicated || action->indication;
    } else {
      std::vector<std::uint8_t> req;
      if (!from_hex(pdu, req)) return "bad hex in vector";
      n = srv.handle(req, out);
      if (n > srv.mtu() && req[0] != 0x02) return "response longer than ATT_MTU";
    }
    std::string want;  // "" = the server must stay silent
    if (i + 1 < ex.size() && ex[i + 1].at("dir").get<std::string>() == "server->client") want = ex[++i].at("pdu").get<std::string>();
    const std::string got = to_hex(bytes_view(out.data(), n));
    if (got != want)
      return name + " step " + std::to_string(i) + ": got '" + got + "', want '" + (want.empty() ? "(silence)" : want) + "'";
  }
  // GAI/SR/BV-01-C: "the confirmation must reach the indication callback".
  if (indicated && (confirmations != 1 || srv.pending_indication())) return "indication was not confirmed";
  return {};
}

}  // namespace

TEST_CASE("server.json: every server vector replays byte for byte") {
  const std::string dir = vectors_dir();
  if (dir.empty()) return;  // skipped (shared_file says why)
  const json doc = test::load_json(dir + "/server.json");
  const json dbs_doc = test::load_json(dir + "/server_dbs.json");
  const json& dbs = dbs_doc.at("databases");
  const auto& tests = doc.at("tests");
  CHECK(tests.size() == doc.at("count").get<std::size_t>());

  int passed = 0;
  for (const auto& t : tests) {
    const std::string& name = t.at("name").get<std::string>();
    CAPTURE(name);
    std::string failure;
    try {
      failure = run(t, dbs);
    } catch (const std::exception& e) {
      failure = std::string("exception: ") + e.what();
    }
    CHECK_MESSAGE(failure.empty(), failure);
    if (failure.empty()) ++passed;
  }
  MESSAGE("server vectors passed: " << passed << "/" << tests.size());
  CHECK(passed == 94);
}

TEST_CASE("server_dbs.json: the builder reproduces every attribute exactly") {
  const std::string dir = vectors_dir();
  if (dir.empty()) return;  // skipped (shared_file says why)
  const json doc = test::load_json(dir + "/server_dbs.json");
  for (const auto& m : doc.at("databases").items()) {
    CAPTURE(m.key());
    gatt::database db = test::load_vector_db(m.value());
    std::size_t count = 0;
    for (const auto& s : m.value()) {
      // The service's range as the table gives it.
      CHECK(db.service_end(test::json_u16(s.at("start"))) == test::json_u16(s.at("end")));
      for (const auto& a : s.at("attributes")) {
        ++count;
        const std::uint16_t h = test::json_u16(a.at("handle"));
        CAPTURE(h);
        const gatt::attribute* attr = db.find(h);
        REQUIRE(attr != nullptr);
        CHECK(attr->type == test::json_uuid(a.at("type")));
        CHECK(to_hex(attr->value) == a.at("value").get<std::string>());
        CHECK(attr->permissions == test::json_u16(a.at("perm")));
      }
    }
    CHECK(db.attributes().size() == count);
  }
}
