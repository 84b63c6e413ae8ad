#include "att/error.hpp"

#include <cstdio>

namespace bandwire::att {

const char* error_name(std::uint8_t code) noexcept {
  switch (code) {
    case 0x01: return "Invalid Handle";
    case 0x02: return "Read Not Permitted";
    case 0x03: return "Write Not Permitted";
    case 0x04: return "Invalid PDU";
    case 0x05: return "Insufficient Authentication";
    case 0x06: return "Request Not Supported";
    case 0x07: return "Invalid Offset";
    case 0x08: return "Insufficient Authorization";
    case 0x09: return "Prepare Queue Full";
    case 0x0a: return "Attribute Not Found";
    case 0x0b: return "Attribute Not Long";
    case 0x0c: return "Encryption Key Size Too Short";
    case 0x0d: return "Invalid Attribute Value Length";
    case 0x0e: return "Unlikely Error";
    case 0x0f: return "Insufficient Encryption";
    case 0x10: return "Unsupported Group Type";
    case 0x11: return "Insufficient Resources";
    case 0x12: return "Database Out Of Sync";
    case 0x13: return "Value Not Allowed";
    case 0xfc: return "Write Request Rejected";
    case 0xfd: return "CCCD Improperly Configured";
    case 0xfe: return "Procedure Already In Progress";
    case 0xff: return "Out Of Range";
    default: break;
  }
  // Vol 3 Part F Table 3.4: 0x80-0x9F application errors, 0xE0-0xFF common profile errors.
  if (code >= 0x80 && code <= 0x9f) return "Application Error";
  if (code >= 0xe0) return "Common Profile Error";
  return "Reserved";
}

std::string describe_peer_error(std::uint8_t code) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "0x%02x ", code);
  return std::string(buf) + error_name(code);
}

namespace {

class peer_category final : public boost::system::error_category {
 public:
  const char* name() const noexcept override { return "bandwire.att"; }
  std::string message(int ev) const override {
    if (ev < 0 || ev > 0xff) return "ATT error (out of range)";
    return "ATT error " + describe_peer_error(static_cast<std::uint8_t>(ev));
  }
};

class local_category final : public boost::system::error_category {
 public:
  const char* name() const noexcept override { return "bandwire.att.local"; }
  std::string message(int ev) const override {
    switch (static_cast<errc>(ev)) {
      case errc::timeout: return "ATT transaction timed out (30 s); bearer closed";
      case errc::closed: return "ATT bearer closed";
      case errc::malformed_pdu: return "malformed ATT PDU from peer";
      case errc::unexpected_pdu: return "unexpected ATT response from peer; bearer closed";
      case errc::mismatched_response: return "ATT response does not match the pending request";
      case errc::value_too_long: return "value too long for the ATT MTU";
      case errc::invalid_argument: return "invalid argument";
      case errc::security_failed: return "could not raise link security";
      case errc::reliable_write_mismatch: return "reliable write: peer echoed different data";
      case errc::cancelled: return "operation cancelled";
    }
    return "unknown ATT local error";
  }
};

}  // namespace

const boost::system::error_category& error_category() noexcept {
  static const peer_category c;
  return c;
}
const boost::system::error_category& errc_category() noexcept {
  static const local_category c;
  return c;
}

}  // namespace bandwire::att
