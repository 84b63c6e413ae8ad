// A move-only std::function for completion handlers (GCC 12's libstdc++ has
// std::move_only_function only in C++23 mode). Asio handlers such as those of
// use_awaitable are move-only, so std::function cannot hold them.
#pragma once

#include <memory>
#include <type_traits>
#include <utility>

namespace bandwire {

template <class Sig> class unique_function;

template <class R, class... Args> class unique_function<R(Args...)> {
 public:
  unique_function() = default;
  unique_function(std::nullptr_t) noexcept {}
  template <class F, class = std::enable_if_t<!std::is_same_v<std::decay_t<F>, unique_function>>>
  unique_function(F&& f) : p_(std::make_unique<impl<std::decay_t<F>>>(std::forward<F>(f))) {}
  unique_function(unique_function&&) noexcept = default;
  unique_function& operator=(unique_function&&) noexcept = default;

  explicit operator bool() const noexcept { return static_cast<bool>(p_); }
  R operator()(Args... args) { return p_->call(std::forward<Args>(args)...); }

 private:
  struct base {
    virtual ~base() = default;
    virtual R call(Args... args) = 0;
  };
  template <class F> struct impl final : base {
    explicit impl(F&& f) : f_(std::move(f)) {}
    explicit impl(const F& f) : f_(f) {}
    R call(Args... args) override { return f_(std::forward<Args>(args)...); }
    F f_;
  };
  std::unique_ptr<base> p_;
};

}  // namespace bandwire
