// End-to-end tests of the `bandwire` executable: each test runs the real
// binary (BANDWIRE_EXE) as a child process with `--device unix:/path`, accepts
// its connection on a listening AF_UNIX SOCK_SEQPACKET socket, and plays the
// ATT server from a script: every PDU the CLI sends is compared byte for byte,
// every answer is exact. stdout, stderr and the exit status are checked too.
//
// Nothing here can hang: every wait is a poll() with a deadline, and a child
// still running after its deadline is killed (SIGKILL) and reported.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include <doctest/doctest.h>

#include "common/bytes.hpp"

extern char** environ;

namespace {

using namespace std::chrono_literals;
using clock_type = std::chrono::steady_clock;

std::vector<std::uint8_t> hx(std::string_view s) {
  std::vector<std::uint8_t> v;
  std::string compact;
  for (char c : s)
    if (c != ' ') compact.push_back(c);
  REQUIRE_MESSAGE(bandwire::from_hex(compact, v), "bad hex in test: " << std::string(s));
  return v;
}
std::string hexs(const std::vector<std::uint8_t>& v) { return bandwire::to_hex(v); }

std::string exe() {
  const char* p = std::getenv("BANDWIRE_EXE");
  REQUIRE_MESSAGE(p != nullptr, "BANDWIRE_EXE is not set (run through meson test)");
  REQUIRE_MESSAGE(::access(p, X_OK) == 0, "BANDWIRE_EXE is not executable: " << p);
  return p;
}

int ms_left(clock_type::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock_type::now()).count();
  return left < 0 ? 0 : static_cast<int>(left);
}

std::vector<std::string> lines_of(const std::string& s) {
  std::vector<std::string> out;
  std::istringstream in(s);
  for (std::string l; std::getline(in, l);) out.push_back(l);
  return out;
}

// A temporary directory with the listening socket the CLI connects to.
class listener {
 public:
  listener() {
    char tmpl[] = "/tmp/bandwire-cli-XXXXXX";
    REQUIRE(::mkdtemp(tmpl) != nullptr);
    dir_ = tmpl;
    path_ = dir_ + "/att.sock";
    fd_ = ::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
    REQUIRE(fd_ >= 0);
    sockaddr_un sa{};
    sa.sun_family = AF_UNIX;
    std::memcpy(sa.sun_path, path_.c_str(), path_.size() + 1);
    REQUIRE(::bind(fd_, reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0);
    REQUIRE(::listen(fd_, 4) == 0);
  }
  ~listener() {
    if (fd_ >= 0) ::close(fd_);
    ::unlink(path_.c_str());
    ::rmdir(dir_.c_str());
  }
  listener(const listener&) = delete;
  listener& operator=(const listener&) = delete;

  const std::string& path() const { return path_; }
  std::string device() const { return "unix:" + path_; }
  int fd() const { return fd_; }

 private:
  std::string dir_, path_;
  int fd_ = -1;
};

// The `bandwire` child: stdout and stderr through pipes, read as they come
// so the child never blocks on a full pipe.
class child {
 public:
  explicit child(const std::vector<std::string>& args) {
    std::vector<std::string> argv_s{exe()};
    argv_s.insert(argv_s.end(), args.begin(), args.end());
    int out[2], err[2];
    REQUIRE(::pipe2(out, O_CLOEXEC) == 0);
    REQUIRE(::pipe2(err, O_CLOEXEC) == 0);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, out[1], 1);
    posix_spawn_file_actions_adddup2(&fa, err[1], 2);
    std::vector<char*> argv;
    for (auto& a : argv_s) argv.push_back(a.data());
    argv.push_back(nullptr);
    const int rc = ::posix_spawn(&pid_, argv[0], &fa, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&fa);
    ::close(out[1]);
    ::close(err[1]);
    out_fd_ = out[0];
    err_fd_ = err[0];
    REQUIRE_MESSAGE(rc == 0, "posix_spawn failed: " << std::strerror(rc));
    started_ = clock_type::now();
  }
  ~child() {
    if (pid_ > 0 && !exited_) {
      ::kill(pid_, SIGKILL);
      int st;
      ::waitpid(pid_, &st, 0);
    }
    if (out_fd_ >= 0) ::close(out_fd_);
    if (err_fd_ >= 0) ::close(err_fd_);
  }
  child(const child&) = delete;
  child& operator=(const child&) = delete;

