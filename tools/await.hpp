// Awaiting bandwire's callback-style operations from C++20 coroutines.
// The callback is re-posted so the coroutine never resumes inside the
// library's own call stack.
#pragma once

#include <functional>
#include <utility>

#include <boost/asio/redirect_error.hpp>

#include "common/asio.hpp"
#include "common/unique_function.hpp"

namespace bandwire::tools {

inline asio::awaitable<error_code> await_done(std::function<void(unique_function<void(error_code)>)> start) {
  error_code ec;
  auto ex = co_await asio::this_coro::executor;
  auto tok = asio::redirect_error(asio::use_awaitable, ec);
  co_await asio::async_initiate<decltype(tok), void(error_code)>(
      [&](auto h) {
        start([h = std::move(h), ex](error_code e) mutable {
          asio::post(ex, [h = std::move(h), e]() mutable { h(e); });
        });
      },
      tok);
  co_return ec;
}

template <class T>
asio::awaitable<std::pair<error_code, T>> await_value(std::function<void(unique_function<void(error_code, T)>)> start) {
  error_code ec;
  auto ex = co_await asio::this_coro::executor;
  auto tok = asio::redirect_error(asio::use_awaitable, ec);
  T v = co_await asio::async_initiate<decltype(tok), void(error_code, T)>(
      [&](auto h) {
        start([h = std::move(h), ex](error_code e, T val) mutable {
          asio::post(ex, [h = std::move(h), e, val = std::move(val)]() mutable { h(e, std::move(val)); });
        });
      },
      tok);
  co_return std::pair<error_code, T>{ec, std::move(v)};
}

}  // namespace bandwire::tools
