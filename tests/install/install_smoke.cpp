// Built by scripts/install-check.sh against a staged `meson install`, with
// nothing but `pkg-config --cflags --libs bandwire`: proof that the installed
// headers resolve as <bandwire/...>, that the library links (static and
// shared) and runs, and that a program compiled with bandwire.pc's Asio
// macros runs on the Asio implementation compiled into the library (the
// script checks the object leaves io_context::run to it). Prints each check;
// exits 1 when any result is wrong.
#include <bandwire/att/pdu.hpp>
#include <bandwire/common/asio.hpp>
#include <bandwire/common/bytes.hpp>

#include <array>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>
#include <variant>

namespace {

int failures = 0;

void check(bool ok, const std::string& what) {
  std::printf("%s: %s\n", ok ? "ok" : "FAILED", what.c_str());
  if (!ok) ++failures;
}

}  // namespace

int main() {
  using namespace bandwire;

  // Core 5.4 Vol 3 Part F §3.4.5.1 Write Request: 0x12, handle LE, value.
  const std::array<std::uint8_t, 2> value{0x01, 0x00};
  std::array<std::uint8_t, 23> out{};
  const std::size_t n = att::encode(att::write_req{0x0021, value}, out);
  const std::string hex = to_hex(bytes_view(out.data(), n));
  check(hex == "1221000100", "att::encode(write_req{0x0021, 01 00}) == 12 21 00 01 00 (got " + hex + ")");

  att::pdu decoded;
  const error_code ec = att::decode(bytes_view(out.data(), n), decoded);
  const auto* w = std::get_if<att::write_req>(&decoded);
  check(!ec && w && w->handle == 0x0021 && w->value.size() == 2 && w->value[0] == 0x01,
        "att::decode gives back write_req handle 0x0021, value 01 00");

  // An already-expired timer: its handler runs through the io_context's
  // scheduler, which lives in the library (BOOST_ASIO_SEPARATE_COMPILATION).
  asio::io_context io;
  asio::steady_timer timer(io, std::chrono::steady_clock::time_point{});
  bool fired = false;
  error_code timer_ec = asio::error::operation_aborted;
  timer.async_wait([&](error_code e) {
    fired = true;
    timer_ec = e;
  });
  const std::size_t handlers = io.run();
  check(fired && !timer_ec && handlers == 1, "asio::steady_timer completes once without error via io_context::run");

  std::printf("%s\n", failures ? "install smoke: FAILED" : "install smoke: all checks passed");
  return failures ? 1 : 0;
}