  /// The fds to poll for output, with their events; -1 when closed.
  void add_pollfds(std::vector<pollfd>& fds) const {
    fds.push_back({out_fd_, POLLIN, 0});
    fds.push_back({err_fd_, POLLIN, 0});
  }
  /// Reads whatever output is ready (call after poll).
  void read_ready() {
    for (int* fd : {&out_fd_, &err_fd_}) {
      if (*fd < 0) continue;
      pollfd p{*fd, POLLIN, 0};
      if (::poll(&p, 1, 0) <= 0) continue;
      char buf[4096];
      const ssize_t n = ::read(*fd, buf, sizeof buf);
      if (n > 0) {
        (fd == &out_fd_ ? out_ : err_).append(buf, static_cast<std::size_t>(n));
      } else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
        ::close(*fd);
        *fd = -1;
      }
    }
  }
  /// Polls output for up to `ms`.
  void pump(int ms) {
    std::vector<pollfd> fds;
    add_pollfds(fds);
    ::poll(fds.data(), fds.size(), ms);
    read_ready();
  }
  bool running() {
    if (exited_) return false;
    int st = 0;
    const pid_t r = ::waitpid(pid_, &st, WNOHANG);
    if (r == pid_) {
      exited_ = true;
      status_ = st;
      ended_ = clock_type::now();
    }
    return !exited_;
  }
  /// Waits for exit and end of output; kills the child after `limit`.
  /// Returns the exit code, or -1 when it was killed or died from a signal.
  int wait(std::chrono::milliseconds limit = 5000ms) {
    const auto deadline = clock_type::now() + limit;
    while ((running() || out_fd_ >= 0 || err_fd_ >= 0) && clock_type::now() < deadline)
      pump(std::min(ms_left(deadline), 20));
    if (running()) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, &status_, 0);
      exited_ = true;
      killed_ = true;
      ended_ = clock_type::now();
      FAIL_CHECK("bandwire did not exit within " << limit.count() << " ms; killed. stdout:\n"
                                                 << out_ << "stderr:\n"
                                                 << err_);
    }
    if (killed_ || !WIFEXITED(status_)) return -1;
    return WEXITSTATUS(status_);
  }
  const std::string& out() const { return out_; }
  const std::string& err() const { return err_; }
  std::chrono::milliseconds elapsed() const {
    return std::chrono::duration_cast<std::chrono::milliseconds>(ended_ - started_);
  }

 private:
  pid_t pid_ = -1;
  int out_fd_ = -1, err_fd_ = -1;
  bool exited_ = false, killed_ = false;
  int status_ = 0;
  std::string out_, err_;
  clock_type::time_point started_, ended_;
};

// The scripted ATT server: one accepted connection from the child.
class peer {
 public:
  peer(listener& l, child& c) : child_(c) {
    const auto deadline = clock_type::now() + 3000ms;
    while (fd_ < 0 && clock_type::now() < deadline) {
      std::vector<pollfd> fds{{l.fd(), POLLIN, 0}};
      child_.add_pollfds(fds);
      ::poll(fds.data(), fds.size(), std::min(ms_left(deadline), 20));
      child_.read_ready();
      if (fds[0].revents & POLLIN) fd_ = ::accept4(l.fd(), nullptr, nullptr, SOCK_CLOEXEC);
      if (fd_ < 0 && !child_.running()) break;
    }
    REQUIRE_MESSAGE(fd_ >= 0, "bandwire did not connect. stderr:\n" << child_.err());
  }
  ~peer() { close(); }
  peer(const peer&) = delete;
  peer& operator=(const peer&) = delete;

  void close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

