// Reading a btsnoop capture from a file descriptor in fixed-size chunks, so
// that memory does not grow with the file (`bandwire decode` of a capture
// of any size). Records are decoded by hci/btsnoop.hpp's pure functions and
// report the same errors as btsnoop_reader over the whole file in memory:
// a file is read the same way whatever its size or the chunk size.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include <boost/system/error_code.hpp>

#include "hci/btsnoop.hpp"

namespace bandwire::hci {

class btsnoop_file_reader {
 public:
  /// Reads `fd` (owned by the caller, left open) from where it stands.
  /// `chunk`: bytes read at a time (at least 64); the buffer grows beyond it
  /// only for a record longer than a chunk that the file really holds.
  explicit btsnoop_file_reader(int fd, std::size_t chunk = 256 * 1024);

  /// The header's error, the one that stopped next(), or a read error
  /// (read_failed() then true); empty at a clean end.
  boost::system::error_code error() const noexcept { return ec_; }
  bool read_failed() const noexcept { return read_failed_; }
  const btsnoop_header& header() const noexcept { return header_; }
  /// The next record; its data is valid until the next call. False at the
  /// end of the file or on an error; after that it keeps returning false.
  bool next(btsnoop_record& out);
  /// Records returned so far.
  std::size_t records() const noexcept { return records_; }
  /// Starts again from the file's first byte (a second pass). False when
  /// the descriptor cannot seek (a pipe).
  bool rewind();

 private:
  void start();
  /// Reads until `want` bytes are buffered or the file ends; false on a read error.
  bool fill(std::size_t want);
  std::size_t buffered() const noexcept { return end_ - pos_; }

  int fd_;
  std::size_t chunk_;
  std::vector<std::uint8_t> buf_;
  std::size_t pos_ = 0, end_ = 0;
  bool eof_ = false, read_failed_ = false;
  std::optional<std::uint64_t> left_in_file_;  // bytes not read yet, for a regular file
  btsnoop_header header_;
  boost::system::error_code ec_;
  std::size_t records_ = 0;
};

}  // namespace bandwire::hci
