#include "miband/sim_link.hpp"

#include "att/opcode.hpp"

namespace bandwire::miband {

namespace {
bool is_request(std::uint8_t op) { return att::info(op).kind == att::pdu_kind::request; }
bool is_response(std::uint8_t op) { return att::info(op).kind == att::pdu_kind::response; }
bool would_block(const error_code& ec) { return ec == asio::error::would_block || ec == asio::error::try_again; }
}  // namespace

sim_link::sim_link(asio::any_io_executor ex, const scaled_clock& clock, seqpacket_socket central,
                   seqpacket_socket band, link_timing timing)
    : ex_(ex),
      clock_(clock),
      central_(std::move(central)),
      band_(std::move(band)),
      timing_(timing),
      event_timer_(ex, clock) {
  if (timing_.interval.count() <= 0) timing_.interval = std::chrono::microseconds(50000);
}

sim_link::~sim_link() { close(); }

void sim_link::start() {
  error_code ignored;
  central_.non_blocking(true, ignored);
  band_.non_blocking(true, ignored);
  next_event_ = clock_.elapsed();
  arm_event();
  read_central();
  read_band();
}

void sim_link::close() {
  if (closed_) return;
  closed_ = true;
  event_timer_.cancel();
  error_code ignored;
  central_.close(ignored);
  band_.close(ignored);
}

void sim_link::arm_event() {
  // Events keep their cadence from the link's start, whatever the host's
  // timer latency (as a real link's do). Whole clock ticks, so that on
  // virtual time an event and a band timer due at the same instant meet
  // exactly (the band's timer, set earlier, goes first).
  next_event_ += std::chrono::duration_cast<scaled_clock::duration>(timing_.interval);
  const auto wait = std::max(scaled_clock::duration::zero(), next_event_ - clock_.elapsed());
  event_timer_.expires_after(wait);
  event_timer_.async_wait([self = shared_from_this()](error_code ec) {
    if (ec || self->closed_) return;
    self->on_event();
  });
}

void sim_link::on_event() {
  bool carried = !to_central_.empty() || !to_band_.empty();
  // The band's queued notifications and indications first, then the
  // central's commands and at most one request.
  flush_band_queue(timing_.notifications_per_event);
  while (!to_band_.empty() && !closed_) {
    const bool request = is_request(to_band_.front()[0]);
    if (request && awaiting_response_) break;  // the previous one is not answered yet
    if (!send_to_band(to_band_.front())) break;
    to_band_.pop_front();
    if (request) {
      awaiting_response_ = true;
      ++stats_.requests;
      break;  // one request/response exchange per event
    }
  }
  if (carried) ++stats_.events;
  if (!closed_) arm_event();
}

// False when the central's socket is full: what is left waits for the next
// event, in order (a central that stops reading slows the link down, it
// loses nothing).
bool sim_link::flush_band_queue(std::size_t limit) {
  std::size_t n = 0;
  while (!to_central_.empty() && !closed_ && (limit == 0 || n < limit)) {
    if (!send_to_central(to_central_.front())) return false;
    to_central_.pop_front();
    ++n;
  }
  return to_central_.empty();
}

bool sim_link::send_to_central(const pdu& p) {
  error_code ec;
  central_.send(asio::buffer(p), 0, ec);
  if (would_block(ec)) return false;
  if (ec) {
    close();
    return false;
  }
  ++stats_.to_central;
  return true;
}

bool sim_link::send_to_band(const pdu& p) {
  error_code ec;
  band_.send(asio::buffer(p), 0, ec);
  if (would_block(ec)) return false;  // tried again at the next event
  if (ec) {
    close();
    return false;
  }
  ++stats_.to_band;
  return true;
}

void sim_link::read_central() {
  central_.async_wait(asio::socket_base::wait_read, [self = shared_from_this()](error_code ec) {
    if (self->closed_) return;
    if (ec) return self->close();
    for (;;) {
      error_code rec;
      asio::socket_base::message_flags flags = 0;
      const std::size_t n = self->central_.receive(asio::buffer(self->central_buf_), 0, flags, rec);
      if (would_block(rec)) break;
      if (rec || n == 0) return self->close();  // the central hung up: so does the band's side
      self->to_band_.emplace_back(self->central_buf_.begin(), self->central_buf_.begin() + static_cast<std::ptrdiff_t>(n));
    }
    self->read_central();
  });
}

void sim_link::read_band() {
  band_.async_wait(asio::socket_base::wait_read, [self = shared_from_this()](error_code ec) {
    if (self->closed_) return;
    if (ec) return self->close();
    for (;;) {
      error_code rec;
      asio::socket_base::message_flags flags = 0;
      const std::size_t n = self->band_.receive(asio::buffer(self->band_buf_), 0, flags, rec);
      if (would_block(rec)) break;
      if (rec || n == 0) return self->close();
      pdu p(self->band_buf_.begin(), self->band_buf_.begin() + static_cast<std::ptrdiff_t>(n));
      if (self->awaiting_response_ && is_response(p[0])) {
        // The answer to this event's request: in this event, after what the
        // band queued before it.
        self->awaiting_response_ = false;
        self->to_central_.push_back(std::move(p));
        self->flush_band_queue(0);
        if (self->closed_) return;
      } else {
        self->to_central_.push_back(std::move(p));
      }
    }
    self->read_band();
  });
}

}  // namespace bandwire::miband
