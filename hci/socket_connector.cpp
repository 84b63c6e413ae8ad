#include "hci/socket_connector.hpp"

#include <unistd.h>

#include <cerrno>

namespace bandwire::hci {

struct socket_connector::operation : std::enable_shared_from_this<operation> {
  using done_handler = unique_function<void(error_code, seqpacket_socket)>;

  operation(asio::io_context& io, done_handler h) : socket(io), timer(io), done(std::move(h)) {}

  seqpacket_socket socket;
  asio::steady_timer timer;
  done_handler done;
  bool finished = false;

  void finish(error_code ec) {
    if (finished) return;
    finished = true;
    timer.cancel();
    if (ec) {
      error_code ignored;
      socket.close(ignored);
    }
    auto h = std::move(done);
    h(ec, ec ? seqpacket_socket(socket.get_executor()) : std::move(socket));
  }

  void wait(std::chrono::steady_clock::duration timeout) {
    timer.expires_after(timeout);
    timer.async_wait([self = shared_from_this()](error_code ec) {
      if (ec || self->finished) return;
      self->finish(asio::error::timed_out);
    });
    socket.async_wait(seqpacket_socket::wait_write, [self = shared_from_this()](error_code ec) {
      if (self->finished) return;
      if (!ec) {
        // Writable: the connect finished, SO_ERROR says how (connect(2)).
        int err = 0;
        socklen_t len = sizeof err;
        if (::getsockopt(self->socket.native_handle(), SOL_SOCKET, SO_ERROR, &err, &len) < 0) err = errno;
        if (err != 0) ec = error_code(err, boost::system::system_category());
      }
      self->finish(ec);
    });
  }
};

void socket_connector::start(int fd, const protocol& p, const sockaddr_storage* peer, socklen_t len,
                             std::chrono::steady_clock::duration timeout,
                             unique_function<void(error_code, seqpacket_socket)> h) {
  if (auto running = running_.lock(); running && !running->finished) {
    if (fd >= 0) ::close(fd);
    return h(asio::error::already_started, seqpacket_socket(io_));
  }
  auto op = std::make_shared<operation>(io_, std::move(h));
  error_code ec;
  op->socket.assign(p, fd, ec);
  if (ec) {
    if (fd >= 0) ::close(fd);
    return op->finish(ec);
  }
  op->socket.non_blocking(true, ec);
  if (ec) return op->finish(ec);
  running_ = op;
  if (peer) {
    if (len == 0) return op->finish(asio::error::invalid_argument);
    int r;
    do r = ::connect(fd, reinterpret_cast<const sockaddr*>(peer), len);
    while (r < 0 && errno == EINTR);
    if (r == 0) return op->finish({});
    if (errno != EINPROGRESS) return op->finish(error_code(errno, boost::system::system_category()));
  }
  op->wait(timeout);
}

void socket_connector::cancel() {
  if (auto op = running_.lock()) op->finish(asio::error::operation_aborted);
}

}  // namespace bandwire::hci
