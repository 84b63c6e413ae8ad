// Analysis-ready stream records (`bandwire stream`): one record per sample,
// as JSON lines or CSV with a fixed header, flushed per record. The schema
// is documented in the README ("Stream record schema").
#pragma once

#include <cstdint>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/asio.hpp"
#include "miband/band.hpp"

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
  /// Formats a record; it reaches `out` at the next flush().
  void write(const record& r);
  /// Writes the records formatted since the last flush, in one write, and
  /// flushes `out`. failed() tells when that failed (disk full, closed pipe).
  void flush();
  bool failed() const noexcept { return failed_; }
  /// The whole seconds of the last sample time written, as text.
  struct whole_digits {
    std::uint64_t whole = 0;
    std::uint8_t size = 0;  ///< 0: none yet
    char text[20];
  };

 private:
  std::FILE* out_;
  record_format format_;
  bool failed_ = false;
  std::string pending_;  // formatted records in [0, used_); keeps its size: no allocation per record
  std::size_t used_ = 0;
  // The records of one packet share their arrival times: "kind", "time"
  // and "mono" are formatted once per packet.
  static constexpr std::size_t max_kind_size = 16;
  char head_[max_kind_size + 160];  // {"kind":"…","time":…,"mono":… (two numbers of at most 64 characters)
  std::size_t head_size_ = 0;
  const char* head_kind_ = nullptr;
  double head_time_ = 0, head_mono_ = 0;
  whole_digits t_whole_;
};

/// Turns a session's stream events into records, one per sample.
///
/// When are they written out? Without an executor, after each event (one
/// write per packet). With the stream's executor, once the handlers that
/// are ready have run: the records of the packets read together (a burst,
/// one recvmmsg) go out in one write before the program waits for the band
/// again, so no record waits in memory while bandwire sleeps. Destroying
/// the sink writes out what is left.
class record_sink {
 public:
  record_sink(record_writer& w, double counts_per_g, std::optional<asio::io_context::executor_type> ex = std::nullopt);
  ~record_sink();
  record_sink(const record_sink&) = delete;
  record_sink& operator=(const record_sink&) = delete;
  void operator()(const miband::stream_event& e);
  struct flush_state;  // the posted flush's memory and a way back to the sink
  /// Runs the flush posted after an event (for the posted handler).
  void flush_posted();

 private:
  void accel(const miband::sensor_event& e, record& r);
  void ppg(const miband::sensor_event& e, record& r);

  record_writer& w_;
  double cpg_;
  std::vector<std::uint16_t> rr_;  // a heart rate's RR intervals, reused
  std::optional<asio::io_context::executor_type> ex_;
  bool flush_posted_ = false;
  std::shared_ptr<flush_state> flush_;
};

}  // namespace bandwire::tools
