#include "record/recorder.hpp"

#include <cmath>
#include <cstdio>

#include "miband/event.hpp"
#include "miband/history_sink.hpp"
#include "miband/state_store.hpp"

namespace bandwire::record {

namespace {

// Per-sample times (README "Stream record schema", `t`): samples evenly
// spaced at the rate, re-anchored to the arrival when they drift more than
// 2 s from it or after a gap (packets come in bursts, fact sheet §6.3).
struct sample_clock {
  double rate = 25, next = -1;
  double first_of(std::size_t n, double arrival) {
    const double span = static_cast<double>(n - 1) / rate;
    if (next < 0 || std::abs(next + span - arrival) > 2.0) next = arrival - span;
    const double t = next;
    next += static_cast<double>(n) / rate;
    return t;
  }
};

bool same_files(const recorder_config& a, const recorder_config& b) {
  return a.output == b.output && a.format == b.format && a.rotate_bytes == b.rotate_bytes && a.state_dir == b.state_dir;
}

}  // namespace

struct recorder::band {
  band_config cfg;
  recorder_config files;  // the global part (output, format, rotation, state dir), bands empty
  std::map<record_kind, std::unique_ptr<rotating_writer>> writers;
  std::unique_ptr<miband::history_file_sink> history;
  std::unique_ptr<miband::session> session;
  std::unique_ptr<supervisor> sup;
  sample_clock accel, ppg;
  std::uint64_t records = 0, rate_records = 0;
  double rate_mono = -1;
  std::string file_error;
  record_sink* const* sink = nullptr;  // &recorder::sink

  void write(live_record& r) {
    auto it = writers.find(r.kind);
    if (it == writers.end()) return;
    record_sink* const out = sink ? *sink : nullptr;
    if (out) {
      r.n = it->second->next_n();
      out->before_write(cfg.alias, r);
    }
    auto res = it->second->write(r);
    if (out) out->after_write(cfg.alias, r, res.written);
    if (res.written) {
      ++records;
      if (res.resumed_after) {
        file_error.clear();
        live_record g;
        g.kind = record_kind::gaps;
        g.time = r.time, g.mono = r.mono;
        g.reason = "write";
        g.affects = kind_name(r.kind);
        g.dropped = res.resumed_after;
        if (r.kind != record_kind::gaps) write(g);
      }
    } else if (res.ec.value() != EAGAIN || file_error.empty()) {
      file_error = "writing " + it->second->active_path() + ": " + res.ec.message();
    }
  }

  void sensor(const miband::sensor_event& se, double wall, double mono) {
    const auto& p = se.packet;
    live_record r;
    r.time = wall, r.mono = mono, r.seq = p.counter;
    const double step = 1.0 / (cfg.rate_hz ? cfg.rate_hz : 25);
    if (p.type == miband::sensor_packet_type::accelerometer) {
      r.kind = record_kind::accel;
      double t = accel.first_of(p.count, wall);
      for (std::size_t i = 0; i < p.count; ++i, t += step) {
        const auto s = p.accel(i);
        const auto g = miband::to_g(s, cfg.counts_per_g);
        r.t = t, r.i = static_cast<int>(i), r.x = s.x, r.y = s.y, r.z = s.z, r.gx = g.x, r.gy = g.y, r.gz = g.z;
        write(r);
      }
    } else {
      r.kind = record_kind::ppg;
      double t = ppg.first_of(p.count, wall);
      int i = 0;
      for (auto v : p.ppg()) {
        r.t = t, r.i = i++, r.value = v;
        write(r);
        t += step;
      }
    }
  }

  void stream(const miband::stream_event& e) {
    using k = miband::stream_event::kind;
    live_record r;
    r.time = e.wall, r.mono = e.mono;
    switch (e.what) {
      case k::sensor: return sensor(*e.sensor, e.wall, e.mono);
      case k::heart_rate: {
        r.kind = record_kind::hr;
        r.bpm = e.hr->bpm;
        char b[24];
        for (std::size_t i = 0; i < e.hr->rr_count(); ++i) {
          std::snprintf(b, sizeof b, "%s%.4f", i ? ";" : "", e.hr->rr_seconds(i));
          r.rr += b;
        }
        return write(r);
      }
      case k::stall:
        r.kind = record_kind::gaps, r.reason = "stall", r.seconds = e.stall_seconds;
        return write(r);
      case k::gap:
        accel.next = ppg.next = -1;
        r.kind = record_kind::gaps, r.reason = "counter", r.missing = e.gap_missing, r.seconds = e.gap_seconds;
        return write(r);
    }
  }

