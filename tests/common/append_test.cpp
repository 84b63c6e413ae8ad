// common/append.hpp prints what printf prints: the fast fixed-point path
// (128-bit integer arithmetic) and the to_chars fallback against glibc's
// snprintf, on chosen edge cases and two million random doubles.
#include "common/append.hpp"

#include <doctest/doctest.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <random>
#include <string>

using namespace bandwire;

namespace {

std::string printf_fixed(double v, int precision, int width = 0) {
  char b[512];
  std::snprintf(b, sizeof b, "%*.*f", width, precision, v);
  return b;
}

std::string ours(double v, int precision, int width = 0) {
  std::string s = "<";  // appends to what is there
  if (width) append_fixed(s, v, precision, static_cast<std::size_t>(width));
  else append_fixed(s, v, precision);
  return s.substr(1);
}

}  // namespace

TEST_CASE("append_fixed: edge cases as printf, precisions 0..7") {
  const double cases[] = {0.0, -0.0, 0.5, 1.5, 2.5, -2.5, 0.125, 0.375, 0.0625, 1e-7, -1e-7, 5e-7, 4.9999995e-7,
                          0.00390625, -0.00390625, 1.0 / 3, 2.0 / 3, 9.9999995, 999999.9999995, 1767225600.123456,
                          1767225600.0000005, -1767225600.9999995, 12345.678901, 0.05, 0.15, 0.25, 0.35,
                          4503599627370495.5, 4503599627370496.0, 9007199254740993.0, 1e15 + 0.3, 1e18, -1e18,
                          std::numeric_limits<double>::denorm_min(), -std::numeric_limits<double>::denorm_min(),
                          std::numeric_limits<double>::min(), 1e-300, 123.456, -0.0049999, 0.0049999, 0.005,
                          1024.0 / 1024, 977.0 / 1024, 1e300, -1e300};
  for (double v : cases)
    for (int p = 0; p <= 7; ++p) {
      CAPTURE(v);
      CAPTURE(p);
      if (std::abs(v) > 1e40) continue;  // longer than append_fixed's 64 characters
      CHECK(ours(v, p) == printf_fixed(v, p));
      CHECK(ours(v, p, 10) == printf_fixed(v, p, 10));
    }
}

TEST_CASE("append_fixed: two million random doubles as printf") {
  std::mt19937_64 rng(11);
  int checked = 0;
  for (int i = 0; i < 2'000'000; ++i) {
    double v;
    const std::uint64_t r = rng();
    switch (i % 4) {
      case 0: {  // any finite double of moderate size
        std::memcpy(&v, &r, sizeof v);
        if (!std::isfinite(v) || std::abs(v) > 1e30) continue;
        break;
      }
      case 1: v = static_cast<double>(r % 4'000'000'000'000'000ull) / 1e6; break;  // wall-clock-like, µs
      case 2: v = static_cast<double>(static_cast<std::int64_t>(r % 65536) - 32768) / 256.0; break;  // counts / g
      default: v = std::ldexp(static_cast<double>(r >> 11), -static_cast<int>(r % 80)); break;  // dyadic, ties
    }
    const int p = static_cast<int>((r >> 3) % 8);
    if (ours(v, p) != printf_fixed(v, p)) {
      CAPTURE(v);
      CAPTURE(p);
      FAIL_CHECK(ours(v, p) << " != " << printf_fixed(v, p));
      break;
    }
    ++checked;
  }
  CHECK(checked > 1'500'000);
}

TEST_CASE("append_decimal, append_hex, append_hex_number and append_padded as printf") {
  std::string s;
  append_decimal(s, -32768), s += ' ', append_decimal(s, 65535u), s += ' ', append_decimal(s, -1ll);
  s += ' ', append_decimal(s, std::uint8_t{200});
  CHECK(s == "-32768 65535 -1 200");
  s.clear();
  const std::uint8_t bytes[] = {0x00, 0x0f, 0xa5, 0xff};
  append_hex(s, bytes);
  CHECK(s == "000fa5ff");
  s.clear();
  append_hex_number(s, 0x002a, 4), s += ' ', append_hex_number(s, 0x7, 2);
  CHECK(s == "0x002a 0x07");
  s.clear();
  append_padded(s, "Read Request", 20), s += '|', append_padded(s, "a longer text than the width", 5);
  CHECK(s == "Read Request        |a longer text than the width");
}
