// The shared shell of bandwire's two command/event sockets on the io_context:
// the raw HCI channel (hci/hci_channel.hpp, H4 framing, Command Complete) and
// the management channel (hci/mgmt_channel.hpp, mgmt framing). Both send a
// command, wait for the one packet that answers it, and hand every other
// packet to whoever listens; only the framing and the matching differ, and
// those are the `rules` below (pure functions, no I/O).
//
// Invariants (tests/hci/hci_channel_test.cpp, tests/hci/mgmt_channel_test.cpp):
//  * A command that can go out goes out inside the call that queued it (a
//    non-blocking send; the kernel queues these without blocking), so one
//    sent right before the loop stops still reaches the kernel.
//  * One command is in flight at a time, later ones queue in order. Its
//    deadline starts when it is sent; when it passes, the command completes
//    with errc::command_timeout and the next one is sent. A late answer is
//    an ordinary packet for the listeners.
//  * Every command's handler runs exactly once: with the answer, its
//    deadline, a transport error, or operation_aborted after cancel()/close().
//    The public wrappers post it, so it never runs inside the call that
//    submitted it.
//  * The socket is read only while a command waits or a listener is
//    registered, so an idle channel leaves io_context::run() free to return.
//  * The core is held by shared_ptr from every operation in flight: the
//    owning object may be destroyed at any time (its destructor closes the
//    core, which fails what is pending).
//  * Threading: one executor. Operations are started on the io_context's
//    thread (or before it runs); handlers run there.
//  * A listener is registered through a subscription, whose destructor
//    unregisters it; a listener may drop its own (or any) subscription while
//    it is being called.
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <vector>

#include <boost/asio/generic/raw_protocol.hpp>

#include "common/asio.hpp"
#include "common/async.hpp"
#include "common/bytes.hpp"
#include "common/unique_function.hpp"

namespace bandwire::hci {

namespace detail {
class packet_channel;
}

/// Called with every packet no command took (framing removed), or once with
/// an error (and an empty view) when the channel can no longer be read.
using packet_listener = std::function<void(error_code, bytes_view packet)>;

/// A listener registration; its destructor (or reset()) unregisters. Holds
/// the channel weakly: outliving the channel is fine.
class subscription {
 public:
  subscription() = default;
  ~subscription() { reset(); }
  subscription(subscription&& o) noexcept : core_(std::move(o.core_)), id_(o.id_) { o.id_ = 0; }
  subscription& operator=(subscription&& o) noexcept;
  subscription(const subscription&) = delete;
  subscription& operator=(const subscription&) = delete;
  void reset() noexcept;
  /// Registered on a channel that has not been closed.
  bool active() const noexcept;

 private:
  friend class detail::packet_channel;
  subscription(std::weak_ptr<detail::packet_channel> c, std::uint64_t id) : core_(std::move(c)), id_(id) {}
  std::weak_ptr<detail::packet_channel> core_;
  std::uint64_t id_ = 0;
};

namespace detail {

/// What a received packet means for the command in flight.
enum class answer : std::uint8_t {
  other,     ///< not about the command: for the listeners
  progress,  ///< about the command, which goes on waiting (a "pending" status)
  final,     ///< the command's answer: `ec` (status) and `params` are set
};

struct rules {
  /// Prepended to each command (H4 packet indicator), or none.
  bool has_prefix = false;
  std::uint8_t prefix = 0;
  /// The largest packet that can arrive.
  std::size_t max_packet = 1024;
  /// The view listeners and `match` see (framing removed); false drops the
  /// packet (e.g. an H4 packet that is not an event).
  bool (*unwrap)(bytes_view in, bytes_view& out) = nullptr;
  /// Whether `packet` answers `command` (both without framing).
  answer (*match)(bytes_view command, bytes_view packet, error_code& ec, std::vector<std::uint8_t>& params) = nullptr;
};

class packet_channel : public std::enable_shared_from_this<packet_channel> {
 public:
  using protocol = asio::generic::raw_protocol;
  using command_handler = unique_function<void(error_code, std::vector<std::uint8_t>)>;

  packet_channel(asio::io_context& io, const rules& r);
  ~packet_channel();

  asio::any_io_executor get_executor() { return socket_.get_executor(); }
  /// Takes ownership of an open descriptor.
  error_code assign(const protocol& p, int fd);
  bool is_open() const noexcept { return socket_.is_open(); }
  int native_handle() { return socket_.native_handle(); }
  /// Runs before the descriptor closes (restores a socket filter).
  void on_close(std::function<void(int fd)> f) { before_close_ = std::move(f); }

  /// Queues `command` (without framing). The handler may run inside this
  /// call (closed channel); the public wrappers post it.
  void command(std::vector<std::uint8_t> command, std::chrono::steady_clock::duration timeout, command_handler h);
  subscription subscribe(packet_listener l);
  /// Completes every queued and in-flight command with operation_aborted.
  /// Listeners stay registered.
  void cancel();
  /// Listeners called once with operation_aborted and dropped, cancel(),
  /// descriptor closed.
  void close();

 private:
  friend class hci::subscription;
  struct pending {
    std::shared_ptr<const std::vector<std::uint8_t>> packet;  ///< with framing
    std::chrono::steady_clock::duration timeout{};
    command_handler handler;
  };

  void unsubscribe(std::uint64_t id) noexcept;
  bool has_listener(std::uint64_t id) const noexcept;
  bool wanted() const noexcept { return !queue_.empty() || !listeners_.empty(); }
  void update_reading();
  void read();
  void on_packet(bytes_view in);
  void send_front();
  void finish_front(error_code ec, std::vector<std::uint8_t> params);
  void fail_listeners(error_code ec);
  void abort_all(error_code ec);

  rules rules_;
  protocol::socket socket_;
  asio::steady_timer timer_;
  std::deque<pending> queue_;  ///< the front is in flight when sent_
  bool sent_ = false;
  std::uint64_t generation_ = 0;  ///< tells a stale deadline from the current one
  bool reading_ = false;
  std::vector<std::uint8_t> buf_;
  std::vector<std::pair<std::uint64_t, std::shared_ptr<packet_listener>>> listeners_;
  std::uint64_t next_id_ = 1;
  std::function<void(int)> before_close_;
  error_code failed_;  ///< the read error that ended the channel
};

/// The library's one token adapter (common/async.hpp), argument order of hci/.
template <class Sig, class Token, class Executor, class Start>
auto initiate_posted(Token&& token, Executor ex, Start start) {
  return bandwire::initiate<Sig>(asio::any_io_executor(ex), std::forward<Token>(token), std::move(start));
}

}  // namespace detail
}  // namespace bandwire::hci
