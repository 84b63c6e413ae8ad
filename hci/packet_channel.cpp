#include "hci/packet_channel.hpp"

#include <cerrno>

#include "hci/error.hpp"

namespace bandwire::hci {

subscription& subscription::operator=(subscription&& o) noexcept {
  if (this != &o) {
    reset();
    core_ = std::move(o.core_);
    id_ = o.id_;
    o.id_ = 0;
  }
  return *this;
}

bool subscription::active() const noexcept {
  if (id_ == 0) return false;
  auto c = core_.lock();
  return c && c->has_listener(id_);
}

void subscription::reset() noexcept {
  if (id_ != 0)
    if (auto c = core_.lock()) c->unsubscribe(id_);
  core_.reset();
  id_ = 0;
}

namespace detail {

packet_channel::packet_channel(asio::io_context& io, const rules& r)
    : rules_(r), socket_(io), timer_(io), buf_(r.max_packet) {}

packet_channel::~packet_channel() {
  // Nothing can be pending here: every operation holds a shared_ptr.
  if (socket_.is_open() && before_close_) before_close_(socket_.native_handle());
}

error_code packet_channel::assign(const protocol& p, int fd) {
  error_code ec;
  socket_.assign(p, fd, ec);
  if (!ec) socket_.non_blocking(true, ec);  // send_front's first try must not block
  return ec;
}

void packet_channel::command(std::vector<std::uint8_t> command, std::chrono::steady_clock::duration timeout,
                             command_handler h) {
  if (!socket_.is_open() || failed_) {
    h(failed_ ? failed_ : error_code(asio::error::bad_descriptor), {});
    return;
  }
  auto packet = std::make_shared<std::vector<std::uint8_t>>();
  packet->reserve(command.size() + 1);
  if (rules_.has_prefix) packet->push_back(rules_.prefix);
  packet->insert(packet->end(), command.begin(), command.end());
  queue_.push_back({std::move(packet), timeout, std::move(h)});
  if (!sent_) send_front();
  update_reading();
}

subscription packet_channel::subscribe(packet_listener l) {
  const std::uint64_t id = next_id_++;
  listeners_.emplace_back(id, std::make_shared<packet_listener>(std::move(l)));
  update_reading();
  return subscription(weak_from_this(), id);
}

void packet_channel::unsubscribe(std::uint64_t id) noexcept {
  for (auto it = listeners_.begin(); it != listeners_.end(); ++it)
    if (it->first == id) {
      listeners_.erase(it);
      break;
    }
  update_reading();
}

bool packet_channel::has_listener(std::uint64_t id) const noexcept {
  for (const auto& l : listeners_)
    if (l.first == id) return true;
  return false;
}

void packet_channel::cancel() { abort_all(asio::error::operation_aborted); }

void packet_channel::abort_all(error_code ec) {
  ++generation_;
  timer_.cancel();
  sent_ = false;
  // Handlers may queue new commands; those are not part of this cancel.
  std::deque<pending> failing;
  failing.swap(queue_);
  for (auto& p : failing) p.handler(ec, {});
  update_reading();
}

void packet_channel::close() {
  // Listeners hear the end once (a scan waiting on reports must not wait on).
  fail_listeners(asio::error::operation_aborted);
  listeners_.clear();
  cancel();
  if (socket_.is_open()) {
    if (before_close_) before_close_(socket_.native_handle());
    error_code ignored;
    socket_.close(ignored);
  }
}

void packet_channel::update_reading() {
  if (!socket_.is_open() || failed_) return;
  if (wanted() && !reading_) {
    read();
  } else if (!wanted() && reading_) {
    // An idle channel must not keep the io_context busy; the packet (if any)
    // stays in the kernel's queue.
    error_code ignored;
    socket_.cancel(ignored);
  }
}

void packet_channel::read() {
  reading_ = true;
  socket_.async_receive(asio::buffer(buf_), [self = shared_from_this()](error_code ec, std::size_t n) {
    self->reading_ = false;
    if (ec == asio::error::operation_aborted) {
      self->update_reading();  // cancelled while idle; interest may be back
      return;
    }
    // A seqpacket peer that closed reads as 0 bytes; a raw HCI socket never
    // delivers an empty packet.
    if (!ec && n == 0) ec = asio::error::connection_reset;
    if (ec) {
      self->failed_ = ec;
      self->fail_listeners(ec);
      self->abort_all(ec);
      return;
    }
    self->on_packet(bytes_view(self->buf_.data(), n));
    self->update_reading();
  });
}

void packet_channel::on_packet(bytes_view in) {
  bytes_view packet;
  if (!rules_.unwrap(in, packet)) return;
  if (sent_ && !queue_.empty()) {
    const auto& cmd = *queue_.front().packet;
    bytes_view command(cmd);
    if (rules_.has_prefix) command = command.subspan(1);
    error_code ec;
    std::vector<std::uint8_t> params;
    switch (rules_.match(command, packet, ec, params)) {
      case answer::final: finish_front(ec, std::move(params)); return;
      case answer::progress: return;
      case answer::other: break;
    }
  }
  // A snapshot: listeners may unsubscribe themselves or others meanwhile.
  auto snapshot = listeners_;
  for (auto& [id, l] : snapshot) {
    if (has_listener(id)) (*l)({}, packet);
  }
}

void packet_channel::send_front() {
  if (queue_.empty() || !socket_.is_open()) return;
  sent_ = true;
  const std::uint64_t gen = ++generation_;
  auto packet = queue_.front().packet;
  timer_.expires_after(queue_.front().timeout);
  timer_.async_wait([self = shared_from_this(), gen](error_code ec) {
    if (ec || gen != self->generation_) return;
    self->finish_front(make_error_code(errc::command_timeout), {});
  });
  // The command goes on the wire now, in the submitting call: the kernel
  // queues raw HCI and mgmt commands without blocking, and a command sent
  // just before the loop stops (Remove Advertising at shutdown) still
  // reaches it. Only a full socket buffer waits for the loop.
  error_code ec;
  const std::size_t n = socket_.send(asio::buffer(*packet), 0, ec);
  if (ec != asio::error::would_block) {
    if (!ec && n != packet->size()) ec = asio::error::message_size;
    if (ec) {
      // Completed from the loop, like every other outcome.
      asio::post(socket_.get_executor(), [self = shared_from_this(), gen, ec] {
        if (gen == self->generation_) self->finish_front(ec, {});
      });
    }
    return;
  }
  socket_.async_send(asio::buffer(*packet), [self = shared_from_this(), gen, packet](error_code ec, std::size_t n) {
    if (gen != self->generation_) return;  // finished (or cancelled) meanwhile
    if (!ec && n != packet->size()) ec = asio::error::message_size;
    if (ec) self->finish_front(ec, {});
  });
}

void packet_channel::finish_front(error_code ec, std::vector<std::uint8_t> params) {
  if (queue_.empty()) return;
  ++generation_;
  timer_.cancel();
  sent_ = false;
  auto h = std::move(queue_.front().handler);
  queue_.pop_front();
  send_front();
  h(ec, std::move(params));
  update_reading();
}

void packet_channel::fail_listeners(error_code ec) {
  auto snapshot = listeners_;
  for (auto& [id, l] : snapshot) (*l)(ec, {});
}

}  // namespace detail
}  // namespace bandwire::hci
