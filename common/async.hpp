// Completion tokens for bandwire's operations: every async_* function is a
// callback-form operation wrapped by initiate(), so it accepts a callback,
// asio::use_future, asio::use_awaitable or any other token, and its handler
// runs on the handler's associated executor (else `ex`), never inline.
//
// pending_ops: the operations an object has in flight, so that cancel() and
// the object's destructor complete each exactly once with operation_aborted
// (Boost 1.74 has no per-operation cancellation slots). Callbacks that run
// after the owner died see op->done() and touch nothing.
#pragma once

#include <memory>
#include <tuple>
#include <utility>
#include <vector>

#include "common/asio.hpp"
#include "common/unique_function.hpp"

namespace bandwire {

template <class Sig, class Token, class Start> auto initiate(asio::any_io_executor ex, Token&& token, Start start) {
  return asio::async_initiate<Token, Sig>(
      [ex, start = std::move(start)](auto handler) mutable {
        auto hex = asio::get_associated_executor(handler, ex);
        start([h = std::move(handler), hex](auto... args) mutable {
          asio::post(hex, [h = std::move(h), ... a = std::move(args)]() mutable { std::move(h)(std::move(a)...); });
        });
      },
      token);
}

/// One operation in flight: completes once, with a result or aborted.
class op_base {
 public:
  virtual ~op_base() = default;
  bool done() const noexcept { return done_; }
  /// Completes with operation_aborted (default values for the rest).
  virtual void abort() = 0;

 protected:
  bool done_ = false;
};

template <class... Results> class op final : public op_base {
 public:
  using handler_type = unique_function<void(error_code, Results...)>;
  op(asio::any_io_executor ex, handler_type h) : ex_(ex), h_(std::move(h)) {}

  /// Posts the handler with these values; later calls do nothing.
  void complete(error_code ec, Results... r) {
    if (done_) return;
    done_ = true;
    asio::post(ex_, [h = std::move(h_), ec, ... r = std::move(r)]() mutable { h(ec, std::move(r)...); });
  }
  void abort() override { complete(asio::error::operation_aborted, Results{}...); }

 private:
  asio::any_io_executor ex_;
  handler_type h_;
};

/// The operations one object has in flight.
class pending_ops {
 public:
  pending_ops() = default;
  pending_ops(const pending_ops&) = delete;
  pending_ops& operator=(const pending_ops&) = delete;
  ~pending_ops() { abort_all(); }

  template <class... Results>
  std::shared_ptr<op<Results...>> make(asio::any_io_executor ex, unique_function<void(error_code, Results...)> h) {
    std::erase_if(ops_, [](const std::shared_ptr<op_base>& o) { return o->done(); });
    auto o = std::make_shared<op<Results...>>(ex, std::move(h));
    ops_.push_back(o);
    return o;
  }
  /// Completes every operation still in flight with operation_aborted.
  void abort_all() {
    auto ops = std::move(ops_);
    ops_.clear();
    for (auto& o : ops) o->abort();
  }
  std::size_t in_flight() const noexcept {
    std::size_t n = 0;
    for (const auto& o : ops_) n += o->done() ? 0 : 1;
    return n;
  }

 private:
  std::vector<std::shared_ptr<op_base>> ops_;
};

}  // namespace bandwire
