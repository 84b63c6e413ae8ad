// libFuzzer target: hci::btsnoop_file_reader against btsnoop_reader. The
// first byte picks the chunk size; the rest is the file. Reading it in
// chunks from a file descriptor must give the same records and the same
// error as reading it whole from memory, and again after rewind().
#include <sys/mman.h>
#include <unistd.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "hci/btsnoop_file.hpp"

using namespace bandwire;

namespace {
std::string key(const hci::btsnoop_record& r) {
  return std::to_string(r.flags) + "/" + std::to_string(r.original_length) + "/" + std::to_string(r.timestamp) + "/" +
         to_hex(r.data);
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const std::size_t chunk = 64 + data[0] * 7u;
  const bytes_view file(data + 1, size - 1);
  std::vector<std::string> want;
  hci::btsnoop_reader mem(file);
  hci::btsnoop_record rec;
  while (mem.next(rec)) want.push_back(key(rec));
  const int fd = ::memfd_create("fuzz", MFD_CLOEXEC);
  if (fd < 0) return 0;
  if (!file.empty() && ::write(fd, file.data(), file.size()) != static_cast<ssize_t>(file.size())) std::abort();
  ::lseek(fd, 0, SEEK_SET);
  hci::btsnoop_file_reader r(fd, chunk);
  for (int pass = 0; pass < 2; ++pass) {
    std::vector<std::string> got;
    while (r.next(rec)) got.push_back(key(rec));
    if (got != want || r.error() != mem.error() || r.read_failed()) std::abort();
    if (!r.rewind()) std::abort();
  }
  ::close(fd);
  return 0;
}
