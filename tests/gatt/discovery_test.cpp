// The three whole-database bring-ups of the client vectors
// (GAD/CL/BV-06-C/client-1..3): their scripts follow BlueZ's own discovery
// order, so instead of replaying them the client runs its own full
// discovery against a real gatt::server holding the same database
// (server_dbs.json), and the result must equal expect_detail.database.
#include "gatt/client.hpp"

#include <doctest/doctest.h>

#include <fstream>

#include "gatt/server_session.hpp"
#include "tests/support/json.hpp"
#include "tests/support/shared_dir.hpp"
#include "vector_db.hpp"

using namespace bandwire;
using bandwire::test::json;

namespace {
// The vectors' folder with a trailing '/', or "" when the test is skipped.
std::string shared_vectors() {
  const std::string f = test::shared_file("vectors/att-gatt/discovery.json");
  return f.empty() ? f : f.substr(0, f.size() - std::string_view("discovery.json").size());
}
}  // namespace

TEST_CASE("GATT client: whole-database discovery equals the client-1..3 vectors' databases") {
  const std::string dir = shared_vectors();
  if (dir.empty()) return;  // skipped (shared_file says why)
  const auto dbs = test::load_json(dir + "server_dbs.json");
  const auto disc = test::load_json(dir + "discovery.json");
  int checked = 0;
  for (const auto& t : disc.at("tests")) {
    const std::string name = t.at("name").get<std::string>();
    if (name.find("/client-") == std::string::npos) continue;
    CAPTURE(name);
    gatt::database db = test::load_vector_db(dbs.at("databases").at(t.at("server_db").get<std::string>()));
    asio::io_context io;
    int fds[2];
    REQUIRE(::socketpair(AF_UNIX, SOCK_SEQPACKET, 0, fds) == 0);
    gatt::server_session server(seqpacket_socket(io, asio::generic::seq_packet_protocol(AF_UNIX, 0), fds[1]), db);
    server.start();
    att::bearer b(seqpacket_socket(io, asio::generic::seq_packet_protocol(AF_UNIX, 0), fds[0]));
    b.start();
    gatt::client c(b);
    std::optional<error_code> done;
    std::vector<gatt::service> found;
    c.exchange_mtu(512, [](error_code, std::uint16_t) {});
    c.discover_all([&](error_code ec, std::vector<gatt::service> s) {
      done = ec;
      found = std::move(s);
    });
    io.run_for(std::chrono::seconds(3));
    REQUIRE(done.has_value());
    CHECK_FALSE(*done);
    const auto& want = t.at("expect_detail").at("database");
    REQUIRE(found.size() == want.size());
    for (std::size_t i = 0; i < want.size(); ++i) {
      const auto& ws = want[i];
      const auto& s = found[i];
      CHECK(s.primary == (ws.at("type").get<std::string>() == "primary"));
      CHECK(s.start == test::json_u16(ws.at("start")));
      CHECK(s.end == test::json_u16(ws.at("end")));
      CHECK(s.type == test::json_uuid(ws.at("uuid")));
      CHECK(s.includes.size() == ws.at("includes").size());
      const auto& wc = ws.at("characteristics");
      REQUIRE(s.characteristics.size() == wc.size());
      for (std::size_t k = 0; k < wc.size(); ++k) {
        const auto& ch = s.characteristics[k];
        CHECK(ch.decl_handle == test::json_u16(wc[k].at("decl_handle")));
        CHECK(ch.value_handle == test::json_u16(wc[k].at("value_handle")));
        CHECK(ch.properties == test::json_u16(wc[k].at("properties")));
        CHECK(ch.type == test::json_uuid(wc[k].at("uuid")));
        const auto& wd = wc[k].at("descriptors");
        REQUIRE(ch.descriptors.size() == wd.size());
        for (std::size_t d = 0; d < wd.size(); ++d) {
          CHECK(ch.descriptors[d].handle == test::json_u16(wd[d].at("handle")));
          CHECK(ch.descriptors[d].type == test::json_uuid(wd[d].at("uuid")));
        }
      }
    }
    CHECK(c.services().size() == found.size());  // the cache holds what was found
    ++checked;
  }
  CHECK(checked == 3);
}
