// The MQTT spool (README "Publishing to MQTT"): every record to publish
// waits here, in the state dir, until the broker has acknowledged it
// (PUBACK), so neither a broker away for hours nor a killed recorder loses
// one. It is bounded: past `limit` bytes the oldest records are dropped and
// counted, and the count is published as a `dropped` record, never silent.
//
// The file `<state_dir>/mqtt-spool` is a log of lines, appended with one
// write(2) each (record/file_system.hpp), so a SIGKILL leaves at most a
// torn last line, which open() cuts:
//
//   bandwire-mqtt-spool 1      the header
//   +SEQ TOPIC PAYLOAD         a record to publish (SEQ grows by one, from 1)
//   -SEQ                       acknowledged (or dropped): gone
//   !N                         N records dropped by an overflow, not yet reported
//   =N                         a `dropped` record for N was acknowledged
//
// The log is rewritten (atomically, file_system::replace) when it is mostly
// dead lines, and at open. A failed append (a full disk) is taken back; the
// spool keeps working in memory and rewrites the whole file at the next
// change, until that works again (its error is in the status line). The
// parser reads a file a crash or a user may have damaged: bounds-checked
// and fuzzed (fuzz/mqtt_spool.cpp).
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "record/file_system.hpp"

namespace bandwire::record {

struct spool_entry {
  std::uint64_t seq = 0;
  std::string topic, payload;
  friend bool operator==(const spool_entry&, const spool_entry&) = default;
};

struct spool_contents {
  std::deque<spool_entry> entries;   ///< in SEQ order
  std::uint64_t pending_dropped = 0;
  std::uint64_t next_seq = 1;
  std::uint64_t valid_bytes = 0;     ///< up to the last complete line
  std::uint64_t bad_lines = 0;       ///< complete lines that are not of the grammar (skipped)
};

/// Parses a spool file. nullopt when it is not a spool (no header line);
/// a torn last line is left out of valid_bytes.
std::optional<spool_contents> parse_spool(std::string_view text);

/// The line of an entry, with its '\n'.
std::string spool_line(const spool_entry& e);

class mqtt_spool {
 public:
  mqtt_spool(file_system& fs, std::string path, std::uint64_t limit_bytes);
  ~mqtt_spool();
  mqtt_spool(const mqtt_spool&) = delete;
  mqtt_spool& operator=(const mqtt_spool&) = delete;

  /// Reads what a previous run left (cutting a torn tail) and rewrites the
  /// file. Fails with `message` when the file is not a spool or cannot be written.
  error_code open(std::string& message);

  /// Adds a record; drops the oldest while the spool is over its limit.
  std::uint64_t push(std::string topic, std::string payload);
  /// The broker acknowledged `seq`; false when it is not here (dropped).
  bool remove(std::uint64_t seq);
  /// Takes back the records of `topic` whose payload's `n` is `from_n` or
  /// more: staged before a kill, never written to their file (record/recorder.hpp
  /// record_sink). Returns how many.
  std::size_t withdraw(const std::string& topic, std::uint64_t from_n);
  /// A `dropped` record for `n` was acknowledged.
  void dropped_reported(std::uint64_t n);

  const std::deque<spool_entry>& entries() const noexcept { return entries_; }
  std::uint64_t pending_dropped() const noexcept { return pending_dropped_; }
  std::uint64_t dropped_total() const noexcept { return dropped_total_; }  ///< by this process
  std::uint64_t bytes() const noexcept { return live_bytes_; }
  std::uint64_t rewrites() const noexcept { return rewrites_; }
  std::uint64_t cut_bytes() const noexcept { return cut_bytes_; }          ///< torn tail cut at open
  /// "" while the file holds everything; else why it does not.
  const std::string& error() const noexcept { return error_; }
  const std::string& path() const noexcept { return path_; }

 private:
  void write(const std::string& lines);
  bool rewrite();

  file_system& fs_;
  std::string path_;
  std::uint64_t limit_;
  std::unique_ptr<append_file> file_;
  std::deque<spool_entry> entries_;
  std::uint64_t next_seq_ = 1, pending_dropped_ = 0, dropped_total_ = 0, live_bytes_ = 0;
  std::uint64_t rewrites_ = 0, cut_bytes_ = 0;
  bool dirty_ = false;
  std::string error_;
};

}  // namespace bandwire::record