  /// The next PDU from the CLI, or nullopt after `limit` or when it hung up.
  std::optional<std::vector<std::uint8_t>> recv(std::chrono::milliseconds limit = 3000ms) {
    const auto deadline = clock_type::now() + limit;
    for (;;) {
      std::vector<pollfd> fds{{fd_, POLLIN, 0}};
      child_.add_pollfds(fds);
      ::poll(fds.data(), fds.size(), std::min(ms_left(deadline), 20));
      child_.read_ready();
      if (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) {
        std::uint8_t buf[1024];
        const ssize_t n = ::recv(fd_, buf, sizeof buf, MSG_DONTWAIT);
        if (n > 0) return std::vector<std::uint8_t>(buf, buf + n);
        if (n == 0 || (errno != EAGAIN && errno != EINTR)) return std::nullopt;  // hung up
      }
      if (clock_type::now() >= deadline) return std::nullopt;
    }
  }
  /// The CLI must send exactly `hex` next.
  void expect(std::string_view hex) {
    auto got = recv();
    REQUIRE_MESSAGE(got.has_value(), "expected PDU " << std::string(hex) << " but nothing came. stderr:\n"
                                                     << child_.err());
    CHECK(hexs(*got) == hexs(hx(hex)));
  }
  void send(std::string_view hex) { send(hx(hex)); }
  /// Sends one PDU, waiting (bounded) while the socket buffer is full.
  void send(const std::vector<std::uint8_t>& pdu) {
    const auto deadline = clock_type::now() + 3000ms;
    for (;;) {
      const ssize_t n = ::send(fd_, pdu.data(), pdu.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
      if (n == static_cast<ssize_t>(pdu.size())) return;
      REQUIRE_MESSAGE((n < 0 && (errno == EAGAIN || errno == EINTR)), "send failed: " << std::strerror(errno));
      REQUIRE_MESSAGE(clock_type::now() < deadline, "bandwire stopped reading. stderr:\n" << child_.err());
      std::vector<pollfd> fds{{fd_, POLLOUT, 0}};
      child_.add_pollfds(fds);
      ::poll(fds.data(), fds.size(), 20);
      child_.read_ready();
    }
  }
  /// The CLI sends nothing more: it hangs up (or stays silent) within `limit`.
  void expect_no_more(std::chrono::milliseconds limit = 3000ms) {
    auto got = recv(limit);
    CHECK_MESSAGE(!got.has_value(), "unexpected PDU " << (got ? hexs(*got) : ""));
  }

 private:
  child& child_;
  int fd_ = -1;
};

// One test: a listener, the CLI against it, and the accepted connection.
struct session {
  listener l;
  child c;
  peer p;
  explicit session(std::vector<std::string> args)
      : c(with_device(l, std::move(args))), p(l, c) {}
  static std::vector<std::string> with_device(const listener& l, std::vector<std::string> args) {
    args.insert(args.begin(), {"gatt", "--device", l.device()});
    return args;
  }
  /// Waits for the CLI to exit (after the script) and returns its status.
  int finish(std::chrono::milliseconds limit = 5000ms) {
    p.expect_no_more();
    return c.wait(limit);
  }
};

std::string base_uuid(const char* short16) { return std::string("0000") + short16 + "-0000-1000-8000-00805f9b34fb"; }

// Read By Group Type script shared by the primary-service tests: two 16-bit
// services, then one 128-bit service, then Attribute Not Found.
void primary_script(peer& p) {
  p.expect("10 0100 ffff 0028");
  p.send("11 06 0100 0500 0018 0600 0900 0118");
  p.expect("10 0a00 ffff 0028");
  // 4a0e0000-6272-4c65-9a1e-62616e647769, little-endian on the wire.
  p.send("11 14 0a00 1000 6977646e61621e9a654c72620000 0e4a");
  p.expect("10 1100 ffff 0028");
  p.send("01 10 1100 0a");
}

}  // namespace

// ---- discovery ----

TEST_CASE("cli: gatt primary prints one line per service (§4.4.1 over Read By Group Type)") {
  session s({"primary"});
  primary_script(s.p);
  CHECK(s.finish() == 0);
  CHECK(lines_of(s.c.out()) == std::vector<std::string>{
                                   "service 0x0001-0x0005 " + base_uuid("1800"),
                                   "service 0x0006-0x0009 " + base_uuid("1801"),
                                   "service 0x000a-0x0010 4a0e0000-6272-4c65-9a1e-62616e647769",
                               });
  CHECK(s.c.err().empty());
}

