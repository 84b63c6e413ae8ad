// Test helpers: hex literals to bytes and back.
#pragma once

#include <doctest/doctest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "common/bytes.hpp"
#include "miband/frame.hpp"
#include "tests/support/hex.hpp"

namespace miband_test {

/// "10 02 01 ab" → bytes; fails the test on bad hex.
using bandwire::test::hx;
/// Compact lower-case hex of a frame.
inline std::string hex_of(const bandwire::miband::frame& f) { return bandwire::to_hex(f.bytes()); }
/// Compact form of a spaced hex literal, for comparisons with hex_of().
inline std::string compact(const std::string& s) { return bandwire::to_hex(hx(s)); }

}  // namespace miband_test
