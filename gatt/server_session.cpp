#include "gatt/server_session.hpp"

namespace bandwire::gatt {

server_session::server_session(seqpacket_socket socket, database& db, att::bearer::options opts)
    : bearer_(std::move(socket), opts), server_(db, gatt::server::options{opts.rx_mtu}) {
  bearer_.on_request([this](bytes_view req, bytes_span rsp) { return server_.handle(req, rsp); });
}

bool server_session::notify(std::uint16_t value_handle, bytes_view value) {
  const std::size_t n = server_.encode_notification(value_handle, value, bytes_span(out_.data(), bearer_.mtu()));
  if (n == 0) return false;
  return !bearer_.send(bytes_view(out_.data(), n));
}

bool server_session::indicate(std::uint16_t value_handle, bytes_view value, unique_function<void(error_code)> done) {
  // The bearer queues indications itself (one outstanding, §3.3.2), so the
  // pure server's own pending flag is released as soon as it encoded one.
  const std::size_t n = server_.encode_indication(value_handle, value, bytes_span(out_.data(), bearer_.mtu()));
  if (n == 0) return false;
  server_.clear_pending_indication();
  bearer_.indicate(bytes_view(out_.data(), n), std::move(done));
  return true;
}

}  // namespace bandwire::gatt
