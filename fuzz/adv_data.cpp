// libFuzzer target: the advertising data parser (hci/adv_data.hpp) on
// arbitrary bytes. Contract: never crash; every view lies inside the input;
// the structures split_ad finds re-encode (append_ad) to exactly the bytes
// they came from; a Huami payload that decodes re-encodes to itself.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "hci/adv_data.hpp"

namespace {

using namespace bandwire;
using namespace bandwire::hci;

void inside(bytes_view outer, bytes_view inner) {
  if (inner.empty()) return;
  if (inner.data() < outer.data() || inner.data() + inner.size() > outer.data() + outer.size()) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const bytes_view in(data, size);

  std::vector<ad_structure> s;
  const auto split_ec = split_ad(in, s);
  std::vector<std::uint8_t> again;
  for (const auto& a : s) {
    inside(in, a.data);
    if (append_ad(again, a.type, a.data)) std::abort();  // at most 254 octets by construction
  }
  if (again.size() > in.size() || std::memcmp(again.data(), in.data(), again.size()) != 0) std::abort();
  // What follows the re-encoded part is a terminator (zero length) or the
  // structure that ran past the end.
  if (again.size() < in.size() && !split_ec && in[again.size()] != 0) std::abort();

  advertising_data ad;
  (void)parse_advertising_data(in, ad);
  for (const auto& m : ad.manufacturer) {
    inside(in, m.data);
    miband2_manufacturer_data mb;
    if (!decode_miband2_manufacturer_data(m.data, mb)) {
      const auto back = encode_miband2_manufacturer_data(mb);
      if (std::memcmp(back.data(), m.data.data(), back.size()) != 0) std::abort();
      (void)miband2_advertising_data(mb);
    }
  }
  for (const auto& sd : ad.services) inside(in, sd.data);
  for (const auto& o : ad.other) inside(in, o.data);
  (void)recognise_miband2(ad);
  // Parsing twice into the same object (adv + scan response) must hold up.
  (void)parse_advertising_data(in, ad);
  return 0;
}
