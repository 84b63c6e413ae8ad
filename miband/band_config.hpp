// Writing settings and alarms to a connected Mi Band 2 (fact sheet §12,
// §13, §5.2), each write confirmed: a command on 0003 waits for the band's
// `10 ...` notification (miband::match_config_reply, §13.1), with its own
// deadline; a user setting on 0008 and a heart-rate setting on 2A39 complete
// on the ATT Write Response (no reply was ever observed for them). The
// 0003 notifications are turned on for the run and off after it, and so is
// 2A37's around the heart-rate settings, as Mi Fit does (Appendix A): do
// not write heart-rate settings while streaming heart rate on the same link.
//
// Operations have a callback form and an async_* form taking any completion
// token; the handler runs exactly once, never inline. One run at a time.
// cancel() or destroying the object completes a run in flight with
// operation_aborted. It must not outlive the gatt::client it writes through
// (a session's band changes on reconnect: make one per link).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/async.hpp"
#include "common/clock.hpp"
#include "gatt/client.hpp"
#include "miband/band.hpp"
#include "miband/settings.hpp"

namespace bandwire::miband {

/// What became of one write.
struct write_outcome {
  setting_write write;                ///< the key and the exact bytes sent
  error_code ec;                      ///< success, the band's refusal, or why it could not be sent
  std::vector<std::uint8_t> reply;    ///< 0003: the band's notification as received (empty when none)
};

/// One line for a failed write, with its raw bytes: "display.rotate_to_switch:
/// the band refused 06 0d 00 00: it answered 10 06 06 (Mi Band refused the command)".
std::string describe_failure(const write_outcome& o);

class band_config {
 public:
  using result_fn = unique_function<void(error_code, std::vector<write_outcome>)>;

  band_config(gatt::client& client, const scaled_clock& clock);
  /// On a band: a run whose writes need a characteristic the device lacks
  /// (check_support: FEE0 on a strap, 2A39 on a Mi Band HRX) fails before
  /// anything is written, with the error naming the missing service and an
  /// outcome for the first such write.
  explicit band_config(band& b) : band_config(b.client(), b.clock()) { caps_ = &b.capabilities(); }
  ~band_config();
  band_config(const band_config&) = delete;
  band_config& operator=(const band_config&) = delete;

  using executor_type = asio::any_io_executor;
  executor_type get_executor() const { return ex_; }

  /// Sends `writes` in order. A write the band refuses (a `10 ...` reply
  /// that is not success, an ATT Error Response) is recorded and the run
  /// goes on; anything else (no reply within reply_timeout, a lost link)
  /// ends the run. The handler gets every write attempted, and the first
  /// error (success only when every write succeeded). errc::invalid_argument
  /// when a run is already in flight.
  void run(std::vector<setting_write> writes, result_fn done);
  /// run(plan_writes(s)).
  void apply(const band_settings& s, result_fn done) { run(plan_writes(s), std::move(done)); }
  /// One alarm (§13.3); errc::invalid_argument for a slot over 9 or a time out of range.
  void set_alarm(const band_alarm& a, result_fn done);
  /// Marks a slot unused (`02 0N 00 00 00`); errc::invalid_argument for a slot over 9.
  void clear_alarm(std::uint8_t slot, result_fn done);
  void cancel();

  template <class Token> auto async_run(std::vector<setting_write> w, Token&& token) {
    return initiate<void(error_code, std::vector<write_outcome>)>(
        ex_, std::forward<Token>(token), [this, w = std::move(w)](auto h) mutable { run(std::move(w), std::move(h)); });
  }
  template <class Token> auto async_apply(const band_settings& s, Token&& token) {
    return async_run(plan_writes(s), std::forward<Token>(token));
  }
  template <class Token> auto async_set_alarm(const band_alarm& a, Token&& token) {
    return initiate<void(error_code, std::vector<write_outcome>)>(
        ex_, std::forward<Token>(token), [this, a](auto h) { set_alarm(a, std::move(h)); });
  }
  template <class Token> auto async_clear_alarm(std::uint8_t slot, Token&& token) {
    return initiate<void(error_code, std::vector<write_outcome>)>(
        ex_, std::forward<Token>(token), [this, slot](auto h) { clear_alarm(slot, std::move(h)); });
  }

  /// Band time to wait for a 0003 reply (CAP-A: ~0.1 s).
  std::chrono::milliseconds reply_timeout{5000};

 private:
  struct run_state;
  void next(const std::shared_ptr<run_state>& r);
  void send_config(const std::shared_ptr<run_state>& r);
  void on_reply(const std::shared_ptr<run_state>& r, bytes_view v);
  void record(const std::shared_ptr<run_state>& r, error_code ec, bytes_view reply);
  void finish(const std::shared_ptr<run_state>& r, error_code ec);
  void unwind(const std::shared_ptr<run_state>& r);

  gatt::client& client_;
  const scaled_clock& clock_;
  asio::any_io_executor ex_;
  pending_ops ops_;
  std::shared_ptr<run_state> run_;
  const device_capabilities* caps_ = nullptr;
};

}  // namespace bandwire::miband
