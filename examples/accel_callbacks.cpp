// A callback program on the installed library: streams raw accelerometer
// samples from the in-process virtual band, which drops the link every few
// seconds; prints the link events of each forced reconnect; and runs an
// Asio timer of its own on the same loop (proof that the installed Asio
// configuration links and runs).
//
//   c++ -std=c++20 accel_callbacks.cpp $(pkg-config --cflags --libs bandwire) -o accel_callbacks
//   ./accel_callbacks 20
#include <bandwire/miband/session.hpp>

#include <cstdio>
#include <cstdlib>

namespace asio = boost::asio;
using bandwire::error_code;
namespace mb = bandwire::miband;

int main(int argc, char** argv) {
  const double seconds = argc > 1 ? std::atof(argv[1]) : 20;
  asio::io_context io;
  bandwire::scaled_clock clock(10.0);  // band time 10x fast
  mb::session_options o;
  o.transport.device = "sim";
  o.sim.drop_after = std::chrono::seconds(8);  // band seconds per link
  mb::session s(io, clock, o);

  long samples = 0, ticks = 0, resumed = 0;
  auto events = s.on_link_event([&](const mb::link_event& e) {
    static const char* names[] = {"connected", "authenticated", "lost", "reconnecting", "resumed"};
    std::printf("link %s", names[static_cast<int>(e.what)]);
    if (e.what == mb::link_event::kind::reconnecting) std::printf(" (attempt %u in %.1f s)", e.attempt, e.delay_seconds);
    if (e.what == mb::link_event::kind::resumed) std::printf(" after %.2f s", e.outage_seconds), ++resumed;
    std::printf("\n");
  });

  asio::steady_timer own(io);  // the program's own work on the same loop
  std::function<void()> tick = [&] {
    own.expires_after(std::chrono::milliseconds(100));
    own.async_wait([&](error_code ec) {
      if (ec) return;
      ++ticks;
      tick();
    });
  };
  tick();

  asio::steady_timer end(io);
  s.connect(true, [&](error_code ec) {
    if (ec) {
      std::fprintf(stderr, "connect: %s\n", ec.message().c_str());
      return io.stop();
    }
    mb::stream_options so;
    so.ppg = so.heart_rate = false;
    s.stream(so, [&](const mb::stream_event& e) {
      if (e.what == mb::stream_event::kind::sensor && e.sensor->packet.type == mb::sensor_packet_type::accelerometer)
        samples += static_cast<long>(e.sensor->packet.count);
      if (e.what == mb::stream_event::kind::gap) std::printf("gap: %.2f s, %llu missing\n", e.gap_seconds,
                                                            static_cast<unsigned long long>(e.gap_missing));
    }, [&](error_code ec) {
      std::printf("stream ended: %s\n", ec ? ec.message().c_str() : "stopped");
      own.cancel();
      s.close();  // an open link keeps io.run() busy
    });
    end.expires_after(std::chrono::milliseconds(static_cast<long long>(seconds * 1000)));
    end.async_wait([&](error_code) { s.stop([](error_code) {}); });
  });
  io.run();
  std::printf("%ld accelerometer samples, %ld timer ticks, %ld reconnects\n", samples, ticks, resumed);
  return samples > 0 && ticks > 0 && resumed > 0 ? 0 : 1;
}
