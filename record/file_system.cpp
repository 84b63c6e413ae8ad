#include "record/file_system.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

namespace bandwire::record {

namespace {

error_code last_error() { return error_code(errno, boost::system::system_category()); }

class posix_file final : public append_file {
 public:
  posix_file(int fd, std::uint64_t size) : fd_(fd), size_(size) {}
  ~posix_file() override { ::close(fd_); }
  posix_file(const posix_file&) = delete;
  posix_file& operator=(const posix_file&) = delete;

  error_code append(std::string_view data) override {
    while (!data.empty()) {
      const ssize_t n = ::write(fd_, data.data(), data.size());
      if (n < 0) {
        if (errno == EINTR) continue;
        return last_error();
      }
      if (n == 0) return error_code(ENOSPC, boost::system::system_category());
      size_ += static_cast<std::uint64_t>(n);
      data.remove_prefix(static_cast<std::size_t>(n));
    }
    return {};
  }
  error_code sync() override { return ::fsync(fd_) == 0 ? error_code() : last_error(); }
  error_code truncate(std::uint64_t size) override {
    if (::ftruncate(fd_, static_cast<off_t>(size)) != 0) return last_error();
    size_ = size;
    return {};
  }
  std::uint64_t size() const override { return size_; }

 private:
  int fd_;
  std::uint64_t size_;
};

std::string parent_of(const std::string& path) {
  const auto slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

}  // namespace

std::unique_ptr<append_file> posix_file_system::open_append(const std::string& path, error_code& ec) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) {
    ec = last_error();
    return nullptr;
  }
  struct stat st{};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ec = S_ISREG(st.st_mode) ? last_error() : error_code(EINVAL, boost::system::system_category());
    ::close(fd);
    return nullptr;
  }
  ec = {};
  return std::make_unique<posix_file>(fd, static_cast<std::uint64_t>(st.st_size));
}

error_code posix_file_system::make_dirs(const std::string& dir) {
  std::string p;
  for (std::size_t i = 0; i <= dir.size(); ++i) {
    if (i < dir.size() && dir[i] != '/') continue;
    p = dir.substr(0, i);
    if (p.empty()) continue;
    if (::mkdir(p.c_str(), 0755) != 0 && errno != EEXIST) return last_error();
  }
  struct stat st{};
  if (::stat(dir.c_str(), &st) != 0) return last_error();
  if (!S_ISDIR(st.st_mode)) return error_code(ENOTDIR, boost::system::system_category());
  return {};
}

std::vector<std::string> posix_file_system::list(const std::string& dir) {
  std::vector<std::string> out;
  DIR* d = ::opendir(dir.c_str());
  if (!d) return out;
  while (const dirent* e = ::readdir(d)) {
    const std::string name = e->d_name;
    struct stat st{};
    if (::fstatat(::dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode)) out.push_back(name);
  }
  ::closedir(d);
  return out;
}

error_code posix_file_system::read_tail(const std::string& path, std::size_t max, std::string& out,
                                        std::uint64_t& size) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return last_error();
  struct stat st{};
  error_code ec;
  if (::fstat(fd, &st) != 0) {
    ec = last_error();
  } else {
    size = static_cast<std::uint64_t>(st.st_size);
    const std::uint64_t want = size < max ? size : max;
    out.assign(static_cast<std::size_t>(want), '\0');
    std::size_t got = 0;
    while (got < out.size()) {
      const ssize_t n = ::pread(fd, out.data() + got, out.size() - got, static_cast<off_t>(size - want + got));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      got += static_cast<std::size_t>(n);
    }
    out.resize(got);
  }
  ::close(fd);
  return ec;
}

std::optional<std::string> posix_file_system::read_small(const std::string& path) {
  std::string text;
  std::uint64_t size = 0;
  if (read_tail(path, 64 * 1024, text, size)) return std::nullopt;
  return text;
}

error_code posix_file_system::replace(const std::string& path, std::string_view content) {
  const std::string tmp = path + ".tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return last_error();
  error_code ec;
  {
    posix_file f(fd, 0);  // closes fd
    ec = f.append(content);
    if (!ec) ec = f.sync();
  }
  if (!ec && ::rename(tmp.c_str(), path.c_str()) != 0) ec = last_error();
  if (ec) {
    ::unlink(tmp.c_str());
    return ec;
  }
  return sync_dir(parent_of(path));
}

error_code posix_file_system::sync_dir(const std::string& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return last_error();
  error_code ec = ::fsync(fd) == 0 ? error_code() : last_error();
  ::close(fd);
  return ec;
}

}  // namespace bandwire::record
