// Where the tests find ../shared (reference data, vectors, captures): the
// BANDWIRE_SHARED environment variable that tests/meson.build sets, else
// ../shared. Tests skip with a message when it is absent.
#pragma once

#include <cstdlib>
#include <fstream>
#include <string>

namespace bandwire::test {

/// The shared folder, or "" when absent.
inline std::string shared_dir() {
  const char* env = std::getenv("BANDWIRE_SHARED");
  std::string d = env ? env : "../shared";
  std::ifstream probe(d + "/README.md");
  return probe ? d : std::string();
}

}  // namespace bandwire::test
