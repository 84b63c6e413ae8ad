// libFuzzer target: whatever the writer produces, the reader must give back
// exactly. The first input byte picks the mode:
//  * even: raw records. The rest of the input is cut into records
//    (flags, drops, timestamp, extra original length, data), written with
//    write_btsnoop_record, read back field by field, and re-written, which
//    must reproduce the file byte for byte.
//  * odd: ATT PDUs. Each PDU is framed with write_att_pdu at a fuzzed
//    connection handle, ACL MTU and direction, then extract_att must return
//    the same PDUs with the same metadata.
// Any mismatch calls abort().
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "hci/btsnoop.hpp"

namespace {

using namespace bandwire;
using namespace bandwire::hci;

/// Consumes fixed-size fields from the front of the input; zero once it runs out.
class cursor {
 public:
  explicit cursor(bytes_view in) noexcept : in_(in) {}
  bool empty() const noexcept { return in_.empty(); }
  std::uint64_t take(std::size_t n) noexcept {
    std::uint64_t v = 0;
    for (std::size_t i = 0; i < n && !in_.empty(); ++i) {
      v = (v << 8) | in_[0];
      in_ = in_.subspan(1);
    }
    return v;
  }
  bytes_view take_bytes(std::size_t n) noexcept {
    const bytes_view out = in_.first(n < in_.size() ? n : in_.size());
    in_ = in_.subspan(out.size());
    return out;
  }

 private:
  bytes_view in_;
};

void check(bool ok) {
  if (!ok) std::abort();
}

bool same_bytes(bytes_view a, bytes_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (a[i] != b[i]) return false;
  return true;
}

void records_round_trip(cursor in, datalink link) {
  std::vector<btsnoop_record> written;
  std::vector<std::uint8_t> file;
  write_btsnoop_header(file, link);
  while (!in.empty()) {
    btsnoop_record r;
    r.flags = static_cast<std::uint32_t>(in.take(4));
    r.drops = static_cast<std::uint32_t>(in.take(4));
    r.timestamp = static_cast<std::int64_t>(in.take(8));
    const auto extra = static_cast<std::uint32_t>(in.take(1));
    r.data = in.take_bytes(in.take(1));
    r.original_length = static_cast<std::uint32_t>(r.data.size()) + extra;
    check(!write_btsnoop_record(file, r));
    written.push_back(r);
  }
  btsnoop_reader reader(file);
  check(!reader.error() && reader.header().link == link);
  std::vector<std::uint8_t> again;
  write_btsnoop_header(again, link);
  btsnoop_record rec;
  std::size_t i = 0;
  while (reader.next(rec)) {
    check(i < written.size());
    const btsnoop_record& w = written[i++];
    check(rec.original_length == w.original_length && rec.flags == w.flags && rec.drops == w.drops &&
          rec.timestamp == w.timestamp && same_bytes(rec.data, w.data));
    check(!write_btsnoop_record(again, rec));
  }
  check(!reader.error() && i == written.size() && reader.offset() == file.size());
  check(same_bytes(again, file));
}

void att_round_trip(cursor in) {
  std::vector<att_record> expect;
  std::vector<std::uint8_t> file;
  write_btsnoop_header(file);
  while (!in.empty()) {
    att_framing framing;
    framing.conn_handle = static_cast<std::uint16_t>(in.take(2) & 0x0fff);
    framing.acl_mtu = static_cast<std::uint16_t>(in.take(1));
    const auto dir = in.take(1) & 1 ? direction::controller_to_host : direction::host_to_controller;
    const auto unix_us = static_cast<std::int64_t>(in.take(8));
    const bytes_view pdu = in.take_bytes(in.take(2));
    const auto ec = write_att_pdu(file, dir, unix_us, pdu, framing);
    const bool valid = framing.conn_handle <= max_conn_handle && framing.acl_mtu != 0;
    check(!ec == valid);
    if (ec) continue;
    att_record r;
    r.timestamp_us = unix_us;
    r.dir = dir;
    r.conn_handle = framing.conn_handle;
    r.pdu.assign(pdu.begin(), pdu.end());
    expect.push_back(std::move(r));
  }
  std::vector<att_record> got;
  att_extract_stats stats;
  check(!extract_att(file, got, &stats));
  check(got.size() == expect.size());
  for (std::size_t i = 0; i < got.size(); ++i) {
    expect[i].frame = got[i].frame;
    check(got[i] == expect[i]);
  }
  check(stats.acl.orphan_continuations == 0 && stats.acl.abandoned == 0 &&
        stats.acl.length_overflows == 0 && stats.acl.malformed == 0 && stats.acl.packets == stats.records);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::uint8_t mode = data[0];
  cursor in(bytes_view(data + 1, size - 1));
  if (mode & 1)
    att_round_trip(in);
  else
    records_round_trip(in, mode & 2 ? datalink::monitor : datalink::h4);
  return 0;
}
