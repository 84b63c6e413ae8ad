#include "hci/le_scanner.hpp"  // first: the header is self-contained

#include <doctest/doctest.h>

#include <future>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "hci/error.hpp"
#include "hci/status.hpp"
#include "tests/hci/scripted_controller.hpp"

// LE scanning on an hci_channel against a scripted controller
// (tests/hci/scripted_controller.hpp). A scan runs "for an hour" and the
// test ends it with stop() when a marker report arrives, so no outcome
// depends on how fast the machine is; the one test with a real duration has
// a silent controller, where any duration gives the same result.
//
// What this cannot show (it needs the VM suite): the kernel's socket filter
// and privilege checks and a real controller's Command Disallowed rules.

using namespace bandwire;
using namespace bandwire::hci;
using namespace bandwire::test;
using namespace std::chrono_literals;

namespace {

// One ADV_NONCONN_IND from 00:00:00:00:00:01: the script's "that was all".
const std::string marker = "3e0c" "0201" "03" "01" "010000000000" "00" "c0";
const std::string marker_addr = "00:00:00:00:00:01";

scan_options quick() {
  scan_options o;
  o.command_timeout = 1000ms;
  return o;
}

// One scan on its own io_context; stop() at the marker.
struct scan_run {
  asio::io_context io;
  hci_channel ch;
  std::unique_ptr<le_scanner> sc = std::make_unique<le_scanner>(ch);
  std::vector<std::string> seen;  ///< "started" and report addresses, in order
  std::vector<adv_report> reports;
  std::vector<bytes> data;  ///< the reports' data outlive their events
  std::size_t cancel_at = 0;  ///< cancel() at this report (1-based), 0: never
  int calls = 0;
  error_code ec;
  scan_result result;
  std::function<void()> after_report;  ///< runs after each report is stored

  explicit scan_run(int fd) : ch(io, fd) {}
  void start(scan_options o, std::chrono::steady_clock::duration d = 1h) {
    o.on_started = [this](const scan_state&) { seen.push_back("started"); };
    sc->async_scan(std::move(o), d, [this](const adv_report& r) {
      if (r.addr.to_string() == marker_addr) return sc->stop();
      seen.push_back(r.addr.to_string() + (r.format == report_format::extended ? " ext" : ""));
      reports.push_back(r);
      data.emplace_back(r.data.begin(), r.data.end());
      if (reports.size() == cancel_at) sc->cancel();
      if (after_report) after_report();
    }, [this](error_code e, scan_result res) {
      ++calls;
      ec = e;
      result = std::move(res);
    });
  }
  void run(scan_options o = quick(), std::chrono::steady_clock::duration d = 1h) {
    start(std::move(o), d);
    CHECK(calls == 0);  // never inline
    io.run();
    CHECK(calls == 1);
  }
};

}  // namespace

TEST_CASE("extended scanning when Read Local Supported Commands lists it; every report; restored at the end") {
  controller c({
      {read_commands, {cc(0x1002, 0, supported(true, true))}},
      {ext_params, {cc(0x2041, 0)}},
      {ext_enable, {cc(0x2042, 0), ext_reports, "3e020d00" /* zero reports: malformed */, marker}},
      {ext_disable, {cc(0x2042, 0)}},
  });
  scan_run s(c.host_fd());
  s.run();
  CHECK_FALSE(s.ec);
  CHECK(s.result.started);
  CHECK(s.result.state.extended);
  CHECK_FALSE(s.result.state.enabled_by_us);  // disabled again
  CHECK_FALSE(s.result.state.already_scanning);
  CHECK(s.result.malformed == 1);
  CHECK_FALSE(s.result.stop_error);
  CHECK(s.seen == std::vector<std::string>{"started", "FA:8E:E3:12:B4:A9 ext", "11:22:33:44:55:66 ext"});
  s.sc->stop();  // nothing runs: nothing more is sent
  s.sc->cancel();
  s.io.restart();
  s.io.run();
  CHECK(joined(c.finish()) == "");
}

