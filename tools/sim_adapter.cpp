#include "tools/sim_adapter.hpp"

#include <chrono>
#include <cstdio>
#include <string>

#include "hci/adv_data.hpp"
#include "tools/commands.hpp"

namespace bandwire::tools {

namespace {
using namespace std::chrono_literals;

const char* type_name(hci::address_type t) {
  switch (t) {
    case hci::address_type::le_public: return "public";
    case hci::address_type::le_random: return "random";
    default: return "BR/EDR";
  }
}

// The 16 opaque octets of the CAP-A band's manufacturer data (§2.1 table,
// §20.8). With the default identity FA:8E:E3:12:B4:A9 the advertising is
// that capture's, byte for byte.
constexpr std::array<std::uint8_t, 16> cap_a_opaque = {0x2c, 0x04, 0xe3, 0xa0, 0x9e, 0xe1, 0xbe, 0xab,
                                                       0x47, 0x73, 0xfa, 0x45, 0x01, 0xec, 0x4f, 0xd7};
}  // namespace

hci::peripheral_config miband2_peripheral(std::uint16_t index, const hci::address& identity) {
  hci::peripheral_config c;
  c.index = index;
  c.identity = identity;
  hci::miband2_manufacturer_data m;
  m.flag = 0x00;
  m.opaque = cap_a_opaque;
  m.device_type = 0x03;
  m.band = identity;  // the manufacturer data names the advertiser (§2.1, offsets 18..23)
  c.adv_data = hci::miband2_advertising_data(m);
  c.scan_rsp = hci::miband2_scan_response_data();
  return c;
}

sim_adapter::sim_adapter(asio::io_context& io, miband::virtual_band& band, std::uint16_t index,
                         const hci::address& identity)
    : io_(io), band_(band), cfg_(miband2_peripheral(index, identity)), mgmt_(io), listener_(io), idle_timer_(io) {}

sim_adapter::~sim_adapter() { stop(); }

int sim_adapter::start() {
  const std::string hci = "hci" + std::to_string(cfg_.index);
  std::string message;
  if (mgmt_.open(message)) {
    std::fprintf(stderr, "bandwire sim: %s\n", message.c_str());
    return exit_connect;
  }
  // A second management socket for the agent: every control socket gets the
  // events, and this one is watched on the io_context.
  hci::mgmt::socket agent_socket;
  if (hci::mgmt::socket::open(agent_socket, message)) {
    std::fprintf(stderr, "bandwire sim: %s\n", message.c_str());
    return exit_connect;
  }
  agent_ = std::make_unique<hci::pairing_agent>(io_, std::move(agent_socket), cfg_.index);
  agent_->on_decision([](const hci::pairing_agent::decision& d) {
    std::fprintf(stderr, "bandwire sim: %s pairing with %s (Just Works, as the band)\n",
                 d.accepted ? "accepted" : "refused", d.request.addr.to_string().c_str());
  });
  agent_->start();

  // The loop does not run yet, so the setup waits on a socket of its own
  // (the agent's socket hears its pairing requests, as always).
  {
    hci::mgmt::socket setup;
    if (hci::mgmt::socket::open(setup, message) || hci::setup_peripheral(setup, cfg_, message)) {
      std::fprintf(stderr, "bandwire sim: cannot advertise on %s: %s\n", hci.c_str(), message.c_str());
      return exit_connect;
    }
  }
  // The kernel matches the listener against the link's local identity: the
  // static address, type random, now that BR/EDR is off.
  if (listener_.open(cfg_.identity, hci::address_type::le_random, message)) {
    std::fprintf(stderr, "bandwire sim: %s\n", message.c_str());
    return exit_connect;
  }
  std::fprintf(stderr,
               "bandwire sim: virtual Mi Band 2 %s (random static) advertising on %s as \"MI Band 2\", "
               "connectable, every 1.28 s\n",
               cfg_.identity.to_string().c_str(), hci.c_str());
  accept_next();
  return -1;
}

void sim_adapter::accept_next() {
  listener_.async_accept([this](error_code ec, seqpacket_socket s, hci::l2cap_peer peer) {
    if (ec == asio::error::operation_aborted || stopped_) return;
    if (ec) {
      std::fprintf(stderr, "bandwire sim: accept: %s\n", ec.message().c_str());
    } else if (band_.serve(std::move(s))) {
      std::fprintf(stderr, "bandwire sim: connected from %s (%s)\n", peer.addr.to_string().c_str(),
                   type_name(peer.type));
    } else {
      std::fprintf(stderr, "bandwire sim: refused a second connection (one at a time, as the band)\n");
    }
    accept_next();
  });
}

void sim_adapter::link_closed() {
  if (stopped_) return;
  // The ATT channel can close before the link (our own drop: the link lingers
  // for the kernel's disconnect timeout, pitfall 4). Advertise once it is gone.
  readvertise_when_idle(100);  // 100 x 100 ms
}

void sim_adapter::readvertise_when_idle(int polls_left) {
  std::size_t links = 0;
  if (!hci::le_link_count(cfg_.index, links) && links > 0 && polls_left > 0) {
    idle_timer_.expires_after(100ms);
    idle_timer_.async_wait([this, polls_left](error_code ec) {
      if (!ec && !stopped_) readvertise_when_idle(polls_left - 1);
    });
    return;
  }
  // On the loop: the band keeps serving while the kernel answers. Pairing
  // requests that arrive meanwhile reach the agent on its own socket.
  hci::async_start_advertising(mgmt_, cfg_, [this, alive = std::weak_ptr<int>(alive_)](error_code ec,
                                                                                       std::string message) {
    if (alive.expired() || ec == asio::error::operation_aborted || stopped_) return;
    if (ec)
      std::fprintf(stderr, "bandwire sim: cannot advertise again: %s\n", message.c_str());
    else
      std::fprintf(stderr, "bandwire sim: advertising again\n");
  });
}

void sim_adapter::stop() {
  if (stopped_) return;
  stopped_ = true;
  listener_.close();
  idle_timer_.cancel();
  if (agent_) agent_->stop();
  if (mgmt_.is_open()) {
    mgmt_.cancel();  // a re-advertise in flight is moot
    hci::async_stop_advertising(mgmt_, cfg_, [](error_code, std::string) {});
  }
}

}  // namespace bandwire::tools
