// Analysis-ready stream records (`bandwire stream`): one record per sample,
// as JSON lines or CSV with a fixed header, flushed per record. The schema
// is documented in the README ("Stream record schema").
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

namespace bandwire::tools {

enum class record_format { jsonl, csv };

struct record {
  const char* kind = "";        ///< accel, ppg, hr, gap, event
  double time = 0;              ///< wall clock at packet arrival, s since the Unix epoch
  double mono = 0;              ///< host monotonic clock at packet arrival, s
  double t = -1;                ///< reconstructed sample time (wall clock), -1 = none
  int seq = -1;                 ///< raw packet counter, -1 = none
  bool has_xyz = false;
  int x = 0, y = 0, z = 0;      ///< raw counts
  double gx = 0, gy = 0, gz = 0;
  bool has_value = false;
  int value = 0;                ///< PPG sample
  int bpm = -1;
  std::vector<std::uint16_t> rr;  ///< RR intervals in 1/1024 s (written as exact seconds)
  int missing = -1;             ///< gap: packets lost
  double seconds = -1;          ///< gap: time without data
  std::string event;            ///< event name
  int energy_kj = -1;           ///< hr: energy expended since the strap's last reset, kJ; -1 = not sent
  int contact = -1;             ///< hr: 1 skin contact, 0 none, -1 = the sensor does not tell
};

class record_writer {
 public:
  /// Writes to `out` (not closed by the writer).
  record_writer(std::FILE* out, record_format f);
  void write(const record& r);
  bool failed() const noexcept { return failed_; }

 private:
  std::FILE* out_;
  record_format format_;
  bool failed_ = false;
  std::string line_;
};

}  // namespace bandwire::tools
