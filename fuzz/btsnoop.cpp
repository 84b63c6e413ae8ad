// libFuzzer target: the btsnoop reader, per-record HCI classification and the
// ATT extractor (ACL reassembly) on arbitrary bytes. Besides the raw input,
// the same bytes are read after a valid H4 header and after a valid monitor
// header, so the fuzzer reaches the record and reassembly code without first
// having to discover the 16-byte header.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "hci/btsnoop.hpp"

namespace {

void read_capture(bandwire::bytes_view file) {
  using namespace bandwire::hci;
  btsnoop_reader reader(file);
  if (reader.error()) return;
  att_extractor extractor(reader.header().link);
  btsnoop_record rec;
  std::size_t pdus = 0;
  while (reader.next(rec)) {
    if (rec.data.size() > rec.original_length) std::abort();
    if (auto pkt = to_hci_packet(reader.header().link, rec)) {
      if (pkt->payload.size() > rec.data.size()) std::abort();
    }
    if (auto att = extractor.feed(rec)) {
      // An ATT PDU is the payload of one L2CAP basic frame: at most 65,535 bytes.
      if (att->pdu.size() > 0xffff) std::abort();
      ++pdus;
    }
  }
  if (reader.offset() > file.size()) std::abort();
  if (extractor.stats().att_pdus != pdus) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace bandwire::hci;
  const bandwire::bytes_view input(data, size);
  read_capture(input);
  for (datalink link : {datalink::h4, datalink::monitor}) {
    std::vector<std::uint8_t> file;
    write_btsnoop_header(file, link);
    file.insert(file.end(), input.begin(), input.end());
    read_capture(file);
  }
  return 0;
}