TEST_CASE("legacy scanning on a 4.x controller; reports that race the enable come after on_started; passive") {
  controller c({
      {read_commands, {cc(0x1002, 0, supported(true, false))}},
      {"0b2007" "00" "1000" "1000" "01" "00", {cc(0x200b, 0)}},
      {"0c20020100", {legacy_reports, cc(0x200c, 0), marker}},
      {legacy_disable, {cc(0x200c, 0)}},
  });
  scan_run s(c.host_fd());
  scan_options o = quick();
  o.params.type = scan_type::passive;
  o.params.interval = 0x0010;
  o.params.window = 0x0010;
  o.params.own = own_address::random_address;
  o.filter_duplicates = false;
  s.run(o);
  CHECK_FALSE(s.ec);
  CHECK_FALSE(s.result.state.extended);
  CHECK(s.result.state.note == "legacy scanning");
  CHECK(s.seen == std::vector<std::string>{"started", "FA:8E:E3:12:B4:A9", "FA:8E:E3:12:B4:A9"});
  REQUIRE(s.reports.size() == 2);
  CHECK(s.reports[0].event_type == legacy_event::adv_ind);
  CHECK(s.reports[1].event_type == legacy_event::scan_rsp);
  CHECK(s.data[1].size() == 15);
  CHECK(joined(c.finish()) == "");
}

TEST_CASE("an adapter that is already scanning is listened to and left running") {
  controller c({
      {read_commands, {cc(0x1002, 0, supported(true, false))}},
      {legacy_params, {cc(0x200b, 0x0c), legacy_reports, marker}},  // Command Disallowed: scanning is on
  });
  scan_run s(c.host_fd());
  s.run();
  CHECK_FALSE(s.ec);
  CHECK(s.result.state.already_scanning);
  CHECK_FALSE(s.result.state.enabled_by_us);
  CHECK(s.result.state.note.find("already scanning") != std::string::npos);
  CHECK(s.reports.size() == 2);
  CHECK(joined(c.finish()) == "");  // no disable: the other scanner's scan stays on
}

TEST_CASE("extended commands refused (controller locked to legacy): falls back to legacy") {
  controller c({
      {read_commands, {cc(0x1002, 0, supported(true, true))}},
      {ext_params, {cc(0x2041, 0x0c)}},
      {legacy_params, {cc(0x200b, 0)}},
      {legacy_enable, {cc(0x200c, 0)}},
      {legacy_disable, {cc(0x200c, 0)}},
  });
  scan_run s(c.host_fd());
  s.start(quick());
  s.sc->stop();  // during setup: right after it starts
  s.io.run();
  REQUIRE(s.calls == 1);
  CHECK_FALSE(s.ec);
  CHECK_FALSE(s.result.state.extended);
  CHECK(s.result.state.note.find("legacy") != std::string::npos);
  CHECK(s.seen == std::vector<std::string>{"started"});
  CHECK(joined(c.finish()) == "");
}

TEST_CASE("both families refused: someone scans with extended commands; listen only") {
  controller c({
      {read_commands, {cc(0x1002, 0, supported(true, true))}},
      {ext_params, {cc(0x2041, 0x0c)}},
      {legacy_params, {cc(0x200b, 0x0c)}},
  });
  scan_run s(c.host_fd());
  s.start(quick());
  s.sc->stop();
  s.io.run();
  CHECK(s.calls == 1);
  CHECK_FALSE(s.ec);
  CHECK(s.result.state.already_scanning);
  CHECK_FALSE(s.result.state.enabled_by_us);
  CHECK(joined(c.finish()) == "");
}

TEST_CASE("Read Local Supported Commands unknown: legacy; others' events and replies are not taken for ours") {
  controller c({
      // First the kernel's own Command Complete for Reset, then ours: unknown command.
      {read_commands, {cc(0x0c03, 0), cc(0x1002, 0x01)}},
      {legacy_params, {cs(0x2006, 0x0c), cc(0x200b, 0)}},  // a Command Status for another opcode
      {legacy_enable, {"0504004000" "13", cc(0x200c, 0)}},  // a Disconnection Complete in between
      {legacy_disable, {cc(0x200c, 0)}},
  });
  scan_run s(c.host_fd());
  s.start(quick());
  s.sc->stop();
  s.io.run();
  CHECK(s.calls == 1);
  CHECK_FALSE(s.ec);
  CHECK_FALSE(s.result.state.extended);
  CHECK(joined(c.finish()) == "");
}

