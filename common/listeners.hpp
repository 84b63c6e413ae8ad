// RAII registrations: every callback an object hands to another (a value
// listener, a close handler, a tap) is undone by destroying the handle that
// registering it returned (style anchors §10: BlueZ's register → id →
// unregister, as a destructor).
//
// Invariants (tests/common/listeners_test.cpp):
//  * A handle's destructor or reset() unregisters; the callback is not called
//    afterwards, even from an emit() already in progress.
//  * A handle may outlive the list it came from (reset() is then a no-op), and
//    a list may outlive its handles.
//  * Listeners may be added, removed, or the list itself destroyed from inside
//    a callback during emit(): emit() stops at once when the list dies and
//    tells its caller (so the owner knows `this` is gone).
//  * emit() allocates nothing (the notification hot path, issue 2's benchmark).
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <utility>
#include <vector>

namespace bandwire {

namespace detail {
struct slot_state {
  bool live = true;
  virtual ~slot_state() = default;
  virtual void clear() noexcept = 0;  // drops the callback (and what it captured)
};
}  // namespace detail

/// Keeps one registration alive; unregisters when destroyed or reset.
class registration {
 public:
  registration() = default;
  explicit registration(std::shared_ptr<detail::slot_state> s) noexcept : slot_(std::move(s)) {}
  registration(registration&&) noexcept = default;
  registration& operator=(registration&& o) noexcept {
    if (this != &o) {
      reset();
      slot_ = std::move(o.slot_);
    }
    return *this;
  }
  registration(const registration&) = delete;
  registration& operator=(const registration&) = delete;
  ~registration() { reset(); }

  /// Unregisters now. Safe to call twice, or after the list is gone.
  void reset() noexcept {
    if (slot_) {
      slot_->live = false;
      slot_->clear();
      slot_.reset();
    }
  }
  bool active() const noexcept { return slot_ && slot_->live; }

 private:
  std::shared_ptr<detail::slot_state> slot_;
};

/// Detects that an object was destroyed while one of its callbacks ran. The
/// object holds a `life` member; code that calls out does
///   life::guard g(life_); callback(); if (g.dead()) return;
/// No allocation: guards chain through the stack.
class life {
 public:
  life() = default;
  life(const life&) = delete;
  life& operator=(const life&) = delete;
  ~life() {
    for (guard* g = top_; g; g = g->next_) g->dead_ = true;
  }

  class guard {
   public:
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
// The guard unlinks itself in its destructor (or the life dies first).
#pragma GCC diagnostic ignored "-Wdangling-pointer"
#endif
    explicit guard(life& l) noexcept : life_(&l), next_(l.top_) { l.top_ = this; }
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif
    guard(const guard&) = delete;
    guard& operator=(const guard&) = delete;
    ~guard() {
      if (!dead_) life_->top_ = next_;
    }
    bool dead() const noexcept { return dead_; }

   private:
    friend class life;
    life* life_;
    guard* next_;
    bool dead_ = false;
  };

 private:
  guard* top_ = nullptr;
};

/// Any number of listeners of one signature, each registered under a key
/// and held by a registration; emit(key, ...) calls those of that key.
template <class Key, class... Args> class keyed_listener_list {
 public:
  using callback = std::function<void(Args...)>;

  keyed_listener_list() = default;
  keyed_listener_list(const keyed_listener_list&) = delete;
  keyed_listener_list& operator=(const keyed_listener_list&) = delete;
  ~keyed_listener_list() {
    // Destroyed from inside a callback: the outermost emit() keeps the slots
    // (and so the running callbacks' captures) alive until it returns.
    for (frame* f = top_; f; f = f->next) {
      f->dead = true;
      if (!f->next) f->orphans = std::make_unique<std::vector<std::shared_ptr<slot>>>(std::move(slots_));
    }
  }

  /// Registers `cb` for `key`; it stays registered while the handle lives.
  [[nodiscard]] registration add(Key key, callback cb) {
    compact();
    auto s = std::make_shared<slot>(std::move(key), std::move(cb));
    slots_.push_back(s);
    return registration(std::move(s));
  }

  /// Calls every live listener of `key` in registration order. Returns how
  /// many were called, or -1 when a listener destroyed the list (the caller
  /// must then not touch its owner).
  int emit(const Key& key, Args... args) {
    if (slots_.empty()) return 0;  // the common case of a tap nobody set: no frame
    frame f{top_, false, nullptr};
    top_ = &f;
    int called = 0;
    const std::size_t n = slots_.size();  // listeners added now wait for the next emit
    for (std::size_t i = 0; i < n; ++i) {
      slot* s = slots_[i].get();
      if (!s->live || !s->fn || !(s->key == key)) continue;
      ++s->calling;
      ++called;
      s->fn(args...);
      if (f.dead) return -1;
      if (--s->calling == 0 && !s->live) s->fn = nullptr;
    }
    top_ = f.next;
    return called;
  }

  /// Live registrations (for any key).
  std::size_t size() const noexcept {
    std::size_t n = 0;
    for (const auto& s : slots_) n += s->live ? 1 : 0;
    return n;
  }
  bool empty() const noexcept { return size() == 0; }

 private:
  struct slot final : detail::slot_state {
    slot(Key k, callback f) : key(std::move(k)), fn(std::move(f)) {}
    void clear() noexcept override {
      // A slot being called keeps its function until the call returns;
      // `live` is already false, so it is never called again.
      if (calling == 0) fn = nullptr;
    }
    Key key;
    callback fn;
    int calling = 0;
  };
  struct frame {
    frame* next;
    bool dead = false;
    // The slots, when the list died during this emit (allocated only then).
    std::unique_ptr<std::vector<std::shared_ptr<slot>>> orphans;
  };

  // Forgets dead slots; never while an emit() iterates.
  void compact() {
    if (top_) return;
    std::erase_if(slots_, [](const std::shared_ptr<slot>& s) { return !s->live; });
  }

  std::vector<std::shared_ptr<slot>> slots_;
  frame* top_ = nullptr;
};

/// Listeners without a key: every one is called by emit().
template <class... Args> class listener_list {
 public:
  using callback = std::function<void(Args...)>;
  [[nodiscard]] registration add(callback cb) { return list_.add(0, std::move(cb)); }
  /// False when a listener destroyed the list (and so, usually, its owner).
  bool emit(Args... args) { return list_.emit(0, args...) >= 0; }
  std::size_t size() const noexcept { return list_.size(); }
  bool empty() const noexcept { return list_.empty(); }

 private:
  keyed_listener_list<int, Args...> list_;
};

}  // namespace bandwire
