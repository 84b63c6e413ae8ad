// btsnoop captures and the ATT traffic inside them: a reader, an HCI ACL /
// L2CAP reassembler that extracts ATT PDUs, and a writer. Pure: every function
// takes and returns bytes, none opens a file or reads a clock, so the CLI, the
// bearer's capture tap, the tests and the fuzzers share the same code.
//
// btsnoop v1 (the snoop format of RFC 1761 adapted to HCI; all fields are
// big-endian, unlike HCI itself):
//
//   file header  | "btsnoop\0" (8) | version (4) = 1 | datalink (4) |
//   record       | original length (4) | included length (4) | flags (4)
//                | cumulative drops (4) | timestamp (8) | included bytes |
//
// The timestamp is a signed count of microseconds since 0000-01-01 00:00 UTC
// (proleptic Gregorian); 0x00dcddb30f2f8000 of them fall before the Unix epoch.
//
//  * datalink 1002 (HCI UART, "H4"): each record holds one HCI packet preceded
//    by its H4 packet indicator (Core 5.4 Vol 4 Part A §2: 0x01 command,
//    0x02 ACL data, 0x03 SCO data, 0x04 event, 0x05 ISO data). Flags bit 0 is
//    the direction (0 sent by the host, 1 received from the controller) and
//    bit 1 is set for commands and events.
//  * datalink 2001 (Linux monitor, as written by btmon): records carry no
//    indicator; flags = controller index << 16 | monitor opcode (2 command,
//    3 event, 4 ACL TX, 5 ACL RX, 6/7 SCO TX/RX, 18/19 ISO TX/RX; the other
//    opcodes are metadata such as New Index or System Note).
//
// Views: btsnoop_record::data and hci_packet::payload point into the buffer
// given to the reader and are valid as long as that buffer is; an
// l2cap_frame's payload is valid until the next call on its reassembler.
// att_record owns its bytes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <vector>

#include <boost/system/error_code.hpp>

#include "common/bytes.hpp"
#include "hci/error.hpp"

namespace bandwire::hci {

/// btsnoop datalink types that bandwire reads and writes.
enum class datalink : std::uint32_t {
  h4 = 1002,       ///< HCI UART (H4): H4 indicator byte + HCI packet
  monitor = 2001,  ///< Linux monitor (btmon): HCI packet, opcode and index in the flags
};

/// Which way a packet crossed the HCI.
enum class direction : std::uint8_t {
  host_to_controller,  ///< sent by this host
  controller_to_host,  ///< received by this host
};

/// H4 packet indicators (Core 5.4 Vol 4 Part A §2, Table 2.1).
enum class packet_type : std::uint8_t {
  command = 0x01,
  acl = 0x02,
  sco = 0x03,
  event = 0x04,
  iso = 0x05,
};

inline constexpr std::size_t btsnoop_header_size = 16;
inline constexpr std::size_t btsnoop_record_header_size = 24;
/// Microseconds from 0000-01-01 to 1970-01-01 (719,528 days).
inline constexpr std::int64_t btsnoop_epoch_offset_us = 0x00dcddb30f2f8000;

/// Raw btsnoop timestamp -> Unix epoch microseconds. Wraps (never overflows
/// into undefined behaviour) for absurd timestamps from corrupt files.
constexpr std::int64_t btsnoop_to_unix_us(std::int64_t ts) noexcept {
  return static_cast<std::int64_t>(static_cast<std::uint64_t>(ts) -
                                   static_cast<std::uint64_t>(btsnoop_epoch_offset_us));
}
/// Unix epoch microseconds -> raw btsnoop timestamp (inverse of the above).
constexpr std::int64_t unix_to_btsnoop_us(std::int64_t unix_us) noexcept {
  return static_cast<std::int64_t>(static_cast<std::uint64_t>(unix_us) +
                                   static_cast<std::uint64_t>(btsnoop_epoch_offset_us));
}

/// H4 (1002) record flags for a packet: bit 0 direction, bit 1 command/event.
constexpr std::uint32_t h4_flags(packet_type type, direction dir) noexcept {
  const bool control = type == packet_type::command || type == packet_type::event;
  return (dir == direction::controller_to_host ? 1u : 0u) | (control ? 2u : 0u);
}

/// The 16-byte file header.
struct btsnoop_header {
  std::uint32_t version = 1;
  datalink link = datalink::h4;
};

/// One record. `data` holds the included bytes; it is shorter than
/// original_length when the capture tool cut the packet.
struct btsnoop_record {
  std::uint32_t original_length = 0;
  std::uint32_t flags = 0;
  std::uint32_t drops = 0;     ///< packets lost since the capture began
  std::int64_t timestamp = 0;  ///< raw: microseconds since 0000-01-01
  bytes_view data;

