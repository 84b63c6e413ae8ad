// What the recorder's writers need from a file system, as an interface, so
// a test can make any write fail (a full disk, a dead card) without filling
// a real disk: posix_file_system is the real one.
//
// The guarantees the writers build on (README "Unattended recording"): an
// append goes to the kernel in one write(2) per record (flushed per record;
// a killed process loses nothing written), sync() is fsync(2), and
// replace() is atomic and durable (temporary file, fsync, rename, fsync of
// the directory), so a crash leaves the old or the new content.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/asio.hpp"

namespace bandwire::record {

/// A file open for appending.
class append_file {
 public:
  virtual ~append_file() = default;
  /// Appends all of `data` or fails; a failed append may have written part.
  virtual error_code append(std::string_view data) = 0;
  virtual error_code sync() = 0;
  /// Cuts the file to `size` bytes (to take back a partial append).
  virtual error_code truncate(std::uint64_t size) = 0;
  virtual std::uint64_t size() const = 0;
};

class file_system {
 public:
  virtual ~file_system() = default;
  /// Opens `path` for appending, creating it (mode 0644).
  virtual std::unique_ptr<append_file> open_append(const std::string& path, error_code& ec) = 0;
  /// Creates `dir` and its parents (mode 0755).
  virtual error_code make_dirs(const std::string& dir) = 0;
  /// The names (not paths) of the regular files in `dir`.
  virtual std::vector<std::string> list(const std::string& dir) = 0;
  /// Up to `max` bytes from the end of `path`, and its size.
  virtual error_code read_tail(const std::string& path, std::size_t max, std::string& out, std::uint64_t& size) = 0;
  /// The whole of a small file (at most 64 KiB); nullopt when absent.
  virtual std::optional<std::string> read_small(const std::string& path) = 0;
  /// Replaces `path` with `content` atomically and durably.
  virtual error_code replace(const std::string& path, std::string_view content) = 0;
  /// fsync of a directory, so a new file's name survives a crash.
  virtual error_code sync_dir(const std::string& dir) = 0;
};

/// The real file system (POSIX calls).
class posix_file_system final : public file_system {
 public:
  std::unique_ptr<append_file> open_append(const std::string& path, error_code& ec) override;
  error_code make_dirs(const std::string& dir) override;
  std::vector<std::string> list(const std::string& dir) override;
  error_code read_tail(const std::string& path, std::size_t max, std::string& out, std::uint64_t& size) override;
  std::optional<std::string> read_small(const std::string& path) override;
  error_code replace(const std::string& path, std::string_view content) override;
  error_code sync_dir(const std::string& dir) override;
};

}  // namespace bandwire::record
