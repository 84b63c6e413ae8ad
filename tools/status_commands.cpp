// The Mi Band commands that read the band: info, battery, time, steps.
#include <cstdio>

#include "tools/await.hpp"
#include "tools/band_session.hpp"
#include "tools/clocks.hpp"
#include "tools/commands.hpp"
#include "tools/follow.hpp"
#include "tools/option_set.hpp"
#include "tools/output.hpp"
#include "tools/wait.hpp"

namespace bandwire::tools {

namespace {

asio::awaitable<int> read_battery(band_session& s, miband::band& b) {
  auto [ec, bat] = co_await await_value<miband::battery_info>([&](auto d) { b.read_battery(std::move(d)); });
  if (ec) co_return s.fail("reading the battery", ec);
  print_battery(bat, s.json);
  co_return exit_ok;
}

// With `set`, writes this host's clock and time zone first.
asio::awaitable<int> read_time(band_session& s, miband::band& b, bool set) {
  if (set) {
    const auto t = miband::make_current_time(std::chrono::system_clock::now(), local_utc_offset());
    error_code ec = co_await await_done([&](auto d) { b.write_time(t, std::move(d)); });
    if (ec) co_return s.fail("setting the time", ec);
  }
  auto [ec, t] = co_await await_value<miband::current_time>([&](auto d) { b.read_time(std::move(d)); });
  if (ec) co_return s.fail("reading the time", ec);
  print_time(t, s.json);
  co_return exit_ok;
}

}  // namespace

void declare_info(option_set& o) {
  o.usage("info --device TARGET [options]")
      .description("Device information (serial, hardware and software revision, system and PnP\n"
                   "id), battery and the band's clock; the device's family as bandwire tells it.\n"
                   "A heart-rate strap has no Mi Band battery or clock: those are left out.");
  declare_band_options(o);
}

int run_info(const args& a) {
  return run_on_band(a, "info", [](band_session& s, miband::band& b) -> asio::awaitable<int> {
    auto [ec, info] =
        co_await await_value<miband::device_information>([&](auto d) { b.read_device_information(std::move(d)); });
    if (ec) co_return s.fail("reading device information", ec);
    print_device_information(info, s.json);
    if (s.json)
      emit(json_object()
               .add("kind", "device")
               .add("family", miband::to_string(b.capabilities().family))
               .add("name", b.device_name())
               .str());
    else
      emit("family:    " + s.family() + (b.device_name().empty() ? "" : " (\"" + b.device_name() + "\")"));
    if (!b.capabilities().miband_service) co_return exit_ok;  // battery and clock live in FEE0 (§1)
    if (int rc = co_await read_battery(s, b); rc != exit_ok) co_return rc;
    co_return co_await read_time(s, b, false);
  });
}

void declare_battery(option_set& o) {
  o.usage("battery --device TARGET [options]").description("Battery level, charging state and the last charge dates.");
  declare_band_options(o);
}

int run_battery(const args& a) { return run_on_band(a, "battery", read_battery); }

void declare_time(option_set& o) {
  o.usage("time --device TARGET [--set] [options]")
      .description("Reads the band's clock; --set writes this host's clock and time zone\n"
                   "(including DST) to it first.")
      .flag("--set", "write this host's clock and time zone to the band first");
  declare_band_options(o);
}

int run_time(const args& a) {
  const bool set = a.has("--set");
  return run_on_band(a, "time", [set](band_session& s, miband::band& b) { return read_time(s, b, set); });
}

void declare_steps(option_set& o) {
  o.usage("steps --device TARGET [--follow [--duration S]] [options]")
      .description("Steps, distance (m) and calories (kcal) today; --follow prints every update\n"
                   "until Ctrl-C or S seconds.")
      .flag("--follow", "print every update")
      .value("--duration", "S", "with --follow: stop after S seconds");
  declare_reconnect_option(o);
  declare_band_options(o);
}

int run_steps(const args& a) {
  const auto duration = duration_option(a, "steps");
  if (!duration) return exit_usage;
  return run_on_band(a, "steps", [&](band_session& s, miband::band& b) -> asio::awaitable<int> {
    auto print = [&s](const miband::realtime_steps& st) { print_steps(st, s.json); };
    auto [ec, st] = co_await await_value<miband::realtime_steps>([&](auto d) { b.read_steps(std::move(d)); });
    if (ec) co_return s.fail("reading steps", ec);
    print(st);
    if (!a.has("--follow")) co_return exit_ok;
    record::supervisor_options o;
    o.steps = true;
    co_return co_await follow_feeds(s, o, "following steps", *duration);
  });
}

}  // namespace bandwire::tools
