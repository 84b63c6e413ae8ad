#include "common/timer.hpp"

namespace bandwire {

virtual_time::id virtual_time::schedule(duration at, unique_function<void(error_code)> fire) {
  const id i = next_id_++;
  entries_.emplace(std::make_pair(at < now_ ? now_ : at, i), std::move(fire));
  return i;
}

unique_function<void(error_code)> virtual_time::take(id i) {
  for (auto it = entries_.begin(); it != entries_.end(); ++it)
    if (it->first.second == i) {
      auto f = std::move(it->second);
      entries_.erase(it);
      return f;
    }
  return nullptr;
}

std::size_t virtual_time::settle(asio::io_context& io) {
  std::size_t total = 0;
  for (;;) {
    if (io.stopped()) io.restart();
    // poll() also runs the reactor, so data one side wrote is read by the
    // other before time moves on.
    const std::size_t n = io.poll();
    total += n;
    if (n == 0) return total;
  }
}

bool virtual_time::fire_next(duration limit) {
  if (entries_.empty() || entries_.begin()->first.first > limit) return false;
  auto it = entries_.begin();
  now_ = it->first.first;
  auto f = std::move(it->second);
  entries_.erase(it);
  f(error_code{});  // posts the handler; it runs at the next settle()
  return true;
}

std::size_t virtual_time::run_for(asio::io_context& io, duration d) {
  const duration end = now_ + d;
  std::size_t total = settle(io);
  while (fire_next(end)) total += settle(io);
  now_ = end;
  return total + settle(io);
}

}  // namespace bandwire
