// Explains a recorded ATT session in Mi Band terms (for `bandwire decode`).
//
// It learns which characteristic lives at which handle from the session's
// own discovery (Read By Type 0x2803 and Find Information responses), with
// the Mi Band 2 fw 1.0.1.69 layout (fact sheet §1) as the fallback, and
// describes each PDU: auth steps, heart-rate values, raw sensor samples,
// configuration commands and replies, time, battery, steps, alerts, events.
// Pure: PDUs in, text out. The bound key is masked unless show_secrets.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "att/pdu.hpp"

namespace bandwire::miband {

struct pdu_description {
  std::string opcode_name;            ///< "Write Command", or "Malformed"/"Unknown" with the byte
  std::optional<std::uint16_t> handle;
  std::string value_hex;              ///< the PDU's value/data (masked where secret)
  std::string characteristic;         ///< known name of the handle's characteristic, if any
  std::string meaning;                ///< Mi Band meaning, empty when none applies
  bool malformed = false;
};

class session_decoder {
 public:
  explicit session_decoder(bool show_secrets = false);
  /// Describes one PDU; `from_host` is the phone/host → band direction.
  pdu_description describe(bool from_host, bytes_view pdu);
  /// The same into `out`, whose strings keep their capacity from call to
  /// call: no allocation per PDU once they have grown (`bandwire decode`).
  void describe(bool from_host, bytes_view pdu, pdu_description& out);
  /// The characteristic type at a value or descriptor handle, if known.
  std::optional<att::uuid> type_at(std::uint16_t handle) const;

 private:
  /// What a handle's type means here, worked out once when it is learned.
  enum class kind : std::uint8_t {
    other, cccd, auth, hr_measurement, hr_control, sensor_control, sensor_data, configuration, current_time,
    battery, steps, events, alert_level, new_alert, service_changed, info_string, user_settings
  };
  struct handle_type {
    att::uuid type;
    std::string_view name;  ///< the known UUID's name, or empty
    bool is_service = false;
    kind what = kind::other;
  };
  void set_type(std::uint16_t handle, const att::uuid& type);
  void meaning(std::string& out, kind what, bool from_host, bytes_view value) const;
  void cccd_meaning(std::string& out, std::uint16_t handle, bytes_view value) const;

  bool show_secrets_;
  std::map<std::uint16_t, handle_type> types_;  // value and descriptor handles
  bool learned_ = false;                      // discovery seen: the fallback map was dropped
  std::uint8_t last_request_op_[2] = {0, 0};  // [from_host]
  std::uint16_t last_read_handle_ = 0;
  std::optional<att::uuid> last_read_by_type_;
};

}  // namespace bandwire::miband
