// A virtual standard BLE heart-rate strap (`--device sim:hrs`): GAP, Device
// Information, the Heart Rate service 0x180D (Heart Rate Service 1.0) and the
// Battery service, and no Mi Band service or auth. While the central has
// 2A37 notifications on, it sends one Heart Rate Measurement per second with
// sensor contact, the RR intervals of every beat completed since the last
// notification (units of 1/1024 s, HRS 1.0 §3.1.1.4) and, in every tenth
// notification, the energy expended in kJ.
//
// Its Heart Rate Control Point 2A39 takes only `01` (reset Energy Expended,
// HRS 1.0 §3.3.1); any other value is refused with the service's own ATT
// error 0x80 "Control Point value not supported" (HRS 1.0 §3.3.2) and
// logged, so a test can prove no Mi Band command (`15 …`, `16`) reached it.
//
// Timings are in band time on a scaled_clock, like the virtual band's.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "common/asio.hpp"
#include "common/clock.hpp"
#include "common/listeners.hpp"
#include "common/timer.hpp"
#include "gatt/database.hpp"
#include "gatt/server_session.hpp"
#include "miband/signal_model.hpp"

namespace bandwire::miband {

struct strap_options {
  std::uint32_t seed = 1;              ///< heart-rate model seed
  std::string name = "bandwire HR strap";
  std::string serial = "0000hrs00001";
  std::string address = "C0:FF:EE:00:0D:18";
  std::uint8_t battery_percent = 90;
};

class virtual_strap {
 public:
  virtual_strap(asio::any_io_executor ex, const scaled_clock& clock, strap_options options);
  ~virtual_strap();
  virtual_strap(const virtual_strap&) = delete;
  virtual_strap& operator=(const virtual_strap&) = delete;

  /// Serves a connection. False (socket closed) when one is already served.
  bool serve(seqpacket_socket socket);
  bool connected() const noexcept { return session_ != nullptr; }
  void drop_link();
  /// Runs after each connection ends.
  void on_disconnect(std::function<void()> cb) { on_disconnect_ = std::move(cb); }
  const gatt::database& database() const noexcept { return db_; }

  struct counters {
    std::uint32_t connections = 0;
    std::uint32_t notifications = 0;
    std::uint32_t energy_resets = 0;                       ///< `01` written to 2A39
    std::vector<std::vector<std::uint8_t>> control_writes;  ///< every value written to 2A39, in order
    std::vector<std::uint16_t> rr_sent;                     ///< every RR interval sent, 1/1024 s
  };
  const counters& stats() const noexcept { return stats_; }

  /// The value handles of 2A37 and 2A39 in this database.
  std::uint16_t hr_measurement_handle() const noexcept { return hr_handle_; }
  std::uint16_t hr_control_point_handle() const noexcept { return cp_handle_; }
  /// HRS 1.0 §3.3.2: the Application Error code for an unsupported control point value.
  static constexpr std::uint8_t control_point_not_supported = 0x80;

 private:
  void build_database();
  void end_connection();
  void tick();

  asio::any_io_executor ex_;
  const scaled_clock& clock_;
  strap_options opts_;
  gatt::database db_;
  signal_model signals_;
  std::unique_ptr<gatt::server_session> session_;
  std::function<void()> on_disconnect_;
  std::uint64_t generation_ = 0;
  counters stats_;
  double next_beat_ = 0;   // band seconds of the next beat
  double last_beat_ = -1;  // band seconds of the last beat (-1: none yet this connection)
  double energy_kj_ = 0;   // since the last reset
  double last_tick_ = 0;
  std::uint32_t ticks_ = 0;
  std::uint16_t hr_handle_ = 0, cp_handle_ = 0;
  timer tick_timer_;
  registration close_reg_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace bandwire::miband
