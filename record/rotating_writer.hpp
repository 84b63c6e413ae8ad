// One band+kind's files: `<dir>/<kind>-YYYY-MM-DD.<ext>`, a new file each
// local day and whenever the active one would pass the size limit
// (`<kind>-YYYY-MM-DD.1.<ext>`, `.2`, ...).
//
// Durability and restarts (README "Unattended recording"):
//  * each record is one append (one write(2)): flushed per record;
//  * a file is closed only after fsync, and the counter state file
//    `<kind>.next` is then replaced atomically (record/file_system.hpp);
//  * open() after a restart cuts a torn last line of the newest file (a
//    crash mid-write) and takes the counter `n` from the last complete line
//    (or the state file, when the files were moved away); the next record
//    continues the newest file when it is today's and has room.
// Why both sources for `n`: the state file is written only at a close, so
// it is behind the active file by design; the active file's last line is
// exact but gone when a user archives the files. The larger wins; neither is
// ever ahead of what is durable, so a counter value is never used twice in
// the files.
//
// A failed append (a full disk) is taken back (truncated to the size before
// it), so no torn line stays in the file; records are then dropped and
// counted, and an append is tried again `retry_seconds` later (host
// monotonic time of the records). The first success reports how many were
// dropped, for the band's `gap` record.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "record/file_system.hpp"
#include "record/records.hpp"

namespace bandwire::record {

/// The UTC offset at an instant, for the local day a record belongs to.
using offset_fn = std::function<std::chrono::minutes(std::chrono::sys_seconds)>;

struct writer_options {
  std::string dir;
  record_kind kind = record_kind::hr;
  file_format format = file_format::jsonl;
  std::uint64_t rotate_bytes = 64ull << 20;
  offset_fn offset;            ///< empty: the host's zone (localtime_r)
  double retry_seconds = 5.0;  ///< after a failed append
};

/// A file name of this scheme, parsed.
struct file_name_parts {
  std::int64_t day = 0;     ///< days since 1970-01-01 (local date)
  unsigned index = 0;       ///< 0 for the day's first file
  friend auto operator<=>(const file_name_parts&, const file_name_parts&) = default;
};
std::optional<file_name_parts> parse_file_name(std::string_view name, record_kind k, file_format f) noexcept;
std::string make_file_name(const file_name_parts& p, record_kind k, file_format f);

class rotating_writer {
 public:
  rotating_writer(file_system& fs, writer_options o);
  ~rotating_writer();
  rotating_writer(const rotating_writer&) = delete;
  rotating_writer& operator=(const rotating_writer&) = delete;

  /// Creates the folder and recovers the counter and the newest file.
  /// Fails (with `message`) when a file of this kind holds something else.
  error_code open(std::string& message);

  struct result {
    bool written = false;
    error_code ec;               ///< why it was not written
    std::uint64_t resumed_after = 0;  ///< written after this many were dropped
  };
  /// Sets r.n and appends the record, rotating first when due.
  result write(live_record& r);
  /// fsync of the active file, then the counter state. Idempotent.
  error_code close();

  std::uint64_t next_n() const noexcept { return next_n_; }
  const std::string& active_path() const noexcept { return active_path_; }
  bool failing() const noexcept { return failing_; }
  std::uint64_t written() const noexcept { return written_; }
  std::uint64_t dropped() const noexcept { return dropped_total_; }
  std::uint64_t rotations() const noexcept { return rotations_; }
  std::uint64_t cut_bytes() const noexcept { return cut_bytes_; }

 private:
  std::int64_t day_of(double wall) const;
  error_code recover(std::string& message);
  error_code start_file(const file_name_parts& p);
  error_code close_active();
  std::string state_path() const;

  file_system& fs_;
  writer_options o_;
  std::unique_ptr<append_file> file_;
  std::string active_path_;
  file_name_parts active_{};
  std::optional<file_name_parts> newest_;  // the newest file on disk
  std::uint64_t newest_size_ = 0;
  std::uint64_t next_n_ = 0;
  std::uint64_t written_ = 0, dropped_total_ = 0, dropped_run_ = 0, rotations_ = 0, cut_bytes_ = 0;
  bool failing_ = false;
  double retry_at_ = 0;
  std::string line_;
};

}  // namespace bandwire::record
