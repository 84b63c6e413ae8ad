#include "common/clock.hpp"

#include "common/timer.hpp"

namespace bandwire {

scaled_clock::duration scaled_clock::elapsed() const noexcept {
  if (virtual_) return virtual_->now();
  return std::chrono::duration_cast<duration>((std::chrono::steady_clock::now() - origin_) * speed_);
}

double scaled_clock::wall() const noexcept {
  if (virtual_) return virtual_->epoch_wall() + std::chrono::duration<double>(virtual_->now()).count();
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

double scaled_clock::mono() const noexcept {
  if (virtual_) return std::chrono::duration<double>(virtual_->now()).count();
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

}  // namespace bandwire
