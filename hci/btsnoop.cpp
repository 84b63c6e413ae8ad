#include "hci/btsnoop.hpp"

#include <algorithm>
#include <array>
#include <limits>

namespace bandwire::hci {

namespace {

// btsnoop is big-endian (the snoop tradition), so it gets its own byte-wise
// helpers next to common/bytes.hpp's little-endian ones for HCI fields.
std::uint32_t get_be32(const std::uint8_t* p) noexcept {
  return (static_cast<std::uint32_t>(p[0]) << 24) | (static_cast<std::uint32_t>(p[1]) << 16) |
         (static_cast<std::uint32_t>(p[2]) << 8) | static_cast<std::uint32_t>(p[3]);
}
std::uint64_t get_be64(const std::uint8_t* p) noexcept {
  return (static_cast<std::uint64_t>(get_be32(p)) << 32) | get_be32(p + 4);
}
void put_be32(std::vector<std::uint8_t>& out, std::uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<std::uint8_t>(v >> shift));
}
void put_be64(std::vector<std::uint8_t>& out, std::uint64_t v) {
  put_be32(out, static_cast<std::uint32_t>(v >> 32));
  put_be32(out, static_cast<std::uint32_t>(v));
}

constexpr std::array<std::uint8_t, 8> btsnoop_magic = {'b', 't', 's', 'n', 'o', 'o', 'p', 0};

// Linux monitor opcodes (BlueZ src/shared/btsnoop.h, documented in btsnoop(7)).
constexpr std::uint16_t mon_command = 2;
constexpr std::uint16_t mon_event = 3;
constexpr std::uint16_t mon_acl_tx = 4;
constexpr std::uint16_t mon_acl_rx = 5;
constexpr std::uint16_t mon_sco_tx = 6;
constexpr std::uint16_t mon_sco_rx = 7;
constexpr std::uint16_t mon_iso_tx = 18;
constexpr std::uint16_t mon_iso_rx = 19;

// Packet_Boundary_Flag values (Core 5.4 Vol 4 Part E §5.4.2).
constexpr unsigned pb_first_non_flushable = 0b00;  // host -> controller only
constexpr unsigned pb_continuation = 0b01;
constexpr unsigned pb_first_flushable = 0b10;
// 0b11 ("complete L2CAP PDU", AMP only, deprecated) is read as a first fragment.

}  // namespace

// ---- reader ----

boost::system::error_code decode_btsnoop_header(bytes_view in, btsnoop_header& out) noexcept {
  // Check the identification pattern on whatever is present first, so a short
  // file that is not btsnoop at all says so rather than "truncated".
  const std::size_t n = std::min(in.size(), btsnoop_magic.size());
  if (!std::equal(in.begin(), in.begin() + static_cast<std::ptrdiff_t>(n), btsnoop_magic.begin()))
    return errc::not_btsnoop;
  if (in.size() < btsnoop_header_size) return errc::truncated_header;
  const std::uint32_t version = get_be32(in.data() + 8);
  if (version != 1) return errc::unsupported_version;
  const std::uint32_t link = get_be32(in.data() + 12);
  if (link != static_cast<std::uint32_t>(datalink::h4) &&
      link != static_cast<std::uint32_t>(datalink::monitor))
    return errc::unsupported_datalink;
  out.version = version;
  out.link = static_cast<datalink>(link);
  return {};
}

boost::system::error_code decode_btsnoop_record(bytes_view in, btsnoop_record& out,
                                                std::size_t& consumed) noexcept {
  if (in.size() < btsnoop_record_header_size) return errc::truncated_record;
  const std::uint8_t* p = in.data();
  const std::uint32_t original = get_be32(p);
  const std::uint32_t included = get_be32(p + 4);
  // Compare without adding, so a huge included length cannot wrap the sum.
  if (included > in.size() - btsnoop_record_header_size) return errc::truncated_record;
  if (included > original) return errc::invalid_record_length;
  out.original_length = original;
  out.flags = get_be32(p + 8);
  out.drops = get_be32(p + 12);
  out.timestamp = static_cast<std::int64_t>(get_be64(p + 16));
  out.data = in.subspan(btsnoop_record_header_size, included);
  consumed = btsnoop_record_header_size + included;
  return {};
}

btsnoop_reader::btsnoop_reader(bytes_view file) noexcept : file_(file) {
  ec_ = decode_btsnoop_header(file_, header_);
  if (!ec_) offset_ = btsnoop_header_size;
}

