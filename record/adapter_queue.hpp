// Connection attempts, one at a time per adapter.
//
// A controller connecting to one peer cannot initiate another connection
// until that attempt ends (Core Vol 6 Part B §4.5: one initiator state; the
// kernel queues further LE connects behind it, README "Unattended recording"
// has the numbers), so a band out of range would hold everybody's attempts
// behind its connect timeout. The recorder therefore takes turns: a band
// asks for the adapter, connects and authenticates, and gives the turn back
// (success or failure, each bounded by a timeout); once connected, links are
// kept concurrently. A band out of range costs the others at most one
// connect timeout per its own back-off period, never a stall.
#pragma once

#include <cstddef>
#include <deque>
#include <map>
#include <memory>
#include <string>

#include "common/asio.hpp"
#include "common/unique_function.hpp"

namespace bandwire::record {

class adapter_queue {
  struct state;

 public:
  /// The adapter is this holder's until it is destroyed or reset.
  class turn {
   public:
    turn() = default;
    turn(std::weak_ptr<state> s, std::string adapter) : s_(std::move(s)), adapter_(std::move(adapter)) {}
    turn(turn&&) noexcept = default;
    turn& operator=(turn&& o) noexcept {
      if (this != &o) {
        reset();
        s_ = std::move(o.s_);
        adapter_ = std::move(o.adapter_);
      }
      return *this;
    }
    turn(const turn&) = delete;
    turn& operator=(const turn&) = delete;
    ~turn() { reset(); }
    void reset();
    explicit operator bool() const noexcept { return !s_.expired(); }

   private:
    std::weak_ptr<state> s_;
    std::string adapter_;
  };

  explicit adapter_queue(asio::any_io_executor ex);
  ~adapter_queue();
  adapter_queue(const adapter_queue&) = delete;
  adapter_queue& operator=(const adapter_queue&) = delete;

  /// Queues for `adapter`: `go` runs (posted, never inline) with the turn
  /// once every earlier holder gave it back. Destroying the returned handle
  /// first leaves the queue (and gives back a turn handed but not yet run).
  [[nodiscard]] std::shared_ptr<void> enqueue(const std::string& adapter, unique_function<void(turn)> go);

  /// Attempts waiting for `adapter` (for status lines and tests).
  std::size_t waiting(const std::string& adapter) const;
  bool busy(const std::string& adapter) const;

 private:
  std::shared_ptr<state> s_;
};

}  // namespace bandwire::record
