// Where fetched activity history goes (fact sheet §14): the record formats
// (CSV and JSON lines, schema in the README "Activity record schema"), the
// sink interface history_sync writes to, a file sink with the durability
// the acknowledgement needs, and the resume point's text form.
//
// Why a sink reports durability: `03` lets the band delete what it sent
// (§14.1), so it may be written only once the minutes survive a crash.
// history_sync calls write(), then durable(), then stores the resume point,
// and only then lets the fetch acknowledge. A sink that cannot promise that
// (a pipe, a terminal) says so with persistent() == false: nothing is then
// acknowledged and no resume point is stored.
#pragma once

#include <chrono>
#include <cstdio>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "common/asio.hpp"
#include "miband/history.hpp"

namespace bandwire::miband {

enum class history_format { csv, jsonl };

/// How a minute's wall time is shown: the UTC offset at an instant (the
/// host's zone by default, DST included; tests inject one).
using utc_offset_fn = std::function<std::chrono::minutes(std::chrono::sys_seconds)>;

/// The CSV header line (with '\n'): `time,unix,kind,category,intensity,steps,hr`.
const char* history_csv_header() noexcept;
/// One record as a line (with '\n'). `offset` is the UTC offset for the
/// `time` column. hr is empty (CSV) or null (JSON) when not measured.
std::string format_minute(const minute_record& r, history_format f, std::chrono::minutes offset);
/// The same, appended to `out`.
void append_minute(std::string& out, const minute_record& r, history_format f, std::chrono::minutes offset);

/// The `unix` field of a line written by format_minute (either format,
/// without its '\n'). Empty for the CSV header, anything else, or a value
/// out of range. Bounds-checked: it reads untrusted files (fuzz/history_file.cpp).
std::optional<std::chrono::sys_seconds> parse_minute_line(std::string_view line);
/// True when `line` is the CSV header.
bool is_history_csv_header(std::string_view line) noexcept;

/// The resume point file: "bandwire-history-resume 1\n<unix seconds>\n".
/// The value is the first minute NOT yet durably written.
std::string format_resume_point(std::chrono::sys_seconds next);
std::optional<std::chrono::sys_seconds> parse_resume_point(std::string_view text);

/// A start time as a user gives it (`--since`): ISO 8601 `2018-03-20`,
/// `2018-03-20T10:00`, `…:SS`, with `Z` or `±HH:MM` (else the local time of
/// the zone `offset` gives, the host's by default), or relative to `now`:
/// `-Nd`, `-Nh`, `-Nm` (days, hours, minutes back). Empty when malformed.
std::optional<std::chrono::sys_seconds> parse_since(std::string_view text, std::chrono::sys_seconds now,
                                                    const utc_offset_fn& offset = {});

/// What history_sync writes to.
class history_sink {
 public:
  virtual ~history_sink() = default;
  /// Appends one round's records (in time order).
  virtual error_code write(std::span<const minute_record> records) = 0;
  /// Makes what was written survive a crash (fsync for a file).
  virtual error_code durable() = 0;
  /// Whether durable() reaches stable storage. False: the fetch never
  /// acknowledges and no resume point is stored.
  virtual bool persistent() const noexcept = 0;
  /// The last minute already in the output, when the sink can tell: the
  /// fetch starts after it, so appending never repeats a minute.
  virtual std::optional<std::chrono::sys_seconds> last_minute() const { return std::nullopt; }
};

/// Appends to a regular file. open() cuts a torn last line (a run killed
/// mid-write), checks the file holds this format, and remembers its last
/// minute; write() appends, durable() fsyncs.
class history_file_sink final : public history_sink {
 public:
  explicit history_file_sink(history_format f, utc_offset_fn offset = {}) : format_(f), offset_(std::move(offset)) {}
  ~history_file_sink() override;
  history_file_sink(const history_file_sink&) = delete;
  history_file_sink& operator=(const history_file_sink&) = delete;

  /// Opens (creating, mode 0644) `path`. Errors, with `message` set:
  /// not a regular file, unreadable, or holding something else than this
  /// format's records.
  error_code open(const std::string& path, std::string& message);
  error_code write(std::span<const minute_record> records) override;
  error_code durable() override;
  bool persistent() const noexcept override { return true; }
  std::optional<std::chrono::sys_seconds> last_minute() const override { return last_; }
  /// Bytes cut from a torn last line at open().
  std::size_t cut_bytes() const noexcept { return cut_; }

 private:
  history_format format_;
  utc_offset_fn offset_;
  int fd_ = -1;
  std::optional<std::chrono::sys_seconds> last_;
  std::size_t cut_ = 0;
};

/// Writes to a stdio stream (a pipe, a terminal), flushed per record. Not
/// persistent: the band keeps its data.
class history_stream_sink final : public history_sink {
 public:
  history_stream_sink(std::FILE* out, history_format f, utc_offset_fn offset = {});
  error_code write(std::span<const minute_record> records) override;
  error_code durable() override;
  bool persistent() const noexcept override { return false; }

 private:
  std::FILE* out_;
  history_format format_;
  utc_offset_fn offset_;
  bool header_due_;
};

}  // namespace bandwire::miband
