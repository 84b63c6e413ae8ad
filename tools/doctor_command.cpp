// `bandwire doctor`: checks what bandwire needs from this machine and says
// what to do about each problem. It only reads: the kernel's answer to
// socket(AF_BLUETOOTH), the adapters (HCIGETDEVINFO), /sys/class/rfkill,
// /proc/*/comm (bluetoothd), and /proc/self/status (CapEff). It always exits
// 0: a report full of problems is still a successful report.
#include <cerrno>
#include <cstdio>
#include <string>
#include <vector>

#include "hci/hci_socket.hpp"
#include "hci/system_check.hpp"
#include "tools/commands.hpp"
#include "tools/hci_commands.hpp"
#include "tools/option_set.hpp"
#include "tools/output.hpp"

namespace bandwire::tools {

namespace {

constexpr const char* setcap_fix = "sudo setcap cap_net_admin,cap_net_raw+ep \"$(command -v bandwire)\", or run as root";

class report {
 public:
  void line(const char* status, const std::string& topic, const std::string& text, const std::string& fix = {}) {
    char head[48];
    std::snprintf(head, sizeof head, "%-5s %-13s", status, topic.c_str());
    emit(std::string(head) + text);
    if (!fix.empty()) emit(std::string(20, ' ') + "fix: " + fix);
    if (std::string(status) == "FAIL") ++problems_;
    if (std::string(status) == "warn") ++warnings_;
  }
  int problems() const noexcept { return problems_; }
  int warnings() const noexcept { return warnings_; }

 private:
  int problems_ = 0;
  int warnings_ = 0;
};

// 1. Kernel support. Returns whether Bluetooth sockets work.
bool check_kernel(report& r) {
  const auto kernel_ec = hci::probe_bluetooth_socket();
  if (!kernel_ec) {
    r.line("ok", "kernel", "Bluetooth sockets available");
  } else if (kernel_ec.value() == EAFNOSUPPORT) {
    r.line("FAIL", "kernel", "no Bluetooth support in this kernel (socket(AF_BLUETOOTH): " + kernel_ec.message() + ")",
           "load it (sudo modprobe bluetooth) or use a kernel built with CONFIG_BT; in a container the host's "
           "kernel decides");
  } else {
    r.line("FAIL", "kernel", "socket(AF_BLUETOOTH) failed: " + kernel_ec.message(),
           "check the process's sandbox (seccomp, SELinux/AppArmor) allows AF_BLUETOOTH");
  }
  return !kernel_ec;
}

// 2. Adapters.
void check_adapters(report& r) {
  std::vector<hci::adapter_info> list;
  std::string message;
  if (hci::list_adapters(list, message)) return r.line("FAIL", "adapters", message);
  if (list.empty())
    return r.line("FAIL", "adapters", "no adapter found",
                  "plug one in; check `dmesg | grep -i bluetooth` for firmware or driver (btusb) errors");
  for (const auto& ad : list) {
    std::string text = ad.name + " " + ad.addr.to_string() + " " + (ad.up ? "up" : "down") + ", " +
                       (ad.le ? "LE" : "no LE") + (ad.bredr ? " + BR/EDR" : "") + ", " + hci::bus_name(ad.bus);
    if (!ad.le)
      r.line("FAIL", "adapter", text, "bandwire needs Bluetooth LE (4.0 or later); use another adapter");
    else if (!ad.up)
      r.line("warn", "adapter", text, "bandwire adapter up --adapter " + ad.name);
    else
      r.line("ok", "adapter", text);
  }
}

// 3. rfkill.
void check_rfkill(report& r) {
  std::size_t bt_switches = 0;
  for (const auto& s : hci::read_rfkill()) {
    if (s.type != "bluetooth") continue;
    ++bt_switches;
    const std::string what = s.id + " (" + s.name + ")";
    if (s.hard)
      r.line("FAIL", "rfkill", what + " hard-blocked", "a hardware switch, key combination or firmware setting");
    else if (s.soft)
      r.line("FAIL", "rfkill", what + " soft-blocked", "rfkill unblock bluetooth");
    else
      r.line("ok", "rfkill", what + " not blocked");
  }
  if (bt_switches == 0) r.line("ok", "rfkill", "no Bluetooth rfkill switch");
}

// 4. bluetoothd.
void check_bluetoothd(report& r) {
  const auto pids = hci::find_processes("bluetoothd");
  if (pids.empty()) return r.line("ok", "bluetoothd", "not running (bandwire does not need it)");
  r.line("warn", "bluetoothd", "running (pid " + std::to_string(pids.front()) +
                                   "): scanning works beside it, but if it connects to a band first bandwire's "
                                   "connect fails with EBUSY",
         "`bluetoothctl disconnect <band>` (and untrust it), or `sudo systemctl stop bluetooth`");
}

// 5. Capabilities.
void check_capabilities(report& r) {
  const auto status = hci::read_text("/proc/self/status");
  const auto mask = status ? hci::parse_cap_eff(*status) : std::nullopt;
  if (!mask) return r.line("warn", "capabilities", "could not read CapEff from /proc/self/status");
  const auto caps = hci::capabilities_from(*mask);
  if (caps.net_raw)
    r.line("ok", "capabilities", "CAP_NET_RAW (LE scanning)");
  else
    r.line("warn", "capabilities", "no CAP_NET_RAW: `bandwire scan` will be refused", setcap_fix);
  if (caps.net_admin)
    r.line("ok", "capabilities", "CAP_NET_ADMIN (adapter up/reset, pairing agent, advertising)");
  else
    r.line("warn", "capabilities", "no CAP_NET_ADMIN: `bandwire adapter up|reset` and `bandwire agent` will be refused",
           setcap_fix);
}

}  // namespace

void declare_doctor(option_set& o) {
  o.usage("doctor").description(
      "Check this machine for what bandwire needs: kernel Bluetooth support, adapters\n"
      "and their state, rfkill, a running bluetoothd, and this process's capabilities\n"
      "(CAP_NET_ADMIN, CAP_NET_RAW). Prints what to do about each problem.");
}

int run_doctor(const args&) {
  report r;
  if (check_kernel(r))
    check_adapters(r);
  else
    r.line("skip", "adapters", "not checked: needs kernel Bluetooth");
  check_rfkill(r);
  check_bluetoothd(r);
  check_capabilities(r);
  char summary[96];
  std::snprintf(summary, sizeof summary, "%d problem(s), %d warning(s)", r.problems(), r.warnings());
  emit(summary);
  return exit_ok;
}

}  // namespace bandwire::tools
