// Hex literals in tests: "10 02 01 ab" → bytes (spaces, ':' and '-' allowed);
// a malformed literal fails the test.
#pragma once

#include <doctest/doctest.h>

#include <cstdint>
#include <string_view>
#include <vector>

#include "common/bytes.hpp"

namespace bandwire::test {

inline std::vector<std::uint8_t> hx(std::string_view s) {
  std::vector<std::uint8_t> v;
  REQUIRE(from_hex(s, v));
  return v;
}

}  // namespace bandwire::test