bool btsnoop_reader::next(btsnoop_record& out) noexcept {
  if (ec_ || offset_ >= file_.size()) return false;
  std::size_t consumed = 0;
  ec_ = decode_btsnoop_record(file_.subspan(offset_), out, consumed);
  if (ec_) return false;
  offset_ += consumed;
  ++records_;
  return true;
}

std::optional<hci_packet> to_hci_packet(datalink link, const btsnoop_record& rec) noexcept {
  hci_packet pkt;
  pkt.truncated = rec.truncated();
  if (link == datalink::h4) {
    if (rec.data.empty()) return std::nullopt;
    switch (rec.data[0]) {
      case 0x01: pkt.type = packet_type::command; break;
      case 0x02: pkt.type = packet_type::acl; break;
      case 0x03: pkt.type = packet_type::sco; break;
      case 0x04: pkt.type = packet_type::event; break;
      case 0x05: pkt.type = packet_type::iso; break;
      default: return std::nullopt;
    }
    // Flags bit 0 carries the direction; bit 1 only repeats what the indicator says.
    pkt.dir = (rec.flags & 1u) ? direction::controller_to_host : direction::host_to_controller;
    pkt.payload = rec.data.subspan(1);
    return pkt;
  }
  // Linux monitor: the low 16 bits are the opcode, the high 16 the controller index.
  pkt.controller_index = static_cast<std::uint16_t>(rec.flags >> 16);
  const auto opcode = static_cast<std::uint16_t>(rec.flags & 0xffffu);
  constexpr auto out = direction::host_to_controller;
  constexpr auto in = direction::controller_to_host;
  switch (opcode) {
    case mon_command: pkt.type = packet_type::command; pkt.dir = out; break;
    case mon_event: pkt.type = packet_type::event; pkt.dir = in; break;
    case mon_acl_tx: pkt.type = packet_type::acl; pkt.dir = out; break;
    case mon_acl_rx: pkt.type = packet_type::acl; pkt.dir = in; break;
    case mon_sco_tx: pkt.type = packet_type::sco; pkt.dir = out; break;
    case mon_sco_rx: pkt.type = packet_type::sco; pkt.dir = in; break;
    case mon_iso_tx: pkt.type = packet_type::iso; pkt.dir = out; break;
    case mon_iso_rx: pkt.type = packet_type::iso; pkt.dir = in; break;
    default: return std::nullopt;
  }
  pkt.payload = rec.data;
  return pkt;
}

// ---- ACL reassembly ----

std::uint32_t acl_reassembler::key(direction dir, std::uint16_t handle, std::uint16_t index) noexcept {
  // 16-bit index | 1-bit direction | 12-bit handle.
  return (static_cast<std::uint32_t>(index) << 13) |
         (dir == direction::controller_to_host ? (1u << 12) : 0u) | (handle & 0x0fffu);
}

std::optional<l2cap_frame> acl_reassembler::complete(bytes_view frame, std::uint32_t k) {
  ++stats_.frames;
  l2cap_frame f;
  f.dir = (k & (1u << 12)) ? direction::controller_to_host : direction::host_to_controller;
  f.controller_index = static_cast<std::uint16_t>(k >> 13);
  f.conn_handle = static_cast<std::uint16_t>(k & 0x0fffu);
  f.cid = get_le16(frame.data() + 2);
  f.payload = frame.subspan(l2cap_header_size);
  return f;
}

void acl_reassembler::abandon(direction dir, std::uint16_t conn_handle, std::uint16_t controller_index) {
  if (partial_.erase(key(dir, conn_handle, controller_index)) != 0) ++stats_.abandoned;
}