TEST_CASE("cli: gatt primary --json: handles as integers, UUIDs in 128-bit canonical form") {
  session s({"--json", "primary"});
  primary_script(s.p);
  CHECK(s.finish() == 0);
  CHECK(lines_of(s.c.out()) ==
        std::vector<std::string>{
            R"({"start":1,"end":5,"uuid":"00001800-0000-1000-8000-00805f9b34fb"})",
            R"({"start":6,"end":9,"uuid":"00001801-0000-1000-8000-00805f9b34fb"})",
            R"({"start":10,"end":16,"uuid":"4a0e0000-6272-4c65-9a1e-62616e647769"})",
        });
}

TEST_CASE("cli: gatt primary --uuid uses Find By Type Value (§4.4.2)") {
  session s({"primary", "--uuid", "180f"});
  s.p.expect("06 0100 ffff 0028 0f18");
  s.p.send("07 0a00 0d00");
  s.p.expect("06 0e00 ffff 0028 0f18");
  s.p.send("01 06 0e00 0a");
  CHECK(s.finish() == 0);
  CHECK(s.c.out() == "service 0x000a-0x000d " + base_uuid("180f") + "\n");
}

TEST_CASE("cli: gatt characteristics --json (§4.6.1 over Read By Type 0x2803)") {
  session s({"--json", "characteristics"});
  s.p.expect("08 0100 ffff 0328");
  s.p.send("09 07 0200 02 0300 002a 0400 12 0500 192a");
  s.p.expect("08 0500 ffff 0328");
  s.p.send("09 15 0600 0a 0700 6977646e61621e9a654c72620100 0e4a");
  s.p.expect("08 0700 ffff 0328");
  s.p.send("01 08 0700 0a");
  CHECK(s.finish() == 0);
  CHECK(lines_of(s.c.out()) ==
        std::vector<std::string>{
            R"({"handle":2,"value_handle":3,"properties":2,"uuid":"00002a00-0000-1000-8000-00805f9b34fb"})",
            R"({"handle":4,"value_handle":5,"properties":18,"uuid":"00002a19-0000-1000-8000-00805f9b34fb"})",
            R"({"handle":6,"value_handle":7,"properties":10,"uuid":"4a0e0001-6272-4c65-9a1e-62616e647769"})",
        });
}

TEST_CASE("cli: gatt characteristics (human) names the properties") {
  session s({"characteristics", "--start", "0x0a", "--end", "0x0d"});
  s.p.expect("08 0a00 0d00 0328");
  s.p.send("09 07 0b00 12 0c00 192a");
  s.p.expect("08 0c00 0d00 0328");
  s.p.send("01 08 0c00 0a");
  CHECK(s.finish() == 0);
  CHECK(s.c.out() == "char 0x000b value 0x000c " + base_uuid("2a19") + " [read,notify]\n");
}

TEST_CASE("cli: gatt descriptors (§4.7.1 over Find Information)") {
  session s({"descriptors", "--start", "12", "--end", "13"});
  s.p.expect("04 0c00 0d00");
  s.p.send("05 01 0c00 192a 0d00 0229");
  CHECK(s.finish() == 0);
  CHECK(lines_of(s.c.out()) == std::vector<std::string>{"handle 0x000c " + base_uuid("2a19"),
                                                        "handle 0x000d " + base_uuid("2902")});
}

// ---- reads ----

TEST_CASE("cli: gatt read of a long value continues with Read Blob at offset 22 (§4.8.3, MTU 23)") {
  session s({"read", "0x0003"});
  s.p.expect("0a 0300");
  // 22 value bytes fill ATT_MTU-1: the value may go on.
  s.p.send("0b 62616e64776972652d6c6f6e672d76616c75652d31 32");  // "bandwire-long-value-1" "2"
  s.p.expect("0c 0300 1600");
  s.p.send("0d 2d7461696c");  // 5 bytes: the end
  CHECK(s.finish() == 0);
  CHECK(s.c.out() == "0x0003: 62616e64776972652d6c6f6e672d76616c75652d31322d7461696c  \"bandwire-long-value-12-tail\"\n");
}

