#include "tools/records.hpp"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstddef>
#include <cstdio>
#include <cstring>
#include <string_view>

#include "common/append.hpp"
#include "tools/output.hpp"

namespace bandwire::tools {

record_writer::record_writer(std::FILE* out, record_format f) : out_(out), format_(f) {
  if (format_ == record_format::csv) {
    // New columns go at the end: scripts reading columns by position keep working.
    std::fputs("kind,time,mono,t,seq,x,y,z,gx,gy,gz,value,bpm,rr,missing,seconds,event,energy_kj,contact\n", out_);
    std::fflush(out_);
  }
}

namespace {

// Writes text at a cursor in a buffer the caller has made large enough
// (record_writer::write reserves the most one record can take). Numbers by
// std::to_chars and common/append.hpp's exact fixed point: the bytes
// snprintf("%.6f") and std::to_string printed before.
struct cursor {
  char* o;
  record_writer::whole_digits* t_whole;  // the last sample time's whole seconds, as text
  template <std::size_t N> void lit(const char (&s)[N]) {
    std::memcpy(o, s, N - 1);
    o += N - 1;
  }
  void text(std::string_view s) {
    std::memcpy(o, s.data(), s.size());
    o += s.size();
  }
  void put(int v) {
    if (v < 0) *o++ = '-';
    o = detail::write_u32(o, v < 0 ? 0u - static_cast<std::uint32_t>(v) : static_cast<std::uint32_t>(v));
  }
  template <int Precision> void fixed(double v) { o += detail::format_fixed<Precision>(o, v); }
  // A sample time (6 decimals): the samples of a packet, and of the packets
  // around it, share their whole seconds, so those digits are kept.
  void sample_time(double v) {
    detail::fixed_parts p;
    if (!detail::split_fixed<6>(v, p) || p.negative) return fixed<6>(v);
    if (p.whole != t_whole->whole || t_whole->size == 0) {
      t_whole->whole = p.whole;
      t_whole->size = static_cast<std::uint8_t>(detail::write_u64(t_whole->text, p.whole) - t_whole->text);
    }
    std::memcpy(o, t_whole->text, t_whole->size);
    o = detail::write_frac<6>(o + t_whole->size, p);
  }
  // An RR interval in 1/1024 s as exact seconds, the bytes of
  // tools/output.cpp's rr_seconds_text: ticks / 1024 = whole + frac / 1024,
  // and frac / 1024 = frac * 9765625 / 10^10 (ten digits, trailing zeros cut).
  void rr(std::uint16_t ticks) {
    o = std::to_chars(o, o + 8, static_cast<unsigned>(ticks / 1024u)).ptr;
    std::uint64_t frac = static_cast<std::uint64_t>(ticks % 1024u) * 9765625u;
    if (frac == 0) return;
    char digits[10];
    for (int i = 9; i >= 0; --i, frac /= 10) digits[i] = static_cast<char>('0' + frac % 10);
    int n = 10;
    while (digits[n - 1] == '0') --n;
    *o++ = '.';
    std::memcpy(o, digits, static_cast<std::size_t>(n));
    o += n;
  }
};

// The most a record takes before its rr list and event name: fixed fields
// at their widest (numbers of up to 64 characters each).
constexpr std::size_t record_fixed_room = 1024;

// A record's fields after its head, as JSON members.
void put_json_fields(cursor& c, const record& r) {
  if (r.t >= 0) c.lit(",\"t\":"), c.sample_time(r.t);
  if (r.seq >= 0) c.lit(",\"seq\":"), c.put(r.seq);
  if (r.has_xyz) {
    c.lit(",\"x\":"), c.put(r.x), c.lit(",\"y\":"), c.put(r.y), c.lit(",\"z\":"), c.put(r.z);
    c.lit(",\"gx\":"), c.fixed<4>(r.gx), c.lit(",\"gy\":"), c.fixed<4>(r.gy), c.lit(",\"gz\":"), c.fixed<4>(r.gz);
  }
  if (r.has_value) c.lit(",\"value\":"), c.put(r.value);
  if (r.bpm >= 0) c.lit(",\"bpm\":"), c.put(r.bpm);
  if (!r.rr.empty()) {
    c.lit(",\"rr\":[");
    for (std::size_t i = 0; i < r.rr.size(); ++i) {
      if (i) c.lit(",");
      c.rr(r.rr[i]);
    }
    c.lit("]");
  }
  if (r.energy_kj >= 0) c.lit(",\"energy_kj\":"), c.put(r.energy_kj);
  if (r.contact >= 0) r.contact ? c.lit(",\"contact\":true") : c.lit(",\"contact\":false");
  if (r.missing >= 0) c.lit(",\"missing\":"), c.put(r.missing);
  if (r.seconds >= 0) c.lit(",\"seconds\":"), c.fixed<3>(r.seconds);
  if (!r.event.empty()) c.lit(",\"event\":"), c.text(json_string(r.event));
  c.lit("}\n");
}

// A record's columns after its head, as CSV.
void put_csv_fields(cursor& c, const record& r) {
  if (r.t >= 0) c.sample_time(r.t);
  c.lit(",");
  if (r.seq >= 0) c.put(r.seq);
  c.lit(",");
  if (r.has_xyz) {
    c.put(r.x), c.lit(","), c.put(r.y), c.lit(","), c.put(r.z), c.lit(",");
    c.fixed<4>(r.gx), c.lit(","), c.fixed<4>(r.gy), c.lit(","), c.fixed<4>(r.gz);
  } else {
    c.lit(",,,,,");
  }
  c.lit(",");
  if (r.has_value) c.put(r.value);
  c.lit(",");
  if (r.bpm >= 0) c.put(r.bpm);
  c.lit(",");
  for (std::size_t i = 0; i < r.rr.size(); ++i) {
    if (i) c.lit(" ");
    c.rr(r.rr[i]);
  }
  c.lit(",");
  if (r.missing >= 0) c.put(r.missing);
  c.lit(",");
  if (r.seconds >= 0) c.fixed<3>(r.seconds);
  c.lit(",");
  c.text(r.event);
  c.lit(",");
  if (r.energy_kj >= 0) c.put(r.energy_kj);
  c.lit(",");
  if (r.contact >= 0) c.put(r.contact);
  c.lit("\n");
}

}  // namespace

void record_writer::write(const record& r) {
  if (head_kind_ != r.kind || head_time_ != r.time || head_mono_ != r.mono || head_size_ == 0) {
    // Formatted once per packet: its records share kind and arrival times.
    const std::size_t kind_size = std::strlen(r.kind);
    cursor h{head_, &t_whole_};
    if (kind_size > max_kind_size) {
      h.lit("{\"kind\":\"?");  // not one of ours (the kinds are a handful of short words)
    } else if (format_ == record_format::jsonl) {
      h.lit("{\"kind\":\""), h.text(std::string_view(r.kind, kind_size)), h.lit("\",\"time\":");
      h.fixed<6>(r.time), h.lit(",\"mono\":"), h.fixed<6>(r.mono);
    } else {
      h.text(std::string_view(r.kind, kind_size)), h.lit(",");
      h.fixed<6>(r.time), h.lit(","), h.fixed<6>(r.mono), h.lit(",");
    }
    head_size_ = static_cast<std::size_t>(h.o - head_);
    head_kind_ = r.kind, head_time_ = r.time, head_mono_ = r.mono;
  }
  const std::size_t room = head_size_ + record_fixed_room + 72 * r.rr.size() + 6 * r.event.size();
  if (pending_.size() < used_ + room) pending_.resize(std::max(pending_.size() * 2, used_ + room));
  cursor c{pending_.data() + used_, &t_whole_};
  c.text(std::string_view(head_, head_size_));
  if (format_ == record_format::jsonl) put_json_fields(c, r);
  else put_csv_fields(c, r);
  used_ = static_cast<std::size_t>(c.o - pending_.data());
}

void record_writer::flush() {
  if (used_ == 0) return;
  // Straight to the file descriptor: the FILE's own buffer is empty (it is
  // flushed after each use), and copying through it would cost a copy.
  const int fd = ::fileno(out_);
  if (fd >= 0 && std::fflush(out_) == 0) {
    const char* p = pending_.data();
    std::size_t left = used_;
    while (left > 0) {
      const ssize_t n = ::write(fd, p, left);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        failed_ = true;
        break;
      }
      p += n, left -= static_cast<std::size_t>(n);
    }
  } else if (std::fwrite(pending_.data(), 1, used_, out_) != used_ || std::fflush(out_) != 0) {
    failed_ = true;
  }
  used_ = 0;
}

