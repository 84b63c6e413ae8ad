// libFuzzer target for what the recorder reads back from its own files after
// a restart (record/records.hpp, record/rotating_writer.hpp): a line's
// counter `n` and a file name. Besides "never crash": a counter parsed from a
// line is the one a line written with it carries, and a parsed file name
// formats back to itself.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "record/rotating_writer.hpp"

using namespace bandwire::record;

namespace {
void check(bool ok) {
  if (!ok) std::abort();
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  for (auto f : {file_format::jsonl, file_format::csv}) {
    if (auto n = parse_counter(text, f)) {
      live_record r;
      r.kind = record_kind::gaps;
      r.n = *n;
      std::string line;
      append_line(line, r, f);
      line.pop_back();
      check(parse_counter(line, f) == n);
    }
    for (auto k : all_kinds) {
      if (auto p = parse_file_name(text, k, f)) check(make_file_name(*p, k, f) == text);
    }
  }
  return 0;
}
