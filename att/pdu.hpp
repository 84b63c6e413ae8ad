// The ATT PDU codec: the only place bandwire turns ATT bytes into structs and
// back (Core 5.4 Vol 3 Part F §3.4). Pure functions, no I/O, no allocation.
//
// Decoded structs hold std::span views into the buffer passed to decode();
// they are valid only while that buffer is. The bearer, the GATT server, the
// virtual band, the capture decoder, the tests and the fuzzers all use it.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <variant>

#include <boost/system/error_code.hpp>

#include "att/error.hpp"
#include "att/opcode.hpp"
#include "att/uuid.hpp"
#include "common/bytes.hpp"

namespace bandwire::att {

/// Default and minimum LE ATT_MTU (Vol 3 Part F §3.2.8); Mi Band payloads are
/// designed for it.
inline constexpr std::uint16_t default_mtu = 23;
/// Largest attribute value (Vol 3 Part F §3.2.9).
inline constexpr std::size_t max_attribute_length = 512;

// §3.4.1.1 Error Response: | 0x01 | req opcode | handle(2) | code |
struct error_rsp {
  std::uint8_t request_opcode = 0;
  std::uint16_t handle = 0;
  std::uint8_t code = 0;
};
// §3.4.2 Exchange MTU: | op | MTU(2) |
struct exchange_mtu_req { std::uint16_t mtu = 0; };
struct exchange_mtu_rsp { std::uint16_t mtu = 0; };
// §3.4.3.1 Find Information Request: | 0x04 | start(2) | end(2) |
struct find_information_req { std::uint16_t start = 0, end = 0; };
// §3.4.3.2 Find Information Response: | 0x05 | format | (handle, uuid)+ |
// format 1: 16-bit UUIDs (4-byte entries), format 2: 128-bit (18-byte entries).
struct find_information_rsp {
  std::uint8_t format = 1;
  bytes_view data;  ///< the entries, validated to be a non-empty multiple of the entry size
};
// §3.4.3.3 Find By Type Value Request: | 0x06 | start | end | type(2) | value |
struct find_by_type_value_req {
  std::uint16_t start = 0, end = 0, type = 0;
  bytes_view value;
};
// §3.4.3.4 Find By Type Value Response: | 0x07 | (found, group end)+ |
struct find_by_type_value_rsp { bytes_view data; };
// §3.4.4.1 Read By Type Request: | 0x08 | start | end | type (2 or 16) |
struct read_by_type_req {
  std::uint16_t start = 0, end = 0;
  uuid type;
};
// §3.4.4.2 Read By Type Response: | 0x09 | length | (handle, value)+ |
struct read_by_type_rsp {
  std::uint8_t length = 0;  ///< size of each entry, >= 2
  bytes_view data;
};
// §3.4.4.3 Read Request: | 0x0a | handle |
struct read_req { std::uint16_t handle = 0; };
struct read_rsp { bytes_view value; };
// §3.4.4.5 Read Blob Request: | 0x0c | handle | offset |
struct read_blob_req { std::uint16_t handle = 0, offset = 0; };
struct read_blob_rsp { bytes_view value; };
// §3.4.4.7 Read Multiple Request: | 0x0e | handle, handle, ... (>= 2) |
struct read_multiple_req { bytes_view handles; };
struct read_multiple_rsp { bytes_view values; };
// §3.4.4.9 Read By Group Type Request: | 0x10 | start | end | group type |
struct read_by_group_type_req {
  std::uint16_t start = 0, end = 0;
  uuid type;
};
// §3.4.4.10 Read By Group Type Response: | 0x11 | length | (handle, end, value)+ |
struct read_by_group_type_rsp {
  std::uint8_t length = 0;  ///< size of each entry, >= 4
  bytes_view data;
};
// §3.4.4.11 Read Multiple Variable Request: | 0x20 | handles (>= 2) |
struct read_multiple_variable_req { bytes_view handles; };
// §3.4.4.12 Read Multiple Variable Response: | 0x21 | (length(2), value)+ |
struct read_multiple_variable_rsp { bytes_view data; };
// §3.4.5.1 Write Request: | 0x12 | handle | value |
struct write_req {
  std::uint16_t handle = 0;
  bytes_view value;
};
struct write_rsp {};
// §3.4.5.3 Write Command: | 0x52 | handle | value |
struct write_cmd {
  std::uint16_t handle = 0;
  bytes_view value;
};
// §3.4.5.4 Signed Write Command: | 0xd2 | handle | value | signature(12) |
struct signed_write_cmd {
  std::uint16_t handle = 0;
  bytes_view value;
  bytes_view signature;  ///< 12 bytes: SignCounter(4) || MAC(8)
};
// §3.4.6.1 Prepare Write Request/Response: | op | handle | offset | value |
struct prepare_write_req {
  std::uint16_t handle = 0, offset = 0;
  bytes_view value;
};
struct prepare_write_rsp {
  std::uint16_t handle = 0, offset = 0;
  bytes_view value;
};
// §3.4.6.3 Execute Write Request: | 0x18 | flags | (0x00 cancel, 0x01 write)
struct execute_write_req { std::uint8_t flags = 0; };
struct execute_write_rsp {};
// §3.4.7.1/2 Handle Value Notification/Indication: | op | handle | value |
struct handle_value_ntf {
  std::uint16_t handle = 0;
  bytes_view value;
};
struct handle_value_ind {
  std::uint16_t handle = 0;
  bytes_view value;
};
struct handle_value_cfm {};
// §3.4.7.4 Multiple Handle Value Notification: | 0x23 | (handle, length, value)+ |
struct multiple_handle_value_ntf { bytes_view data; };

using pdu = std::variant<error_rsp, exchange_mtu_req, exchange_mtu_rsp, find_information_req,
                         find_information_rsp, find_by_type_value_req, find_by_type_value_rsp,
                         read_by_type_req, read_by_type_rsp, read_req, read_rsp, read_blob_req,
                         read_blob_rsp, read_multiple_req, read_multiple_rsp, read_by_group_type_req,
                         read_by_group_type_rsp, read_multiple_variable_req, read_multiple_variable_rsp,
                         write_req, write_rsp, write_cmd, signed_write_cmd, prepare_write_req,
                         prepare_write_rsp, execute_write_req, execute_write_rsp, handle_value_ntf,
                         handle_value_ind, handle_value_cfm, multiple_handle_value_ntf>;

/// Decodes one whole PDU. Fails with errc::malformed_pdu on any length or
/// field violation (including trailing bytes on fixed-size PDUs), and with
/// error::request_not_supported for an unknown opcode.
boost::system::error_code decode(bytes_view in, pdu& out) noexcept;

/// Encodes into out; returns the PDU size, or 0 when out is too small or a
/// field is invalid for the PDU (e.g. a UUID list with mixed sizes).
std::size_t encode(const pdu& p, bytes_span out) noexcept;

/// The opcode a PDU struct encodes to.
opcode opcode_of(const pdu& p) noexcept;

// ---- iterating list responses (the data was validated by decode) ----

struct handle_uuid { std::uint16_t handle; uuid type; };
struct handle_value { std::uint16_t handle; bytes_view value; };
struct group_entry { std::uint16_t start, end; bytes_view value; };
struct handles_range { std::uint16_t found, group_end; };

/// Visits each entry; f returns void. Entry sizes were checked by decode().
template <class F> void for_each(const find_information_rsp& r, F&& f) {
  const std::size_t n = r.format == 1 ? 4 : 18;
  for (std::size_t i = 0; i + n <= r.data.size(); i += n)
    f(handle_uuid{get_le16(&r.data[i]), *uuid::from_le(r.data.subspan(i + 2, n - 2))});
}
template <class F> void for_each(const read_by_type_rsp& r, F&& f) {
  for (std::size_t i = 0; i + r.length <= r.data.size(); i += r.length)
    f(handle_value{get_le16(&r.data[i]), r.data.subspan(i + 2, r.length - 2u)});
}
template <class F> void for_each(const read_by_group_type_rsp& r, F&& f) {
  for (std::size_t i = 0; i + r.length <= r.data.size(); i += r.length)
    f(group_entry{get_le16(&r.data[i]), get_le16(&r.data[i + 2]), r.data.subspan(i + 4, r.length - 4u)});
}
template <class F> void for_each(const find_by_type_value_rsp& r, F&& f) {
  for (std::size_t i = 0; i + 4 <= r.data.size(); i += 4)
    f(handles_range{get_le16(&r.data[i]), get_le16(&r.data[i + 2])});
}
/// Read Multiple Variable Response tuples. A final tuple may be truncated by
/// the MTU (§3.4.4.12); it is delivered with the bytes present.
template <class F> void for_each(const read_multiple_variable_rsp& r, F&& f) {
  std::size_t i = 0;
  while (i + 2 <= r.data.size()) {
    std::size_t len = get_le16(&r.data[i]);
    std::size_t avail = std::min(len, r.data.size() - i - 2);
    f(handle_value{0, r.data.subspan(i + 2, avail)});
    i += 2 + avail;
  }
}
/// Multiple Handle Value Notification tuples (validated by decode()).
template <class F> void for_each(const multiple_handle_value_ntf& r, F&& f) {
  std::size_t i = 0;
  while (i + 4 <= r.data.size()) {
    std::size_t len = get_le16(&r.data[i + 2]);
    f(handle_value{get_le16(&r.data[i]), r.data.subspan(i + 4, len)});
    i += 4 + len;
  }
}

}  // namespace bandwire::att
