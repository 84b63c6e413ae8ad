// gatt::client's async operations with each kind of Asio completion token:
// a plain callback, asio::use_future and asio::use_awaitable (C++20
// coroutines), against the demo GATT server in the same io_context.
#include "gatt/client.hpp"

#include <doctest/doctest.h>

#include <future>
#include <thread>

#include "gatt/demo_db.hpp"
#include "gatt/server_session.hpp"
#include "tests/support/script_peer.hpp"

using namespace bandwire;

namespace {
struct demo_rig {
  asio::io_context io;
  gatt::database db = gatt::make_demo_database();
  std::unique_ptr<gatt::server_session> server;
  std::unique_ptr<att::bearer> bearer;
  std::unique_ptr<gatt::client> client;
  demo_rig() {
    int fds[2];
    REQUIRE(::socketpair(AF_UNIX, SOCK_SEQPACKET, 0, fds) == 0);
    server = std::make_unique<gatt::server_session>(
        seqpacket_socket(io, asio::generic::seq_packet_protocol(AF_UNIX, 0), fds[1]), db);
    server->start();
    bearer = std::make_unique<att::bearer>(seqpacket_socket(io, asio::generic::seq_packet_protocol(AF_UNIX, 0), fds[0]));
    bearer->start();
    client = std::make_unique<gatt::client>(*bearer);
  }
};
}  // namespace

TEST_CASE("gatt client: callback token, never invoked inline") {
  demo_rig r;
  int calls = 0;
  gatt::value_type value;
  r.client->async_read(0x0003, [&](error_code ec, gatt::value_type v) {
    CHECK_FALSE(ec);
    ++calls;
    value = std::move(v);
    r.io.stop();
  });
  CHECK(calls == 0);
  r.io.run_for(std::chrono::seconds(5));
  CHECK(calls == 1);
  CHECK(std::string(value.begin(), value.end()) == "bandwire demo");
}

TEST_CASE("gatt client: use_future with the io_context on another thread") {
  demo_rig r;
  auto work = asio::make_work_guard(r.io);
  std::thread t([&] { r.io.run(); });
  std::future<std::vector<gatt::service>> f;
  asio::post(r.io, [&] { f = r.client->async_discover_primary(asio::use_future); });
  // Wait for the post to have run, then for the result.
  for (int i = 0; i < 200 && !f.valid(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  REQUIRE(f.valid());
  REQUIRE(f.wait_for(std::chrono::seconds(5)) == std::future_status::ready);
  auto services = f.get();
  CHECK(services.size() == r.db.services().size());
  CHECK(services[0].type == att::uuid::from16(0x1800));
  // A peer error arrives as an exception carrying the ATT code.
  std::future<gatt::value_type> bad;
  asio::post(r.io, [&] { bad = r.client->async_read(0x0999, asio::use_future); });
  for (int i = 0; i < 200 && !bad.valid(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  REQUIRE(bad.wait_for(std::chrono::seconds(5)) == std::future_status::ready);
  try {
    bad.get();
    FAIL("expected an exception");
  } catch (const boost::system::system_error& e) {
    CHECK(e.code() == att::error::invalid_handle);
  }
  work.reset();
  r.io.stop();
  t.join();
}

TEST_CASE("gatt client: use_awaitable in a C++20 coroutine") {
  demo_rig r;
  bool finished = false;
  asio::co_spawn(
      r.io,
      [&]() -> asio::awaitable<void> {
        auto services = co_await r.client->async_discover_all(asio::use_awaitable);
        CHECK(services.size() == r.db.services().size());
        const auto* level = r.client->find_characteristic(att::uuid::from16(0x2a19));
        REQUIRE(level != nullptr);
        auto v = co_await r.client->async_read(level->value_handle, asio::use_awaitable);
        CHECK(v.size() == 1);
        const std::uint8_t hundred[] = {100};
        co_await r.client->async_write(level->value_handle, hundred, asio::use_awaitable);
        finished = true;
      },
      [&](std::exception_ptr e) {
        r.io.stop();
        // The battery level is read-only in the demo database: the write
        // must fail with the peer's Write Not Permitted, as an exception.
        REQUIRE(e);
        try {
          std::rethrow_exception(e);
        } catch (const boost::system::system_error& ex) {
          CHECK(ex.code() == att::error::write_not_permitted);
        }
      });
  r.io.run_for(std::chrono::seconds(5));
  CHECK_FALSE(finished);
}
