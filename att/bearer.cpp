#include "att/bearer.hpp"

#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <cerrno>

namespace bandwire::att {

namespace {
constexpr std::size_t rx_buffer_size = 1024;
// PDUs read by one recvmmsg(2): a burst of notifications (a band sends its
// raw sensor packets several per connection event) costs one system call.
constexpr std::size_t rx_batch = 16;
// Packets handled per readiness wake-up before yielding to other work.
constexpr int drain_budget = 64;

bool aborted(const error_code& ec) { return ec == asio::error::operation_aborted; }

// The peer going away shows up as EOF, EPIPE or ECONNRESET depending on
// which side noticed first; users see one reason: the link closed.
error_code link_error(const error_code& ec) {
  if (ec == asio::error::eof || ec == asio::error::broken_pipe || ec == asio::error::connection_reset ||
      ec == asio::error::not_connected)
    return make_error_code(errc::closed);
  return ec;
}
}  // namespace

bearer::bearer(seqpacket_socket socket, options opts)
    : socket_(std::move(socket)),
      opts_(opts),
      request_timer_(socket_.get_executor(), opts.clock ? *opts.clock : host_clock_),
      indication_timer_(socket_.get_executor(), opts.clock ? *opts.clock : host_clock_),
      rx_(rx_buffer_size * rx_batch),
      tx_(std::max<std::size_t>(opts.rx_mtu, default_mtu)) {
  opts_.rx_mtu = std::clamp<std::uint16_t>(opts_.rx_mtu, default_mtu, 517);
  tx_.resize(517);
  error_code ec;
  socket_.non_blocking(true, ec);
  if (ec) {
    open_ = false;
    close_reason_ = ec;
  }
}

bearer::~bearer() {
  *closed_token_ = true;
  error_code ignored;
  socket_.close(ignored);
}

void bearer::set_mtu(std::uint16_t mtu) noexcept { mtu_ = std::clamp<std::uint16_t>(mtu, default_mtu, 517); }

void bearer::start() {
  if (started_ || !open_) return;
  started_ = true;
  arm_read();
}

void bearer::arm_read() {
  socket_.async_wait(asio::socket_base::wait_read, [this](error_code ec) {
    if (aborted(ec)) return;  // close() or destructor: do not touch *this
    if (ec) return close(link_error(ec));
    drain();
  });
}

// Reads every PDU already queued on the socket (up to a budget) with
// non-blocking recvmmsg(2): one wake-up per burst instead of one per PDU,
// and one system call per rx_batch PDUs.
void bearer::drain() {
  life::guard alive(life_);
  int handled = 0;
  while (handled < drain_budget && open_) {
    std::array<mmsghdr, rx_batch> msgs{};
    std::array<iovec, rx_batch> iov{};
    for (std::size_t i = 0; i < rx_batch; ++i) {
      iov[i].iov_base = rx_.data() + i * rx_buffer_size;
      iov[i].iov_len = rx_buffer_size;
      msgs[i].msg_hdr.msg_iov = &iov[i];
      msgs[i].msg_hdr.msg_iovlen = 1;
    }
    const int got = ::recvmmsg(socket_.native_handle(), msgs.data(), rx_batch, MSG_DONTWAIT, nullptr);
    if (got < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) break;
      if (errno == EINTR) continue;
      return close(link_error(error_code(errno, asio::error::get_system_category())));
    }
    for (int k = 0; k < got; ++k) {
      // A zero-length read on SOCK_SEQPACKET is the peer's orderly shutdown.
      if (msgs[k].msg_len == 0) return close(make_error_code(errc::closed));
      std::size_t len = msgs[k].msg_len;
      if (len > mtu_ || (msgs[k].msg_hdr.msg_flags & MSG_TRUNC)) {
        // Core Vol 3 Part F §3.2.8: no PDU exceeds ATT_MTU. BlueZ reads into an
        // ATT_MTU-sized buffer, so the kernel cuts it; we do the same, visibly.
        ++stats_.truncated;
        len = std::min<std::size_t>(len, mtu_);
      }
      on_pdu(bytes_view(rx_.data() + static_cast<std::size_t>(k) * rx_buffer_size, len));
      if (alive.dead()) return;  // a handler destroyed the bearer
      if (!open_) return;
      ++handled;
    }
    if (static_cast<std::size_t>(got) < rx_batch) break;  // the socket is empty
  }
  if (open_) arm_read();
}

void bearer::on_pdu(bytes_view in) {
  if (!tap_.emit(direction::received, in)) return;
  const std::uint8_t op = in[0];
  switch (info(op).kind) {
    case pdu_kind::response: return on_response(in);
    case pdu_kind::notification: return on_notification(in);
    case pdu_kind::indication: return on_indication(in);
    case pdu_kind::confirmation: return on_confirmation();
    case pdu_kind::request:
    case pdu_kind::command: return on_incoming_request(in);
    case pdu_kind::unknown:
      // §3.3.1: unknown commands (Command Flag set) are ignored; unknown
      // requests are answered with Request Not Supported (§3.4.1.1).
      if (is_command_flag(op)) return;
      return on_incoming_request(in);
  }
}

