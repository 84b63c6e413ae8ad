#include "hci/status.hpp"

#include <cstdio>
#include <string>

namespace bandwire::hci {

namespace {

// Core 5.4 Vol 1 Part F §1.3, Table 1.1 (names as the spec spells them; a
// code with a BR/EDR and an LE name carries both).
const char* status_name(int code) noexcept {
  switch (code) {
    case 0x00: return "Success";
    case 0x01: return "Unknown HCI Command";
    case 0x02: return "Unknown Connection Identifier";
    case 0x03: return "Hardware Failure";
    case 0x04: return "Page Timeout";
    case 0x05: return "Authentication Failure";
    case 0x06: return "PIN or Key Missing";
    case 0x07: return "Memory Capacity Exceeded";
    case 0x08: return "Connection Timeout";
    case 0x09: return "Connection Limit Exceeded";
    case 0x0a: return "Synchronous Connection Limit To A Device Exceeded";
    case 0x0b: return "Connection Already Exists";
    case 0x0c: return "Command Disallowed";
    case 0x0d: return "Connection Rejected due to Limited Resources";
    case 0x0e: return "Connection Rejected Due To Security Reasons";
    case 0x0f: return "Connection Rejected due to Unacceptable BD_ADDR";
    case 0x10: return "Connection Accept Timeout Exceeded";
    case 0x11: return "Unsupported Feature or Parameter Value";
    case 0x12: return "Invalid HCI Command Parameters";
    case 0x13: return "Remote User Terminated Connection";
    case 0x14: return "Remote Device Terminated Connection due to Low Resources";
    case 0x15: return "Remote Device Terminated Connection due to Power Off";
    case 0x16: return "Connection Terminated By Local Host";
    case 0x17: return "Repeated Attempts";
    case 0x18: return "Pairing Not Allowed";
    case 0x19: return "Unknown LMP PDU";
    case 0x1a: return "Unsupported Remote Feature";
    case 0x1b: return "SCO Offset Rejected";
    case 0x1c: return "SCO Interval Rejected";
    case 0x1d: return "SCO Air Mode Rejected";
    case 0x1e: return "Invalid LMP Parameters / Invalid LL Parameters";
    case 0x1f: return "Unspecified Error";
    case 0x20: return "Unsupported LMP Parameter Value / Unsupported LL Parameter Value";
    case 0x21: return "Role Change Not Allowed";
    case 0x22: return "LMP Response Timeout / LL Response Timeout";
    case 0x23: return "LMP Error Transaction Collision / LL Procedure Collision";
    case 0x24: return "LMP PDU Not Allowed";
    case 0x25: return "Encryption Mode Not Acceptable";
    case 0x26: return "Link Key cannot be Changed";
    case 0x27: return "Requested QoS Not Supported";
    case 0x28: return "Instant Passed";
    case 0x29: return "Pairing With Unit Key Not Supported";
    case 0x2a: return "Different Transaction Collision";
    case 0x2c: return "QoS Unacceptable Parameter";
    case 0x2d: return "QoS Rejected";
    case 0x2e: return "Channel Classification Not Supported";
    case 0x2f: return "Insufficient Security";
    case 0x30: return "Parameter Out Of Mandatory Range";
    case 0x32: return "Role Switch Pending";
    case 0x34: return "Reserved Slot Violation";
    case 0x35: return "Role Switch Failed";
    case 0x36: return "Extended Inquiry Response Too Large";
    case 0x37: return "Secure Simple Pairing Not Supported By Host";
    case 0x38: return "Host Busy - Pairing";
    case 0x39: return "Connection Rejected due to No Suitable Channel Found";
    case 0x3a: return "Controller Busy";
    case 0x3b: return "Unacceptable Connection Parameters";
    case 0x3c: return "Advertising Timeout";
    case 0x3d: return "Connection Terminated due to MIC Failure";
    case 0x3e: return "Connection Failed to be Established / Synchronization Timeout";
    case 0x40: return "Coarse Clock Adjustment Rejected but Will Try to Adjust Using Clock Dragging";
    case 0x41: return "Type0 Submap Not Defined";
    case 0x42: return "Unknown Advertising Identifier";
    case 0x43: return "Limit Reached";
    case 0x44: return "Operation Cancelled by Host";
    case 0x45: return "Packet Too Long";
    case 0x46: return "Too Late";
    case 0x47: return "Too Early";
    default: return nullptr;
  }
}

class controller_category final : public boost::system::error_category {
 public:
  const char* name() const noexcept override { return "bandwire.hci.status"; }
  std::string message(int ev) const override {
    char code[8];
    std::snprintf(code, sizeof code, "0x%02x", static_cast<unsigned>(ev) & 0xffu);
    if (const char* n = status_name(ev); n != nullptr && ev >= 0 && ev <= 0xff)
      return std::string("controller: ") + n + " (" + code + ")";
    return std::string("controller: unknown status (") + code + ")";
  }
};

}  // namespace

const boost::system::error_category& status_category() noexcept {
  static const controller_category c;
  return c;
}

}  // namespace bandwire::hci
