#include "miband/state_store.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

#include "miband/history_sink.hpp"

namespace bandwire::miband {

namespace {

void make_dirs(const std::string& path, mode_t mode) {
  std::string cur;
  for (std::size_t i = 0; i < path.size(); ++i) {
    cur.push_back(path[i]);
    if ((path[i] == '/' && i > 0) || i + 1 == path.size()) ::mkdir(cur.c_str(), mode);
  }
}

std::string read_file(const std::string& path, bool& ok) {
  std::ifstream f(path, std::ios::binary);
  ok = static_cast<bool>(f);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

}  // namespace

state_store::state_store(std::string dir) : dir_(std::move(dir)) {
  if (dir_.empty()) {
    if (const char* x = std::getenv("XDG_STATE_HOME"); x && *x) {
      dir_ = std::string(x) + "/bandwire";
    } else {
      const char* home = std::getenv("HOME");
      dir_ = std::string(home && *home ? home : ".") + "/.local/state/bandwire";
    }
  }
}

std::string state_store::device_id(const std::string& target) {
  std::string id;
  for (char c : target) {
    if ((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '-' || c == '_')
      id.push_back(c);
    else if (c != ':' && !id.empty() && id.back() != '-')
      id.push_back('-');
  }
  return id.empty() ? "device" : id;
}

std::string state_store::key_path(const std::string& id) const { return dir_ + "/keys/" + id + ".key"; }
std::string state_store::cache_path(const std::string& id) const { return dir_ + "/cache/" + id + ".gatt"; }

std::string state_store::key_mode_problem(const std::string& id) const { return key_file_mode_problem(key_path(id)); }

std::optional<auth_key> state_store::load_key(const std::string& id, std::string& error) const {
  if (std::string p = key_file_mode_problem(key_path(id)); !p.empty()) {
    error = p;
    return std::nullopt;
  }
  bool ok = false;
  const std::string text = read_file(key_path(id), ok);
  if (!ok) return std::nullopt;
  std::optional<auth_key> k;
  if (parse_key_file(text, k) || !k) error = "key file " + key_path(id) + " is not 32 hex digits";
  return k;
}

std::string state_store::save_key(const std::string& id, const auth_key& key) const {
  make_dirs(dir_ + "/keys", 0700);
  const std::string path = key_path(id);
  const std::string tmp = path + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return "cannot write " + tmp + ": " + std::strerror(errno);
  const std::string text = format_key_file(key);
  const bool wrote = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  ::fchmod(fd, 0600);
  ::close(fd);
  if (!wrote || ::rename(tmp.c_str(), path.c_str()) != 0) return "cannot write " + path + ": " + std::strerror(errno);
  return {};
}

bool state_store::load_cache(const std::string& id, gatt::discovered_database& out) const {
  bool ok = false;
  const std::string text = read_file(cache_path(id), ok);
  return ok && parse_database(text, out) && (!out.services.empty() || !out.absent.empty());
}

void state_store::save_cache(const std::string& id, const gatt::discovered_database& db) const {
  make_dirs(dir_ + "/cache", 0700);
  std::ofstream f(cache_path(id), std::ios::trunc);
  f << serialize_database(db);
}

void state_store::drop_cache(const std::string& id) const { ::unlink(cache_path(id).c_str()); }

std::string state_store::history_resume_path(const std::string& id) const {
  return dir_ + "/history/" + id + ".resume";
}

std::optional<std::chrono::sys_seconds> state_store::load_history_resume(const std::string& id,
                                                                         std::string& error) const {
  bool ok = false;
  const std::string text = read_file(history_resume_path(id), ok);
  if (!ok) return std::nullopt;
  auto t = parse_resume_point(text);
  if (!t) error = "resume file " + history_resume_path(id) + " is not a bandwire resume point";
  return t;
}

std::string state_store::save_history_resume(const std::string& id, std::chrono::sys_seconds next) const {
  const std::string dir = dir_ + "/history";
  make_dirs(dir, 0700);
  const std::string path = history_resume_path(id);
  const std::string tmp = path + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return "cannot write " + tmp + ": " + std::strerror(errno);
  const std::string text = format_resume_point(next);
  const bool wrote = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) && ::fsync(fd) == 0;
  ::close(fd);
  if (!wrote || ::rename(tmp.c_str(), path.c_str()) != 0) return "cannot write " + path + ": " + std::strerror(errno);
  // The rename itself is durable only once the directory is (fsync(2)).
  int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0) return "cannot sync " + dir + ": " + std::strerror(errno);
  const bool synced = ::fsync(dfd) == 0;
  ::close(dfd);
  if (!synced) return "cannot sync " + dir + ": " + std::strerror(errno);
  return {};
}

namespace {

// `path` as one shell word for chmod: as is when it holds only characters no shell
// treats specially, else in single quotes (a quote inside as '\'').
std::string shell_word(std::string path) {
  if (!path.empty() && path[0] == '-') path = "./" + path;  // not an option to chmod
  const bool plain = !path.empty() && path.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                                             "0123456789_-./+,:=@%") == std::string::npos;
  if (plain) return path;
  std::string q = "'";
  for (char c : path) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

}  // namespace

std::string key_file_mode_problem(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return {};
  const unsigned open_bits = st.st_mode & 077;
  if (open_bits == 0) return {};
  char mode[8];
  std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
  const char* how = (open_bits & 044) ? "readable by group or others" : "writable or executable by group or others";
  return "key file " + path + " is " + how + " (mode " + mode + "), so bandwire will not use it; fix it with: chmod 600 " +
         shell_word(path);
}

std::optional<auth_key> key_from_user(const std::string& key_file, std::string& error) {
  std::optional<auth_key> k;
  if (!key_file.empty()) {
    if (std::string p = key_file_mode_problem(key_file); !p.empty()) {
      error = p;
      return std::nullopt;
    }
    bool ok = false;
    const std::string text = read_file(key_file, ok);
    if (!ok) {
      error = "cannot read key file " + key_file;
      return std::nullopt;
    }
    if (parse_key_file(text, k) || !k) error = "key file " + key_file + " is not 32 hex digits";
    return k;
  }
  if (const char* env = std::getenv("BANDWIRE_KEY"); env && *env) {
    if (parse_key_file(env, k) || !k) error = "BANDWIRE_KEY is not 32 hex digits";
  }
  return k;
}

// Format: a version line, then one entity per line, handles in hex.
//   bandwire-gatt-cache 2
//   F                                          every primary service is listed
//   A <uuid>                                   a service searched for and absent
//   S <start> <end> <uuid> <primary 0|1> <chars through>
//   I <decl> <start> <end> <uuid>
//   C <decl> <value> <props> <end> <uuid> <descriptors known 0|1>
//   D <handle> <uuid>
// Version 1 (bandwire before discovery by needs) had no F or A lines and no
// last field on S and C: it always held a full discovery.
std::string serialize_database(const gatt::discovered_database& db) {
  std::ostringstream o;
  o << "bandwire-gatt-cache 2\n" << std::hex;
  if (db.all_services) o << "F\n";
  if (db.device_name) {
    o << "N ";  // hex, so that any bytes of a name fit on one line ("N -" for an empty name)
    if (db.device_name->empty()) o << '-';
    for (unsigned char c : *db.device_name) o << "0123456789abcdef"[c >> 4] << "0123456789abcdef"[c & 15];
    o << '\n';
  }
  for (const auto& a : db.absent) o << "A " << a.to_string() << '\n';
  for (const auto& s : db.services) {
    o << "S " << s.start << ' ' << s.end << ' ' << s.type.to_string() << ' ' << (s.primary ? 1 : 0) << ' '
      << std::min<unsigned>(s.characteristics_through, s.end) << '\n';
    for (const auto& i : s.includes)
      o << "I " << i.decl_handle << ' ' << i.start << ' ' << i.end << ' ' << i.type.to_string() << '\n';
    for (const auto& c : s.characteristics) {
      o << "C " << c.decl_handle << ' ' << c.value_handle << ' ' << unsigned(c.properties) << ' ' << c.end_handle
        << ' ' << c.type.to_string() << ' ' << (c.descriptors_known ? 1 : 0) << '\n';
      for (const auto& d : c.descriptors) o << "D " << d.handle << ' ' << d.type.to_string() << '\n';
    }
  }
  return o.str();
}

bool parse_database(const std::string& text, gatt::discovered_database& out) {
  std::istringstream in(text);
  std::string line;
  if (!std::getline(in, line)) return false;
  const bool v1 = line == "bandwire-gatt-cache 1";
  if (!v1 && line != "bandwire-gatt-cache 2") return false;
  gatt::discovered_database db;
  db.all_services = v1;
  auto& r = db.services;
  while (std::getline(in, line)) {
    std::istringstream l(line);
    std::string kind, u;
    l >> kind >> std::hex;
    auto num = [&](unsigned max) -> std::optional<unsigned> {
      unsigned v = 0;
      if (!(l >> v) || v > max) return std::nullopt;
      return v;
    };
    // Version 2's last field on S and C lines; version 1 files were complete.
    auto last_field = [&](unsigned max, unsigned v1_value) -> std::optional<unsigned> {
      if (v1) return v1_value;
      return num(max);
    };
    if (kind == "F" && !v1) {
      db.all_services = true;
    } else if (kind == "N" && !v1 && !db.device_name) {
      l >> u;
      std::string name;
      if (u != "-") {
        // The GAP name is at most 248 bytes (Core Vol 3 Part C §12.1).
        if (u.empty() || u.size() % 2 != 0 || u.size() > 2 * 248) return false;
        for (std::size_t i = 0; i < u.size(); i += 2) {
          auto nib = [](char c) { return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1; };
          const int hi = nib(u[i]), lo = nib(u[i + 1]);
          if (hi < 0 || lo < 0) return false;
          name.push_back(static_cast<char>(hi * 16 + lo));
        }
      }
      db.device_name = std::move(name);
    } else if (kind == "A" && !v1) {
      l >> u;
      auto t = att::uuid::parse(u);
      if (!t) return false;
      db.absent.push_back(*t);
    } else if (kind == "S") {
      auto s = num(0xffff), e = num(0xffff);
      l >> u;
      auto p = num(1);
      auto t = att::uuid::parse(u);
      auto through = last_field(0xffff, 0xffff);
      if (!s || !e || !p || !t || !through) return false;
      gatt::service sv;
      sv.start = static_cast<std::uint16_t>(*s), sv.end = static_cast<std::uint16_t>(*e), sv.type = *t, sv.primary = *p;
      sv.characteristics_through = static_cast<std::uint16_t>(*through);
      r.push_back(std::move(sv));
    } else if (kind == "I" && !r.empty()) {
      auto d = num(0xffff), s = num(0xffff), e = num(0xffff);
      l >> u;
      auto t = att::uuid::parse(u);
      if (!d || !s || !e || !t) return false;
      r.back().includes.push_back({static_cast<std::uint16_t>(*d), static_cast<std::uint16_t>(*s),
                                   static_cast<std::uint16_t>(*e), *t});
    } else if (kind == "C" && !r.empty()) {
      auto d = num(0xffff), v = num(0xffff), p = num(0xff), e = num(0xffff);
      l >> u;
      auto t = att::uuid::parse(u);
      auto known = last_field(1, 1);
      if (!d || !v || !p || !e || !t || !known) return false;
      gatt::characteristic c;
      c.decl_handle = static_cast<std::uint16_t>(*d), c.value_handle = static_cast<std::uint16_t>(*v);
      c.properties = static_cast<std::uint8_t>(*p), c.end_handle = static_cast<std::uint16_t>(*e), c.type = *t;
      c.descriptors_known = *known != 0;
      r.back().characteristics.push_back(std::move(c));
    } else if (kind == "D" && !r.empty() && !r.back().characteristics.empty()) {
      auto h = num(0xffff);
      l >> u;
      auto t = att::uuid::parse(u);
      if (!h || !t) return false;
      r.back().characteristics.back().descriptors.push_back({static_cast<std::uint16_t>(*h), *t});
    } else if (!line.empty()) {
      return false;
    }
  }
  out = std::move(db);
  return true;
}

}  // namespace bandwire::miband