TEST_CASE("cli: gatt read --json prints the value as hex") {
  session s({"--json", "read", "3"});
  s.p.expect("0a 0300");
  s.p.send("0b 00ff");
  CHECK(s.finish() == 0);
  CHECK(s.c.out() == "{\"handle\":3,\"value\":\"00ff\"}\n");
}

TEST_CASE("cli: gatt read answered with Error Response 0x01 exits 1 and names the error") {
  session s({"read", "0x0003"});
  s.p.expect("0a 0300");
  s.p.send("01 0a 0300 01");
  CHECK(s.finish() == 1);
  CHECK(s.c.out().empty());
  CHECK(s.c.err().find("0x01 Invalid Handle") != std::string::npos);
  CHECK(lines_of(s.c.err()).size() == 1);
}

TEST_CASE("cli: gatt read fails with exit 1 when the peer hangs up mid-procedure") {
  session s({"read", "3"});
  s.p.expect("0a 0300");
  s.p.close();
  CHECK(s.c.wait() == 1);
  CHECK(s.c.err().find("closed") != std::string::npos);
}

TEST_CASE("cli: gatt read-multiple (§4.8.4)") {
  session s({"read-multiple", "3", "0x0005"});
  s.p.expect("0e 0300 0500");
  s.p.send("0f 0102 0304");
  CHECK(s.finish() == 0);
  CHECK(s.c.out() == "values: 01020304\n");
}

TEST_CASE("cli: gatt read-uuid reads by characteristic UUID until Attribute Not Found (§4.8.2)") {
  session s({"read-uuid", "2a19"});
  s.p.expect("08 0100 ffff 192a");
  s.p.send("09 03 0c00 64");
  s.p.expect("08 0d00 ffff 192a");
  s.p.send("01 08 0d00 0a");
  CHECK(s.finish() == 0);
  CHECK(s.c.out() == "0x000c: 64  \"d\"\n");
}

TEST_CASE("cli: --mtu 100 exchanges the MTU first; a 22-byte value then ends the read") {
  session s({"--mtu", "100", "read", "3"});
  s.p.expect("02 6400");
  s.p.send("03 4000");  // server Rx MTU 64 -> ATT_MTU 64
  s.p.expect("0a 0300");
  s.p.send("0b 00112233445566778899aabbccddeeff001122334455");  // 22 bytes < 63: complete
  CHECK(s.finish() == 0);
  CHECK(s.c.out() == "0x0003: 00112233445566778899aabbccddeeff001122334455\n");
  CHECK(s.c.err() == "ATT MTU 64\n");
}

// ---- writes ----

TEST_CASE("cli: gatt write HANDLE HEX sends a Write Request (§4.9.3)") {
  session s({"write", "0x0003", "0102"});
  s.p.expect("12 0300 0102");
  s.p.send("13");
  CHECK(s.finish() == 0);
  CHECK(s.c.out() == "wrote 2 bytes to 0x0003\n");
}

TEST_CASE("cli: gatt write of 40 bytes uses prepared writes of 18 bytes, then Execute Write 01 (§4.9.4)") {
  std::string value;
  for (int i = 0; i < 40; ++i) value += hexs({static_cast<std::uint8_t>(0xa0 + i)});
  session s({"--json", "write", "3", value});
  const std::string part1 = value.substr(0, 36), part2 = value.substr(36, 36), part3 = value.substr(72);
  s.p.expect("16 0300 0000" + part1);
  s.p.send("17 0300 0000" + part1);
  s.p.expect("16 0300 1200" + part2);
  s.p.send("17 0300 1200" + part2);
  s.p.expect("16 0300 2400" + part3);
  s.p.send("17 0300 2400" + part3);
  s.p.expect("18 01");
  s.p.send("19");
  CHECK(s.finish() == 0);
  CHECK(s.c.out() == "{\"handle\":3,\"written\":40}\n");
}

TEST_CASE("cli: gatt write --reliable cancels with Execute Write 00 when the echo differs (§4.9.5)") {
  session s({"write", "--reliable", "3", "01020304"});
  s.p.expect("16 0300 0000 01020304");
  s.p.send("17 0300 0000 01020305");  // wrong echo
  s.p.expect("18 00");
  s.p.send("19");
  CHECK(s.finish() == 1);
  CHECK(s.c.out().empty());
  CHECK(s.c.err().find("reliable write") != std::string::npos);
}

