#include "miband/reply.hpp"

namespace bandwire::miband {

boost::system::error_code decode_reply(bytes_view in, reply& out) noexcept {
  if (in.size() < 3 || in[0] != reply_marker) return errc::malformed_reply;
  out.command = in[1];
  out.status = in[2];
  out.payload = in.subspan(3);
  return {};
}

boost::system::error_code check_reply(const reply& r, std::uint8_t command) noexcept {
  if (r.command != command) return errc::unexpected_reply;
  if (!r.ok()) return errc::command_failed;
  return {};
}

boost::system::error_code check_setting_reply(const reply& r, std::uint16_t setting_id) noexcept {
  if (r.command != 0x06) return errc::unexpected_reply;
  if (r.payload.size() != 2) return errc::command_failed;
  if (r.status != (setting_id & 0xff) || r.payload[0] != (setting_id >> 8)) return errc::unexpected_reply;
  if (r.payload[1] != status_success) return errc::command_failed;
  return {};
}

}  // namespace bandwire::miband
