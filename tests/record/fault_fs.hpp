// The recorder tests' file system: the real one, with appends that fail on
// demand (a full disk) — part of a line written, then ENOSPC — and a
// temporary directory removed at the end.
#pragma once

#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string>

#include <doctest/doctest.h>

#include "record/file_system.hpp"

namespace bandwire::test {

struct temp_dir {
  std::string path;
  temp_dir() {
    const char* base = ::access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
    std::string tmpl = std::string(base) + "/bandwire-record-XXXXXX";
    REQUIRE(::mkdtemp(tmpl.data()) != nullptr);
    path = tmpl;
  }
  ~temp_dir() { std::filesystem::remove_all(path); }
};

class fault_fs final : public record::file_system {
 public:
  /// The next append writes this many bytes, then fails; then every append fails (fail_all).
  std::optional<std::size_t> partial_then_fail;
  bool fail_all = false;
  std::size_t appends = 0;  ///< append calls that reached the file system

  std::unique_ptr<record::append_file> open_append(const std::string& path, error_code& ec) override {
    auto f = real_.open_append(path, ec);
    if (!f) return nullptr;
    return std::make_unique<file>(*this, std::move(f));
  }
  error_code make_dirs(const std::string& d) override { return real_.make_dirs(d); }
  std::vector<std::string> list(const std::string& d) override { return real_.list(d); }
  error_code read_tail(const std::string& p, std::size_t max, std::string& out, std::uint64_t& size) override {
    return real_.read_tail(p, max, out, size);
  }
  std::optional<std::string> read_small(const std::string& p) override { return real_.read_small(p); }
  error_code replace(const std::string& p, std::string_view c) override {
    if (fail_all) return full();
    return real_.replace(p, c);
  }
  error_code sync_dir(const std::string& d) override { return real_.sync_dir(d); }

 private:
  static error_code full() { return error_code(ENOSPC, boost::system::system_category()); }
  struct file final : record::append_file {
    file(fault_fs& fs, std::unique_ptr<record::append_file> f) : fs_(fs), f_(std::move(f)) {}
    error_code append(std::string_view data) override {
      ++fs_.appends;
      if (fs_.partial_then_fail) {
        const auto n = std::min(*fs_.partial_then_fail, data.size());
        fs_.partial_then_fail.reset();
        fs_.fail_all = true;
        if (auto ec = f_->append(data.substr(0, n))) return ec;
        return full();
      }
      if (fs_.fail_all) return full();
      return f_->append(data);
    }
    error_code sync() override { return f_->sync(); }
    error_code truncate(std::uint64_t size) override { return f_->truncate(size); }
    std::uint64_t size() const override { return f_->size(); }
    fault_fs& fs_;
    std::unique_ptr<record::append_file> f_;
  };
  record::posix_file_system real_;
};

}  // namespace bandwire::test