TEST_CASE("cli: gatt write-cmd sends a Write Command and expects no answer (§4.9.1)") {
  session s({"write-cmd", "0x0003", "aabb"});
  s.p.expect("52 0300 aabb");
  CHECK(s.finish() == 0);
  CHECK(s.c.out() == "sent 2 bytes to 0x0003 (no response)\n");
}

// ---- notifications ----

TEST_CASE("cli: gatt listen prints notifications and confirms indications (§4.10, §4.11)") {
  session s({"listen", "--duration", "0.3"});
  s.p.send("1b 0300 0102");
  s.p.send("1d 0500 aa");
  s.p.expect("1e");
  CHECK(s.finish() == 0);
  CHECK(lines_of(s.c.out()) == std::vector<std::string>{"notification 0x0003: 0102", "indication 0x0005: aa"});
  CHECK(s.c.elapsed() >= 250ms);
}

TEST_CASE("cli: gatt listen --json, and a burst of 200 notifications is printed in full") {
  // More than the bearer reads per wake-up (64), then a hang-up: every value
  // before the hang-up is printed, whatever the timing.
  session s({"--json", "listen"});
  for (int i = 0; i < 200; ++i) s.p.send("1b 0300" + hexs({static_cast<std::uint8_t>(i)}));
  s.p.close();
  CHECK(s.c.wait() == 0);
  auto lines = lines_of(s.c.out());
  REQUIRE(lines.size() == 200);
  CHECK(lines.front() == R"({"handle":3,"value":"00","indication":false})");
  CHECK(lines.back() == R"({"handle":3,"value":"c7","indication":false})");
}

TEST_CASE("cli: gatt listen ends with exit 0 when the peer hangs up") {
  session s({"listen"});
  s.p.send("1b 0300 07");
  s.p.close();
  CHECK(s.c.wait() == 0);
  CHECK(s.c.out() == "notification 0x0003: 07\n");
}

// ---- usage and connection errors ----

TEST_CASE("cli: --help exits 0 with usage on stdout") {
  for (auto args : {std::vector<std::string>{"--help"}, std::vector<std::string>{"gatt", "--help"}}) {
    child c(args);
    CHECK(c.wait() == 0);
    CHECK(c.out().rfind("usage: bandwire", 0) == 0);
    CHECK(c.err().empty());
  }
}

TEST_CASE("cli: usage errors exit 2 without connecting") {
  listener l;
  const std::vector<std::vector<std::string>> cases = {
      {},                                                  // no command
      {"frobnicate"},                                      // unknown top-level command
      {"gatt", "--device", l.device(), "frobnicate"},      // unknown gatt command
      {"gatt", "--device", l.device(), "read", "xyz"},     // bad handle
      {"gatt", "--device", l.device(), "read", "0x10000"}, // handle out of range
      {"gatt", "--device", l.device(), "write", "3", "0g"},  // bad hex
      {"gatt", "--device", l.device(), "read"},            // missing handle
      {"gatt", "--device", l.device(), "--mtu", "22", "primary"},
      {"gatt", "--device", l.device(), "listen", "--duration", "0.3s"},
      {"gatt", "--device", l.device(), "--bogus", "primary"},  // unknown option
      {"gatt", "primary"},                                 // missing --device
      {"gatt", "--device", "nonsense", "primary"},         // not a target
  };
  for (const auto& args : cases) {
    std::string joined;
    for (const auto& a : args) joined += a + " ";
    CAPTURE(joined);
    child c(args);
    CHECK(c.wait() == 2);
    CHECK(c.out().empty());
    CHECK_FALSE(c.err().empty());
    if (!args.empty()) CHECK(lines_of(c.err()).size() == 1);  // no arguments: the help text
    // Nobody dialled the listener. (Drop any connection so that one failure
    // does not fill the backlog and block the next case's connect().)
    pollfd p{l.fd(), POLLIN, 0};
    CHECK_MESSAGE(::poll(&p, 1, 0) == 0, "bandwire connected before rejecting its command line");
    while (::poll(&p, 1, 0) > 0) {
      const int fd = ::accept4(l.fd(), nullptr, nullptr, SOCK_CLOEXEC);
      if (fd < 0) break;
      ::close(fd);
    }
  }
}

