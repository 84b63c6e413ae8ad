#include "miband/settings_store.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "miband/settings_file.hpp"

namespace bandwire::miband {

namespace {

// false: no such file; `error` set when it exists but cannot be read.
bool read_text(const std::string& path, std::string& text, std::string& error) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    if (errno != ENOENT) error = "cannot read " + path + ": " + std::strerror(errno);
    return false;
  }
  std::ifstream f(path, std::ios::binary);
  if (!f) {
    error = "cannot read " + path;
    return false;
  }
  std::stringstream ss;
  ss << f.rdbuf();
  text = ss.str();
  return true;
}

std::string write_atomically(const std::string& dir, const std::string& path, const std::string& text) {
  // The state directory and its subdirectories are private (0700), as the key store's.
  std::string cur;
  for (std::size_t i = 0; i < dir.size(); ++i) {
    cur.push_back(dir[i]);
    if ((dir[i] == '/' && i > 0) || i + 1 == dir.size()) ::mkdir(cur.c_str(), 0700);
  }
  const std::string tmp = path + ".tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return "cannot write " + tmp + ": " + std::strerror(errno);
  const bool wrote = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) && ::fsync(fd) == 0;
  ::close(fd);
  if (!wrote || ::rename(tmp.c_str(), path.c_str()) != 0) return "cannot write " + path + ": " + std::strerror(errno);
  const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0) return "cannot sync " + dir + ": " + std::strerror(errno);
  const bool synced = ::fsync(dfd) == 0;
  ::close(dfd);
  return synced ? std::string() : "cannot sync " + dir + ": " + std::strerror(errno);
}

template <class T, class Parse>
T load(const std::string& path, std::string& error, Parse parse) {
  T out{};
  std::string text;
  if (!read_text(path, text, error)) return out;
  const auto problems = parse(text, out);
  if (!problems.empty()) {
    error = format_problem(problems.front(), path);
    return T{};
  }
  return out;
}

constexpr const char* settings_header =
    "# What bandwire last applied to this band (`bandwire config apply`), merged.\n"
    "# Written by bandwire; `bandwire config show` prints it.\n\n";
constexpr const char* alarms_header =
    "# The alarms bandwire last set on this band (`bandwire alarm set|clear`): the Mi Band 2\n"
    "# cannot report its own. Written by bandwire; `bandwire alarm list` prints it.\n\n";

}  // namespace

band_settings settings_store::load_settings(const std::string& id, std::string& error) const {
  return load<band_settings>(settings_path(id), error,
                             [](const std::string& t, band_settings& s) { return parse_settings_file(t, s); });
}

std::string settings_store::save_settings(const std::string& id, const band_settings& s) const {
  return write_atomically(dir_ + "/settings", settings_path(id), settings_header + format_settings_file(s));
}

alarm_table settings_store::load_alarms(const std::string& id, std::string& error) const {
  return load<alarm_table>(alarms_path(id), error,
                           [](const std::string& t, alarm_table& a) { return parse_alarms_file(t, a); });
}

std::string settings_store::save_alarms(const std::string& id, const alarm_table& a) const {
  return write_atomically(dir_ + "/alarms", alarms_path(id), alarms_header + format_alarms_file(a));
}

}  // namespace bandwire::miband
