#include "miband/transport.hpp"

#include <sys/socket.h>
#include <sys/un.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "gatt/demo_db.hpp"
#include "gatt/server_session.hpp"
#include "hci/address.hpp"
#include "hci/l2cap_socket.hpp"
#include "miband/virtual_models.hpp"

namespace bandwire::miband {

std::string check_device(const std::string& device) {
  if (device.empty()) return "missing --device TARGET (unix:/path, demo, sim[:MODEL] or a Bluetooth address)";
  if (is_sim_device(device)) {
    if (!sim_model_of_device(device))
      return "unknown virtual device '" + device + "': use sim or sim:MODEL with MODEL one of " + sim_model_names();
    return {};
  }
  if (device.rfind("unix:", 0) != 0 && device != "demo" && !hci::address::parse(device))
    return "unknown device '" + device + "': use unix:/path, demo, sim[:MODEL] or an address like AA:BB:CC:DD:EE:FF";
  return {};
}

namespace {

// A demo peer: the database and the server session serving it.
struct demo_peer {
  gatt::database db = gatt::make_demo_database();
  std::unique_ptr<gatt::server_session> session;
};

error_code open_unix(asio::io_context& io, const std::string& path, const att::bearer::options& bo, connection& out,
                     std::string& message) {
  sockaddr_un sa{};
  if (path.empty() || path.size() >= sizeof sa.sun_path) {
    message = "unix socket path is empty or too long: " + path;
    return make_error_code(boost::system::errc::invalid_argument);
  }
  seqpacket_socket s(io);
  error_code ec;
  s.open(asio::generic::seq_packet_protocol(AF_UNIX, 0), ec);
  if (!ec) {
    sa.sun_family = AF_UNIX;
    std::memcpy(sa.sun_path, path.data(), path.size());
    asio::generic::seq_packet_protocol::endpoint ep(&sa, sizeof sa, 0);
    s.connect(ep, ec);
  }
  if (ec) {
    message = "cannot connect to unix:" + path + ": " + ec.message();
    return ec;
  }
  out.security = std::make_unique<att::scripted_security>(att::security_level::low, false);
  out.bearer = std::make_unique<att::bearer>(std::move(s), bo);
  out.description = "unix:" + path;
  return {};
}

}  // namespace

namespace {
hci::le_connect_options le_options(const transport_options& o, const hci::address& addr) {
  hci::le_connect_options lo;
  lo.peer = addr;
  lo.type = o.addr_type == "public" ? hci::address_type::le_public : hci::address_type::le_random;
  lo.adapter = o.adapter.empty() ? -1 : std::atoi(o.adapter.c_str() + 3);
  lo.security = o.security;
  lo.timeout = std::chrono::milliseconds(static_cast<long>(o.connect_timeout * 1000));
  return lo;
}
}  // namespace

void async_open_transport(asio::io_context& io, const transport_options& o, const att::bearer::options& bearer_opts,
                          connection& out, unique_function<void(error_code, std::string)> done) {
  auto addr = hci::address::parse(o.device);
  if (!addr || o.device.rfind("unix:", 0) == 0 || o.device == "demo") {
    std::string message;
    const error_code ec = open_transport(io, o, bearer_opts, out, message);
    asio::post(io, [done = std::move(done), ec, message]() mutable { done(ec, std::move(message)); });
    return;
  }
  const hci::le_connect_options lo = le_options(o, *addr);
  hci::async_connect_le_att(io, lo, [&out, o, lo, bearer_opts, a = *addr, done = std::move(done)](error_code ec,
                                                                                               seqpacket_socket s) mutable {
    if (ec) return done(ec, hci::explain_connect_error(ec, lo));
    out.security = std::make_unique<hci::l2cap_security>(s.native_handle());
    out.bearer = std::make_unique<att::bearer>(std::move(s), bearer_opts);
    out.description = a.to_string() + " (" + o.addr_type + ")";
    out.bearer->set_security(out.security.get());
    done({}, {});
  });
}

error_code open_transport(asio::io_context& io, const transport_options& o, const att::bearer::options& bearer_opts,
                          connection& out, std::string& message) {
  if (o.device.rfind("unix:", 0) == 0) {
    if (error_code ec = open_unix(io, o.device.substr(5), bearer_opts, out, message)) return ec;
  } else if (o.device == "demo") {
    int fds[2];
    if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, fds) < 0) {
      message = std::string("socketpair: ") + std::strerror(errno);
      return {errno, boost::system::system_category()};
    }
    auto peer = std::make_shared<demo_peer>();
    peer->session = std::make_unique<gatt::server_session>(
        seqpacket_socket(io, asio::generic::seq_packet_protocol(AF_UNIX, 0), fds[1]), peer->db);
    peer->session->start();
    out.peer = peer;
    out.security = std::make_unique<att::scripted_security>(att::security_level::low, false);
    out.bearer = std::make_unique<att::bearer>(seqpacket_socket(io, asio::generic::seq_packet_protocol(AF_UNIX, 0), fds[0]), bearer_opts);
    out.description = "demo";
  } else if (auto addr = hci::address::parse(o.device)) {
    const hci::le_connect_options lo = le_options(o, *addr);
    seqpacket_socket s(io);
    if (error_code ec = hci::connect_le_att(io, lo, s, message)) return ec;
    out.security = std::make_unique<hci::l2cap_security>(s.native_handle());
    out.bearer = std::make_unique<att::bearer>(std::move(s), bearer_opts);
    out.description = addr->to_string() + " (" + o.addr_type + ")";
  } else {
    message = "unknown device '" + o.device + "': use unix:/path, demo, sim or an address like AA:BB:CC:DD:EE:FF";
    return make_error_code(boost::system::errc::invalid_argument);
  }
  out.bearer->set_security(out.security.get());
  return {};
}

}  // namespace bandwire::miband
