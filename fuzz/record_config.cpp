// libFuzzer target for `bandwire record --config FILE` (record/config.hpp):
// any text is a config or a one-line error, never a crash; a parsed config
// never holds what the parser must refuse.
#include <cstdint>
#include <cstdlib>
#include <set>
#include <string_view>

#include "record/config.hpp"

using namespace bandwire::record;

namespace {
void check(bool ok) {
  if (!ok) std::abort();
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  std::string error;
  auto c = parse_config(text, error);
  check(c.has_value() == error.empty());
  if (!c) return 0;
  check(!c->output.empty() && !c->bands.empty());
  std::set<std::string> aliases;
  for (const auto& b : c->bands) {
    check(aliases.insert(b.alias).second);
    check(!b.alias.empty() && b.alias.size() <= 32 && b.alias.find('/') == std::string::npos);
    check(b.rate_hz >= 1 && b.rate_hz <= 100);
  }
  if (c->mqtt) {  // [mqtt]: a valid broker, prefixes safe in topics and in the spool's lines
    check(!c->mqtt->host.empty() && c->mqtt->port >= 1);
    check(valid_topic_prefix(c->mqtt->topic_prefix) && valid_topic_prefix(c->mqtt->discovery_prefix));
    check(valid_client_id(c->mqtt->client_id));
    check(c->mqtt->spool_bytes >= 1000);
    check(c->mqtt->password_file.empty() || !c->mqtt->username.empty());
  }
  return 0;
}
