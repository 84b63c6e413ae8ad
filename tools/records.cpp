#include "tools/records.hpp"

#include <cmath>
#include <cstddef>
#include <cstdio>

#include "common/append.hpp"
#include "tools/output.hpp"

namespace bandwire::tools {

record_writer::record_writer(std::FILE* out, record_format f) : out_(out), format_(f) {
  if (format_ == record_format::csv) {
    std::fputs("kind,time,mono,t,seq,x,y,z,gx,gy,gz,value,bpm,rr,missing,seconds,event\n", out_);
    std::fflush(out_);
  }
}

namespace {
// printf "%.<p>f" by std::to_chars (common/append.hpp): the same bytes.
void num(std::string& s, double v, int precision = 6) { append_fixed(s, v, precision); }
}  // namespace

void record_writer::write(const record& r) {
  std::string& s = pending_;
  const bool same_head = head_kind_ == r.kind && head_time_ == r.time && head_mono_ == r.mono && !head_.empty();
  if (!same_head) {
    head_.clear();
    if (format_ == record_format::jsonl) {
      head_ += "{\"kind\":\"";
      head_ += r.kind;
      head_ += "\",\"time\":";
      num(head_, r.time);
      head_ += ",\"mono\":";
      num(head_, r.mono);
    } else {
      head_ += r.kind;
      head_ += ",";
      num(head_, r.time);
      head_ += ",";
      num(head_, r.mono);
      head_ += ",";
    }
    head_kind_ = r.kind, head_time_ = r.time, head_mono_ = r.mono;
  }
  s += head_;
  if (format_ == record_format::jsonl) {
    if (r.t >= 0) s += ",\"t\":", num(s, r.t);
    if (r.seq >= 0) s += ",\"seq\":", append_decimal(s, r.seq);
    if (r.has_xyz) {
      s += ",\"x\":", append_decimal(s, r.x), s += ",\"y\":", append_decimal(s, r.y);
      s += ",\"z\":", append_decimal(s, r.z);
      s += ",\"gx\":", num(s, r.gx, 4);
      s += ",\"gy\":", num(s, r.gy, 4);
      s += ",\"gz\":", num(s, r.gz, 4);
    }
    if (r.has_value) s += ",\"value\":", append_decimal(s, r.value);
    if (r.bpm >= 0) s += ",\"bpm\":", append_decimal(s, r.bpm);
    if (!r.rr.empty()) {
      s += ",\"rr\":[";
      for (std::size_t i = 0; i < r.rr.size(); ++i) {
        if (i) s += ",";
        num(s, r.rr[i], 4);
      }
      s += "]";
    }
    if (r.missing >= 0) s += ",\"missing\":", append_decimal(s, r.missing);
    if (r.seconds >= 0) s += ",\"seconds\":", num(s, r.seconds, 3);
    if (!r.event.empty()) s += ",\"event\":" + json_string(r.event);
    s += "}\n";
  } else {
    if (r.t >= 0) num(s, r.t);
    s += ",";
    if (r.seq >= 0) append_decimal(s, r.seq);
    s += ",";
    if (r.has_xyz) {
      append_decimal(s, r.x), s += ",", append_decimal(s, r.y), s += ",", append_decimal(s, r.z), s += ",";
      num(s, r.gx, 4), s += ",", num(s, r.gy, 4), s += ",", num(s, r.gz, 4);
    } else {
      s += ",,,,,";
    }
    s += ",";
    if (r.has_value) append_decimal(s, r.value);
    s += ",";
    if (r.bpm >= 0) append_decimal(s, r.bpm);
    s += ",";
    for (std::size_t i = 0; i < r.rr.size(); ++i) {
      if (i) s += " ";
      num(s, r.rr[i], 4);
    }
    s += ",";
    if (r.missing >= 0) append_decimal(s, r.missing);
    s += ",";
    if (r.seconds >= 0) num(s, r.seconds, 3);
    s += ",";
    s += r.event;
    s += "\n";
  }
}

void record_writer::flush() {
  if (pending_.empty()) return;
  if (std::fwrite(pending_.data(), 1, pending_.size(), out_) != pending_.size() || std::fflush(out_) != 0)
    failed_ = true;
  pending_.clear();
}

// ---- record_sink ----

double sample_clock::first_of(std::size_t n, double arrival) {
  const double span = static_cast<double>(n - 1) / rate;
  if (next < 0 || std::abs(next + span - arrival) > 2.0) next = arrival - span;
  const double t = next;
  next += static_cast<double>(n) / rate;
  return t;
}

// The posted flush runs from memory of its own: Asio keeps one recycled
// block per thread, which the bearer's wait for the next packets holds
// while a flush is pending, so a flush would otherwise allocate each time
// (bench/notify_bench counts allocations on this path: none).
struct record_sink::flush_state {
  record_sink* sink = nullptr;
  alignas(std::max_align_t) unsigned char block[256];
  bool block_used = false;
};

namespace {

template <class T> struct flush_allocator {
  using value_type = T;
  std::shared_ptr<record_sink::flush_state> state;
  template <class U> flush_allocator(const flush_allocator<U>& o) noexcept : state(o.state) {}
  explicit flush_allocator(std::shared_ptr<record_sink::flush_state> s) noexcept : state(std::move(s)) {}
  T* allocate(std::size_t n) {
    if (!state->block_used && n * sizeof(T) <= sizeof state->block) {
      state->block_used = true;
      return reinterpret_cast<T*>(state->block);
    }
    return static_cast<T*>(::operator new(n * sizeof(T)));
  }
  void deallocate(T* p, std::size_t) noexcept {
    if (reinterpret_cast<unsigned char*>(p) == state->block) state->block_used = false;
    else ::operator delete(p);
  }
  template <class U> bool operator==(const flush_allocator<U>& o) const noexcept { return state == o.state; }
  template <class U> bool operator!=(const flush_allocator<U>& o) const noexcept { return state != o.state; }
};

struct flush_handler {
  std::shared_ptr<record_sink::flush_state> state;
  using allocator_type = flush_allocator<void>;
  allocator_type get_allocator() const noexcept { return allocator_type(state); }
  void operator()() const;
};

}  // namespace

record_sink::record_sink(record_writer& w, double rate_hz, double counts_per_g,
                         std::optional<asio::io_context::executor_type> ex)
    : w_(w), rate_(rate_hz), cpg_(counts_per_g), accel_{rate_}, ppg_{rate_}, ex_(std::move(ex)),
      flush_(std::make_shared<flush_state>()) {
  flush_->sink = this;
}

record_sink::~record_sink() {
  flush_->sink = nullptr;
  w_.flush();
}

void flush_handler::operator()() const {
  if (record_sink* s = state->sink) s->flush_posted();
}

void record_sink::flush_posted() {
  flush_posted_ = false;
  w_.flush();
}

void record_sink::operator()(const miband::stream_event& e) {
  using kind = miband::stream_event::kind;
  record r;
  r.time = e.wall, r.mono = e.mono;
  if (e.what == kind::gap || e.what == kind::stall) {
    r.kind = "gap";
    r.missing = e.what == kind::gap ? static_cast<int>(e.gap_missing) : 0;
    r.seconds = e.what == kind::gap ? e.gap_seconds : e.stall_seconds;
    if (e.what == kind::gap) accel_.next = ppg_.next = -1;
    w_.write(r);
  } else if (e.what == kind::heart_rate) {
    r.kind = "hr", r.bpm = e.hr->bpm;
    for (std::size_t i = 0; i < e.hr->rr_count(); ++i) r.rr.push_back(e.hr->rr_seconds(i));
    w_.write(r);
  } else if (e.sensor->packet.type == miband::sensor_packet_type::accelerometer) {
    accel(e.sensor->packet, r, e.wall);
  } else {
    ppg(e.sensor->packet, r, e.wall);
  }
  if (!ex_) return w_.flush();
  if (flush_posted_) return;
  flush_posted_ = true;
  asio::post(*ex_, flush_handler{flush_});
}

void record_sink::accel(const miband::sensor_packet& p, record& r, double arrival) {
  r.kind = "accel", r.seq = p.counter, r.has_xyz = true;
  double t = accel_.first_of(p.count, arrival);
  for (std::size_t i = 0; i < p.count; ++i, t += 1.0 / rate_) {
    const auto smp = p.accel(i);
    const auto g = miband::to_g(smp, cpg_);
    r.t = t, r.x = smp.x, r.y = smp.y, r.z = smp.z, r.gx = g.x, r.gy = g.y, r.gz = g.z;
    w_.write(r);
  }
}

void record_sink::ppg(const miband::sensor_packet& p, record& r, double arrival) {
  r.kind = "ppg", r.seq = p.counter, r.has_value = true;
  double t = ppg_.first_of(p.count, arrival);
  for (auto v : p.ppg()) {
    r.t = t, r.value = v;
    w_.write(r);
    t += 1.0 / rate_;
  }
}

}  // namespace bandwire::tools
