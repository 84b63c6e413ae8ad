#include "hci/pairing_agent.hpp"

#include <chrono>
#include <vector>

namespace bandwire::hci {

pairing_agent::pairing_agent(asio::io_context& io, mgmt::socket s, std::optional<std::uint16_t> index,
                             bool accept_numeric)
    : socket_(std::move(s)), fd_(io), index_(index), accept_numeric_(accept_numeric) {
  if (socket_.is_open()) fd_.assign(socket_.native_handle());
}

pairing_agent::~pairing_agent() {
  error_code ignored;
  fd_.cancel(ignored);
  fd_.release();  // socket_ closes the descriptor
}

void pairing_agent::start() { wait(); }

void pairing_agent::stop() {
  error_code ignored;
  fd_.cancel(ignored);
}

void pairing_agent::wait() {
  if (!fd_.is_open()) return;
  fd_.async_wait(asio::posix::stream_descriptor::wait_read, [this](error_code ec) {
    if (ec) return;  // cancelled
    // Drain what is there; a blocking command elsewhere may have taken it.
    std::vector<std::uint8_t> packet;
    while (!socket_.read(std::chrono::milliseconds(0), packet)) handle(packet);
    wait();
  });
}

void pairing_agent::handle(bytes_view packet) {
  mgmt::event e;
  if (mgmt::decode_event(packet, e) || e.code != mgmt::ev::user_confirm_request) return;
  if (index_ && e.index != *index_) return;
  decision d;
  d.index = e.index;
  if (mgmt::decode_user_confirm_request(e, d.request)) return;
  std::vector<std::uint8_t> reply;
  if (!mgmt::agent_reply(packet, reply, accept_numeric_)) return;
  // agent_reply accepts Just Works (hint 1), and numeric comparison only
  // when asked to; anything else got a Negative Reply.
  d.accepted = d.request.confirm_hint == 1 || accept_numeric_;
  if (socket_.send(reply)) d.accepted = false;
  if (on_decision_) on_decision_(d);
}

}  // namespace bandwire::hci
