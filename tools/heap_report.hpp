// The heap measurement behind the README's Raspberry Pi numbers ("Raspberry
// Pi / ARM"). Under qemu-user the process's RSS includes the emulator's own
// memory, so the program measures itself: with BANDWIRE_HEAP_REPORT=FILE in
// the environment, glibc is told to keep every page of heap it obtains (no
// trimming, no separately mmap'd blocks), which makes the main arena's size
// at exit the heap's high-water mark; it is written to FILE as
//   heap_peak_bytes N
//   heap_in_use_at_exit_bytes N
// Without the variable nothing changes. Not on non-glibc targets.
#pragma once

namespace bandwire::tools {

/// Lives for the whole of main(): sets glibc up in the constructor, reports
/// in the destructor.
class heap_report {
 public:
  heap_report() noexcept;
  ~heap_report();
  heap_report(const heap_report&) = delete;
  heap_report& operator=(const heap_report&) = delete;

 private:
  const char* path_ = nullptr;
};

}  // namespace bandwire::tools
