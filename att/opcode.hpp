// ATT opcodes and the per-opcode table (Core 5.4 Vol 3 Part F §3.4.8,
// Table 3.37). The table drives both length checks in the codec and dispatch
// in the bearer: one row per opcode, nothing else decides a PDU's kind.
#pragma once

#include <cstdint>

namespace bandwire::att {

enum class opcode : std::uint8_t {
  error_rsp = 0x01,
  exchange_mtu_req = 0x02,
  exchange_mtu_rsp = 0x03,
  find_information_req = 0x04,
  find_information_rsp = 0x05,
  find_by_type_value_req = 0x06,
  find_by_type_value_rsp = 0x07,
  read_by_type_req = 0x08,
  read_by_type_rsp = 0x09,
  read_req = 0x0a,
  read_rsp = 0x0b,
  read_blob_req = 0x0c,
  read_blob_rsp = 0x0d,
  read_multiple_req = 0x0e,
  read_multiple_rsp = 0x0f,
  read_by_group_type_req = 0x10,
  read_by_group_type_rsp = 0x11,
  write_req = 0x12,
  write_rsp = 0x13,
  prepare_write_req = 0x16,
  prepare_write_rsp = 0x17,
  execute_write_req = 0x18,
  execute_write_rsp = 0x19,
  read_multiple_variable_req = 0x20,
  read_multiple_variable_rsp = 0x21,
  multiple_handle_value_ntf = 0x23,
  handle_value_ntf = 0x1b,
  handle_value_ind = 0x1d,
  handle_value_cfm = 0x1e,
  write_cmd = 0x52,
  signed_write_cmd = 0xd2,
};

/// Method kinds of Vol 3 Part F §3.3 (they decide sequencing rules).
enum class pdu_kind : std::uint8_t { unknown, request, response, command, notification, indication, confirmation };

struct opcode_info {
  pdu_kind kind = pdu_kind::unknown;
  std::uint8_t min_len = 0;  ///< smallest legal PDU including the opcode
  std::uint8_t max_len = 0;  ///< largest legal PDU for fixed-size PDUs, 0 = variable
  std::uint8_t pair = 0;     ///< request -> response opcode, response -> request opcode
  const char* name = "Unknown";
};

/// Row for any byte (unknown opcodes yield kind unknown). Pure lookup.
const opcode_info& info(std::uint8_t op) noexcept;

/// Bit 6 of the opcode is the Command Flag (Vol 3 Part F §3.3.1): a server
/// must ignore unknown PDUs with it set, and answer other unknown requests with
/// Request Not Supported.
constexpr bool is_command_flag(std::uint8_t op) noexcept { return (op & 0x40) != 0; }

}  // namespace bandwire::att
