#include "tools/clocks.hpp"

#include <ctime>

namespace bandwire::tools {

double now_wall() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

std::chrono::minutes local_utc_offset() {
  const std::time_t t = std::time(nullptr);
  std::tm local{};
  ::localtime_r(&t, &local);
  return std::chrono::duration_cast<std::chrono::minutes>(std::chrono::seconds(local.tm_gmtoff));
}

std::chrono::steady_clock::duration from_seconds(double seconds) {
  return std::chrono::duration_cast<std::chrono::steady_clock::duration>(
      std::chrono::microseconds(static_cast<long long>(seconds * 1e6)));
}

}  // namespace bandwire::tools
