// `bandwire sim --replay FILE`: the raw sensor and heart-rate notifications
// recorded in a btsnoop capture, for the virtual band to stream.
#include <cstdio>

#include "miband/replay.hpp"
#include "miband/virtual_band.hpp"
#include "tools/commands.hpp"

namespace bandwire::tools {

int load_replay_file(const std::string& path, miband::sim_options& so) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) {
    std::fprintf(stderr, "bandwire sim: cannot read %s\n", path.c_str());
    return exit_usage;
  }
  std::vector<std::uint8_t> bytes;
  std::uint8_t buf[65536];
  for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, f)) > 0;) bytes.insert(bytes.end(), buf, buf + n);
  std::fclose(f);
  auto rec = std::make_shared<std::vector<miband::recorded_notification>>();
  if (error_code ec = miband::load_replay(bytes, *rec)) {
    std::fprintf(stderr, "bandwire sim: %s: %s\n", path.c_str(), ec.message().c_str());
    return exit_usage;
  }
  if (rec->empty()) {
    std::fprintf(stderr, "bandwire sim: %s holds no raw sensor or heart-rate notifications\n", path.c_str());
    return exit_usage;
  }
  std::fprintf(stderr, "bandwire sim: replaying %zu notifications from %s\n", rec->size(), path.c_str());
  so.replay = std::move(rec);
  return -1;
}

}  // namespace bandwire::tools
