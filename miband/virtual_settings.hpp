// The settings and alarms a virtual Mi Band 2 (or 3, 4, HRX) keeps, and its answers to the
// writes that set them: configuration commands on 0003 (answered by a
// notification as in fact sheet Appendix A), user settings on 0008 (a
// Write Request; the band sends nothing more, §12) and the heart-rate
// settings on 2A39 (§5.2). Pure: virtual_band (miband/virtual_band.hpp)
// hands it the written values and sends the reply it returns.
//
// What it holds outlives connections, as the band's flash does. Each write
// it takes or refuses is logged as one line, for tests and `bandwire sim`.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "common/bytes.hpp"
#include "common/listeners.hpp"
#include "miband/frame.hpp"
#include "miband/heart_rate.hpp"
#include "miband/settings.hpp"

namespace bandwire::miband {

class virtual_settings {
 public:
  /// `unsupported`: `06` ids this band answers `10 06 06` to, beyond the ones
  /// no Mi Band 2 knows (firmware versions differ, §22.13). `layout`: the
  /// display-items command this band takes (fact sheet §13.3, §18): a Mi
  /// Band 3 or 4 takes only its own 12-byte `0a` frame and refuses the Mi
  /// Band 2's, and the reverse (choice: `10 0a 04`, as for any malformed
  /// `0a`; what a real band answers to the other family's frame is unknown).
  explicit virtual_settings(std::vector<std::uint16_t> unsupported = {},
                            display_items_layout layout = display_items_layout::mi_band_2);

  /// A 0003 write. Returns the notification the band answers with:
  /// `10 <cmd> 01`, `10 06 id_lo id_hi 01`, `10 06 06` for a `06` id it does
  /// not know (CAP-A), `10 0c 01 02 01 00` for `0c` (CAP-A). Choice: a
  /// malformed alarm, DND, inactivity or display-items command gets
  /// `10 <cmd> 04` and a known `06` id with a value it cannot hold `10 06
  /// 06` (the real band's answers to those are unknown, §22.13).
  frame on_config(bytes_view value);
  /// A 0008 write; returns the ATT status (0 accepted; choice: a frame that
  /// does not decode gets Value Not Allowed, 0x13, and changes nothing).
  std::uint8_t on_user_settings(bytes_view value);
  /// A decoded 2A39 write: `14 NN` and `15 00 0v` are settings; the rest
  /// (measurement modes, keep-alive) is ignored here.
  void on_heart_rate(const hr_command& c);

  /// Every setting the band took so far (unset: never written); the
  /// display items as the screens it shows, in order.
  const band_settings& settings() const noexcept { return settings_; }
  const alarm_table& alarms() const noexcept { return alarms_; }
  /// One line per write: "0003 06 02 00 01 -> 10 06 02 00 01: display.time_format = \"24h\"".
  const std::vector<std::string>& log() const noexcept { return log_; }
  /// Each new log line, while the handle lives.
  [[nodiscard]] registration on_log(std::function<void(const std::string&)> cb) { return listeners_.add(std::move(cb)); }

 private:
  frame on_setting(bytes_view v);
  void note(const char* channel, bytes_view written, const frame* reply, const std::string& what);

  std::vector<std::uint16_t> unsupported_;
  display_items_layout layout_;
  band_settings settings_;
  alarm_table alarms_{};
  std::vector<std::string> log_;
  listener_list<const std::string&> listeners_;
};

}  // namespace bandwire::miband