std::optional<l2cap_frame> acl_reassembler::feed(direction dir, bytes_view acl,
                                                 std::uint16_t controller_index) {
  ++stats_.packets;
  // Core 5.4 Vol 4 Part E §5.4.2: | handle (12 bits) PB (2) BC (2) | data total length (2) | data |
  if (acl.size() < acl_header_size) {
    ++stats_.malformed;
    return std::nullopt;
  }
  const std::uint16_t hdr = get_le16(acl.data());
  const auto handle = static_cast<std::uint16_t>(hdr & 0x0fffu);
  const unsigned pb = (hdr >> 12) & 0b11u;
  const std::uint16_t length = get_le16(acl.data() + 2);
  const std::uint32_t k = key(dir, handle, controller_index);
  if (length != acl.size() - acl_header_size) {
    // A corrupt packet of this link: whatever was in progress lost a piece.
    ++stats_.malformed;
    abandon(dir, handle, controller_index);
    return std::nullopt;
  }
  const bytes_view data = acl.subspan(acl_header_size);

  if (pb != pb_continuation) {
    // A first fragment (0b00 from the host, 0b10 either way) starts a new
    // L2CAP frame; one still in progress on the link can never complete.
    abandon(dir, handle, controller_index);
    if (data.size() >= l2cap_header_size) {
      // Vol 3 Part A §3.1: | length (2) | CID (2) | information payload (length) |
      const std::size_t total = l2cap_header_size + get_le16(data.data());
      if (data.size() == total) return complete(data, k);  // unfragmented: no copy
      if (data.size() > total) {
        ++stats_.length_overflows;
        return std::nullopt;
      }
    }
    partial_[k].assign(data.begin(), data.end());
    return std::nullopt;
  }

  auto it = partial_.find(k);
  if (it == partial_.end()) {
    ++stats_.orphan_continuations;
    return std::nullopt;
  }
  std::vector<std::uint8_t>& buf = it->second;
  // The L2CAP header itself may have been split across fragments; the frame's
  // size is known only once its first four bytes are in. Until then a frame
  // can hold at most the largest L2CAP frame, which bounds the buffer.
  const std::size_t limit = buf.size() >= l2cap_header_size
                                ? l2cap_header_size + get_le16(buf.data())
                                : l2cap_header_size + std::numeric_limits<std::uint16_t>::max();
  if (data.size() > limit - buf.size()) {
    // More data than the L2CAP length allows (or than any L2CAP frame can
    // hold): the frame is corrupt, drop it rather than grow without bound.
    ++stats_.length_overflows;
    partial_.erase(it);
    return std::nullopt;
  }
  buf.insert(buf.end(), data.begin(), data.end());
  if (buf.size() < l2cap_header_size) return std::nullopt;
  const std::size_t total = l2cap_header_size + get_le16(buf.data());
  if (buf.size() < total) return std::nullopt;
  if (buf.size() > total) {
    ++stats_.length_overflows;
    partial_.erase(it);
    return std::nullopt;
  }
  done_ = std::move(buf);
  partial_.erase(it);
  return complete(done_, k);
}

// ---- ATT extraction ----

std::optional<att_view> att_extractor::feed_view(const btsnoop_record& rec) {
  ++stats_.records;
  const auto pkt = to_hci_packet(link_, rec);
  if (!pkt) {
    ++stats_.non_hci;
    return std::nullopt;
  }
  if (pkt->type != packet_type::acl) return std::nullopt;
  if (pkt->truncated) {
    // Part of this fragment is missing from the capture, so the frame it
    // belongs to can never be rebuilt.
    ++stats_.truncated_packets;
    if (pkt->payload.size() >= 2)
      acl_.abandon(pkt->dir, static_cast<std::uint16_t>(get_le16(pkt->payload.data()) & 0x0fffu),
                   pkt->controller_index);
    return std::nullopt;
  }
  const auto frame = acl_.feed(pkt->dir, pkt->payload, pkt->controller_index);
  if (!frame) return std::nullopt;
  if (frame->cid != att_cid) {
    ++stats_.other_l2cap;
    return std::nullopt;
  }
  ++stats_.att_pdus;
  att_view r;
  // A fragmented PDU is stamped with the record that completed it, as
  // Wireshark shows a reassembled PDU in its last fragment's frame.
  r.timestamp_us = rec.unix_time_us();
  r.dir = frame->dir;
  r.conn_handle = frame->conn_handle;
  r.controller_index = pkt->controller_index;
  r.pdu = frame->payload;
  r.frame = stats_.records;
  return r;
}

std::optional<att_record> att_extractor::feed(const btsnoop_record& rec) {
  auto v = feed_view(rec);
  if (!v) return std::nullopt;
  att_record r;
  r.timestamp_us = v->timestamp_us;
  r.dir = v->dir;
  r.conn_handle = v->conn_handle;
  r.controller_index = v->controller_index;
  r.pdu.assign(v->pdu.begin(), v->pdu.end());
  r.frame = v->frame;
  return r;
}

att_extract_stats att_extractor::stats() const noexcept {
  att_extract_stats s = stats_;
  s.acl = acl_.stats();
  return s;
}

