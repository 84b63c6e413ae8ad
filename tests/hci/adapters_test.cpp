#include "hci/hci_socket.hpp"  // first: the header is self-contained

#include <doctest/doctest.h>

#include <cerrno>
#include <string>
#include <vector>

#include "hci/hci_channel.hpp"
#include "hci/system_check.hpp"

// The adapter ioctls and their messages. Without kernel Bluetooth (this
// machine) every call must fail fast with one clear line; the ioctls
// themselves need the VM suite.

using namespace bandwire;
using namespace bandwire::hci;

TEST_CASE("adapter names and errno explanations") {
  CHECK(parse_adapter_name("hci0") == 0);
  CHECK(parse_adapter_name("hci12") == 12);
  CHECK(parse_adapter_name("3") == 3);
  CHECK_FALSE(parse_adapter_name("hci"));
  CHECK_FALSE(parse_adapter_name("hcix"));
  CHECK_FALSE(parse_adapter_name("wlan0"));
  CHECK_FALSE(parse_adapter_name(""));
  CHECK_FALSE(parse_adapter_name("hci99999"));
  CHECK(explain_errno(EAFNOSUPPORT, "x").rfind("no Bluetooth support in this kernel", 0) == 0);
  CHECK(explain_errno(EPERM, "bring up hci0").find("CAP_NET_ADMIN") != std::string::npos);
  CHECK(explain_errno(ERFKILL, "bring up hci0").find("rfkill unblock bluetooth") != std::string::npos);
  CHECK(explain_errno(ENETDOWN, "hci0").find("bandwire adapter up") != std::string::npos);
  CHECK(explain_errno(ENODEV, "hci7") == "hci7: no such adapter (see: bandwire adapters)");
  CHECK(bus_name(1) == "usb");
  CHECK(bus_name(0) == "virtual");
  CHECK(bus_name(42) == "bus42");
}

TEST_CASE("without kernel Bluetooth every adapter call fails fast with the same clear message") {
  if (!probe_bluetooth_socket()) {
    MESSAGE("SKIPPED: this kernel has Bluetooth; the VM suite covers the ioctls");
    return;
  }
  std::vector<adapter_info> list;
  std::string msg;
  CHECK(list_adapters(list, msg).value() == EAFNOSUPPORT);
  CHECK(msg.rfind("no Bluetooth support in this kernel", 0) == 0);
  bool was_up = false;
  msg.clear();
  CHECK(adapter_up(0, was_up, msg).value() == EAFNOSUPPORT);
  CHECK(msg.rfind("no Bluetooth support", 0) == 0);
  msg.clear();
  CHECK(adapter_reset(0, msg).value() == EAFNOSUPPORT);
  asio::io_context io;
  hci_channel ch(io);
  msg.clear();
  CHECK(ch.open(0, msg).value() == EAFNOSUPPORT);
  CHECK_FALSE(ch.is_open());
  CHECK(msg.rfind("no Bluetooth support", 0) == 0);
}
