// When each raw sample was measured (fact sheet §6.3), reconstructed from
// when its packet arrived. Pure and synchronous: fed arrival times (band
// seconds, any monotonic clock) and packets, it returns sample times.
//
// The band measures each sensor at a steady rate but sends what it has
// measured in bursts: every ~0.65 s about six accelerometer and two PPG
// packets (15–17 samples per sensor) arrive within a few milliseconds
// (CAP-A: at most 0.052 s from a burst's first packet to its last), and the
// first burst after `02` carries everything measured since (CAP-A: 33
// accelerometer samples, 1.35 s after `02`). So the samples of a burst span
// the time *before* it arrived, and no sample can be later than its packet.
//
// Per sensor (accelerometer and PPG each have their own rate and times):
//  * Rate: measured from arrivals, never taken from the request: samples
//    delivered over time between the burst ends of the last rate_window
//    seconds, as the slope of the line below all of them that is closest to
//    them (a burst's last sample lies up to one period before its arrival;
//    the line below all ends is not misled by where each burst closed). The
//    requested (nominal) rate stands until the burst ends span
//    min_rate_span seconds. A burst ends when the next packet, of either
//    sensor, arrives more than burst_gap later.
//  * Placement: sample i at offset + i / rate, with the offset as late as
//    the arrivals of the last anchor_window seconds allow: every one of
//    those packets' samples at or before its arrival, so each burst's last
//    sample lands on (or just before) the burst's arrival.
//  * Until a sensor's first burst has ended there is nothing to anchor to:
//    its samples start at the latest time before which none of them can
//    have been measured: the stream's start (`02`), or the arrival of the
//    previous burst, which held everything measured before it (CAP-A's PPG
//    starts in the second burst).
//  * Guarantees, whatever the arrivals: every time is at or before its
//    packet's arrival, and times never go backwards (a packet that cannot
//    keep the rate between the previous sample and its arrival gets its
//    samples evenly spaced there instead).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>

#include "miband/sensor.hpp"

namespace bandwire::miband {

class sample_timeline {
 public:
  struct options {
    /// Samples per second assumed until the rate is measured (the `01 MM HH` request).
    double nominal_rate_hz = default_sensor_rate_hz;
    /// A silence longer than this (band seconds) between two packets ends a
    /// burst: within one CAP-A burst packets came at most 0.052 s apart,
    /// between bursts ~0.6 s passed (§6.3).
    double burst_gap = 0.2;
    /// Band seconds of recent arrivals that bound the placement.
    double anchor_window = 4.0;
    /// Band seconds of burst ends the rate is measured over.
    double rate_window = 60.0;
    /// The rate is measured once burst ends span this many band seconds.
    double min_rate_span = 5.0;
  };

  sample_timeline() : sample_timeline(options{}) {}
  explicit sample_timeline(options o);

  /// A new stream: `02` was written at `start` (the arrivals' clock). Forgets
  /// everything; no sample is placed before `start`.
  void start(double start);
  /// Packets were lost or came out of order (the counter jumped): counting
  /// no longer says how far apart the samples before and after are, so the
  /// next samples are placed anew, as a first burst. Keeps the measured
  /// rate and the no-going-back guarantee.
  void discontinuity();

  /// The times of `p`'s samples, in order (band seconds, same clock as
  /// `arrival`): each at or before `arrival` and none before the previous
  /// sample of the same sensor. Arrivals must not go backwards; if they do
  /// (a clock step), the timeline starts over from that packet. The view is
  /// valid until the next call.
  std::span<const double> place(double arrival, const sensor_packet& p);

  /// place(), then the times as host wall-clock seconds: the packet arrived
  /// at `arrival` band seconds and `wall` host seconds, and band time runs
  /// `speed` times faster than the host's (scaled_clock::speed()). Each
  /// time is at or before `wall` (the lag behind the arrival is subtracted,
  /// never added) and none before the previous one of the same sensor
  /// unless the wall clock itself stepped back.
  std::span<const double> place_wall(double arrival, double wall, double speed, const sensor_packet& p);

  /// The rate now used for a sensor, samples per second.
  double rate_hz(sensor_packet_type t) const noexcept;
  /// Whether that rate was measured from arrivals (else it is the nominal one).
  bool rate_measured(sensor_packet_type t) const noexcept;

 private:
  struct point {
    double arrival = 0;
    std::uint64_t index = 0;  ///< anchors: the packet's last sample; ends: samples through the burst
  };
  /// The last N points in a fixed ring: the notification path allocates
  /// nothing (a std::deque took a block every 32 packets). Pushing onto a
  /// full window drops its oldest point; the windows are time-bounded and
  /// sized well past what a band sends in them (anchors: 4 s hold ~10
  /// accelerometer packets; ends: bursts come ≥ burst_gap apart, at most
  /// 300 in a 60 s rate window), so only a flood shortens them.
  template <std::size_t N> class window {
   public:
    std::size_t size() const noexcept { return size_; }
    bool empty() const noexcept { return size_ == 0; }
    const point& operator[](std::size_t i) const noexcept { return ring_[(head_ + i) % N]; }
    const point& front() const noexcept { return (*this)[0]; }
    const point& back() const noexcept { return (*this)[size_ - 1]; }
    void push_back(const point& p) noexcept {
      if (size_ == N) pop_front();
      ring_[(head_ + size_) % N] = p;
      ++size_;
    }
    void pop_front() noexcept { head_ = (head_ + 1) % N, --size_; }

   private:
    std::array<point, N> ring_{};
    std::size_t head_ = 0, size_ = 0;
  };
  static constexpr std::size_t max_anchors = 256, max_ends = 512;
  struct lane {
    double dt = 0;  ///< seconds per sample
    bool measured = false;
    std::uint64_t count = 0;            ///< samples placed since the start or a discontinuity
    std::optional<double> prev;         ///< the last sample's time (kept across discontinuities)
    std::optional<double> prev_wall;    ///< the same, as place_wall() gave it
    bool in_burst = false;              ///< a packet of this sensor came in the current burst
    double last_arrival = 0;            ///< its latest packet
    bool anchored = false;              ///< a burst of this sensor ended since the start or a discontinuity
    std::optional<double> first_base;   ///< before that: the time of sample first_index
    std::uint64_t first_index = 0;
    window<max_anchors> anchors;
    window<max_ends> ends;
  };

  lane& lane_of(sensor_packet_type t) noexcept { return t == sensor_packet_type::ppg ? ppg_ : accel_; }
  const lane& lane_of(sensor_packet_type t) const noexcept { return t == sensor_packet_type::ppg ? ppg_ : accel_; }
  void reset_lane(lane& l, bool keep_rate) const;
  void end_burst(lane& l) const;
  static double envelope_period(const window<max_ends>& ends);
  double grid(lane& l, double arrival, std::size_t n);

  options o_;
  lane accel_, ppg_;
  std::optional<double> last_arrival_;  ///< of either sensor
  std::optional<double> floor_;         ///< no sample of the current burst is older: start or previous burst
  std::array<double, sensor_packet::max_ppg_samples> out_{};
};

}  // namespace bandwire::miband
