#include "miband/frame.hpp"  // first: the header is self-contained

#include <doctest/doctest.h>

#include <stdexcept>
#include <vector>

using namespace bandwire;
using bandwire::miband::frame;

TEST_CASE("frame: a 20-byte value type") {
  constexpr frame f{0x15, 0x01, 0x01};
  static_assert(f.size() == 3);
  static_assert(f[1] == 0x01);
  CHECK(to_hex(f.bytes()) == "150101");
  frame g;
  CHECK(g.empty());
  std::vector<std::uint8_t> twenty(20, 0xaa);
  CHECK(g.append(twenty));
  CHECK_FALSE(g.push_back(1));
  CHECK_FALSE(g.append(std::vector<std::uint8_t>{1}));
  CHECK(g.size() == 20);
  g.clear();
  CHECK(g.push_back(0x15));
  CHECK_FALSE(g == f);
  CHECK(g.append(std::vector<std::uint8_t>{1, 1}));
  CHECK(g == f);
  CHECK_THROWS_AS(frame({0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}), std::length_error);
}