void bearer::on_response(bytes_view in) {
  if (!pending_) {
    // A response nobody asked for: the peer broke the sequential protocol.
    close(make_error_code(errc::unexpected_pdu));
    return;
  }
  const std::uint8_t pending_op = pending_->bytes[0];
  pdu p;
  if (error_code ec = decode(in, p)) {
    ++stats_.malformed;
    return complete_pending(make_error_code(errc::malformed_pdu), p);
  }
  if (auto* e = std::get_if<error_rsp>(&p)) {
    // The Error Response's handle may not match the request; only the
    // request opcode identifies it (vectors README: "Error Response handle").
    if (e->request_opcode != pending_op) return complete_pending(make_error_code(errc::mismatched_response), p);
    // Code 0x00 is reserved (Vol 3 Part F Table 3.4) and would read as
    // success in an error_code: the response is malformed, not a success.
    if (e->code == 0) {
      ++stats_.malformed;
      return complete_pending(make_error_code(errc::malformed_pdu), p);
    }
    const bool auth = e->code == static_cast<std::uint8_t>(error::insufficient_authentication);
    const bool enc = e->code == static_cast<std::uint8_t>(error::insufficient_encryption);
    if ((auth || enc) && security_ && !pending_->retried &&
        (auth || security_->level() < security_level::medium)) {
      // Raise the link one level and retry the identical request once.
      if (!security_->raise()) {
        pending_->retried = true;
        ++stats_.security_retries;
        if (error_code wec = write(pending_->bytes)) return complete_pending(wec, p);
        arm_request_timer();
        return;
      }
    }
    return complete_pending(make_peer_error(e->code), p);
  }
  if (info(in[0]).pair != pending_op) return complete_pending(make_error_code(errc::mismatched_response), p);
  complete_pending({}, p);
}

void bearer::complete_pending(error_code ec, const pdu& p) {
  ++request_seq_;  // disarms the running timer
  request_timer_.cancel();
  auto handler = std::move(pending_->handler);
  pending_.reset();
  // Start the next request before running the handler so that a handler
  // which submits another request keeps the order of submission.
  start_next_request();
  handler(ec, p);
}

void bearer::on_notification(bytes_view in) {
  pdu p;
  if (decode(in, p)) {
    ++stats_.malformed;  // e.g. `1b 03`: shorter than a handle; dropped, counted
    return;
  }
  if (auto* n = std::get_if<handle_value_ntf>(&p)) {
    ++stats_.notifications;
    on_value_.emit(n->handle, n->value, false);
  } else if (auto* m = std::get_if<multiple_handle_value_ntf>(&p)) {
    bool alive = true;
    for_each(*m, [&](handle_value hv) {
      if (!alive || !open_) return;
      ++stats_.notifications;
      alive = on_value_.emit(hv.handle, hv.value, false);
    });
  }
}

void bearer::on_indication(bytes_view in) {
  pdu p;
  if (decode(in, p)) {
    ++stats_.malformed;
    return;
  }
  const auto& ind = std::get<handle_value_ind>(p);
  ++stats_.indications;
  if (!on_value_.emit(ind.handle, ind.value, true)) return;
  // §3.4.7.3: confirm every indication, whether or not anyone subscribed.
  const std::uint8_t cfm = static_cast<std::uint8_t>(opcode::handle_value_cfm);
  if (open_) write(bytes_view(&cfm, 1));
}

void bearer::on_confirmation() {
  if (!pending_ind_) return close(make_error_code(errc::unexpected_pdu));
  ++indication_seq_;
  indication_timer_.cancel();
  auto done = std::move(pending_ind_->done);
  pending_ind_.reset();
  start_next_indication();
  if (done) done({});
}

void bearer::on_incoming_request(bytes_view in) {
  const std::uint8_t op = in[0];
  const bool is_cmd = is_command_flag(op);
  std::size_t n = 0;
  if (on_request_) {
    n = on_request_(in, bytes_span(tx_.data(), mtu_));
  } else if (!is_cmd) {
    n = encode(error_rsp{op, 0, static_cast<std::uint8_t>(error::request_not_supported)}, tx_);
  }
  if (n == 0 || !open_) return;
  // §3.4.2.2: after an MTU exchange both sides use min(client Rx, server Rx).
  if (op == static_cast<std::uint8_t>(opcode::exchange_mtu_req) && in.size() == 3 && tx_[0] == 0x03)
    set_mtu(std::min(get_le16(&in[1]), get_le16(&tx_[1])));
  write(bytes_view(tx_.data(), n));
}

void bearer::request(bytes_view pdu_bytes, response_handler handler) {
  if (!open_) {
    asio::post(socket_.get_executor(), [h = std::move(handler), ec = close_reason_]() mutable { h(ec, pdu{}); });
    return;
  }
  queue_.push_back(outgoing_request{std::vector<std::uint8_t>(pdu_bytes.begin(), pdu_bytes.end()),
                                    std::move(handler)});
  // start_next_request() never completes a handler inline: failures are
  // posted (value_too_long) or come from close(), which posts.
  start_next_request();
}