  bool truncated() const noexcept { return data.size() < original_length; }
  std::int64_t unix_time_us() const noexcept { return btsnoop_to_unix_us(timestamp); }
};

/// Decodes the file header from the start of `in` (extra bytes are ignored).
/// Fails with truncated_header, not_btsnoop, unsupported_version or
/// unsupported_datalink.
boost::system::error_code decode_btsnoop_header(bytes_view in, btsnoop_header& out) noexcept;

/// Decodes one record from the start of `in`; on success `consumed` is its
/// size (24 + included length). Fails with truncated_record when the header or
/// the included bytes run past `in`, and with invalid_record_length when the
/// included length exceeds the original length.
boost::system::error_code decode_btsnoop_record(bytes_view in, btsnoop_record& out,
                                                std::size_t& consumed) noexcept;

/// Walks the records of a whole btsnoop file held in memory:
///
///     btsnoop_reader r(file);
///     btsnoop_record rec;
///     while (r.next(rec)) { ... }
///     if (r.error()) { ... }   // header problem or a truncated/corrupt record
///
/// A file that ends exactly after a record is complete, however many records
/// it holds; one that ends inside a record reports truncated_record after the
/// last whole record.
class btsnoop_reader {
 public:
  /// Decodes the file header; error() reports its status.
  explicit btsnoop_reader(bytes_view file) noexcept;

  /// The header's error, or the one that stopped next(); empty at a clean end.
  boost::system::error_code error() const noexcept { return ec_; }
  const btsnoop_header& header() const noexcept { return header_; }
  /// Reads the next record. False at the end of the file or on an error;
  /// after that it keeps returning false.
  bool next(btsnoop_record& out) noexcept;
  /// Bytes of the file consumed so far (header and whole records).
  std::size_t offset() const noexcept { return offset_; }
  /// Records returned so far.
  std::size_t records() const noexcept { return records_; }

 private:
  bytes_view file_;
  btsnoop_header header_;
  boost::system::error_code ec_;
  std::size_t offset_ = 0;
  std::size_t records_ = 0;
};

// ---- per-record HCI access ----

/// The HCI packet inside a record, whatever the datalink.
struct hci_packet {
  packet_type type = packet_type::command;
  direction dir = direction::host_to_controller;
  std::uint16_t controller_index = 0;  ///< monitor datalink only; 0 for H4
  bytes_view payload;                  ///< HCI header + parameters/data, no H4 indicator
  bool truncated = false;              ///< the record kept only part of the packet
};

/// Classifies a record. Returns nothing for records that carry no HCI packet:
/// an empty H4 record or an unknown H4 indicator, or a monitor metadata
/// opcode (New Index, System Note...).
std::optional<hci_packet> to_hci_packet(datalink link, const btsnoop_record& rec) noexcept;

// ---- HCI ACL reassembly and L2CAP ----

/// Fixed L2CAP channel of the Attribute Protocol on LE-U (Core 5.4 Vol 3 Part A §2.1).
inline constexpr std::uint16_t att_cid = 0x0004;
/// Largest valid connection handle (Core 5.4 Vol 4 Part E §5.4.2: 0x0000-0x0EFF).
inline constexpr std::uint16_t max_conn_handle = 0x0eff;
/// HCI ACL data packet header: handle + flags (2), data total length (2).
inline constexpr std::size_t acl_header_size = 4;
/// L2CAP basic frame header: length (2), channel ID (2) (Vol 3 Part A §3.1).
inline constexpr std::size_t l2cap_header_size = 4;

/// A complete L2CAP basic frame.
struct l2cap_frame {
  direction dir = direction::host_to_controller;
  std::uint16_t controller_index = 0;
  std::uint16_t conn_handle = 0;
  std::uint16_t cid = 0;
  bytes_view payload;  ///< the information payload; valid until the reassembler's next call
};

/// What the reassembler saw and threw away.
struct acl_stats {
  std::size_t packets = 0;               ///< ACL packets fed
  std::size_t frames = 0;                ///< L2CAP frames completed
  std::size_t malformed = 0;             ///< header missing, or data total length != bytes present
  std::size_t orphan_continuations = 0;  ///< continuation with no frame in progress: dropped
  std::size_t abandoned = 0;             ///< frame left incomplete by a new start or a lost packet
  std::size_t length_overflows = 0;      ///< fragments carried more than the L2CAP length: dropped
};

/// Rebuilds L2CAP basic frames from HCI ACL data packets (Core 5.4 Vol 4 Part E
/// §5.4.2). A frame in progress is kept per (controller index, direction,
/// connection handle), so fragments of different links, and the two
/// directions of one link, may interleave freely.
class acl_reassembler {
 public:
  /// Feeds one ACL data packet (4-byte ACL header + data, no H4 indicator).
  /// Returns the frame it completes, if any.
  std::optional<l2cap_frame> feed(direction dir, bytes_view acl, std::uint16_t controller_index = 0);
  /// Forgets the frame in progress on a link (a packet of it was lost or cut
  /// short); counts it as abandoned if there was one.
  void abandon(direction dir, std::uint16_t conn_handle, std::uint16_t controller_index = 0);
  /// Frames in progress.
  std::size_t pending() const noexcept { return partial_.size(); }
  const acl_stats& stats() const noexcept { return stats_; }

