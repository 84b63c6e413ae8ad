#include "tools/heap_report.hpp"

#include <cstdio>
#include <cstdlib>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace bandwire::tools {

heap_report::heap_report() noexcept {
#if defined(__GLIBC__)
  path_ = std::getenv("BANDWIRE_HEAP_REPORT");
  if (path_ == nullptr || *path_ == '\0') {
    path_ = nullptr;
    return;
  }
  // glibc returns freed memory at the top of the heap to the system once it
  // exceeds the trim threshold, and serves large blocks with their own mmap;
  // either would hide part of the peak from mallinfo2 at exit.
  mallopt(M_TRIM_THRESHOLD, 0x7fffffff);
  mallopt(M_MMAP_MAX, 0);
#endif
}

heap_report::~heap_report() {
#if defined(__GLIBC__)
  if (path_ == nullptr) return;
  const struct mallinfo2 mi = mallinfo2();
  if (std::FILE* f = std::fopen(path_, "w")) {
    // arena: bytes obtained with brk, never given back (above) = the peak.
    std::fprintf(f, "heap_peak_bytes %zu\nheap_in_use_at_exit_bytes %zu\n", mi.arena + mi.hblkhd, mi.uordblks);
    std::fclose(f);
  }
#endif
}

}  // namespace bandwire::tools
