#include "miband/sample_times.hpp"

#include <algorithm>
#include <limits>

namespace bandwire::miband {

sample_timeline::sample_timeline(options o) : o_(o) {
  if (!(o_.nominal_rate_hz > 0)) o_.nominal_rate_hz = default_sensor_rate_hz;
  reset_lane(accel_, false);
  reset_lane(ppg_, false);
}

void sample_timeline::reset_lane(lane& l, bool keep_rate) const {
  lane fresh;
  fresh.dt = keep_rate && l.dt > 0 ? l.dt : 1.0 / o_.nominal_rate_hz;
  fresh.measured = keep_rate && l.measured;
  if (keep_rate) {
    fresh.prev = l.prev;
    fresh.prev_wall = l.prev_wall;
  }
  l = std::move(fresh);
}

void sample_timeline::start(double start) {
  reset_lane(accel_, false);
  reset_lane(ppg_, false);
  last_arrival_.reset();
  floor_ = start;
}

void sample_timeline::discontinuity() {
  reset_lane(accel_, true);
  reset_lane(ppg_, true);
}

// The burst that held this sensor's latest packets is over: its last
// arrival bounds the samples so far, and with the other burst ends of the
// rate window it measures the rate.
void sample_timeline::end_burst(lane& l) const {
  l.in_burst = false;
  l.anchored = true;
  l.first_base.reset();
  l.ends.push_back({l.last_arrival, l.count});
  while (l.ends.size() > 2 && l.ends.back().arrival - l.ends[1].arrival >= o_.rate_window) l.ends.pop_front();
  if (l.ends.size() < 2 || l.ends.back().arrival - l.ends.front().arrival < o_.min_rate_span) return;
  if (const double dt = envelope_period(l.ends); dt > 0) {
    l.dt = dt;
    l.measured = true;
  }
}

// The period of the sample grid given burst ends (arrival, samples through
// it): every burst's last sample is at or before its arrival, so the grid
// t = offset + period * samples lies on or below every point. Of the lines
// below them all, the one closest to them on average is an edge of their
// lower convex hull, the edge over their mean sample count (the linear
// programme of one-way clock-skew estimation). Unlike the plain slope
// between the first and last end, it is not thrown off by where within a
// period each burst happened to close. 0 when there is no such edge.
double sample_timeline::envelope_period(const window<max_ends>& ends) {
  std::array<point, max_ends> hull;  // on the stack: no allocation per burst
  std::size_t hull_size = 0;
  double mean = 0;
  for (std::size_t k = 0; k < ends.size(); ++k) {
    const point& p = ends[k];
    mean += static_cast<double>(p.index);
    // Counts only grow, so the points come sorted by x = count, y = arrival.
    while (hull_size >= 2) {
      const point& a = hull[hull_size - 2];
      const point& b = hull[hull_size - 1];
      const double cross = static_cast<double>(b.index - a.index) * (p.arrival - a.arrival) -
                           (b.arrival - a.arrival) * static_cast<double>(p.index - a.index);
      if (cross > 0) break;  // a left turn: b stays on the lower hull
      --hull_size;
    }
    hull[hull_size++] = p;
  }
  mean /= static_cast<double>(ends.size());
  for (std::size_t i = 0; i + 1 < hull_size; ++i) {
    if (static_cast<double>(hull[i + 1].index) < mean && i + 2 < hull_size) continue;
    const double dx = static_cast<double>(hull[i + 1].index - hull[i].index);
    return dx > 0 ? (hull[i + 1].arrival - hull[i].arrival) / dx : 0;
  }
  return 0;
}

// Where the grid puts the first of the next n samples (before clamping).
double sample_timeline::grid(lane& l, double arrival, std::size_t n) {
  if (l.anchored) {
    // As late as every recent packet allows: its last sample at or before its arrival.
    double offset = std::numeric_limits<double>::infinity();
    for (std::size_t k = 0; k < l.anchors.size(); ++k)
      offset = std::min(offset, l.anchors[k].arrival - l.dt * static_cast<double>(l.anchors[k].index));
    return offset + l.dt * static_cast<double>(l.count);
  }
  if (!l.first_base) {
    // A first burst: from the time before which none of it was measured; with
    // no such time known, this packet's last sample at its arrival.
    l.first_index = l.count;
    l.first_base = floor_ ? *floor_ : arrival - l.dt * static_cast<double>(n - 1);
  }
  return *l.first_base + l.dt * static_cast<double>(l.count - l.first_index);
}

std::span<const double> sample_timeline::place(double arrival, const sensor_packet& p) {
  const std::size_t most = p.type == sensor_packet_type::ppg ? sensor_packet::max_ppg_samples
                                                              : sensor_packet::max_accel_samples;
  const std::size_t n = std::min<std::size_t>(p.count, most);
  if (n == 0) return {};
  if (last_arrival_ && arrival < *last_arrival_) {
    // The clock went back: nothing before can be compared with this packet.
    for (lane* l : {&accel_, &ppg_}) {
      reset_lane(*l, true);
      l->prev.reset();
    }
    last_arrival_.reset();
    floor_.reset();
  }
  if (!last_arrival_ || arrival - *last_arrival_ > o_.burst_gap) {
    if (last_arrival_) floor_ = *last_arrival_;  // the previous burst held everything measured before it
    for (lane* l : {&accel_, &ppg_})
      if (l->in_burst) end_burst(*l);
  }
  last_arrival_ = arrival;

  lane& l = lane_of(p.type);
  l.in_burst = true;
  l.last_arrival = arrival;
  l.anchors.push_back({arrival, l.count + n - 1});
  while (l.anchors.size() > 1 && arrival - l.anchors.front().arrival > o_.anchor_window) l.anchors.pop_front();

  double first = grid(l, arrival, n);
  const double last = first + l.dt * static_cast<double>(n - 1);
  if (last > arrival) first -= last - arrival;  // never after the arrival
  // Never before the previous sample: if the grid went back (the arrivals
  // came earlier than the rate predicts), the samples share what is left
  // between the previous one and the arrival.
  const bool squeeze = l.prev && first <= *l.prev;
  const double step = squeeze ? std::min(l.dt, (arrival - *l.prev) / static_cast<double>(n)) : l.dt;
  for (std::size_t j = 0; j < n; ++j) {
    double t = first + l.dt * static_cast<double>(j);
    if (squeeze) t = std::max(t, *l.prev + step * static_cast<double>(j + 1));
    // Exact bounds whatever the rounding above: at or before the arrival,
    // not before the sample placed just before.
    t = std::min(t, arrival);
    const std::optional<double> lower = j ? std::optional<double>(out_[j - 1]) : l.prev;
    if (lower && t < *lower) t = *lower;
    out_[j] = t;
  }
  l.count += n;
  l.prev = out_[n - 1];
  return std::span<const double>(out_.data(), n);
}

std::span<const double> sample_timeline::place_wall(double arrival, double wall, double speed,
                                                    const sensor_packet& p) {
  const auto times = place(arrival, p);
  lane& l = lane_of(p.type);
  const double s = speed > 0 ? speed : 1.0;
  for (std::size_t j = 0; j < times.size(); ++j) {
    // The lag behind the arrival is never negative, so `wall - lag` is never after `wall`.
    double w = wall - (arrival - times[j]) / s;
    if (l.prev_wall && w < *l.prev_wall) w = std::min(*l.prev_wall, wall);
    out_[j] = w;
    l.prev_wall = w;
  }
  return times;
}

double sample_timeline::rate_hz(sensor_packet_type t) const noexcept { return 1.0 / lane_of(t).dt; }

bool sample_timeline::rate_measured(sensor_packet_type t) const noexcept { return lane_of(t).measured; }

}  // namespace bandwire::miband
