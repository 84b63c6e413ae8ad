#include "record/records.hpp"

#include <cstdio>

namespace bandwire::record {

const char* kind_name(record_kind k) noexcept {
  switch (k) {
    case record_kind::accel: return "accel";
    case record_kind::ppg: return "ppg";
    case record_kind::hr: return "hr";
    case record_kind::steps: return "steps";
    case record_kind::events: return "event";
    case record_kind::battery: return "battery";
    case record_kind::gaps: return "gap";
  }
  return "?";
}

const char* kind_file_name(record_kind k) noexcept {
  switch (k) {
    case record_kind::events: return "events";
    case record_kind::gaps: return "gaps";
    default: return kind_name(k);
  }
}

const char* csv_header(record_kind k) noexcept {
  switch (k) {
    case record_kind::accel: return "n,time,mono,t,seq,i,x,y,z,gx,gy,gz\n";
    case record_kind::ppg: return "n,time,mono,t,seq,i,value\n";
    case record_kind::hr: return "n,time,mono,bpm,rr\n";
    case record_kind::steps: return "n,time,mono,steps,distance,calories\n";
    case record_kind::events: return "n,time,mono,event,code\n";
    case record_kind::battery: return "n,time,mono,level,charging\n";
    case record_kind::gaps: return "n,time,mono,reason,missing,seconds,affects,dropped\n";
  }
  return "\n";
}

namespace {

void num(std::string& s, double v, const char* fmt = "%.6f") {
  char b[48];
  const int len = std::snprintf(b, sizeof b, fmt, v);
  if (len > 0) s.append(b, static_cast<std::size_t>(len) < sizeof b ? static_cast<std::size_t>(len) : sizeof b - 1);
}

// One "name":value or ,value at a time, in the order of the CSV header.
class line_builder {
 public:
  line_builder(std::string& s, file_format f) : s_(s), json_(f == file_format::jsonl) {}
  void key(const char* k) {
    if (json_) {
      s_ += first_ ? "{\"" : ",\"";
      s_ += k;
      s_ += "\":";
    } else if (!first_) {
      s_ += ',';
    }
    first_ = false;
  }
  void integer(const char* k, long long v) { key(k), s_ += std::to_string(v); }
  void unsigned_(const char* k, unsigned long long v) { key(k), s_ += std::to_string(v); }
  void real(const char* k, double v, const char* fmt = "%.6f") { key(k), num(s_, v, fmt); }
  /// A string of our own making (names, numbers): no character needs escaping.
  void text(const char* k, const std::string& v) {
    key(k);
    if (json_) s_ += '"';
    s_ += v;
    if (json_) s_ += '"';
  }
  /// An optional integer: omitted in JSON, an empty cell in CSV.
  void optional(const char* k, long long v) {
    if (v >= 0) return integer(k, v);
    if (!json_) key(k);
  }
  void end() { s_ += json_ ? "}\n" : "\n"; }
  bool json() const { return json_; }

 private:
  std::string& s_;
  bool json_, first_ = true;
};

}  // namespace

void append_line(std::string& out, const live_record& r, file_format f) {
  line_builder b(out, f);
  b.unsigned_("n", r.n);
  if (b.json()) b.text("kind", kind_name(r.kind));
  b.real("time", r.time);
  b.real("mono", r.mono);
  switch (r.kind) {
    case record_kind::accel:
      b.real("t", r.t), b.integer("seq", r.seq), b.integer("i", r.i);
      b.integer("x", r.x), b.integer("y", r.y), b.integer("z", r.z);
      b.real("gx", r.gx, "%.4f"), b.real("gy", r.gy, "%.4f"), b.real("gz", r.gz, "%.4f");
      break;
    case record_kind::ppg:
      b.real("t", r.t), b.integer("seq", r.seq), b.integer("i", r.i), b.integer("value", r.value);
      break;
    case record_kind::hr:
      b.integer("bpm", r.bpm);
      if (!r.rr.empty() || !b.json()) b.text("rr", r.rr);
      break;
    case record_kind::steps:
      b.unsigned_("steps", r.steps), b.optional("distance", r.distance), b.optional("calories", r.calories);
      break;
    case record_kind::events:
      b.text("event", r.event), b.integer("code", r.code);
      break;
    case record_kind::battery:
      b.integer("level", r.level), b.optional("charging", r.charging);
      break;
    case record_kind::gaps:
      b.text("reason", r.reason), b.unsigned_("missing", r.missing), b.real("seconds", r.seconds, "%.3f");
      if (!r.affects.empty() || !b.json()) b.text("affects", r.affects);
      if (r.dropped || !b.json()) b.unsigned_("dropped", r.dropped);
      break;
  }
  b.end();
}

std::optional<std::uint64_t> parse_counter(std::string_view line, file_format f) noexcept {
  std::string_view digits;
  if (f == file_format::jsonl) {
    constexpr std::string_view prefix = "{\"n\":";
    if (line.substr(0, prefix.size()) != prefix) return std::nullopt;
    digits = line.substr(prefix.size());
    const auto end = digits.find(',');
    if (end == std::string_view::npos) return std::nullopt;
    digits = digits.substr(0, end);
    if (line.back() != '}') return std::nullopt;  // a torn line has lost its end
  } else {
    digits = line.substr(0, line.find(','));
    if (digits.size() == line.size()) return std::nullopt;
  }
  return parse_decimal_u64(digits);
}

std::optional<std::uint64_t> parse_decimal_u64(std::string_view digits) noexcept {
  if (digits.empty() || digits.size() > 20) return std::nullopt;
  std::uint64_t v = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') return std::nullopt;
    const auto d = static_cast<std::uint64_t>(c - '0');
    if (v > (UINT64_MAX - d) / 10) return std::nullopt;
    v = v * 10 + d;
  }
  return v;
}

}  // namespace bandwire::record
