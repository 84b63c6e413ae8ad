// Test helpers: hex literals to bytes and back.
#pragma once

#include <doctest/doctest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "common/bytes.hpp"
#include "miband/frame.hpp"

namespace miband_test {

/// "10 02 01 ab" → bytes; fails the test on bad hex.
inline std::vector<std::uint8_t> hx(const std::string& s) {
  std::vector<std::uint8_t> v;
  REQUIRE(bandwire::from_hex(s, v));
  return v;
}
/// Compact lower-case hex of a frame.
inline std::string hex_of(const bandwire::miband::frame& f) { return bandwire::to_hex(f.bytes()); }
/// Compact form of a spaced hex literal, for comparisons with hex_of().
inline std::string compact(const std::string& s) { return bandwire::to_hex(hx(s)); }

}  // namespace miband_test