boost::system::error_code extract_att(bytes_view file, std::vector<att_record>& out,
                                      att_extract_stats* stats) {
  btsnoop_reader reader(file);
  if (reader.error()) return reader.error();
  att_extractor extractor(reader.header().link);
  btsnoop_record rec;
  while (reader.next(rec)) {
    if (auto r = extractor.feed(rec)) out.push_back(std::move(*r));
  }
  if (stats) *stats = extractor.stats();
  return reader.error();
}

// ---- writer ----

void write_btsnoop_header(std::vector<std::uint8_t>& out, datalink link) {
  out.insert(out.end(), btsnoop_magic.begin(), btsnoop_magic.end());
  put_be32(out, 1);
  put_be32(out, static_cast<std::uint32_t>(link));
}

boost::system::error_code write_btsnoop_record(std::vector<std::uint8_t>& out,
                                               const btsnoop_record& rec) {
  if (rec.data.size() > rec.original_length) return errc::invalid_record_length;
  out.reserve(out.size() + btsnoop_record_header_size + rec.data.size());
  put_be32(out, rec.original_length);
  put_be32(out, static_cast<std::uint32_t>(rec.data.size()));
  put_be32(out, rec.flags);
  put_be32(out, rec.drops);
  put_be64(out, static_cast<std::uint64_t>(rec.timestamp));
  out.insert(out.end(), rec.data.begin(), rec.data.end());
  return {};
}

boost::system::error_code frame_att_pdu(bytes_view pdu, direction dir, const att_framing& framing,
                                        std::vector<std::vector<std::uint8_t>>& out) {
  if (framing.conn_handle > max_conn_handle || framing.acl_mtu == 0) return errc::invalid_argument;
  if (pdu.size() > std::numeric_limits<std::uint16_t>::max()) return errc::pdu_too_long;

  // The L2CAP basic frame (Vol 3 Part A §3.1) is cut into ACL fragments of
  // at most acl_mtu bytes; only the first carries the L2CAP header.
  std::vector<std::uint8_t> frame(l2cap_header_size + pdu.size());
  put_le16(frame.data(), static_cast<std::uint16_t>(pdu.size()));
  put_le16(frame.data() + 2, att_cid);
  std::copy(pdu.begin(), pdu.end(), frame.begin() + l2cap_header_size);

  // First fragments: a host sends 0b00 (non-flushable, what BlueZ and
  // Android use on LE), a controller delivers 0b10 (Vol 4 Part E §5.4.2).
  const unsigned first =
      dir == direction::host_to_controller ? pb_first_non_flushable : pb_first_flushable;
  std::vector<std::vector<std::uint8_t>> packets;
  for (std::size_t off = 0; off < frame.size(); off += framing.acl_mtu) {
    const std::size_t n = std::min<std::size_t>(framing.acl_mtu, frame.size() - off);
    std::vector<std::uint8_t> pkt(1 + acl_header_size + n);
    pkt[0] = static_cast<std::uint8_t>(packet_type::acl);
    const unsigned pb = off == 0 ? first : pb_continuation;
    put_le16(pkt.data() + 1, static_cast<std::uint16_t>(framing.conn_handle | (pb << 12)));
    put_le16(pkt.data() + 3, static_cast<std::uint16_t>(n));
    std::copy_n(frame.begin() + static_cast<std::ptrdiff_t>(off), n, pkt.begin() + 5);
    packets.push_back(std::move(pkt));
  }
  out.insert(out.end(), std::make_move_iterator(packets.begin()),
             std::make_move_iterator(packets.end()));
  return {};
}

boost::system::error_code write_att_pdu(std::vector<std::uint8_t>& out, direction dir,
                                        std::int64_t unix_us, bytes_view pdu,
                                        const att_framing& framing) {
  std::vector<std::vector<std::uint8_t>> packets;
  if (auto ec = frame_att_pdu(pdu, dir, framing, packets)) return ec;
  for (const auto& pkt : packets) {
    btsnoop_record rec;
    rec.original_length = static_cast<std::uint32_t>(pkt.size());
    rec.flags = h4_flags(packet_type::acl, dir);
    rec.timestamp = unix_to_btsnoop_us(unix_us);
    rec.data = pkt;
    // Cannot fail: the data is exactly original_length bytes.
    (void)write_btsnoop_record(out, rec);
  }
  return {};
}

}  // namespace bandwire::hci
