#include "tools/target.hpp"

#include <sys/socket.h>
#include <sys/un.h>

#include <cstring>

#include "gatt/demo_db.hpp"
#include "gatt/server_session.hpp"
#include "hci/l2cap_socket.hpp"

namespace bandwire::tools {

target_options read_target_options(const args& a, std::string& error) {
  target_options o;
  o.device = a.get("--device").value_or("");
  // The target's form is checked here, with the other options, so a typo is
  // a usage error (exit 2) rather than a failed connection (exit 3).
  if (o.device.empty())
    error = "missing --device TARGET (unix:/path, demo, sim or a Bluetooth address)";
  else if (o.device.rfind("unix:", 0) != 0 && o.device != "demo" && o.device != "sim" && !hci::address::parse(o.device))
    error = "unknown device '" + o.device + "': use unix:/path, demo, sim or an address like AA:BB:CC:DD:EE:FF";
  if (auto t = a.get("--addr-type")) {
    if (*t != "random" && *t != "public") error = "--addr-type must be random or public";
    o.addr_type = *t;
  }
  if (auto ad = a.get("--adapter")) {
    if (ad->rfind("hci", 0) != 0 || !parse_number(ad->substr(3), 255)) error = "--adapter must look like hci0";
    o.adapter = *ad;
  }
  if (auto t = a.get("--timeout")) {
    try {
      o.connect_timeout = std::stod(*t);
    } catch (...) {
      o.connect_timeout = -1;
    }
    if (!(o.connect_timeout > 0 && o.connect_timeout <= 300)) error = "--timeout must be seconds in (0, 300]";
  }
  if (auto s = a.get("--security")) {
    if (*s == "low") o.security = 1;
    else if (*s == "medium") o.security = 2;
    else if (*s == "high") o.security = 3;
    else if (*s == "fips") o.security = 4;
    else error = "--security must be low, medium, high or fips";
  }
  return o;
}

namespace {

// A demo peer: the database and the server session serving it.
struct demo_peer {
  gatt::database db = gatt::make_demo_database();
  std::unique_ptr<gatt::server_session> session;
};

error_code open_unix(asio::io_context& io, const std::string& path, connection& out, std::string& message) {
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
  out.bearer = std::make_unique<att::bearer>(std::move(s));
  out.description = "unix:" + path;
  return {};
}

hci::le_connect_options le_options(const target_options& o, const hci::address& addr) {
  hci::le_connect_options lo;
  lo.peer = addr;
  lo.type = o.addr_type == "public" ? hci::address_type::le_public : hci::address_type::le_random;
  lo.adapter = o.adapter.empty() ? -1 : static_cast<int>(*parse_number(o.adapter.substr(3), 255));
  lo.security = o.security;
  lo.timeout = std::chrono::milliseconds(static_cast<long>(o.connect_timeout * 1000));
  return lo;
}

void adopt_l2cap(const target_options& o, const hci::address& addr, seqpacket_socket s, connection& out) {
  out.security = std::make_unique<hci::l2cap_security>(s.native_handle());
  out.bearer = std::make_unique<att::bearer>(std::move(s));
  out.description = addr.to_string() + " (" + o.addr_type + ")";
}

}  // namespace

void async_open_target(asio::io_context& io, const target_options& o,
                       std::function<void(error_code, connection, std::string)> done) {
  auto addr = hci::address::parse(o.device);
  if (!addr || o.device.rfind("unix:", 0) == 0 || o.device == "demo") {
    connection c;
    std::string message;
    const error_code ec = open_target(io, o, c, message);
    asio::post(io, [done = std::move(done), ec, c = std::make_shared<connection>(std::move(c)), message]() mutable {
      done(ec, std::move(*c), message);
    });
    return;
  }
  const hci::le_connect_options lo = le_options(o, *addr);
  hci::async_connect_le_att(io, lo, [o, lo, a = *addr, done = std::move(done)](error_code ec, seqpacket_socket s) {
    connection c;
    if (ec) return done(ec, std::move(c), hci::explain_connect_error(ec, lo));
    adopt_l2cap(o, a, std::move(s), c);
    c.bearer->set_security(c.security.get());
    done({}, std::move(c), {});
  });
}

error_code open_target(asio::io_context& io, const target_options& o, connection& out, std::string& message) {
  if (o.device.rfind("unix:", 0) == 0) {
    if (error_code ec = open_unix(io, o.device.substr(5), out, message)) return ec;
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
    out.bearer = std::make_unique<att::bearer>(seqpacket_socket(io, asio::generic::seq_packet_protocol(AF_UNIX, 0), fds[0]));
    out.description = "demo";
  } else if (auto addr = hci::address::parse(o.device)) {
    const hci::le_connect_options lo = le_options(o, *addr);
    seqpacket_socket s(io);
    if (error_code ec = hci::connect_le_att(io, lo, s, message)) return ec;
    adopt_l2cap(o, *addr, std::move(s), out);
  } else {
    message = "unknown device '" + o.device + "': use unix:/path, demo, sim or an address like AA:BB:CC:DD:EE:FF";
    return make_error_code(boost::system::errc::invalid_argument);
  }
  out.bearer->set_security(out.security.get());
  return {};
}

}  // namespace bandwire::tools
