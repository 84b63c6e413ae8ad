// libFuzzer target: the GATT cache file parser (miband/state_store.hpp,
// versions 1 and 2). Whatever it accepts must serialize to a version 2 text
// that parses back to the same text: a cache bandwire wrote, it reads.
#include <cstdlib>
#include <string>

#include "miband/state_store.hpp"

using namespace bandwire;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  gatt::discovered_database db;
  if (!miband::parse_database(text, db)) return 0;
  const std::string once = miband::serialize_database(db);
  gatt::discovered_database again;
  if (!miband::parse_database(once, again)) std::abort();
  if (miband::serialize_database(again) != once) std::abort();
  return 0;
}