TEST_CASE("forced extended mode on a legacy controller fails with a message, sending nothing else") {
  controller c({{read_commands, {cc(0x1002, 0, supported(true, false))}}});
  scan_run s(c.host_fd());
  scan_options o = quick();
  o.mode = scan_mode::extended;
  s.run(o);
  CHECK(s.ec == status::unknown_command);
  CHECK_FALSE(s.result.started);
  CHECK(s.result.message.find("extended scan") != std::string::npos);
  CHECK(s.seen.empty());
  CHECK(joined(c.finish()) == "");
}

TEST_CASE("controller failures become one-line messages") {
  SUBCASE("silence: the command's own deadline (injected: 1 ms) names the command") {
    controller c({{read_commands, {}}});
    scan_run s(c.host_fd());
    scan_options o = quick();
    o.command_timeout = 1ms;
    s.run(o);
    CHECK(s.ec == errc::command_timeout);
    CHECK(s.result.message ==
          "Read Local Supported Commands: the controller did not answer (wedged? try: bandwire adapter reset)");
    CHECK(joined(c.finish()) == "");
  }
  SUBCASE("a failing Command Status for our opcode") {
    controller c({
        {read_commands, {cc(0x1002, 0, supported(true, false))}},
        {legacy_params, {cs(0x200b, 0x12)}},
    });
    scan_run s(c.host_fd());
    s.run();
    CHECK(s.ec == status::invalid_parameters);
    CHECK(s.result.message == "LE Set Scan Parameters: controller: Invalid HCI Command Parameters (0x12)");
    CHECK(joined(c.finish()) == "");
  }
  SUBCASE("enable refused with another error") {
    controller c({
        {read_commands, {cc(0x1002, 0, supported(true, false))}},
        {legacy_params, {cc(0x200b, 0)}},
        {legacy_enable, {cc(0x200c, 0x07)}},
    });
    scan_run s(c.host_fd());
    s.run();
    CHECK(s.ec == status_error(0x07));
    CHECK(s.result.message.find("LE Set Scan Enable") == 0);
    CHECK_FALSE(s.result.state.enabled_by_us);
    CHECK(joined(c.finish()) == "");  // nothing to restore: it never started
  }
  SUBCASE("the controller goes away while scanning") {
    controller c({
        {read_commands, {cc(0x1002, 0, supported(true, false))}},
        {legacy_params, {cc(0x200b, 0)}},
        {legacy_enable, {cc(0x200c, 0)}},
    });
    scan_run s(c.host_fd());
    scan_options o = quick();
    o.on_started = [&](const scan_state&) { c.finish(); };  // ... and closes its end below
    s.sc->async_scan(o, 1h, {}, [&](error_code e, scan_result r) {
      ++s.calls;
      s.ec = e;
      s.result = std::move(r);
    });
    // finish() only shuts the controller's writing side down: the host reads EOF.
    s.io.run();
    CHECK(s.calls == 1);
    CHECK(s.ec == asio::error::connection_reset);
    CHECK(s.result.message.find("read events") == 0);
  }
}

TEST_CASE("cancel() (Ctrl-C) while listening: handler once with operation_aborted; the scan is still restored") {
  controller c({
      {read_commands, {cc(0x1002, 0, supported(true, false))}},
      {legacy_params, {cc(0x200b, 0)}},
      {legacy_enable, {cc(0x200c, 0), legacy_reports}},
      {legacy_disable, {cc(0x200c, 0)}},
  });
  scan_run s(c.host_fd());
  s.cancel_at = 1;
  s.run();
  CHECK(s.ec == asio::error::operation_aborted);
  CHECK(s.result.started);
  CHECK(s.result.message.empty());
  CHECK_FALSE(s.result.state.enabled_by_us);
  CHECK(s.reports.size() == 1);  // the event's second report is not delivered after cancel()
  CHECK(joined(c.finish()) == "");
}

TEST_CASE("cancel() before the first answer: nothing enabled, nothing more sent") {
  controller c({{read_commands, {cc(0x1002, 0, supported(true, false))}}});
  scan_run s(c.host_fd());
  s.start(quick());
  s.sc->cancel();
  s.sc->cancel();  // twice: still one handler call
  s.io.run();
  CHECK(s.calls == 1);
  CHECK(s.ec == asio::error::operation_aborted);
  CHECK_FALSE(s.result.started);
  CHECK(s.seen.empty());
  CHECK(joined(c.finish()) == "");
}

