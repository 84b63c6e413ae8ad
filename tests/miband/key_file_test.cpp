// Key files group or others may access are refused, with the chmod that
// fixes them (miband/state_store.hpp), for --key-file and the stored keys.
#include "miband/state_store.hpp"  // first: the header is self-contained

#include <doctest/doctest.h>

#include <stdlib.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <string>

using namespace bandwire::miband;

namespace {

const char* const key_text = "000102030405060708090a0b0c0d0e0f\n";

struct temp_dir {
  std::string path;
  temp_dir() {
    char t[] = "/tmp/bandwire-keyXXXXXX";
    REQUIRE(::mkdtemp(t) != nullptr);
    path = t;
  }
  ~temp_dir() { std::filesystem::remove_all(path); }
};

void write_key(const std::string& path, mode_t mode) {
  std::ofstream(path) << key_text;
  REQUIRE(::chmod(path.c_str(), mode) == 0);
}

}  // namespace

TEST_CASE("key file: any group or other bit is refused, naming the file, its mode and the chmod") {
  temp_dir d;
  const std::string k = d.path + "/band.key";
  write_key(k, 0644);
  CHECK(key_file_mode_problem(k) == "key file " + k +
                                        " is readable by group or others (mode 0644), so bandwire will not use it; "
                                        "fix it with: chmod 600 " + k);
  write_key(k, 0640);
  CHECK(key_file_mode_problem(k).find("(mode 0640)") != std::string::npos);
  write_key(k, 0604);
  CHECK(key_file_mode_problem(k).find("readable by group or others (mode 0604)") != std::string::npos);
  write_key(k, 0620);
  CHECK(key_file_mode_problem(k) == "key file " + k +
                                        " is writable or executable by group or others (mode 0620), so bandwire will "
                                        "not use it; fix it with: chmod 600 " + k);
  write_key(k, 0601);
  CHECK_FALSE(key_file_mode_problem(k).empty());
  for (mode_t ok : {0600, 0400, 0700}) {
    write_key(k, ok);
    CHECK(key_file_mode_problem(k).empty());
  }
  CHECK(key_file_mode_problem(d.path + "/absent.key").empty());  // reading it reports that

  // A path a shell would split is quoted in the fix, quotes included.
  const std::string odd = d.path + "/my band's.key";
  write_key(odd, 0644);
  const std::string p = key_file_mode_problem(odd);
  CHECK(p.substr(p.find("chmod")) == "chmod 600 '" + d.path + "/my band'\\''s.key'");
}

TEST_CASE("key file: --key-file and the stored key both refuse an exposed file, and take it once it is 0600") {
  temp_dir d;
  const std::string k = d.path + "/user.key";
  write_key(k, 0644);
  std::string err;
  CHECK_FALSE(key_from_user(k, err).has_value());
  CHECK(err == key_file_mode_problem(k));
  REQUIRE(::chmod(k.c_str(), 0600) == 0);
  err.clear();
  auto key = key_from_user(k, err);
  CHECK(err.empty());
  REQUIRE(key.has_value());
  CHECK(key->secret_bytes()[15] == 0x0f);

  state_store store(d.path + "/state");
  REQUIRE(store.save_key("dev", *key).empty());
  CHECK(store.key_mode_problem("dev").empty());  // save_key writes 0600
  REQUIRE(::chmod(store.key_path("dev").c_str(), 0660) == 0);
  err.clear();
  CHECK_FALSE(store.load_key("dev", err).has_value());
  CHECK(err == "key file " + store.key_path("dev") +
                   " is readable by group or others (mode 0660), so bandwire will not use it; fix it with: chmod 600 " +
                   store.key_path("dev"));
  CHECK(store.key_mode_problem("dev") == err);
  REQUIRE(::chmod(store.key_path("dev").c_str(), 0600) == 0);
  err.clear();
  CHECK(store.load_key("dev", err).has_value());
  CHECK(err.empty());
}
