#include "hci/error.hpp"

#include <string>

namespace bandwire::hci {

namespace {

class local_category final : public boost::system::error_category {
 public:
  const char* name() const noexcept override { return "bandwire.hci"; }
  std::string message(int ev) const override {
    switch (static_cast<errc>(ev)) {
      case errc::not_btsnoop: return "not a btsnoop file (bad identification pattern)";
      case errc::truncated_header: return "btsnoop file header truncated (need 16 bytes)";
      case errc::unsupported_version: return "unsupported btsnoop version (only version 1 is known)";
      case errc::unsupported_datalink:
        return "unsupported btsnoop datalink (only 1002 H4 and 2001 Linux monitor are read)";
      case errc::truncated_record: return "btsnoop record truncated (runs past the end of the file)";
      case errc::invalid_record_length: return "btsnoop record's included length exceeds its original length";
      case errc::invalid_argument: return "invalid argument";
      case errc::pdu_too_long: return "PDU too long for an L2CAP basic frame";
      case errc::truncated_packet: return "packet truncated (shorter than its announced length)";
      case errc::trailing_bytes: return "packet has bytes after its announced length";
      case errc::truncated_parameters: return "event parameters truncated (a field runs past the end)";
      case errc::invalid_field: return "packet field holds a value the specification does not allow";
      case errc::unexpected_event: return "not the expected event";
      case errc::ad_truncated: return "advertising data structure runs past the end of the data";
      case errc::ad_invalid_field: return "advertising data field has a length its type does not allow";
      case errc::command_timeout: return "no reply to the command within the timeout";
    }
    return "unknown HCI error";
  }
};

}  // namespace

const boost::system::error_category& errc_category() noexcept {
  static const local_category c;
  return c;
}

}  // namespace bandwire::hci
