// What the CLI end-to-end tests share: the executable under test, a fresh
// temporary directory, and a finished run's exit status and output.
#pragma once

#include <cstdlib>
#include <string>

#include <doctest/doctest.h>

namespace bandwire::test {

struct cli_result {
  int status = -1;
  std::string out, err;
};

/// The `bandwire` executable meson passes in BANDWIRE_EXE.
inline std::string bandwire_exe() {
  const char* p = std::getenv("BANDWIRE_EXE");
  REQUIRE_MESSAGE(p != nullptr, "BANDWIRE_EXE is not set (run through meson test)");
  return p;
}

/// A new directory /tmp/<prefix>-XXXXXX.
inline std::string make_temp_dir(const std::string& prefix) {
  std::string tmpl = "/tmp/" + prefix + "-XXXXXX";
  REQUIRE(::mkdtemp(tmpl.data()) != nullptr);
  return tmpl;
}

}  // namespace bandwire::test
