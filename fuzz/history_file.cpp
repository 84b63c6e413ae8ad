// libFuzzer target for what `bandwire activity` reads from disk and from
// the user: a history line (the output file's last line), the resume point
// file, and --since. Besides "never crash": a parsed line's minute formats
// back to a line that parses to the same minute, and a parsed resume point
// round-trips through its text form.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "miband/history_sink.hpp"

using namespace bandwire::miband;
namespace chr = std::chrono;

namespace {
void check(bool ok) {
  if (!ok) std::abort();
}
chr::minutes fixed(chr::sys_seconds) { return chr::minutes{90}; }
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  if (auto t = parse_minute_line(text)) {
    for (auto f : {history_format::csv, history_format::jsonl}) {
      minute_record r;
      r.time = *t;
      auto line = format_minute(r, f, chr::minutes{-330});
      line.pop_back();
      check(parse_minute_line(line) == t);
    }
  }
  if (auto t = parse_resume_point(text)) check(parse_resume_point(format_resume_point(*t)) == t);
  const chr::sys_seconds now{chr::seconds{1'521'540'480}};
  (void)parse_since(text, now);
  (void)parse_since(text, now, fixed);
  (void)is_history_csv_header(text);
  return 0;
}
