// A small helper for the real-kernel suite, run inside the qemu guest. It
// uses the library's own socket code (hci/l2cap_socket.hpp) where the CLI
// gives no way to look: the BT_SECURITY level a link reached.
//
//   kernel_probe addr hciN
//       prints the adapter's address (HCIGETDEVINFO)
//   kernel_probe security hciN ADDRESS LEVEL [SECONDS]
//       connects to ADDRESS (random) with BT_SECURITY LEVEL requested before
//       connect(), then polls getsockopt(BT_SECURITY) until the link reaches
//       LEVEL (exit 0) or SECONDS pass (exit 1). Pairing runs after connect()
//       returns (kernel-test-recipe.md pitfall 6). Then reads the Device Name
//       (handle 0x0003, fact sheet §3.1) over the encrypted link.
#include <poll.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>

#include "hci/l2cap_socket.hpp"

using namespace bandwire;

namespace {

int usage() {
  std::fputs("usage: kernel_probe addr hciN | security hciN ADDRESS LEVEL [SECONDS]\n", stderr);
  return 2;
}

int adapter_index(const char* s) {
  const std::string t(s);
  if (t.rfind("hci", 0) != 0 || t.size() < 4) return -1;
  return std::atoi(t.c_str() + 3);
}

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

int security(int index, const hci::address& peer, int level, double wait) {
  asio::io_context io;
  hci::le_connect_options o;
  o.peer = peer;
  o.type = hci::address_type::le_random;
  o.adapter = index;
  o.security = level;
  o.timeout = std::chrono::milliseconds(10000);
  seqpacket_socket s(io);
  std::string message;
  const auto t0 = std::chrono::steady_clock::now();
  if (error_code ec = hci::connect_le_att(io, o, s, message)) {
    std::printf("probe: connect failed: %s\n", message.c_str());
    return 3;
  }
  hci::l2cap_security sec(s.native_handle());
  std::printf("probe: connected in %.3f s, security level %d right after connect\n", seconds_since(t0),
              static_cast<int>(sec.level()));
  while (static_cast<int>(sec.level()) < level && seconds_since(t0) < wait)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  const int reached = static_cast<int>(sec.level());
  std::printf("probe: security level %d after %.3f s\n", reached, seconds_since(t0));
  if (reached < level) return 1;

  // ATT Read Request for the Device Name (Vol 3 Part F §3.4.4.3).
  const unsigned char req[3] = {0x0a, 0x03, 0x00};
  const int fd = s.native_handle();
  if (::write(fd, req, sizeof req) != static_cast<ssize_t>(sizeof req)) return 1;
  unsigned char rsp[64];
  pollfd p{fd, POLLIN, 0};
  if (::poll(&p, 1, 5000) != 1) {
    std::printf("probe: no answer to Read 0x0003\n");
    return 1;
  }
  const ssize_t n = ::read(fd, rsp, sizeof rsp);
  if (n < 1 || rsp[0] != 0x0b) {
    std::printf("probe: Read 0x0003 failed (%zd bytes, opcode 0x%02x)\n", n, n > 0 ? rsp[0] : 0);
    return 1;
  }
  std::printf("probe: encrypted read of 0x0003: \"%.*s\"\n", static_cast<int>(n - 1), rsp + 1);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  if (argc >= 3 && std::string(argv[1]) == "addr") {
    const int index = adapter_index(argv[2]);
    hci::address a;
    if (index < 0 || hci::adapter_address(index, a)) return 1;
    std::printf("%s\n", a.to_string().c_str());
    return 0;
  }
  if (argc >= 5 && std::string(argv[1]) == "security") {
    const int index = adapter_index(argv[2]);
    const auto peer = hci::address::parse(argv[3]);
    const int level = std::atoi(argv[4]);
    const double wait = argc >= 6 ? std::atof(argv[5]) : 5.0;
    if (index < 0 || !peer || level < 1 || level > 4) return usage();
    return security(index, *peer, level, wait);
  }
  return usage();
}
