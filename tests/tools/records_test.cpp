// `bandwire stream`'s records (tools/records.hpp): the writer prints what
// its snprintf-based version printed (kept here as the oracle), and the sink
// writes a packet's records out once the loop's ready handlers have run.
#include "tools/records.hpp"
#include "tools/output.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>

using namespace bandwire;
using namespace bandwire::tools;

namespace {

// The writer before std::to_chars: snprintf and std::to_string.
void num(std::string& s, double v, const char* fmt = "%.6f") {
  char b[40];
  std::snprintf(b, sizeof b, fmt, v);
  s += b;
}

std::string oracle(const record& r, record_format f) {
  std::string s;
  if (f == record_format::jsonl) {
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
    s += "}\n";
    return s;
  }
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
  return s;
}

// What a writer put into a memory FILE.
struct captured {
  char* buf = nullptr;
  std::size_t size = 0;
  std::FILE* f = ::open_memstream(&buf, &size);
  ~captured() {
    if (f) std::fclose(f);
    std::free(buf);
  }
  std::string text() {
    std::fflush(f);
    return std::string(buf, size);
  }
};

}  // namespace

TEST_CASE("record writer: JSON lines and CSV exactly as the snprintf writer, 200,000 random records") {
  std::mt19937_64 rng(5);
  for (auto f : {record_format::jsonl, record_format::csv}) {
    captured out;
    record_writer w(out.f, f);
    std::string want = f == record_format::csv ? "kind,time,mono,t,seq,x,y,z,gx,gy,gz,value,bpm,rr,missing,seconds,event,energy_kj,contact\n" : "";
    const char* kinds[] = {"accel", "ppg", "hr", "gap"};
    for (int i = 0; i < 100'000; ++i) {
      record r;
      r.kind = kinds[rng() % 4];
      // Records of one packet share their arrival times (the writer reuses
      // the formatted head); every fourth starts a new packet.
      static double time = 1767225600.0, mono = 100.0;
      if (i % 4 == 0) time += static_cast<double>(rng() % 1000000) / 1e6, mono += 0.65;
      r.time = time, r.mono = mono;
      if (rng() % 2) r.t = time - static_cast<double>(rng() % 100) / 25.0;
      if (rng() % 2) r.seq = static_cast<int>(rng() % 256);
      if (rng() % 2) {
        r.has_xyz = true;
        r.x = static_cast<int>(rng() % 65536) - 32768, r.y = static_cast<int>(rng() % 512) - 256, r.z = 0;
        r.gx = r.x / 256.0, r.gy = r.y / 256.0, r.gz = r.z / 256.0;
      }
      if (rng() % 3 == 0) r.has_value = true, r.value = static_cast<int>(rng() % 65536) - 32768;
      if (rng() % 5 == 0) r.bpm = static_cast<int>(rng() % 200);
      if (rng() % 7 == 0) r.rr = {static_cast<std::uint16_t>(rng() % 65536), 512, 1};
      if (rng() % 6 == 0) r.energy_kj = static_cast<int>(rng() % 65536);
      if (rng() % 4 == 0) r.contact = static_cast<int>(rng() % 2);
      if (rng() % 9 == 0) r.missing = static_cast<int>(rng() % 10), r.seconds = static_cast<double>(rng() % 100000) / 1000;
      w.write(r);
      want += oracle(r, f);
      if (i % 3 == 0) w.flush();
    }
    w.flush();
    CHECK_FALSE(w.failed());
    CHECK(out.text() == want);
  }
}

TEST_CASE("record sink: a packet's records go out once the ready handlers have run, in one write") {
  asio::io_context io;
  captured out;
  record_writer w(out.f, record_format::jsonl);
  {
    record_sink sink(w, 256, io.get_executor());
    miband::sensor_packet p;
    p.type = miband::sensor_packet_type::accelerometer;
    p.counter = 7;
    p.count = 3;
    p.raw = {256, 0, -256, 1, 2, 3, 4, 5, 6};
    const double times[] = {1767225600.42, 1767225600.46, 1767225600.5};  // the band's sample_timeline
    const miband::sensor_event se{p, {}, 1767225600.5, 10.0, times};
    miband::stream_event e;
    e.what = miband::stream_event::kind::sensor;
    e.sensor = &se;
    e.wall = se.wall, e.mono = se.mono;
    sink(e);
    sink(e);
    CHECK(out.text().empty());  // not yet: the loop has not come back
    CHECK(io.poll() == 1);      // one flush for both packets
    const std::string text = out.text();
    CHECK(std::count(text.begin(), text.end(), '\n') == 6);
    CHECK(text.substr(0, text.find('\n')) ==
          "{\"kind\":\"accel\",\"time\":1767225600.500000,\"mono\":10.000000,\"t\":1767225600.420000,\"seq\":7,"
          "\"x\":256,\"y\":0,\"z\":-256,\"gx\":1.0000,\"gy\":0.0000,\"gz\":-1.0000}");
    sink(e);
  }
  // Destroyed with records pending: they are written at once; the posted flush finds no sink.
  const std::string all = out.text();
  CHECK(std::count(all.begin(), all.end(), '\n') == 9);
  io.poll();
}
