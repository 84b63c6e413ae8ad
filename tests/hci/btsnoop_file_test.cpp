// hci::btsnoop_file_reader reads a capture in chunks and must give exactly
// what btsnoop_reader gives over the whole file in memory: the same
// records, the same error at the same place, for every chunk size, every
// cut of a file, and lengths that claim more than the file holds; and the
// same again after rewind().
#include "hci/btsnoop_file.hpp"

#include <doctest/doctest.h>

#include <sys/mman.h>
#include <unistd.h>

#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "tests/support/decode_corpus.hpp"
#include "tests/support/shared_dir.hpp"

using namespace bandwire;
using bytes = std::vector<std::uint8_t>;

namespace {

struct seen {
  std::vector<std::string> records;  // flags, lengths, time and data of each
  boost::system::error_code ec;
  bool operator==(const seen&) const = default;
};

std::string row(const hci::btsnoop_record& r) {
  return std::to_string(r.flags) + "/" + std::to_string(r.original_length) + "/" + std::to_string(r.drops) + "/" +
         std::to_string(r.timestamp) + "/" + to_hex(r.data);
}

seen in_memory(const bytes& file) {
  seen s;
  hci::btsnoop_reader r(file);
  hci::btsnoop_record rec;
  while (r.next(rec)) s.records.push_back(row(rec));
  s.ec = r.error();
  return s;
}

seen from_reader(hci::btsnoop_file_reader& r) {
  seen s;
  hci::btsnoop_record rec;
  while (r.next(rec)) s.records.push_back(row(rec));
  s.ec = r.error();
  CHECK_FALSE(r.read_failed());
  CHECK(r.records() == s.records.size());
  return s;
}

// The file as a memory file descriptor (a regular, seekable file).
int as_fd(const bytes& file) {
  const int fd = ::memfd_create("capture", MFD_CLOEXEC);
  REQUIRE(fd >= 0);
  REQUIRE(::write(fd, file.data(), file.size()) == static_cast<ssize_t>(file.size()));
  REQUIRE(::lseek(fd, 0, SEEK_SET) == 0);
  return fd;
}

void same_as_memory(const bytes& file, std::size_t chunk) {
  CAPTURE(chunk);
  CAPTURE(file.size());
  const seen want = in_memory(file);
  const int fd = as_fd(file);
  hci::btsnoop_file_reader r(fd, chunk);
  CHECK(from_reader(r) == want);
  REQUIRE(r.rewind());
  CHECK(from_reader(r) == want);
  ::close(fd);
}

}  // namespace

TEST_CASE("btsnoop file reader: the synthetic captures, every chunk size, equal to the in-memory reader") {
  for (const auto& file : {test::decode_corpus_h4(600), test::decode_corpus_monitor(300)})
    for (std::size_t chunk : {64, 65, 100, 1000, 4096, 1 << 18}) same_as_memory(file, chunk);
}

TEST_CASE("btsnoop file reader: every cut of a capture ends as the in-memory reader ends") {
  const bytes file = test::decode_corpus_h4(40);
  REQUIRE(file.size() > 1000);
  for (std::size_t n = 0; n <= file.size(); ++n) {
    const bytes cut(file.begin(), file.begin() + static_cast<std::ptrdiff_t>(n));
    same_as_memory(cut, 64);
  }
}

TEST_CASE("btsnoop file reader: lengths beyond the file, records longer than a chunk, a pipe") {
  bytes file;
  hci::write_btsnoop_header(file);
  hci::btsnoop_record r;
  const bytes big(5000, 0xab);  // longer than the 64-byte chunk: the buffer grows to hold it
  r.original_length = 5000;
  r.data = big;
  REQUIRE_FALSE(hci::write_btsnoop_record(file, r));
  same_as_memory(file, 64);
  // A record header claiming 4 GiB: truncated_record, and no 4 GiB buffer.
  bytes huge = file;
  const std::uint8_t header[24] = {0xff, 0xff, 0xff, 0xf0, 0xff, 0xff, 0xff, 0xf0};
  huge.insert(huge.end(), header, header + 24);
  huge.resize(huge.size() + 100, 0x11);
  same_as_memory(huge, 64);
  CHECK(in_memory(huge).ec == hci::errc::truncated_record);
  // Included longer than original: invalid_record_length, as in memory.
  bytes bad = file;
  const std::uint8_t header2[24] = {0, 0, 0, 1, 0, 0, 0, 2};
  bad.insert(bad.end(), header2, header2 + 24);
  bad.push_back(0x01), bad.push_back(0x02);
  same_as_memory(bad, 64);
  CHECK(in_memory(bad).ec == hci::errc::invalid_record_length);

  // A pipe reads the same, once (it cannot rewind).
  int p[2];
  REQUIRE(::pipe(p) == 0);
  const bytes small = test::decode_corpus_h4(30);
  REQUIRE(small.size() < 60000);  // fits the pipe's buffer: written before reading
  REQUIRE(::write(p[1], small.data(), small.size()) == static_cast<ssize_t>(small.size()));
  ::close(p[1]);
  hci::btsnoop_file_reader pr(p[0], 100);
  CHECK(from_reader(pr) == in_memory(small));
  CHECK_FALSE(pr.rewind());
  ::close(p[0]);
}

TEST_CASE("btsnoop file reader: CAP-A in chunks equals CAP-A in memory") {
  const std::string path = test::shared_file("captures/miband2-official-app-session.btsnoop");
  if (path.empty()) return;
  std::ifstream f(path, std::ios::binary);
  const bytes file((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  same_as_memory(file, 4096);
}