void bearer::start_next_request() {
  while (!pending_ && !queue_.empty() && open_) {
    pending_ = std::move(queue_.front());
    queue_.pop_front();
    if (pending_->bytes.size() > mtu_) {
      auto h = std::move(pending_->handler);
      pending_.reset();
      asio::post(socket_.get_executor(), [h = std::move(h)]() mutable {
        h(make_error_code(errc::value_too_long), pdu{});
      });
      continue;
    }
    if (error_code ec = write(pending_->bytes)) return;  // write() closed the bearer
    arm_request_timer();
  }
}

void bearer::arm_request_timer() {
  request_timer_.expires_after(opts_.timeout);
  request_timer_.async_wait([this, seq = request_seq_](error_code ec) {
    if (aborted(ec) || seq != request_seq_ || !pending_) return;
    // §3.3.3: a timed-out transaction ends the bearer; no more PDUs on it.
    close(make_error_code(errc::timeout));
  });
}

void bearer::indicate(bytes_view pdu_bytes, unique_function<void(error_code)> done) {
  if (!open_) {
    asio::post(socket_.get_executor(), [d = std::move(done), ec = close_reason_]() mutable { d(ec); });
    return;
  }
  ind_queue_.push_back({std::vector<std::uint8_t>(pdu_bytes.begin(), pdu_bytes.end()), std::move(done)});
  if (!pending_ind_) start_next_indication();
}

void bearer::start_next_indication() {
  if (pending_ind_ || ind_queue_.empty() || !open_) return;
  pending_ind_ = std::move(ind_queue_.front());
  ind_queue_.pop_front();
  if (write(pending_ind_->bytes)) return;
  indication_timer_.expires_after(opts_.timeout);
  indication_timer_.async_wait([this, seq = indication_seq_](error_code ec) {
    if (aborted(ec) || seq != indication_seq_ || !pending_ind_) return;
    close(make_error_code(errc::timeout));
  });
}

error_code bearer::send(bytes_view pdu_bytes) {
  if (!open_) return close_reason_;
  if (pdu_bytes.empty()) return make_error_code(errc::invalid_argument);
  if (pdu_bytes.size() > mtu_) return make_error_code(errc::value_too_long);
  return write(pdu_bytes);
}

error_code bearer::write(bytes_view pdu_bytes) {
  if (!tap_.emit(direction::sent, pdu_bytes)) return make_error_code(errc::closed);
  if (!outq_.empty()) {
    outq_.emplace_back(pdu_bytes.begin(), pdu_bytes.end());
    return {};
  }
  error_code ec;
  socket_.send(asio::buffer(pdu_bytes.data(), pdu_bytes.size()), 0, ec);
  if (ec == asio::error::would_block || ec == asio::error::try_again) {
    outq_.emplace_back(pdu_bytes.begin(), pdu_bytes.end());
    flush();
    return {};
  }
  if (ec) {
    close(link_error(ec));
    return close_reason_;
  }
  return {};
}

// Waits for writability and sends queued PDUs in order.
void bearer::flush() {
  if (write_waiting_ || outq_.empty() || !open_) return;
  write_waiting_ = true;
  socket_.async_wait(asio::socket_base::wait_write, [this](error_code ec) {
    if (aborted(ec)) return;
    write_waiting_ = false;
    if (ec) return close(ec);
    while (!outq_.empty() && open_) {
      error_code sec;
      socket_.send(asio::buffer(outq_.front()), 0, sec);
      if (sec == asio::error::would_block || sec == asio::error::try_again) break;
      if (sec) return close(link_error(sec));
      outq_.pop_front();
    }
    flush();
  });
}

void bearer::close(error_code reason) {
  if (!open_) return;
  open_ = false;
  close_reason_ = reason;
  error_code ignored;
  request_timer_.cancel();
  indication_timer_.cancel();
  socket_.shutdown(asio::socket_base::shutdown_both, ignored);
  socket_.close(ignored);
  outq_.clear();
  // Fail everything exactly once, never inline.
  auto ex = socket_.get_executor();
  if (pending_) {
    asio::post(ex, [h = std::move(pending_->handler), reason]() mutable { h(reason, pdu{}); });
    pending_.reset();
  }
  for (auto& r : queue_) asio::post(ex, [h = std::move(r.handler), reason]() mutable { h(reason, pdu{}); });
  queue_.clear();
  if (pending_ind_) {
    if (pending_ind_->done) asio::post(ex, [d = std::move(pending_ind_->done), reason]() mutable { d(reason); });
    pending_ind_.reset();
  }
  for (auto& i : ind_queue_)
    if (i.done) asio::post(ex, [d = std::move(i.done), reason]() mutable { d(reason); });
  ind_queue_.clear();
  // Posted: the listeners registered when the post runs are told once.
  asio::post(ex, [this, reason, gone = closed_token_]() {
    if (!*gone) on_close_.emit(reason);
  });
}

}  // namespace bandwire::att
