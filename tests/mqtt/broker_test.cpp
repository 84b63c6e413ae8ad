// `bandwire record` publishing to a real mosquitto (README "Publishing to
// MQTT"), in real time: the broker runs on 127.0.0.1 on a free port (never
// another address), a mosquitto_sub with a persistent session records every
// message, two `bandwire sim --listen --speed 8` bands feed the recorder.
//
//  * broker restarted three times and the recorder killed with SIGKILL twice
//    and restarted: every record in the files reached the subscriber, with
//    the same JSON, exactly once after deduplication by (band, kind, n); the
//    spool is empty at the end; no `dropped` record;
//  * a tiny spool while the broker is away: the oldest records are dropped
//    and counted, and files = received + dropped;
//  * a broker that wants a password: a wrong one is a clear error in the
//    status line while the records keep spooling; the right one drains it;
//  * mqtts:// with a CA of the test's making: a wrong ca_file is a clear
//    TLS error, the right one delivers.
//
// Skips (a "SKIPPED:" message) without mosquitto; fails under CI=true.
#include <doctest/doctest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <thread>
#include <tuple>

#include "record/mqtt_spool.hpp"
#include "record/records.hpp"
#include "record/rotating_writer.hpp"
#include "tests/support/cli_process.hpp"

using namespace bandwire;
using namespace bandwire::test;
namespace fs = std::filesystem;

