#include "miband/error.hpp"

#include <string>

namespace bandwire::miband {

namespace {

class category final : public boost::system::error_category {
 public:
  const char* name() const noexcept override { return "bandwire.miband"; }
  std::string message(int ev) const override {
    switch (static_cast<errc>(ev)) {
      case errc::key_rejected: return "Mi Band rejected the auth key (wrong key for this band)";
      case errc::bind_refused: return "Mi Band refused to bind the new auth key";
      case errc::bind_timed_out: return "Mi Band did not confirm the new key (was the band tapped?)";
      case errc::challenge_refused: return "Mi Band refused to send an auth challenge";
      case errc::no_answer: return "Mi Band did not answer in time";
      case errc::malformed_reply: return "malformed reply from the Mi Band";
      case errc::unexpected_auth_step: return "Mi Band answered an auth step that was not taken";
      case errc::bind_not_supported: return "this band cannot bind a new key (key must be imported)";
      case errc::invalid_key: return "auth key must be 16 bytes (32 hex digits)";
      case errc::malformed_value: return "malformed value from the Mi Band";
      case errc::unknown_packet_type: return "unknown raw sensor packet type";
      case errc::command_failed: return "Mi Band refused the command";
      case errc::unexpected_reply: return "Mi Band replied to a different command";
      case errc::measurement_failed: return "Mi Band could not measure the heart rate";
      case errc::invalid_argument: return "invalid argument";
      case errc::no_key: return "no key for this device: pair first or give a key file";
      case errc::key_already_stored: return "a key is already stored for this device";
      case errc::state_error: return "the key store or GATT cache failed";
      case errc::transport_failed: return "cannot connect";
      case errc::heart_rate_service_missing: return "the device has no Heart Rate service (0x180D)";
      case errc::miband_service_missing:
        return "the device has no Mi Band service (FEE0): battery, time, steps, events, raw sensors and "
               "settings need it";
      case errc::auth_service_missing:
        return "the device has no Mi Band auth service (FEE1): there is nothing to pair with";
      case errc::raw_sensor_missing:
        return "the device has no raw sensor characteristics (FEE0 00000001 and 00000002)";
      case errc::alert_service_missing:
        return "the device has no Immediate Alert (0x1802) or Alert Notification (0x1811) service";
      case errc::device_information_missing: return "the device has no Device Information service (0x180A)";
      case errc::key_file_exposed: return "a key file is open to group or others (chmod 600 it)";
    }
    return "unknown Mi Band error";
  }
};

}  // namespace

const boost::system::error_category& errc_category() noexcept {
  static const category c;
  return c;
}

}  // namespace bandwire::miband
