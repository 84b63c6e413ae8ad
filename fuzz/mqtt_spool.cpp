// libFuzzer target for the MQTT spool file (record/mqtt_spool.hpp), which a
// crash or a user may have damaged: any bytes are a spool or not, never a
// crash; what it yields is ordered and fits in what was read.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "record/mqtt_spool.hpp"

using namespace bandwire::record;

namespace {
void check(bool ok) {
  if (!ok) std::abort();
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto c = parse_spool(text);
  if (!c) return 0;
  check(c->valid_bytes <= size);
  check(c->valid_bytes == size || text[c->valid_bytes - 1] == '\n');
  std::uint64_t prev = 0, bytes = 0;
  for (const auto& e : c->entries) {
    check(e.seq > prev && e.seq < c->next_seq);
    prev = e.seq;
    check(!e.topic.empty() && e.topic.find(' ') == std::string::npos);
    const auto line = spool_line(e);
    bytes += line.size();
    // A line written back parses to the same entry.
    auto again = parse_spool("bandwire-mqtt-spool 1\n" + line);
    check(again && again->entries.size() == 1 && again->entries[0] == e && again->bad_lines == 0);
  }
  check(bytes <= size);
  return 0;
}