namespace {

struct dir_guard {
  std::string path = make_temp_dir("bandwire-mqtt");
  ~dir_guard() { fs::remove_all(path); }
};

std::string find_tool(const std::string& name) {
  std::string path = std::getenv("PATH") ? std::getenv("PATH") : "";
  path += ":/usr/sbin:/usr/local/sbin:/sbin";
  std::stringstream ss(path);
  for (std::string d; std::getline(ss, d, ':');)
    if (!d.empty() && ::access((d + "/" + name).c_str(), X_OK) == 0) return d + "/" + name;
  return {};
}

// True when mosquitto, mosquitto_sub and mosquitto_passwd are here; else a
// skip, or a failure under CI=true (scripts/deps.sh --test installs them).
bool have_broker() {
  for (const char* t : {"mosquitto", "mosquitto_sub", "mosquitto_passwd"})
    if (find_tool(t).empty()) {
      const char* ci = std::getenv("CI");
      if (ci && std::string(ci) == "true") FAIL("CI=true and " << t << " is not installed (scripts/deps.sh --test)");
      MESSAGE("SKIPPED: " << t << " is not installed (apt-get install mosquitto mosquitto-clients)");
      return false;
    }
  return true;
}

std::uint16_t free_port() {
  const int s = ::socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(s >= 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
  socklen_t len = sizeof a;
  REQUIRE(::getsockname(s, reinterpret_cast<sockaddr*>(&a), &len) == 0);
  ::close(s);
  return ntohs(a.sin_port);
}

bool port_open(std::uint16_t port) {
  const int s = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(port);
  const bool ok = ::connect(s, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  ::close(s);
  return ok;
}

void sleep_s(double s) { std::this_thread::sleep_for(std::chrono::duration<double>(s)); }

pid_t spawn(const std::vector<std::string>& args, const std::string& out, const std::string& err) {
  pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    std::vector<char*> argv;
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    if (!out.empty()) std::freopen(out.c_str(), "a", stdout);
    if (!err.empty()) std::freopen(err.c_str(), "a", stderr);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  return pid;
}

int end(pid_t pid, int sig = SIGTERM) {
  ::kill(pid, sig);
  for (int i = 0; i < 30 * 50; ++i) {
    int st = 0;
    if (::waitpid(pid, &st, WNOHANG) == pid) return WIFEXITED(st) ? WEXITSTATUS(st) : -WTERMSIG(st);
    sleep_s(0.02);
  }
  ::kill(pid, SIGKILL);
  ::waitpid(pid, nullptr, 0);
  return -100;
}

std::string slurp(const std::string& p) {
  std::ifstream f(p, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

std::size_t count_of(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto p = text.find(what); p != std::string::npos; p = text.find(what, p + 1)) ++n;
  return n;
}

// A mosquitto on 127.0.0.1:port with a persistent store, so a subscriber's
// queued messages survive a broker restart (a SIGTERM saves them).
struct broker {
  std::string dir, conf, log;
  std::uint16_t port = free_port();
  pid_t pid = -1;
  broker(const std::string& d, const std::string& password_file = {}, const std::string& tls_dir = {})
      : dir(d + "/broker") {
    fs::create_directories(dir);
    ::chmod(dir.c_str(), 0777);
    conf = dir + "/mosquitto.conf", log = dir + "/mosquitto.log";
    std::ofstream c(conf);
    c << "listener " << port << " 127.0.0.1\n"
      << "allow_anonymous " << (password_file.empty() ? "true" : "false") << "\n"
      << (password_file.empty() ? "" : "password_file " + password_file + "\n") << "persistence true\n"
      << "persistence_location " << dir << "/\nmax_queued_messages 0\nlog_dest file " << log << "\n";
    if (!tls_dir.empty())
      c << "cafile " << tls_dir << "/ca.pem\ncertfile " << tls_dir << "/srv.pem\nkeyfile " << tls_dir << "/srv.key\n";
    if (::getuid() == 0) c << "user root\n";  // as root mosquitto would switch to `mosquitto`, who cannot write here
  }
  ~broker() {
    if (pid > 0) end(pid);
  }
  void start() {
    pid = spawn({find_tool("mosquitto"), "-c", conf}, "", dir + "/stderr");
    for (int i = 0; i < 250 && !port_open(port); ++i) sleep_s(0.02);
    REQUIRE_MESSAGE(port_open(port), slurp(dir + "/stderr") << slurp(log));
  }
  void stop() {
    CHECK(end(pid) == 0);
    pid = -1;
  }
  /// Waits until `client` connected `times` times in all (the log says so).
  void wait_client(const std::string& client, std::size_t times) {
    for (int i = 0; i < 250 && count_of(slurp(log), " as " + client + " ") < times; ++i) sleep_s(0.02);
    sleep_s(0.2);  // its SUBSCRIBE follows the CONNECT
  }
};

// mosquitto_sub with a persistent session (-c): what it missed while away
// is delivered when it comes back. One line per message: TOPIC PAYLOAD.
struct subscriber {
  broker& b;
  std::string out;
  std::vector<std::string> extra;
  pid_t pid = -1;
  std::size_t starts = 0;
  subscriber(broker& br, std::string path, std::vector<std::string> x = {})
      : b(br), out(std::move(path)), extra(std::move(x)) {}
  ~subscriber() {
    if (pid > 0) end(pid);
  }
  void start() {
    std::vector<std::string> a{find_tool("mosquitto_sub"), "-h", "127.0.0.1", "-p", std::to_string(b.port), "-i",
                               "bw-test-sub", "-c", "-q", "1", "-v", "-t", "bandwire/#", "-t", "homeassistant/#"};
    a.insert(a.end(), extra.begin(), extra.end());
    pid = spawn(a, out, out + ".err");
    b.wait_client("bw-test-sub", ++starts);
  }
  void stop() {
    end(pid);
    pid = -1;
  }
};

using key = std::tuple<std::string, std::string, std::uint64_t>;  // band, kind, n

struct received {
  std::map<key, std::string> records;  // the first payload of each
  std::map<std::string, std::string> last;  // the last payload of each status and availability topic
  std::size_t messages = 0, duplicates = 0, mismatched = 0;
  std::uint64_t dropped = 0;
  std::set<std::string> discovery;
};

received read_subscriber(const std::string& path) {
  received r;
  std::ifstream f(path);
  for (std::string l; std::getline(f, l);) {
    const auto sp = l.find(' ');
    if (sp == std::string::npos) continue;
    const std::string topic = l.substr(0, sp), payload = l.substr(sp + 1);
    if (topic.rfind("homeassistant/", 0) == 0) {
      r.discovery.insert(topic);
      continue;
    }
    if (topic == "bandwire/status") {
      r.last[topic] = payload;
      continue;
    }
    if (topic == "bandwire/dropped") {
      r.dropped += std::strtoull(payload.c_str() + payload.find(':') + 1, nullptr, 10);
      continue;
    }
    const auto s1 = topic.find('/'), s2 = topic.find('/', s1 + 1);
    if (s2 == std::string::npos) continue;
    const std::string band = topic.substr(s1 + 1, s2 - s1 - 1), kind = topic.substr(s2 + 1);
    if (kind == "availability") {
      r.last[topic] = payload;
      continue;
    }
    auto n = record::parse_counter(payload, record::file_format::jsonl);
    REQUIRE_MESSAGE(n.has_value(), l);
    ++r.messages;
    auto [it, added] = r.records.emplace(key{band, kind, *n}, payload);
    if (!added) {
      ++r.duplicates;
      if (it->second != payload) ++r.mismatched;
    }
  }
  return r;
}

std::map<key, std::string> read_files(const std::string& out, const std::vector<std::string>& bands) {
  std::map<key, std::string> m;
  record::posix_file_system pfs;
  for (const auto& band : bands)
    for (auto k : record::all_kinds) {
      std::vector<std::pair<record::file_name_parts, std::string>> files;
      for (const auto& name : pfs.list(out + "/" + band))
        if (auto p = record::parse_file_name(name, k, record::file_format::jsonl)) files.push_back({*p, name});
      for (const auto& [p, name] : files) {
        std::ifstream f(out + "/" + band + "/" + name);
        for (std::string l; std::getline(f, l);) {
          auto n = record::parse_counter(l, record::file_format::jsonl);
          REQUIRE_MESSAGE(n.has_value(), l);
          m.emplace(key{band, record::kind_name(k), *n}, l);
        }
      }
    }
  return m;
}

struct bands {
  std::string exe, dir;
  std::vector<pid_t> sims;
  bands(const std::string& e, const std::string& d, std::initializer_list<const char*> names) : exe(e), dir(d) {
    for (const char* b : names) {
      const std::string key = d + "/" + b + ".key";
      std::ofstream(key) << "91c7954727b7ec7fb89c65b311bdd59f\n";
      ::chmod(key.c_str(), 0600);
      sims.push_back(spawn({exe, "sim", "--listen", "unix:" + d + "/" + b + ".sock", "--speed", "8", "--key-file", key,
                            "--duration", "300"},
                           "", d + "/sim-" + b + ".err"));
      for (int i = 0; i < 250 && !fs::exists(d + "/" + b + ".sock"); ++i) sleep_s(0.02);
    }
  }
  void stop() {
    for (pid_t p : sims) CHECK(end(p) == 0);
    sims.clear();
  }
  ~bands() {
    for (pid_t p : sims) end(p);
  }
};

std::string band_toml(const std::string& d, const char* alias, bool accel) {
  return std::string("[[band]]\nalias = \"") + alias + "\"\ndevice = \"unix:" + d + "/" + alias + ".sock\"\nkey_file = \"" +
         d + "/" + alias + ".key\"\nbattery_minutes = 1\n" + (accel ? "accel = true\nrate = 10\n" : "");
}

std::string config(const std::string& d, std::uint16_t port, const std::string& mqtt_extra, bool two) {
  return "output = \"" + d + "/out\"\nstatus_seconds = 1\nstate_dir = \"" + d + "/state\"\n[mqtt]\nurl = \"mqtt://127.0.0.1:" +
         std::to_string(port) + "\"\nclient_id = \"bw-test-rec\"\nkeepalive_seconds = 5\n" + mqtt_extra +
         band_toml(d, "a", true) + (two ? band_toml(d, "b", false) : "");
}

record::spool_contents spool_of(const std::string& d) {
  auto c = record::parse_spool(slurp(d + "/state/mqtt-spool"));
  REQUIRE(c.has_value());
  return *c;
}

}  // namespace

TEST_CASE("mqtt broker: restarted three times, the recorder killed twice; every file record arrives once after dedup") {
  if (!have_broker()) return;
  const std::string exe = bandwire_exe();
  dir_guard d;
  broker br(d.path);
  br.start();
  subscriber sub(br, d.path + "/sub.log");
  sub.start();
  bands sims(exe, d.path, {"a", "b"});
  const std::string cfg = d.path + "/record.toml";
  std::ofstream(cfg) << config(d.path, br.port, "", true);
  const std::string err = d.path + "/record.err";
  auto start_record = [&] { return spawn({exe, "record", "--config", cfg, "--speed", "8"}, "", err); };
  pid_t rec = start_record();
  auto restart_broker = [&] {
    sub.stop();
    br.stop();
    sleep_s(2);  // records spool meanwhile
    br.start();
    sub.start();
  };
  auto kill_record = [&] {
    CHECK(end(rec, SIGKILL) == -SIGKILL);
    sleep_s(0.5);
    rec = start_record();
  };
  sleep_s(6);
  restart_broker();
  sleep_s(6);
  kill_record();
  sleep_s(6);
  restart_broker();
  sleep_s(6);
  kill_record();
  sleep_s(6);
  restart_broker();
  sleep_s(8);
  sims.stop();  // no new records: the spool drains
  sleep_s(3);
  CHECK(end(rec) == 0);
  sleep_s(0.5);
  sub.stop();

  const std::string log = slurp(err);
  const auto files = read_files(d.path + "/out", {"a", "b"});
  const auto got = read_subscriber(d.path + "/sub.log");
  std::size_t missing = 0, differing = 0, phantom = 0;
  for (const auto& [k, line] : files) {
    auto it = got.records.find(k);
    if (it == got.records.end()) ++missing;
    else if (it->second != line) ++differing;
  }
  for (const auto& [k, payload] : got.records) phantom += files.count(k) == 0;
  std::map<std::string, std::size_t> per_kind;
  for (const auto& [k, line] : files) ++per_kind[std::get<1>(k)];
  MESSAGE("mqtt broker test: " << files.size() << " records in the files (accel " << per_kind["accel"] << ", hr "
                               << per_kind["hr"] << ", gap " << per_kind["gap"] << ", battery " << per_kind["battery"]
                               << "), " << got.messages << " messages received, " << got.records.size()
                               << " after dedup, " << got.duplicates << " duplicates, " << missing << " missing, "
                               << got.dropped << " dropped; recorder status lines: "
                               << count_of(log, "bandwire record: mqtt ") << ", of them showing connected "
                               << count_of(log, ": connected, spooled"));
  CAPTURE(log.substr(log.size() > 3000 ? log.size() - 3000 : 0));
  CHECK(files.size() > 1000);
  CHECK(per_kind["hr"] > 100);
  CHECK(missing == 0);
  CHECK(differing == 0);
  CHECK(phantom == 0);
  CHECK(got.mismatched == 0);
  CHECK(got.records.size() == files.size());
  CHECK(got.dropped == 0);
  CHECK(got.discovery.count("homeassistant/sensor/bandwire_bw-test-rec_a/heart_rate/config") == 1);
  // A clean stop says goodbye: the recorder and each band offline (the dashboard greys them out).
  CHECK(got.last.at("bandwire/status") == "offline");
  CHECK(got.last.at("bandwire/a/availability") == "offline");
  CHECK(got.last.at("bandwire/b/availability") == "offline");
  CHECK(got.discovery.count("homeassistant/sensor/bandwire_bw-test-rec_b/battery/config") == 1);
  CHECK(got.discovery.count("homeassistant/sensor/bandwire_bw-test-rec_b/steps/config") == 1);
  const auto spool = spool_of(d.path);
  CHECK(spool.entries.empty());
  CHECK(spool.pending_dropped == 0);
  CHECK(log.find("mqtt 127.0.0.1:" + std::to_string(br.port) + ": stopped, spooled 0, ") != std::string::npos);
  CHECK(log.find("last error: connection lost: ") != std::string::npos);  // a broker restart, in a status line
  CHECK(log.find("dropped") == std::string::npos);
}

TEST_CASE("mqtt broker: a full spool while the broker is away drops the oldest, counted: files = received + dropped") {
  if (!have_broker()) return;
  const std::string exe = bandwire_exe();
  dir_guard d;
  broker br(d.path);
  bands sims(exe, d.path, {"a"});
  const std::string cfg = d.path + "/record.toml";
  std::ofstream(cfg) << config(d.path, br.port, "spool_mb = 0.004\n", false);
  const std::string err = d.path + "/record.err";
  pid_t rec = spawn({exe, "record", "--config", cfg, "--speed", "8"}, "", err);
  sleep_s(4);  // attempts at 0, 1 and 3 s are refused; the next one comes at 7 s
  br.start();
  subscriber sub(br, d.path + "/sub.log");
  sub.start();
  sleep_s(6);
  sims.stop();
  sleep_s(2);
  CHECK(end(rec) == 0);
  sleep_s(0.5);
  sub.stop();
  const std::string log = slurp(err);
  CAPTURE(log.substr(log.size() > 3000 ? log.size() - 3000 : 0));
  const auto files = read_files(d.path + "/out", {"a"});
  const auto got = read_subscriber(d.path + "/sub.log");
  std::size_t missing = 0;
  for (const auto& [k, line] : files) missing += got.records.count(k) == 0;
  MESSAGE("mqtt overflow test: " << files.size() << " records in the files, " << got.records.size()
                                 << " received after dedup, " << got.dropped << " reported dropped, " << missing
                                 << " not received");
  CHECK(log.find("last error: connecting: Connection refused") != std::string::npos);
  CHECK(got.dropped > 100);
  CHECK(got.dropped == missing);
  CHECK(got.records.size() + got.dropped == files.size());
  CHECK(log.find(" dropped, last error") != std::string::npos);
  CHECK(spool_of(d.path).entries.empty());
  CHECK(spool_of(d.path).pending_dropped == 0);
}

TEST_CASE("mqtt broker: a wrong password is a clear error in the status line and records keep spooling") {
  if (!have_broker()) return;
  const std::string exe = bandwire_exe();
  dir_guard d;
  const std::string pw = d.path + "/passwd";
  REQUIRE(std::system((find_tool("mosquitto_passwd") + " -c -b " + pw + " bw s3cret >/dev/null 2>&1").c_str()) == 0);
  ::chmod(pw.c_str(), 0644);
  broker br(d.path, pw);
  br.start();
  subscriber sub(br, d.path + "/sub.log", {"-u", "bw", "-P", "s3cret"});
  sub.start();
  bands sims(exe, d.path, {"a"});
  const std::string cfg = d.path + "/record.toml", secret = d.path + "/mqtt.pass";
  std::ofstream(secret) << "wrong\n";
  std::ofstream(cfg) << config(d.path, br.port, "username = \"bw\"\npassword_file = \"" + secret + "\"\n", false);
  const std::string err = d.path + "/record.err";
  pid_t rec = spawn({exe, "record", "--config", cfg, "--speed", "8", "--duration", "3"}, "", err);
  CHECK(::waitpid(rec, nullptr, 0) == rec);
  std::string log = slurp(err);
  CAPTURE(log);
  CHECK(log.find("last error: the broker refused the connection: Connection Refused: not authorised. (check "
                 "username and password_file)") != std::string::npos);
  const auto waiting = spool_of(d.path).entries.size();
  CHECK(waiting > 20);
  CHECK(read_subscriber(d.path + "/sub.log").messages == 0);

  std::ofstream(secret) << "s3cret\n";
  rec = spawn({exe, "record", "--config", cfg, "--speed", "8", "--duration", "3"}, "", err);
  CHECK(::waitpid(rec, nullptr, 0) == rec);
  sleep_s(0.3);
  sub.stop();
  log = slurp(err);
  const auto got = read_subscriber(d.path + "/sub.log");
  MESSAGE("mqtt auth test: " << waiting << " records spooled under the wrong password, " << got.records.size()
                             << " received with the right one");
  CHECK(got.records.size() >= waiting);
  CHECK(log.find(": connected, spooled ") != std::string::npos);
}

TEST_CASE("mqtt broker: mqtts:// verifies the broker with ca_file; a wrong CA is a clear TLS error") {
  if (!have_broker()) return;
  if (find_tool("openssl").empty()) {
    const char* ci = std::getenv("CI");
    if (ci && std::string(ci) == "true") FAIL("CI=true and openssl is not installed (scripts/deps.sh --test)");
    MESSAGE("SKIPPED: openssl is not installed (it makes the test's CA)");
    return;
  }
  const std::string exe = bandwire_exe();
  dir_guard d;
  const std::string t = d.path + "/tls";
  fs::create_directories(t);
  const std::string ssl = find_tool("openssl");
  const std::string make =
      "cd " + t + " && " + ssl + " req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 2 -subj /CN=bw-ca && " +
      ssl + " req -newkey rsa:2048 -nodes -keyout srv.key -out srv.csr -subj /CN=127.0.0.1 && " +
      "printf 'subjectAltName=IP:127.0.0.1\\n' > ext && " + ssl +
      " x509 -req -in srv.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out srv.pem -days 2 -extfile ext && "
      "chmod 0644 srv.key";
  REQUIRE(std::system((make + " >/dev/null 2>&1").c_str()) == 0);
  broker br(d.path, {}, t);
  br.start();
  subscriber sub(br, d.path + "/sub.log", {"--cafile", t + "/ca.pem"});
  sub.start();
  bands sims(exe, d.path, {"a"});
  const std::string cfg = d.path + "/record.toml", err = d.path + "/record.err";
  auto run = [&](const std::string& ca) {
    std::string c = config(d.path, br.port, "ca_file = \"" + ca + "\"\n", false);
    c.replace(c.find("mqtt://"), 7, "mqtts://");
    std::ofstream(cfg) << c;
    pid_t rec = spawn({exe, "record", "--config", cfg, "--speed", "8", "--duration", "2.5"}, "", err);
    CHECK(::waitpid(rec, nullptr, 0) == rec);
  };
  run(t + "/srv.pem");  // not the CA that signed the broker's certificate
  std::string log = slurp(err);
  CAPTURE(log);
  CHECK(log.find("last error: connecting: A TLS error occurred. (check ca_file, cert_file and key_file, and that the "
                 "broker's certificate names the url's host)") != std::string::npos);
  const auto waiting = spool_of(d.path).entries.size();
  CHECK(waiting > 20);
  run(t + "/ca.pem");
  sleep_s(0.3);
  sub.stop();
  log = slurp(err);
  const auto got = read_subscriber(d.path + "/sub.log");
  MESSAGE("mqtt tls test: " << waiting << " records spooled under the wrong CA, " << got.records.size()
                            << " received over TLS with the right one");
  CHECK(got.records.size() >= waiting);  // the band still runs at the stop: the last few may wait in the spool
}
