// A C++20 coroutine program on the installed library: connects to a band
// (sim, unix:/path or an address), authenticates with the key `bandwire
// pair` stored, and prints heart rate until Ctrl-C (or N seconds).
//
//   c++ -std=c++20 heart_rate_coro.cpp $(pkg-config --cflags --libs bandwire) -o heart_rate_coro
//   ./heart_rate_coro sim 30
#include <bandwire/miband/session.hpp>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace asio = boost::asio;
using bandwire::error_code;
namespace mb = bandwire::miband;

asio::awaitable<int> run(mb::session& s, double seconds) {
  auto ex = co_await asio::this_coro::executor;
  error_code ec;
  co_await s.async_connect(true, asio::redirect_error(asio::use_awaitable, ec));
  if (ec) {
    std::fprintf(stderr, "connect: %s %s\n", ec.message().c_str(), s.last_message().c_str());
    co_return 1;
  }
  int values = 0;
  co_await s.async_stream(
      mb::stream_options{false, false, true},
      [&](const mb::stream_event& e) {
        if (e.what == mb::stream_event::kind::heart_rate) {
          ++values;
          std::printf("heart rate %u bpm\n", static_cast<unsigned>(e.hr->bpm));
          std::fflush(stdout);
        }
      },
      asio::redirect_error(asio::use_awaitable, ec));
  // async_stream completes when the stream ends; this program ends it from
  // a signal or a timer spawned below, so it is already over here.
  std::fprintf(stderr, "%d heart-rate values\n", values);
  co_return ec ? 1 : (values > 0 ? 0 : 1);
}

int main(int argc, char** argv) {
  const std::string device = argc > 1 ? argv[1] : "sim";
  const double seconds = argc > 2 ? std::atof(argv[2]) : 0;
  asio::io_context io;
  bandwire::scaled_clock clock(device == "sim" ? 10.0 : 1.0);  // the in-process band runs 10x fast
  mb::session_options o;
  o.transport.device = device;
  mb::session s(io, clock, o);
  asio::signal_set signals(io, SIGINT, SIGTERM);
  asio::steady_timer timer(io);
  auto stop = [&] { s.stop([](error_code) {}); };
  signals.async_wait([&](error_code e, int) {
    if (!e) stop();
  });
  if (seconds > 0) {
    timer.expires_after(std::chrono::milliseconds(static_cast<long long>(seconds * 1000)));
    timer.async_wait([&](error_code e) {
      if (!e) stop();
    });
  }
  int rc = 1;
  asio::co_spawn(io, run(s, seconds), [&](std::exception_ptr, int r) {
    rc = r;
    signals.cancel();
    timer.cancel();
    s.close();  // an open link keeps io.run() busy
  });
  io.run();
  return rc;
}