  void on_feed(const feed_event& f) {
    live_record r;
    r.time = f.wall, r.mono = f.mono;
    switch (f.what) {
      case feed_event::kind::stream: return stream(*f.stream);
      case feed_event::kind::steps:
        r.kind = record_kind::steps, r.steps = f.steps->steps;
        if (f.steps->distance_m) r.distance = *f.steps->distance_m;
        if (f.steps->calories_kcal) r.calories = *f.steps->calories_kcal;
        return write(r);
      case feed_event::kind::device_event:
        // An event code of no known meaning (fact sheet §15) is kept, by number.
        r.kind = record_kind::events, r.event = miband::to_string(f.event->code) ? miband::to_string(f.event->code) : "unknown";
        r.code = static_cast<int>(f.event->code);
        return write(r);
      case feed_event::kind::battery:
        r.kind = record_kind::battery, r.level = f.battery->level_percent;
        if (f.battery->charging_state) r.charging = *f.battery->charging_state;
        return write(r);
      case feed_event::kind::gap:
        accel.next = ppg.next = -1;
        r.kind = record_kind::gaps, r.reason = f.reason, r.seconds = f.gap_seconds;
        return write(r);
      case feed_event::kind::history:
        if (f.history_error && f.history && !f.history->message.empty()) file_error = f.history->message;
        return;
    }
  }

