#include "record/adapter_queue.hpp"

namespace bandwire::record {

namespace {
struct entry {
  unique_function<void(adapter_queue::turn)> go;
};
}  // namespace

struct adapter_queue::state : std::enable_shared_from_this<adapter_queue::state> {
  explicit state(asio::any_io_executor e) : ex(std::move(e)) {}
  struct line {
    bool busy = false;
    std::deque<std::weak_ptr<entry>> waiting;
  };
  asio::any_io_executor ex;
  std::map<std::string, line> lines;

  void pump(const std::string& adapter) {
    auto& l = lines[adapter];
    while (!l.busy && !l.waiting.empty()) {
      auto e = l.waiting.front().lock();
      l.waiting.pop_front();
      if (!e) continue;  // left the queue
      l.busy = true;
      asio::post(ex, [w = std::weak_ptr<entry>(e), t = turn(weak_from_this(), adapter)]() mutable {
        auto live = w.lock();
        if (!live || !live->go) return;  // left after being picked: `t` gives the turn back
        auto go = std::move(live->go);
        go(std::move(t));
      });
    }
  }
};

void adapter_queue::turn::reset() {
  auto s = s_.lock();
  s_.reset();
  if (!s) return;
  s->lines[adapter_].busy = false;
  // The next holder starts from a fresh handler, never inside this one.
  asio::post(s->ex, [w = std::weak_ptr<state>(s), a = adapter_] {
    if (auto st = w.lock()) st->pump(a);
  });
}

adapter_queue::adapter_queue(asio::any_io_executor ex) : s_(std::make_shared<state>(std::move(ex))) {}

adapter_queue::~adapter_queue() = default;

std::shared_ptr<void> adapter_queue::enqueue(const std::string& adapter, unique_function<void(turn)> go) {
  auto e = std::make_shared<entry>();
  e->go = std::move(go);
  s_->lines[adapter].waiting.push_back(e);
  s_->pump(adapter);
  return e;
}

std::size_t adapter_queue::waiting(const std::string& adapter) const {
  auto it = s_->lines.find(adapter);
  if (it == s_->lines.end()) return 0;
  std::size_t n = 0;
  for (const auto& w : it->second.waiting) n += w.expired() ? 0 : 1;
  return n;
}

bool adapter_queue::busy(const std::string& adapter) const {
  auto it = s_->lines.find(adapter);
  return it != s_->lines.end() && it->second.busy;
}

}  // namespace bandwire::record