TEST_CASE("cancel() while the enable is in flight: the enable took effect, so it is undone") {
  controller c({
      {read_commands, {cc(0x1002, 0, supported(true, false))}},
      {legacy_params, {cc(0x200b, 0)}},
      // A Disconnection Complete first: the test cancels when it sees it.
      {legacy_enable, {"0504004000" "13", legacy_reports, cc(0x200c, 0)}},
      {legacy_disable, {cc(0x200c, 0)}},
  });
  scan_run s(c.host_fd());
  s.start(quick());
  subscription sub = s.ch.subscribe([&](error_code, bytes_view ev) {
    if (!ev.empty() && ev[0] == 0x05) {
      s.sc->cancel();
      sub.reset();  // from inside its own call
    }
  });
  s.io.run();
  CHECK(s.calls == 1);
  CHECK(s.ec == asio::error::operation_aborted);
  CHECK(s.result.started);
  CHECK(s.seen.empty());  // no on_started, no report after the cancel
  CHECK(joined(c.finish()) == "");
}

TEST_CASE("one scan at a time per scanner") {
  controller c({
      {read_commands, {cc(0x1002, 0, supported(true, false))}},
      {legacy_params, {cc(0x200b, 0)}},
      {legacy_enable, {cc(0x200c, 0)}},
      {legacy_disable, {cc(0x200c, 0)}},
  });
  scan_run s(c.host_fd());
  s.start(quick());
  int second = 0;
  s.sc->async_scan(quick(), 1h, {}, [&](error_code e, scan_result r) {
    ++second;
    CHECK(e == asio::error::already_started);
    CHECK(r.message == "a scan is already running on this scanner");
    s.sc->stop();
  });
  s.io.run();
  CHECK(second == 1);
  CHECK(s.calls == 1);
  CHECK_FALSE(s.ec);
  CHECK(joined(c.finish()) == "");
}

TEST_CASE("a scanner destroyed mid-scan still disables the scan it enabled; its handler runs once, aborted") {
  controller c({
      {read_commands, {cc(0x1002, 0, supported(true, false))}},
      {legacy_params, {cc(0x200b, 0)}},
      {legacy_enable, {cc(0x200c, 0), legacy_reports}},
      {legacy_disable, {cc(0x200c, 0)}},
  });
  asio::io_context io;
  hci_channel ch(io, c.host_fd());
  auto sc = std::make_unique<le_scanner>(ch);
  int calls = 0, reports = 0;
  error_code ec;
  sc->async_scan(quick(), 1h, [&](const adv_report&) {
    ++reports;
    sc.reset();  // from inside its own callback
  }, [&](error_code e, scan_result) {
    ++calls;
    ec = e;
  });
  io.run();
  CHECK(reports == 1);
  CHECK(calls == 1);
  CHECK(ec == asio::error::operation_aborted);
  CHECK(joined(c.finish()) == "");
}

TEST_CASE("a channel closed mid-scan ends the scan at once") {
  controller c({
      {read_commands, {cc(0x1002, 0, supported(true, false))}},
      {legacy_params, {cc(0x200b, 0)}},
      {legacy_enable, {cc(0x200c, 0)}},
  });
  asio::io_context io;
  auto ch = std::make_unique<hci_channel>(io, c.host_fd());
  le_scanner sc(*ch);
  int calls = 0;
  error_code ec;
  scan_options o = quick();
  o.on_started = [&](const scan_state&) { ch.reset(); };
  sc.async_scan(o, 1h, {}, [&](error_code e, scan_result) {
    ++calls;
    ec = e;
  });
  io.run();
  CHECK(calls == 1);
  CHECK(ec == asio::error::operation_aborted);
  CHECK(joined(c.finish()) == "");  // the disable cannot go out on a closed channel
}

TEST_CASE("a scan with a real (injected, short) duration ends by itself with success") {
  controller c({
      {read_commands, {cc(0x1002, 0, supported(true, false))}},
      {legacy_params, {cc(0x200b, 0)}},
      {legacy_enable, {cc(0x200c, 0)}},
      {legacy_disable, {cc(0x200c, 0)}},
  });
  scan_run s(c.host_fd());
  s.run(quick(), 1ms);  // a silent controller: the duration only decides when
  CHECK_FALSE(s.ec);
  CHECK(s.seen == std::vector<std::string>{"started"});
  CHECK(joined(c.finish()) == "");
}

