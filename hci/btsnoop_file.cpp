#include "hci/btsnoop_file.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace bandwire::hci {

btsnoop_file_reader::btsnoop_file_reader(int fd, std::size_t chunk) : fd_(fd), chunk_(std::max<std::size_t>(chunk, 64)) {
  buf_.resize(chunk_);
  struct stat st {};
  if (::fstat(fd_, &st) == 0 && S_ISREG(st.st_mode)) {
    const off_t at = ::lseek(fd_, 0, SEEK_CUR);
    if (at >= 0 && st.st_size >= at) left_in_file_ = static_cast<std::uint64_t>(st.st_size - at);
  }
  start();
}

void btsnoop_file_reader::start() {
  pos_ = end_ = 0;
  eof_ = false;
  records_ = 0;
  ec_ = {};
  if (!fill(btsnoop_header_size)) return;
  ec_ = decode_btsnoop_header(bytes_view(buf_.data() + pos_, buffered()), header_);
  if (!ec_) pos_ += btsnoop_header_size;
}

bool btsnoop_file_reader::rewind() {
  if (::lseek(fd_, 0, SEEK_SET) != 0) return false;
  struct stat st {};
  if (left_in_file_ && ::fstat(fd_, &st) == 0) left_in_file_ = static_cast<std::uint64_t>(st.st_size);
  read_failed_ = false;
  start();
  return true;
}

bool btsnoop_file_reader::fill(std::size_t want) {
  while (buffered() < want && !eof_) {
    if (end_ == buf_.size()) {
      // Move what is left to the front; grow only when a record needs more
      // than the buffer holds (and only as its bytes arrive).
      std::memmove(buf_.data(), buf_.data() + pos_, buffered());
      end_ -= pos_;
      pos_ = 0;
      if (end_ == buf_.size()) buf_.resize(buf_.size() * 2);
    }
    const ssize_t n = ::read(fd_, buf_.data() + end_, buf_.size() - end_);
    if (n < 0) {
      if (errno == EINTR) continue;
      read_failed_ = true;
      ec_ = boost::system::error_code(errno, boost::system::system_category());
      return false;
    }
    if (n == 0) eof_ = true;
    end_ += static_cast<std::size_t>(n);
    if (left_in_file_) *left_in_file_ -= std::min<std::uint64_t>(*left_in_file_, static_cast<std::uint64_t>(n));
  }
  return true;
}

bool btsnoop_file_reader::next(btsnoop_record& out) {
  if (ec_) return false;
  if (!fill(btsnoop_record_header_size)) return false;
  if (buffered() == 0) return false;  // a clean end after the last record
  if (buffered() >= btsnoop_record_header_size) {
    // Make the whole record present when the file holds it; when it does
    // not, decode_btsnoop_record reports truncated_record, as it would on
    // the whole file.
    const std::uint8_t* p = buf_.data() + pos_;
    const std::uint32_t included = static_cast<std::uint32_t>(p[4]) << 24 | static_cast<std::uint32_t>(p[5]) << 16 |
                                   static_cast<std::uint32_t>(p[6]) << 8 | p[7];
    const std::uint64_t want = std::uint64_t{btsnoop_record_header_size} + included;
    // A length past the end of a regular file is a cut record: nothing to
    // read for it, so a corrupt length never makes the buffer grow.
    const bool fits = left_in_file_ ? want <= buffered() + *left_in_file_ : want <= SIZE_MAX / 2;
    if (fits && !fill(static_cast<std::size_t>(want))) return false;
  }
  std::size_t consumed = 0;
  ec_ = decode_btsnoop_record(bytes_view(buf_.data() + pos_, buffered()), out, consumed);
  if (ec_) return false;
  pos_ += consumed;
  ++records_;
  return true;
}

}  // namespace bandwire::hci
