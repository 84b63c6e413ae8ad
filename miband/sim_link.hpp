// The radio link between a central and the virtual band, modelled as LE
// connection events (Core 5.4 Vol 6 Part B §4.5.1) so that "connect →
// authenticated" and "connect → first raw sample" come out in band
// seconds as on a real link. Opt-in (sim_options::link); never with a real
// adapter, whose link has its own events.
//
// It relays ATT PDUs between two seqpacket sockets, the central's and the
// band's, and lets them through only at connection events, one interval
// apart from the link's start:
//  * at an event, what the band queued since the last one (notifications,
//    indications) goes to the central first, at most
//    `notifications_per_event` of them; then what the central queued
//    (commands, confirmations, and at most one request) goes to the band;
//  * the band's answer to that request goes back in the same event, with
//    whatever the band queued before it (order is kept);
//  * anything else the band sends waits for the next event.
// So one request/response exchange takes one interval, a notification the
// band sends in answer to a write comes one event later (fact sheet §19.3:
// 1–2 events), and several notifications share an event. The classification
// uses the ATT opcode only (att::info); a PDU is never changed.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <array>
#include <memory>
#include <vector>

#include "common/asio.hpp"
#include "common/clock.hpp"
#include "common/timer.hpp"

namespace bandwire::miband {

struct link_timing {
  /// CAP-A's connection interval, 0x28 × 1.25 ms = 50 ms (fact sheet §2.2).
  std::chrono::microseconds interval{50000};
  /// Choice: the fact sheet has no figure; BLE controllers commonly carry
  /// a handful of packets per event. 0: no limit.
  std::size_t notifications_per_event = 6;
};

class sim_link : public std::enable_shared_from_this<sim_link> {
 public:
  /// `central`: the socket the client talks to; `band`: the virtual band's.
  sim_link(asio::any_io_executor ex, const scaled_clock& clock, seqpacket_socket central, seqpacket_socket band,
           link_timing timing);
  ~sim_link();
  sim_link(const sim_link&) = delete;
  sim_link& operator=(const sim_link&) = delete;

  /// Starts relaying; the first event is one interval from now. Either side
  /// closing closes the other.
  void start();
  void close();

  struct counters {
    std::uint64_t events = 0;        ///< connection events that carried something
    std::uint64_t requests = 0;      ///< requests delivered to the band
    std::uint64_t to_band = 0;       ///< PDUs delivered to the band
    std::uint64_t to_central = 0;    ///< PDUs delivered to the central
  };
  const counters& stats() const noexcept { return stats_; }

 private:
  using pdu = std::vector<std::uint8_t>;
  void read_central();
  void read_band();
  void on_event();
  void arm_event();
  bool send_to_central(const pdu& p);
  bool send_to_band(const pdu& p);
  bool flush_band_queue(std::size_t limit);

  asio::any_io_executor ex_;
  const scaled_clock& clock_;
  seqpacket_socket central_, band_;
  link_timing timing_;
  timer event_timer_;
  scaled_clock::duration next_event_{0};  // band time since the clock began
  std::deque<pdu> to_band_, to_central_;
  bool awaiting_response_ = false;
  bool closed_ = false;
  counters stats_;
  std::array<std::uint8_t, 1024> central_buf_{}, band_buf_{};
};

}  // namespace bandwire::miband
