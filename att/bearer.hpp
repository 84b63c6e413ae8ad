// The ATT bearer: one ATT channel over a SOCK_SEQPACKET socket (Core 5.4 Vol 3
// Part F §3.3). The same code runs over an L2CAP LE socket (AF_BLUETOOTH,
// fixed CID 4) and over an AF_UNIX socketpair, so every rule below is tested
// without a radio.
//
// Invariants (each has a test in tests/att/bearer_test.cpp):
//  * At most one request is outstanding (§3.3.2); later ones queue in order.
//    Commands, notifications and confirmations are sent at once, never held
//    behind a request.
//  * A request unanswered for 30 s (§3.3.3) closes the bearer with
//    errc::timeout; nothing more is sent or received on it.
//  * Every indication is confirmed (§3.4.7.2), even one nobody listens to.
//  * A response with no request pending is a protocol violation: the bearer
//    closes with errc::unexpected_pdu. A response whose opcode does not answer
//    the pending request fails that request with errc::mismatched_response.
//  * A PDU longer than ATT_MTU is cut to ATT_MTU, as BlueZ's MTU-sized socket
//    read does, and counted in stats().truncated.
//  * On close, every pending and queued operation completes exactly once with
//    the close reason; handlers never run inline from the call that submitted
//    them or from close().
//
// Registrations: on_value, on_close and tap return a `registration`; the
// callback stays registered while that handle lives, and any number may be
// registered. A callback may destroy the bearer; the bearer then stops at
// once (tests/att/bearer_test.cpp "destroyed from a callback").
//
// Threading: a bearer lives on one executor (an io_context run by one thread
// or a strand). All handlers run on it. The bearer must outlive its
// outstanding socket operations only until close() or its destructor, which
// cancel them.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <optional>
#include <vector>

#include "att/pdu.hpp"
#include "att/security.hpp"
#include "common/asio.hpp"
#include "common/clock.hpp"
#include "common/listeners.hpp"
#include "common/timer.hpp"
#include "common/unique_function.hpp"

namespace bandwire::att {

enum class direction : std::uint8_t { sent, received };

struct bearer_stats {
  std::uint64_t truncated = 0;      ///< PDUs longer than ATT_MTU, cut to it
  std::uint64_t malformed = 0;      ///< PDUs from the peer that did not decode
  std::uint64_t notifications = 0;  ///< notification values delivered (incl. multiple-ntf tuples)
  std::uint64_t indications = 0;    ///< indications delivered and confirmed
  std::uint64_t security_retries = 0;
};

class bearer {
 public:
  /// Called with the decoded response (an error_rsp when ec is a peer error).
  /// The PDU's views are valid only during the call.
  using response_handler = unique_function<void(error_code, const pdu&)>;
  /// A notification or indication value; the view is valid only during the call.
  using value_handler = std::function<void(std::uint16_t handle, bytes_view value, bool indication)>;
  /// Server role: answer a request or command; return the response size, 0 for none.
  using request_handler = std::function<std::size_t(bytes_view request, bytes_span response)>;
  using tap_handler = std::function<void(direction, bytes_view pdu)>;
  using close_handler = std::function<void(error_code reason)>;

  struct options {
    /// Our receive MTU: the largest ATT_MTU we offer in an MTU exchange.
    std::uint16_t rx_mtu = 517;
    /// ATT transaction timeout (§3.3.3), in band time.
    std::chrono::steady_clock::duration timeout = std::chrono::seconds(30);
    /// The clock the timeout runs on (scaled or virtual time); nullptr: the
    /// host's clock. Must outlive the bearer.
    const scaled_clock* clock = nullptr;
  };

  bearer(seqpacket_socket socket, options opts);
  explicit bearer(seqpacket_socket socket) : bearer(std::move(socket), options{}) {}
  ~bearer();
  bearer(const bearer&) = delete;
  bearer& operator=(const bearer&) = delete;

  using executor_type = seqpacket_socket::executor_type;
  executor_type get_executor() { return socket_.get_executor(); }

