// The HCI event decoder and the AD parser against the real Mi Fit captures
// (shared/captures/README.md): every event the controller sent must decode,
// every advertising report's data must parse, and the Mi Band 2 must be
// recognised both from its advertisement alone (what a passive scan sees)
// and from its scan response's name. The record walking uses the btsnoop
// reader (hci/btsnoop.hpp). Skipped with a message when BANDWIRE_SHARED is
// not set.
#include <doctest/doctest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <string>
#include <vector>

#include "hci/adv_data.hpp"
#include "hci/btsnoop.hpp"
#include "hci/hci_codec.hpp"
#include "tests/support/shared_dir.hpp"

using namespace bandwire;
using namespace bandwire::hci;

namespace {

struct expectation {
  const char* file;
  const char* band;              ///< the Mi Band 2's address (miband2-protocol.md §2.1)
  std::size_t reports;           ///< LE Advertising Reports (counted independently with a script)
  std::size_t connections;       ///< LE (Enhanced) Connection Complete events
};

void check_capture(const expectation& x) {
  const std::string found = test::shared_file(std::string("captures/") + x.file);
  if (found.empty()) return;  // skipped (shared_file says why)
  const std::filesystem::path path = found;
  std::ifstream in(path, std::ios::binary);
  const std::vector<std::uint8_t> file((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  REQUIRE(file.size() == std::filesystem::file_size(path));

  btsnoop_reader reader(file);
  REQUIRE_FALSE(reader.error());
  const address band = *address::parse(x.band);
  std::size_t events = 0, reports = 0, connections = 0, band_by_manufacturer = 0, band_by_name = 0;
  std::map<std::string, advertising_data> devices;
  btsnoop_record rec;
  while (reader.next(rec)) {
    const auto pkt = to_hci_packet(reader.header().link, rec);
    if (!pkt || pkt->type != packet_type::event || pkt->truncated) continue;
    ++events;
    event e;
    const auto ec = decode_event(pkt->payload, e);
    CAPTURE(reader.records());
    CAPTURE(to_hex(pkt->payload));
    REQUIRE_MESSAGE(!ec, ec.message());
    if (std::holds_alternative<le_connection_complete>(e)) {
      ++connections;
      CHECK(std::get<le_connection_complete>(e).peer == band);
    }
    const auto* reps = std::get_if<le_advertising_reports>(&e);
    if (!reps) continue;
    for (const adv_report& r : reps->reports) {
      ++reports;
      advertising_data alone;
      const auto aec = parse_advertising_data(r.data, alone);
      REQUIRE_MESSAGE(!aec, aec.message());
      REQUIRE_FALSE(parse_advertising_data(r.data, devices[r.addr.to_string()]));
      if (r.addr == band) {
        CHECK(r.random_address());  // a static random address (§2.1)
        if (r.event_type == legacy_event::adv_ind) {
          CHECK(r.data.size() == 31);
          CHECK(recognise_miband2(alone, &r.addr) == miband_match::miband2);
          CHECK_FALSE(alone.name);
          ++band_by_manufacturer;
        } else if (r.scan_response()) {
          CHECK(alone.name == std::string("MI Band 2"));
          CHECK(alone.has_service(att::uuid::from16(miband_service_uuid16)));
          ++band_by_name;
        }
      } else {
        // No other device is mistaken for the band.
        CHECK(recognise_miband2(alone, &r.addr) != miband_match::miband2);
      }
    }
  }
  REQUIRE_FALSE(reader.error());
  CHECK(reports == x.reports);
  CHECK(connections == x.connections);
  CHECK(band_by_manufacturer > 0);
  CHECK(band_by_name > 0);
  REQUIRE(devices.count(band.to_string()) == 1);
  const advertising_data& merged = devices[band.to_string()];
  CHECK(recognise_miband2(merged, &band) == miband_match::miband2);
  CHECK(merged.flags == std::uint8_t{0x06});
  std::size_t others = 0;
  for (const auto& [addr, ad] : devices)
    if (addr != band.to_string() && recognise_miband2(ad) == miband_match::miband2) ++others;
  CHECK(others == 0);
  MESSAGE(std::string(x.file), ": ", events, " events, ", reports, " advertising reports from ", devices.size(),
          " devices; band seen ", band_by_manufacturer, "x by manufacturer data, ", band_by_name, "x by name");
}

}  // namespace

TEST_CASE("CAP-B (discovery + pairing): every event decodes, every report parses, the band is recognised") {
  check_capture({"miband2-discovery-pairing.btsnoop", "CE:5D:95:7B:30:53", 14166, 2});
}

TEST_CASE("CAP-A (official app session): every event decodes, every report parses, the band is recognised") {
  check_capture({"miband2-official-app-session.btsnoop", "FA:8E:E3:12:B4:A9", 28, 1});
}
