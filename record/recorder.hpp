// `bandwire record`'s service: several bands on one event loop, each with a
// session, a supervisor (record/supervisor.hpp) and its files
// (record/rotating_writer.hpp): `<output>/<alias>/<kind>-YYYY-MM-DD.<ext>`
// for accel, ppg, hr, steps, events, battery and gaps, and the activity
// history in `<output>/<alias>/activity.<ext>` (miband::history_file_sink,
// resumable, each minute once).
//
// apply() starts from a config and later applies a new one (SIGHUP): bands
// whose configuration is unchanged keep their links and files; removed or
// changed ones are stopped (streams stopped on the band, files closed) and
// changed ones started again. A band whose files cannot be opened is not
// started and reported; the others run.
//
// A file that cannot be written (a full disk) is that band's error, shown
// in its status line; its records are dropped and counted until an append
// works again, then a `gap` record (reason "write") says how many. Nothing
// written before is touched.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "common/async.hpp"
#include "common/clock.hpp"
#include "miband/session.hpp"
#include "record/adapter_queue.hpp"
#include "record/config.hpp"
#include "record/file_system.hpp"
#include "record/rotating_writer.hpp"
#include "record/supervisor.hpp"

namespace bandwire::record {

struct recorder_options {
  /// Where files go; default: the real file system.
  file_system* fs = nullptr;
  /// The zone of file days and of the clock written to the bands; empty: the host's.
  offset_fn utc_offset;
  /// Runs on each band's session options before its session is made (tests
  /// put an in-process virtual band and a memory store here).
  std::function<void(const band_config&, miband::session_options&)> customize;
  miband::reconnect_policy reconnect;  ///< back-off of every band
  double write_retry_seconds = 5.0;    ///< after a failed append
};

/// Who publishes the records as well (the MQTT link), in two steps around
/// each file write, so that a record is published only once it is in its
/// file and a kill between the two steps neither loses nor invents one.
class record_sink {
 public:
  virtual ~record_sink() = default;
  /// A record about to be written, `n` set to what its file will give it.
  virtual void before_write(const std::string& alias, const live_record& r) = 0;
  /// The same record: in its file (`written`), or not (a write error).
  virtual void after_write(const std::string& alias, const live_record& r, bool written) = 0;
  /// A band's file of `k` opened; its next record gets `next_n`. What was
  /// staged before a kill with an `n` the file does not have is withdrawn.
  virtual void writer_opened(const std::string& alias, record_kind k, std::uint64_t next_n) = 0;
};

struct band_status {
  std::string alias;
  supervisor_status link;
  bool streaming = false;      ///< the stream is asked for and records arrive
  double records_per_second = 0;  ///< since the previous status() call
  std::uint64_t records = 0;   ///< written by this process
  std::uint64_t dropped = 0;   ///< not written (file errors)
  std::string file_error;      ///< "" while every file is writable
};

/// One line for a band: `left: connected, streaming 37.5 rec/s, 1234 records, last error: none`.
std::string format_status(const band_status& s);

class recorder {
 public:
  using done_fn = unique_function<void(error_code)>;

  recorder(asio::io_context& io, const scaled_clock& clock, recorder_options o = {});
  ~recorder();
  recorder(const recorder&) = delete;
  recorder& operator=(const recorder&) = delete;

  /// Applies a config (the first, or a reload). Returns one message per
  /// band that could not be started (its files, its key file).
  std::vector<std::string> apply(const recorder_config& c);
  /// Stops every band cleanly; `done` once all are stopped and their files closed.
  void stop(done_fn done);

  /// Every band's status. `sample_rate`: the rate is measured since the
  /// previous sampling call (periodic status lines); false leaves it.
  std::vector<band_status> status(bool sample_rate = true);
  /// A band's state changed (status lines on change).
  std::function<void(const std::string& alias)> on_change;
  /// A band was stopped (removed or changed by a reload, or stop()): its
  /// last status, once its files are closed.
  std::function<void(const band_status&)> on_stopped;
  /// The MQTT link (README "Publishing to MQTT"); null: files only.
  record_sink* sink = nullptr;

  /// For tests: a band's supervisor and session (null when unknown).
  supervisor* band_supervisor(const std::string& alias);
  std::size_t bands() const noexcept { return bands_.size(); }

 private:
  struct band;
  std::unique_ptr<band> make_band(const recorder_config& c, const band_config& b, std::string& problem);
  void retire(std::unique_ptr<band> b, unique_function<void()> after);
  band_status status_of(band& b, bool sample_rate);

  asio::io_context& io_;
  const scaled_clock& clock_;
  recorder_options o_;
  posix_file_system posix_;
  file_system& fs_;
  adapter_queue queue_;
  recorder_config config_;
  std::map<std::string, std::unique_ptr<band>> bands_;
  std::vector<std::unique_ptr<band>> retiring_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace bandwire::record
