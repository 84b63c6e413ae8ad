// `bandwire decode` prints byte for byte what it printed before it was
// rewritten to stream at disk speed: both real captures and deterministic
// synthetic ones (tests/support/decode_corpus.hpp), text and --json, with
// and without secrets, both datalinks, --index, and cut files, against the
// SHA-256 of the earlier decoder's stdout and stderr (decode_golden.txt).
#include <doctest/doctest.h>

#include <mbedtls/sha256.h>
#include <mbedtls/version.h>
#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "tests/support/cli_process.hpp"
#include "tests/support/decode_corpus.hpp"
#include "tests/support/shared_dir.hpp"

namespace {

using bytes = std::vector<std::uint8_t>;

std::string sha256_hex(const std::string& data) {
  unsigned char out[32];
  const auto* in = reinterpret_cast<const unsigned char*>(data.data());
#if MBEDTLS_VERSION_MAJOR >= 3
  mbedtls_sha256(in, data.size(), out, 0);
#else
  mbedtls_sha256_ret(in, data.size(), out, 0);
#endif
  static const char* digits = "0123456789abcdef";
  std::string s;
  for (unsigned char c : out) s += digits[c >> 4], s += digits[c & 15];
  return s;
}

std::string slurp(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
}

void write_file(const std::string& path, const bytes& b) {
  std::ofstream f(path, std::ios::binary);
  f.write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
}

struct golden_row {
  std::string name, capture;
  int status = 0;
  std::string out_sha, err_sha, args;
};

std::vector<golden_row> read_golden() {
  const char* path = std::getenv("BANDWIRE_DECODE_GOLDEN");
  REQUIRE_MESSAGE(path != nullptr, "BANDWIRE_DECODE_GOLDEN is not set (run through meson test)");
  std::ifstream f(path);
  REQUIRE_MESSAGE(f.good(), "cannot read " << path);
  std::vector<golden_row> rows;
  for (std::string line; std::getline(f, line);) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream in(line);
    golden_row r;
    in >> r.name >> r.capture >> r.status >> r.out_sha >> r.err_sha;
    std::getline(in, r.args);
    rows.push_back(r);
  }
  return rows;
}

// Runs `bandwire decode FILE ARGS` in `dir`, where the capture is FILE.
bandwire::test::cli_result decode_in(const std::string& dir, const std::string& args) {
  const std::string cmd = "cd " + dir + " && timeout 120 " + bandwire::test::bandwire_exe() + " decode FILE " + args +
                          " >out 2>err";
  bandwire::test::cli_result r;
  const int st = std::system(cmd.c_str());
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  r.out = slurp(dir + "/out");
  r.err = slurp(dir + "/err");
  return r;
}

}  // namespace

TEST_CASE("decode: output byte for byte as before, real and synthetic captures, text and --json") {
  std::map<std::string, bytes> captures;
  captures["corpus-h4"] = bandwire::test::decode_corpus_h4();
  captures["corpus-mon"] = bandwire::test::decode_corpus_monitor();
  captures["corpus-cut"] = captures["corpus-h4"];
  captures["corpus-cut"].resize(captures["corpus-cut"].size() - 7);  // ends inside a record
  for (const auto& [key, rel] : {std::pair{"cap-a", "captures/miband2-official-app-session.btsnoop"},
                                 std::pair{"cap-b", "captures/miband2-discovery-pairing.btsnoop"}}) {
    const std::string p = bandwire::test::shared_file(rel, bandwire::test::without::skip_part);
    if (p.empty()) continue;
    const std::string s = slurp(p);
    captures[key] = bytes(s.begin(), s.end());
  }
  const auto rows = read_golden();
  REQUIRE(rows.size() == 14);
  const std::string dir = bandwire::test::make_temp_dir("bandwire-decode-golden");
  int compared = 0;
  for (const auto& row : rows) {
    auto it = captures.find(row.capture);
    if (it == captures.end()) continue;  // a shared capture that is absent (reported above)
    CAPTURE(row.name);
    write_file(dir + "/FILE", it->second);
    const auto r = decode_in(dir, row.args);
    CHECK(r.status == row.status);
    const bool same = sha256_hex(r.out) == row.out_sha && sha256_hex(r.err) == row.err_sha;
    if (!same) {
      const std::string keep = dir + "/" + row.name;
      std::filesystem::rename(dir + "/out", keep + ".out");
      std::filesystem::rename(dir + "/err", keep + ".err");
      FAIL_CHECK("output differs from the earlier decoder's: see " << keep << ".out / .err");
    }
    ++compared;
  }
  CHECK(compared >= 9);
  if (compared == static_cast<int>(rows.size())) std::filesystem::remove_all(dir);
}

TEST_CASE("decode: small and broken files give the same one-line answers as before") {
  const std::string dir = bandwire::test::make_temp_dir("bandwire-decode-small");
  bytes header;
  bandwire::hci::write_btsnoop_header(header);
  struct row {
    bytes file;
    const char* args;
    int status;
    const char* err;
  } rows[] = {
      {{}, "", 1, "bandwire decode: FILE: btsnoop file header truncated (need 16 bytes)\n"},
      {header, "--json", 0, "bandwire decode: 0 ATT PDUs (0 malformed) in 0 records\n"},
      {bytes{'n', 'o', 't', ' ', 'a', ' ', 's', 'n', 'o', 'o', 'p', ' ', 'f', 'i', 'l', 'e', '!'}, "", 1,
       "bandwire decode: FILE: not a btsnoop file (bad identification pattern)\n"},
      {bytes(header.begin(), header.end()), "--index x", 2, "bandwire decode: --index takes a controller number\n"},
  };
  rows[2].file.resize(20, 0);
  for (const auto& r : rows) {
    CAPTURE(r.args);
    write_file(dir + "/FILE", r.file);
    const auto got = decode_in(dir, r.args);
    CHECK(got.status == r.status);
    CHECK(got.out.empty());
    CHECK(got.err == r.err);
  }
  bytes cut = header;
  cut.resize(30, 0);  // a record header cut short
  write_file(dir + "/FILE", cut);
  const auto got = decode_in(dir, "");
  CHECK(got.status == 1);
  CHECK(got.err == "bandwire decode: FILE: btsnoop record truncated (runs past the end of the file)\n");
  std::filesystem::remove_all(dir);
}

TEST_CASE("decode: a device event code the band's list does not name is printed, not a crash") {
  // The decoder before the rewrite dereferenced a null name here.
  bytes file;
  bandwire::hci::write_btsnoop_header(file);
  const bytes pdu{0x1b, 0x50, 0x00, 0x05, 0xaa};  // notification on 0x0050 (device events), code 05
  REQUIRE_FALSE(bandwire::hci::write_att_pdu(file, bandwire::hci::direction::controller_to_host, 1521540000000000,
                                              pdu));
  const std::string dir = bandwire::test::make_temp_dir("bandwire-decode-event");
  write_file(dir + "/FILE", file);
  auto r = decode_in(dir, "");
  CHECK(r.status == 0);
  CHECK(r.out ==
        "     0.000  <  Handle Value Notification         0x0050 device_events 05aa  | event: unknown code 0x05\n");
  r = decode_in(dir, "--json");
  CHECK(r.out ==
        "{\"frame\":1,\"time\":1521540000.000000,\"rel\":0.000000,\"dir\":\"device->host\",\"opcode\":27,"
        "\"op\":\"Handle Value Notification\",\"handle\":80,\"characteristic\":\"device_events\",\"value\":\"05aa\","
        "\"meaning\":\"event: unknown code 0x05\"}\n");
  std::filesystem::remove_all(dir);
}
