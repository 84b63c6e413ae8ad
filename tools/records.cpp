#include "tools/records.hpp"

#include <cstdio>

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
void num(std::string& s, double v, const char* fmt = "%.6f") {
  char b[40];
  std::snprintf(b, sizeof b, fmt, v);
  s += b;
}
}  // namespace

void record_writer::write(const record& r) {
  std::string& s = line_;
  s.clear();
  if (format_ == record_format::jsonl) {
    s += "{\"kind\":\"";
    s += r.kind;
    s += "\",\"time\":";
    num(s, r.time);
    s += ",\"mono\":";
    num(s, r.mono);
    if (r.t >= 0) s += ",\"t\":", num(s, r.t);
    if (r.seq >= 0) s += ",\"seq\":" + std::to_string(r.seq);
    if (r.has_xyz) {
      s += ",\"x\":" + std::to_string(r.x) + ",\"y\":" + std::to_string(r.y) + ",\"z\":" + std::to_string(r.z);
      s += ",\"gx\":", num(s, r.gx, "%.4f");
      s += ",\"gy\":", num(s, r.gy, "%.4f");
      s += ",\"gz\":", num(s, r.gz, "%.4f");
    }
    if (r.has_value) s += ",\"value\":" + std::to_string(r.value);
    if (r.bpm >= 0) s += ",\"bpm\":" + std::to_string(r.bpm);
    if (!r.rr.empty()) {
      s += ",\"rr\":[";
      for (std::size_t i = 0; i < r.rr.size(); ++i) {
        if (i) s += ",";
        s += rr_seconds_text(r.rr[i]);
      }
      s += "]";
    }
    if (r.energy_kj >= 0) s += ",\"energy_kj\":" + std::to_string(r.energy_kj);
    if (r.contact >= 0) s += r.contact ? ",\"contact\":true" : ",\"contact\":false";
    if (r.missing >= 0) s += ",\"missing\":" + std::to_string(r.missing);
    if (r.seconds >= 0) s += ",\"seconds\":", num(s, r.seconds, "%.3f");
    if (!r.event.empty()) s += ",\"event\":" + json_string(r.event);
    s += "}\n";
  } else {
    s += r.kind;
    s += ",";
    num(s, r.time);
    s += ",";
    num(s, r.mono);
    s += ",";
    if (r.t >= 0) num(s, r.t);
    s += ",";
    if (r.seq >= 0) s += std::to_string(r.seq);
    s += ",";
    if (r.has_xyz) {
      s += std::to_string(r.x) + "," + std::to_string(r.y) + "," + std::to_string(r.z) + ",";
      num(s, r.gx, "%.4f"), s += ",", num(s, r.gy, "%.4f"), s += ",", num(s, r.gz, "%.4f");
    } else {
      s += ",,,,,";
    }
    s += ",";
    if (r.has_value) s += std::to_string(r.value);
    s += ",";
    if (r.bpm >= 0) s += std::to_string(r.bpm);
    s += ",";
    for (std::size_t i = 0; i < r.rr.size(); ++i) {
      if (i) s += " ";
      s += rr_seconds_text(r.rr[i]);
    }
    s += ",";
    if (r.missing >= 0) s += std::to_string(r.missing);
    s += ",";
    if (r.seconds >= 0) num(s, r.seconds, "%.3f");
    s += ",";
    s += r.event;
    s += ",";
    if (r.energy_kj >= 0) s += std::to_string(r.energy_kj);
    s += ",";
    if (r.contact >= 0) s += std::to_string(r.contact);
    s += "\n";
  }
  if (std::fwrite(s.data(), 1, s.size(), out_) != s.size() || std::fflush(out_) != 0) failed_ = true;
}

}  // namespace bandwire::tools
