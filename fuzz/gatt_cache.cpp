// libFuzzer target: the GATT cache file parser (miband/state_store.hpp,
// versions 1 and 2). The first byte picks the version line (odd: 1, even:
// 2), so the fuzzer spends its time on the lines after it. Whatever the
// parser accepts must serialize to a version 2 text that parses back to
// the same text: a cache bandwire wrote, it reads.
#include <cstdlib>
#include <string>

#include "miband/state_store.hpp"

using namespace bandwire;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  std::string text = (data[0] & 1) ? "bandwire-gatt-cache 1\n" : "bandwire-gatt-cache 2\n";
  text.append(reinterpret_cast<const char*>(data + 1), size - 1);
  gatt::discovered_database db;
  if (!miband::parse_database(text, db)) return 0;
  const std::string once = miband::serialize_database(db);
  gatt::discovered_database again;
  if (!miband::parse_database(once, again)) std::abort();
  if (miband::serialize_database(again) != once) std::abort();
  return 0;
}
