#include "att/uuid.hpp"

#include <doctest/doctest.h>

using bandwire::att::uuid;

TEST_CASE("uuid: 16-bit, 32-bit and 128-bit forms") {
  auto hr = uuid::from16(0x180d);
  CHECK(hr.to_string() == "0000180d-0000-1000-8000-00805f9b34fb");
  CHECK(hr.is16());
  CHECK(*uuid::parse("180d") == hr);
  CHECK(*uuid::parse("0x180D") == hr);
  CHECK(*uuid::parse("0000180d-0000-1000-8000-00805f9b34fb") == hr);
  auto mi = *uuid::parse("00000009-0000-3512-2118-0009af100700");  // Mi Band auth characteristic
  CHECK_FALSE(mi.is16());
  std::uint8_t le[16];
  CHECK(mi.write_le(le) == 16);
  CHECK(le[0] == 0x00);
  CHECK(le[1] == 0x07);
  CHECK(le[15] == 0x00);
  CHECK(le[12] == 0x09);
  CHECK(*uuid::from_le(bandwire::bytes_view(le, 16)) == mi);
  const std::uint8_t w32[4] = {0x78, 0x56, 0x34, 0x12};
  CHECK(uuid::from_le(w32)->to_string() == "12345678-0000-1000-8000-00805f9b34fb");
  CHECK_FALSE(uuid::parse("18d"));
  CHECK_FALSE(uuid::parse("zz0d"));
  CHECK_FALSE(uuid::parse("0000180d+0000-1000-8000-00805f9b34fb"));
  const std::uint8_t three[3] = {1, 2, 3};
  CHECK_FALSE(uuid::from_le(three));
}