 private:
  static std::uint32_t key(direction dir, std::uint16_t handle, std::uint16_t index) noexcept;
  std::optional<l2cap_frame> complete(bytes_view frame, std::uint32_t k);

  std::map<std::uint32_t, std::vector<std::uint8_t>> partial_;
  std::vector<std::uint8_t> done_;  ///< the last multi-fragment frame, viewed by the returned frame
  acl_stats stats_;
};

// ---- ATT extraction ----

/// One ATT PDU found in a capture.
struct att_record {
  std::int64_t timestamp_us = 0;  ///< Unix epoch µs of the record that completed the PDU
  direction dir = direction::host_to_controller;
  std::uint16_t conn_handle = 0;
  std::vector<std::uint8_t> pdu;
  std::size_t frame = 0;  ///< 1-based number of the completing record, as Wireshark numbers frames
  std::uint16_t controller_index = 0;  ///< monitor captures: which local controller (hciN)

  friend bool operator==(const att_record&, const att_record&) = default;
};

/// An ATT PDU found in a capture, by view: `pdu` is valid until the
/// extractor's next feed (it points into the record or the reassembler).
struct att_view {
  std::int64_t timestamp_us = 0;
  direction dir = direction::host_to_controller;
  std::uint16_t conn_handle = 0;
  bytes_view pdu;
  std::size_t frame = 0;
  std::uint16_t controller_index = 0;
};

struct att_extract_stats {
  std::size_t records = 0;            ///< records fed
  std::size_t non_hci = 0;            ///< records with no HCI packet (see to_hci_packet)
  std::size_t truncated_packets = 0;  ///< ACL packets the capture cut short: skipped
  std::size_t other_l2cap = 0;        ///< complete L2CAP frames on channels other than ATT
  std::size_t att_pdus = 0;
  acl_stats acl;
};

/// Turns the records of one capture, in order, into ATT PDUs.
class att_extractor {
 public:
  explicit att_extractor(datalink link) noexcept : link_(link) {}
  /// Feeds the next record; returns the ATT PDU it completes, if any.
  std::optional<att_record> feed(const btsnoop_record& rec);
  /// The same without copying the PDU (for readers of large captures).
  std::optional<att_view> feed_view(const btsnoop_record& rec);
  att_extract_stats stats() const noexcept;

 private:
  datalink link_;
  acl_reassembler acl_;
  att_extract_stats stats_;
};

/// Reads a whole capture and appends its ATT PDUs to `out`. Returns the
/// reader's error; the PDUs found before a truncated or corrupt record are
/// still appended.
boost::system::error_code extract_att(bytes_view file, std::vector<att_record>& out,
                                      att_extract_stats* stats = nullptr);

// ---- writer ----

/// Appends a btsnoop v1 file header.
void write_btsnoop_header(std::vector<std::uint8_t>& out, datalink link = datalink::h4);

/// Appends one record: rec.data becomes the included bytes. Fails with
/// invalid_record_length when rec.data is longer than rec.original_length or
/// than a 32-bit length can say; nothing is appended then.
boost::system::error_code write_btsnoop_record(std::vector<std::uint8_t>& out,
                                               const btsnoop_record& rec);

/// How ATT PDUs are framed for a capture.
struct att_framing {
  std::uint16_t conn_handle = 0x0040;
  std::uint16_t acl_mtu = 251;  ///< most data bytes per ACL packet (LE Data Length maximum)
};

/// Builds the H4 ACL packets (each starting with indicator 0x02) that carry
/// `pdu` on L2CAP channel 4, split into fragments of at most acl_mtu data
/// bytes. Fails with invalid_argument (handle > 0x0EFF, acl_mtu 0) or
/// pdu_too_long (more than 65,535 bytes); `out` is then left unchanged.
boost::system::error_code frame_att_pdu(bytes_view pdu, direction dir, const att_framing& framing,
                                        std::vector<std::vector<std::uint8_t>>& out);

/// Appends the H4 (1002) records that carry one ATT PDU, all stamped with
/// `unix_us`. Errors as frame_att_pdu; nothing is appended then.
boost::system::error_code write_att_pdu(std::vector<std::uint8_t>& out, direction dir,
                                        std::int64_t unix_us, bytes_view pdu,
                                        const att_framing& framing = {});

}  // namespace bandwire::hci