  void close_files() {
    for (auto& [k, w] : writers)
      if (auto ec = w->close(); ec && file_error.empty()) file_error = "closing " + w->active_path() + ": " + ec.message();
  }
};

recorder::recorder(asio::io_context& io, const scaled_clock& clock, recorder_options o)
    : io_(io), clock_(clock), o_(std::move(o)), fs_(o_.fs ? *o_.fs : posix_), queue_(io.get_executor()) {}

recorder::~recorder() {
  *alive_ = false;
  for (auto& [a, b] : bands_) b->sup.reset();
  for (auto& b : retiring_) b->sup.reset();
}

std::unique_ptr<recorder::band> recorder::make_band(const recorder_config& c, const band_config& cfg,
                                                     std::string& problem) {
  auto b = std::make_unique<band>();
  b->cfg = cfg;
  b->files = c;
  b->files.bands.clear();
  b->files.mqtt.reset();  // the MQTT link is not a band's: changing it keeps the bands up
  b->sink = &sink;
  b->accel.rate = b->ppg.rate = cfg.rate_hz;
  const std::string dir = c.output + "/" + cfg.alias;
  std::vector<record_kind> kinds;
  if (cfg.accel) kinds.push_back(record_kind::accel);
  if (cfg.ppg) kinds.push_back(record_kind::ppg);
  if (cfg.heart_rate) kinds.push_back(record_kind::hr);
  if (cfg.steps) kinds.push_back(record_kind::steps);
  if (cfg.events) kinds.push_back(record_kind::events);
  if (cfg.battery_every.count() > 0) kinds.push_back(record_kind::battery);
  kinds.push_back(record_kind::gaps);
  for (auto k : kinds) {
    writer_options wo;
    wo.dir = dir, wo.kind = k, wo.format = c.format, wo.rotate_bytes = c.rotate_bytes, wo.offset = o_.utc_offset;
    wo.retry_seconds = o_.write_retry_seconds;
    auto w = std::make_unique<rotating_writer>(fs_, wo);
    if (w->open(problem)) return nullptr;
    if (sink) sink->writer_opened(cfg.alias, k, w->next_n());
    b->writers[k] = std::move(w);
  }
  miband::session_options so;
  so.transport.device = cfg.device;
  so.transport.addr_type = cfg.address_type;
  so.transport.adapter = cfg.adapter;
  so.store = std::make_shared<miband::state_store>(c.state_dir);
  so.reconnect.enabled = false;  // the supervisor reconnects
  if (!cfg.key_file.empty()) {
    std::string err;
    so.key = miband::key_from_user(cfg.key_file, err);
    if (!err.empty()) {
      problem = err;
      return nullptr;
    }
  }
  if (cfg.history_every.count() > 0) {
    const auto hf = c.format == file_format::csv ? miband::history_format::csv : miband::history_format::jsonl;
    b->history = std::make_unique<miband::history_file_sink>(hf, o_.utc_offset);
    const std::string path = dir + "/activity." + format_name(c.format);
    if (auto ec = b->history->open(path, problem)) {
      if (problem.empty()) problem = "cannot open " + path + ": " + ec.message();
      return nullptr;
    }
  }
  if (o_.customize) o_.customize(cfg, so);
  b->session = std::make_unique<miband::session>(io_, clock_, so);
  supervisor_options sup;
  sup.reconnect = o_.reconnect;
  sup.stream.accelerometer = cfg.accel;
  sup.stream.ppg = cfg.ppg;
  sup.stream.heart_rate = cfg.heart_rate;
  sup.stream.rate_hz = cfg.rate_hz;
  sup.stream_enabled = cfg.accel || cfg.ppg || cfg.heart_rate;
  sup.steps = cfg.steps, sup.events = cfg.events, sup.set_time = cfg.set_time;
  sup.battery_every = cfg.battery_every;
  sup.history_every = cfg.history_every;
  sup.history = b->history.get();
  sup.counts_per_g = cfg.counts_per_g;
  sup.queue = &queue_;
  sup.adapter = cfg.adapter;
  sup.utc_offset = o_.utc_offset;
  auto* raw = b.get();
  b->sup = std::make_unique<supervisor>(io_, clock_, *b->session, sup, [raw](const feed_event& f) { raw->on_feed(f); });
  b->sup->on_state_change = [this, alias = cfg.alias] {
    if (on_change) on_change(alias);
  };
  return b;
}

std::vector<std::string> recorder::apply(const recorder_config& c) {
  std::vector<std::string> problems;
  auto old = std::move(bands_);
  bands_.clear();
  auto start = [this, &problems](const recorder_config& cc, const band_config& bc) {
    std::string problem;
    auto b = make_band(cc, bc, problem);
    if (!b) {
      problems.push_back(bc.alias + ": " + problem);
      return;
    }
    b->sup->start();
    bands_[bc.alias] = std::move(b);
  };
  for (const auto& bc : c.bands) {
    auto it = old.find(bc.alias);
    if (it != old.end() && it->second->cfg == bc && same_files(it->second->files, c)) {
      bands_[bc.alias] = std::move(it->second);  // unchanged: its link and files stay
      old.erase(it);
    } else if (it != old.end()) {
      // Changed: its files are closed before the new one opens them.
      auto b = std::move(it->second);
      old.erase(it);
      retire(std::move(b), [this, c, bc] {
        std::string problem;
        auto nb = make_band(c, bc, problem);
        if (!nb) return;  // reported in its status by the next reload
        nb->sup->start();
        bands_[bc.alias] = std::move(nb);
      });
    } else {
      start(c, bc);
    }
  }
  for (auto& [alias, b] : old) retire(std::move(b), [] {});
  config_ = c;
  return problems;
}

void recorder::retire(std::unique_ptr<band> b, unique_function<void()> after) {
  auto* raw = b.get();
  retiring_.push_back(std::move(b));
  raw->sup->stop([this, raw, after = std::move(after), alive = alive_](error_code) mutable {
    if (!*alive) return;
    raw->close_files();
    if (on_stopped) on_stopped(status_of(*raw, false));
    std::erase_if(retiring_, [raw](const std::unique_ptr<band>& x) { return x.get() == raw; });
    after();
  });
}

void recorder::stop(done_fn done) {
  auto left = std::make_shared<std::size_t>(bands_.size() + 1);
  auto fin = std::make_shared<done_fn>(std::move(done));
  auto one = [this, left, fin]() {
    if (--*left == 0) asio::post(io_, [fin] { (*fin)({}); });
  };
  auto bands = std::move(bands_);
  bands_.clear();
  for (auto& [alias, b] : bands) retire(std::move(b), one);
  one();
}

band_status recorder::status_of(band& b, bool sample_rate) {
  const double now = clock_.mono();
  band_status s;
  s.alias = b.cfg.alias;
  s.link = b.sup->status();
  s.records = b.records;
  for (auto& [k, w] : b.writers) s.dropped += w->dropped();
  s.file_error = b.file_error;
  if (b.rate_mono >= 0 && now > b.rate_mono)
    s.records_per_second = static_cast<double>(b.records - b.rate_records) / (now - b.rate_mono);
  if (sample_rate) b.rate_mono = now, b.rate_records = b.records;
  s.streaming = s.link.state == link_state::running && (b.cfg.accel || b.cfg.ppg || b.cfg.heart_rate);
  return s;
}

std::vector<band_status> recorder::status(bool sample_rate) {
  std::vector<band_status> out;
  for (auto& [alias, b] : bands_) out.push_back(status_of(*b, sample_rate));
  return out;
}

supervisor* recorder::band_supervisor(const std::string& alias) {
  auto it = bands_.find(alias);
  return it == bands_.end() ? nullptr : it->second->sup.get();
}

std::string format_status(const band_status& s) {
  char b[96];
  std::string line = s.alias + ": ";
  if (s.link.state == link_state::reconnecting) {
    std::snprintf(b, sizeof b, "reconnecting in %.1f s (attempt %u)", s.link.reconnect_in, s.link.attempt);
    line += b;
  } else {
    line += state_name(s.link.state);
  }
  if (s.streaming) {
    std::snprintf(b, sizeof b, ", streaming %.1f rec/s", s.records_per_second);
    line += b;
  }
  line += ", " + std::to_string(s.records) + " records";
  if (s.dropped) line += ", " + std::to_string(s.dropped) + " dropped";
  const std::string& err = !s.file_error.empty() ? s.file_error : s.link.last_error;
  line += ", last error: " + (err.empty() ? std::string("none") : err);
  return line;
}

}  // namespace bandwire::record
