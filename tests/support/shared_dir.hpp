// Where the tests find ../shared (reference data, vectors, captures): the
// BANDWIRE_SHARED environment variable that tests/meson.build sets, else
// ../shared.
//
// A developer without ../shared still runs every other test: a test case
// that needs it reports "SKIPPED: ..." and returns, and scripts/count_tests.py
// counts it as skipped (a MESSAGE starting "SKIPPED:" means the whole test
// case did not run). Under CI (CI=true) the data must be there, so a missing
// shared folder or file fails the test case instead of hiding a whole class
// of checks behind a pass.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <string>
#include <string_view>

#include <doctest/doctest.h>

namespace bandwire::test {

/// True when the CI environment variable is "true" (GitHub Actions, GitLab
/// CI and most others set it).
inline bool under_ci() {
  const char* ci = std::getenv("CI");
  return ci != nullptr && std::string_view(ci) == "true";
}

namespace detail {
inline std::string shared_root() {
  const char* env = std::getenv("BANDWIRE_SHARED");
  return env ? env : "../shared";
}
}  // namespace detail

/// What a test case does without the file: skips itself entirely, or only
/// the checks that need it (then it is not counted as skipped).
enum class without { skip_case, skip_part };

/// The path of `relative` (e.g. "captures/x.btsnoop") in the shared folder,
/// for a test case that needs it. When the file is absent: under CI the
/// test case fails here; otherwise a message names what is missing and ""
/// comes back. For skip_case the message starts "SKIPPED:" and the caller
/// returns at once; for skip_part the caller leaves out what needs the file.
inline std::string shared_file(std::string_view relative, without what = without::skip_case) {
  const std::string path = detail::shared_root() + "/" + std::string(relative);
  std::error_code ec;
  if (std::filesystem::is_regular_file(path, ec)) return path;
  if (under_ci())
    FAIL("CI=true but " << path << " is missing: CI runs every test that needs ../shared "
                        << "(check out the shared folder next to the source tree or set BANDWIRE_SHARED)");
  if (what == without::skip_case)
    MESSAGE("SKIPPED: " << path << " not found (this test needs ../shared; set BANDWIRE_SHARED)");
  else
    MESSAGE("checks on " << path << " left out: not found (set BANDWIRE_SHARED)");
  return {};
}

/// The shared folder (README.md is its probe), or "" when absent. Under CI
/// an absent folder fails the calling test case. The caller reports
/// "SKIPPED: ..." when it gets "".
inline std::string shared_dir() {
  const std::string d = detail::shared_root();
  std::error_code ec;
  if (std::filesystem::is_regular_file(d + "/README.md", ec)) return d;
  if (under_ci())
    FAIL("CI=true but the shared folder " << d << " (README.md) is missing: CI runs every test that needs "
                                          << "../shared (check it out next to the source tree or set BANDWIRE_SHARED)");
  return {};
}

}  // namespace bandwire::test