// ---- record_sink ----

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
      return static_cast<T*>(static_cast<void*>(state->block));  // aligned as max_align_t
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

record_sink::record_sink(record_writer& w, double counts_per_g, std::optional<asio::io_context::executor_type> ex)
    : w_(w), cpg_(counts_per_g), ex_(std::move(ex)),
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
    w_.write(r);
  } else if (e.what == kind::heart_rate) {
    r.kind = "hr", r.bpm = e.hr->bpm;
    // The sink's own list, whose capacity stays: no allocation per heart rate.
    r.rr.swap(rr_);
    r.rr.clear();
    for (std::size_t i = 0; i < e.hr->rr_count(); ++i) r.rr.push_back(e.hr->rr_1024ths(i));
    if (e.hr->energy_expended_kj) r.energy_kj = *e.hr->energy_expended_kj;
    if (e.hr->contact != miband::sensor_contact::not_supported)
      r.contact = e.hr->contact == miband::sensor_contact::detected ? 1 : 0;
    w_.write(r);
    r.rr.swap(rr_);
  } else if (e.sensor->packet.type == miband::sensor_packet_type::accelerometer) {
    accel(*e.sensor, r);
  } else {
    ppg(*e.sensor, r);
  }
  if (!ex_) return w_.flush();
  if (flush_posted_) return;
  flush_posted_ = true;
  asio::post(*ex_, flush_handler{flush_});
}

// Sample times come from the band's sample_timeline (miband/sample_times.hpp).
void record_sink::accel(const miband::sensor_event& e, record& r) {
  r.kind = "accel", r.seq = e.packet.counter, r.has_xyz = true;
  for (std::size_t i = 0; i < e.packet.count && i < e.times.size(); ++i) {
    const auto smp = e.packet.accel(i);
    const auto g = miband::to_g(smp, cpg_);
    r.t = e.times[i], r.x = smp.x, r.y = smp.y, r.z = smp.z, r.gx = g.x, r.gy = g.y, r.gz = g.z;
    w_.write(r);
  }
}

void record_sink::ppg(const miband::sensor_event& e, record& r) {
  r.kind = "ppg", r.seq = e.packet.counter, r.has_value = true;
  const auto values = e.packet.ppg();
  for (std::size_t i = 0; i < values.size() && i < e.times.size(); ++i) {
    r.t = e.times[i], r.value = values[i];
    w_.write(r);
  }
}

}  // namespace bandwire::tools