  /// Starts reading. Call once, after setting the handlers.
  void start();
  /// Closes the channel; pending operations fail with `reason`.
  void close(error_code reason = make_error_code(errc::closed));
  bool is_open() const noexcept { return open_; }
  error_code close_reason() const noexcept { return close_reason_; }

  /// Queues a request PDU. The handler runs once with the response, or with an
  /// error (timeout, closed, mismatched or malformed response, peer error).
  void request(bytes_view pdu, response_handler handler);
  /// Sends a command, notification or other unacknowledged PDU now.
  error_code send(bytes_view pdu);
  /// Server role: sends an indication; `done` runs on confirmation or error.
  /// Only one indication may be outstanding (§3.3.2); others queue.
  void indicate(bytes_view pdu, unique_function<void(error_code)> done);

  /// Every notification and indication value, while the handle lives.
  [[nodiscard]] registration on_value(value_handler h) { return on_value_.add(std::move(h)); }
  /// Server role: the one request handler (the server that owns the bearer).
  void on_request(request_handler h) { on_request_ = std::move(h); }
  /// Runs once when the bearer closes (posted, never inline), while the handle lives.
  [[nodiscard]] registration on_close(close_handler h) { return on_close_.add(std::move(h)); }
  /// Sees every PDU sent and received (recorders), while the handle lives.
  [[nodiscard]] registration tap(tap_handler h) { return tap_.add(std::move(h)); }
  /// Non-owning; nullptr means "never raise security" (errors are reported).
  void set_security(link_security* s) noexcept { security_ = s; }
  link_security* security() const noexcept { return security_; }

  std::uint16_t mtu() const noexcept { return mtu_; }
  /// Sets ATT_MTU after an exchange (clamped to [23, rx_mtu]).
  void set_mtu(std::uint16_t mtu) noexcept;
  std::uint16_t rx_mtu() const noexcept { return opts_.rx_mtu; }
  const bearer_stats& stats() const noexcept { return stats_; }
  /// True when no request or indication is pending or queued.
  bool idle() const noexcept { return !pending_ && queue_.empty() && !pending_ind_ && ind_queue_.empty(); }

 private:
  struct outgoing_request {
    std::vector<std::uint8_t> bytes;
    response_handler handler;
    bool retried = false;
  };
  struct outgoing_indication {
    std::vector<std::uint8_t> bytes;
    unique_function<void(error_code)> done;
  };

  void arm_read();
  void drain();
  void on_pdu(bytes_view in);
  void on_response(bytes_view in);
  void on_confirmation();
  void on_indication(bytes_view in);
  void on_notification(bytes_view in);
  void on_incoming_request(bytes_view in);
  void start_next_request();
  void start_next_indication();
  void complete_pending(error_code ec, const pdu& p);
  void arm_request_timer();
  void arm_indication_timer();
  error_code write(bytes_view pdu);
  void flush();

  seqpacket_socket socket_;
  options opts_;
  scaled_clock host_clock_;  // when opts_.clock is null
  timer request_timer_;
  timer indication_timer_;
  std::uint16_t mtu_ = default_mtu;
  bool open_ = true;
  bool started_ = false;
  bool write_waiting_ = false;
  error_code close_reason_;
  std::uint64_t request_seq_ = 0;
  std::uint64_t indication_seq_ = 0;
  std::optional<outgoing_request> pending_;
  std::deque<outgoing_request> queue_;
  std::optional<outgoing_indication> pending_ind_;
  std::deque<outgoing_indication> ind_queue_;
  std::deque<std::vector<std::uint8_t>> outq_;  // written when the socket is writable again
  listener_list<std::uint16_t, bytes_view, bool> on_value_;
  request_handler on_request_;
  listener_list<error_code> on_close_;
  listener_list<direction, bytes_view> tap_;
  life life_;
  std::shared_ptr<bool> closed_token_ = std::make_shared<bool>(false);  // true once destroyed
  link_security* security_ = nullptr;
  bearer_stats stats_;
  // Receive buffer, allocated once: big enough for the largest ATT_MTU (517)
  // plus slack so an oversize PDU is seen (and cut) rather than lost.
  std::vector<std::uint8_t> rx_;
  std::vector<std::uint8_t> tx_;  // server responses, confirmations
};

}  // namespace bandwire::att