TEST_CASE("cli: a Bluetooth address on a kernel without Bluetooth exits 3 at once with one line") {
  const int probe = ::socket(AF_BLUETOOTH, SOCK_SEQPACKET, 0);
  if (probe >= 0) {
    ::close(probe);
    MESSAGE("this kernel has AF_BLUETOOTH; skipping the no-Bluetooth check");
    return;
  }
  child c({"gatt", "--device", "AA:BB:CC:DD:EE:FF", "--timeout", "2", "primary"});
  CHECK(c.wait() == 3);
  CHECK(c.elapsed() < 1500ms);
  CHECK(c.out().empty());
  CHECK(lines_of(c.err()).size() == 1);
  CHECK(c.err().rfind("bandwire: ", 0) == 0);
}

TEST_CASE("cli: a unix path nobody listens on exits 3") {
  std::string path;
  {
    listener l;
    path = l.path();
  }  // removed again
  child c({"gatt", "--device", "unix:" + path, "primary"});
  CHECK(c.wait() == 3);
  CHECK(c.err().find("cannot connect") != std::string::npos);
}

// ---- the in-process demo server ----

TEST_CASE("cli: gatt --device demo primary lists the demo database's services") {
  child c({"gatt", "--device", "demo", "primary"});
  CHECK(c.wait() == 0);
  CHECK(lines_of(c.out()) == std::vector<std::string>{
                                 "service 0x0001-0x0005 " + base_uuid("1800"),
                                 "service 0x0006-0x0009 " + base_uuid("1801"),
                                 "service 0x000a-0x000d " + base_uuid("180f"),
                                 "service 0x000e-0x0013 " + base_uuid("180d"),
                                 "service 0x0014-0x0017 4a0e0000-6272-4c65-9a1e-62616e647769",
                             });
  CHECK(c.err().empty());
}

TEST_CASE("cli: gatt --device demo reads the 100-byte vendor value with Read Blob") {
  child c({"gatt", "--device", "demo", "--json", "read", "0x0016"});
  CHECK(c.wait() == 0);
  std::string want;
  for (int i = 0; i < 100; ++i) want += hexs({static_cast<std::uint8_t>(i)});
  CHECK(c.out() == "{\"handle\":22,\"value\":\"" + want + "\"}\n");
}

// ---- the command table: every command's help and usage errors ----

TEST_CASE("cli: every command has `usage: bandwire NAME` help, is listed, and reports a bad option in one line") {
  child main_help({"help"});
  REQUIRE(main_help.wait() == 0);
  for (const char* name : {"stream", "heart", "pair", "info", "battery", "time", "steps", "alert", "vibrate", "events",
                           "sim", "gatt", "decode", "scan", "adapters", "adapter", "doctor", "agent"}) {
    CAPTURE(name);
    CHECK(main_help.out().find(std::string("\n  ") + name + " ") != std::string::npos);
    child help({name, "--help"});
    CHECK(help.wait() == 0);
    CHECK(help.out().rfind(std::string("usage: bandwire ") + name, 0) == 0);
    CHECK(help.err().empty());
    child bad({name, "--bogus=1"});
    CHECK(bad.wait() == 2);
    CHECK(bad.out().empty());
    CHECK(bad.err() == std::string("bandwire ") + name + ": unknown option --bogus (see bandwire " + name + " --help)\n");
  }
}

TEST_CASE("cli: a missing value and a stray argument are one-line usage errors") {
  child missing({"gatt", "--device"});
  CHECK(missing.wait() == 2);
  CHECK(missing.err() == "bandwire gatt: option --device needs a value (see bandwire gatt --help)\n");
  child stray({"doctor", "now"});
  CHECK(stray.wait() == 2);
  CHECK(stray.err() == "bandwire doctor: unexpected argument 'now' (see bandwire doctor --help)\n");
  // A command's name is an ordinary argument after another command.
  child decode({"decode", "info"});
  CHECK(decode.wait() == 2);
  CHECK(decode.err() == "bandwire decode: cannot read info\n");
}