TEST_CASE("a scan, a timer and another socket make progress on the same io_context") {
  controller c({
      {read_commands, {cc(0x1002, 0, supported(true, false))}},
      {legacy_params, {cc(0x200b, 0)}},
      {legacy_enable, {cc(0x200c, 0), legacy_reports}},
      {legacy_disable, {cc(0x200c, 0)}},
  });
  scan_run s(c.host_fd());
  // An echo over a socketpair, ten round trips, and a timer: the scan is
  // stopped only once both are done and both reports arrived (whichever
  // comes last stops it), so neither waited on the scan.
  asio::local::stream_protocol::socket a(s.io), b(s.io);
  asio::local::connect_pair(a, b);
  int echoes = 0;
  bool timer_fired = false;
  auto maybe_stop = [&] {
    if (echoes == 10 && timer_fired && s.reports.size() == 2) s.sc->stop();
  };
  s.after_report = maybe_stop;
  std::array<char, 8> abuf{}, bbuf{};
  std::function<void()> ping = [&] {
    asio::async_write(a, asio::buffer("ping", 4), [&](error_code ec, std::size_t) { REQUIRE_FALSE(ec); });
    asio::async_read(b, asio::buffer(bbuf.data(), 4), [&](error_code ec, std::size_t n) {
      REQUIRE_FALSE(ec);
      asio::async_write(b, asio::buffer(bbuf.data(), n), [](error_code, std::size_t) {});
      asio::async_read(a, asio::buffer(abuf.data(), 4), [&](error_code ec2, std::size_t) {
        REQUIRE_FALSE(ec2);
        if (++echoes < 10) return ping();
        maybe_stop();
      });
    });
  };
  asio::steady_timer t(s.io);
  t.expires_after(1ms);
  t.async_wait([&](error_code) {
    timer_fired = true;
    maybe_stop();
  });
  s.start(quick());  // runs "for an hour"
  ping();
  s.io.run();
  CHECK(echoes == 10);
  CHECK(timer_fired);
  CHECK(s.calls == 1);
  CHECK_FALSE(s.ec);
  CHECK(s.reports.size() == 2);
  CHECK(joined(c.finish()) == "");
}

TEST_CASE("async_scan with use_future and use_awaitable") {
  const std::vector<step> script = {
      {read_commands, {cc(0x1002, 0, supported(true, false))}},
      {legacy_params, {cc(0x200b, 0)}},
      {legacy_enable, {cc(0x200c, 0), marker}},
      {legacy_disable, {cc(0x200c, 0)}},
  };
  SUBCASE("use_future, the io_context on another thread") {
    controller c(script);
    asio::io_context io;
    hci_channel ch(io, c.host_fd());
    le_scanner sc(ch);
    auto f = sc.async_scan(quick(), 1h, [&](const adv_report&) { sc.stop(); }, asio::use_future);
    std::thread t([&] { io.run(); });
    const scan_result r = f.get();  // throws on error
    t.join();
    CHECK(r.started);
    CHECK(r.state.note == "legacy scanning");
    CHECK(joined(c.finish()) == "");
  }
  SUBCASE("use_awaitable") {
    controller c(script);
    asio::io_context io;
    hci_channel ch(io, c.host_fd());
    le_scanner sc(ch);
    bool done = false;
    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
          scan_result r = co_await sc.async_scan(quick(), 1h, [&](const adv_report&) { sc.stop(); },
                                                 asio::use_awaitable);
          CHECK_FALSE(r.state.extended);
          done = true;
        },
        asio::detached);
    io.run();
    CHECK(done);
    CHECK(joined(c.finish()) == "");
  }
}

TEST_CASE("a controller flooding events while a command waits: 1,024 are kept, the rest counted") {
  // 1,100 copies of a one-report event before the answer to the first command.
  std::vector<std::string> flood(1100, marker);
  flood.push_back(cc(0x1002, 0, supported(true, false)));
  controller c({
      {read_commands, flood},
      {legacy_params, {cc(0x200b, 0)}},
      {legacy_enable, {cc(0x200c, 0)}},
      {legacy_disable, {cc(0x200c, 0)}},
  });
  scan_run s(c.host_fd());
  s.run();  // the first kept marker stops the scan; the rest of the kept ones are not delivered
  CHECK_FALSE(s.ec);
  CHECK(s.result.dropped == 1100 - 1024);
  CHECK(s.seen == std::vector<std::string>{"started"});
  CHECK(joined(c.finish()) == "");
}
