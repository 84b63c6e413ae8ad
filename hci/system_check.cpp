#include "hci/system_check.hpp"

#include <bluetooth/bluetooth.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <fstream>
#include <iterator>
#include <system_error>

namespace bandwire::hci {

namespace {
std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  return s;
}
}  // namespace

std::optional<std::string> read_text(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) return std::nullopt;
  std::string s((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) return std::nullopt;
  return s;
}

std::optional<std::uint64_t> parse_cap_eff(std::string_view text) {
  constexpr std::string_view key = "CapEff:";
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    if (line.substr(0, key.size()) != key) continue;
    const std::string_view hex = trim(line.substr(key.size()));
    // 64 capability bits at most: 16 hex digits.
    if (hex.empty() || hex.size() > 16) return std::nullopt;
    std::uint64_t v = 0;
    for (char c : hex) {
      int d = (c >= '0' && c <= '9') ? c - '0' : (c >= 'a' && c <= 'f') ? c - 'a' + 10
            : (c >= 'A' && c <= 'F') ? c - 'A' + 10 : -1;
      if (d < 0) return std::nullopt;
      v = (v << 4) | static_cast<std::uint64_t>(d);
    }
    return v;
  }
  return std::nullopt;
}

std::vector<rfkill_switch> read_rfkill(const std::filesystem::path& root) {
  std::vector<rfkill_switch> out;
  std::error_code ec;
  for (std::filesystem::directory_iterator it(root, ec), end; !ec && it != end; it.increment(ec)) {
    const auto dir = it->path();
    rfkill_switch s;
    s.id = dir.filename().string();
    auto field = [&](const char* name) -> std::string {
      auto t = read_text(dir / name);
      return t ? std::string(trim(*t)) : std::string();
    };
    s.type = field("type");
    if (s.type.empty()) continue;  // not an rfkill entry
    s.name = field("name");
    s.soft = field("soft") == "1";
    s.hard = field("hard") == "1";
    out.push_back(std::move(s));
  }
  std::sort(out.begin(), out.end(), [](const rfkill_switch& a, const rfkill_switch& b) { return a.id < b.id; });
  return out;
}

std::vector<int> find_processes(std::string_view comm, const std::filesystem::path& proc) {
  std::vector<int> out;
  std::error_code ec;
  for (std::filesystem::directory_iterator it(proc, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name.empty() || name.size() > 9 || !std::all_of(name.begin(), name.end(), [](char c) { return c >= '0' && c <= '9'; }))
      continue;
    const auto text = read_text(it->path() / "comm");  // the process may be gone meanwhile
    if (text && trim(*text) == comm) out.push_back(std::stoi(name));
  }
  std::sort(out.begin(), out.end());
  return out;
}

boost::system::error_code probe_bluetooth_socket() {
  const int fd = ::socket(AF_BLUETOOTH, SOCK_RAW | SOCK_CLOEXEC, BTPROTO_HCI);
  if (fd < 0) return {errno, boost::system::system_category()};
  ::close(fd);
  return {};
}

}  // namespace bandwire::hci
