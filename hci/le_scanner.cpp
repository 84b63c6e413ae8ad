#include "hci/le_scanner.hpp"

#include <cerrno>
#include <cstdio>
#include <deque>

#include "hci/error.hpp"
#include "hci/hci_socket.hpp"
#include "hci/status.hpp"

namespace bandwire::hci {

namespace {

std::string op_name(std::uint16_t op) {
  switch (op) {
    case opcode::read_local_supported_commands: return "Read Local Supported Commands";
    case opcode::le_set_scan_parameters: return "LE Set Scan Parameters";
    case opcode::le_set_scan_enable: return "LE Set Scan Enable";
    case opcode::le_set_extended_scan_parameters: return "LE Set Extended Scan Parameters";
    case opcode::le_set_extended_scan_enable: return "LE Set Extended Scan Enable";
    default: {
      char b[16];
      std::snprintf(b, sizeof b, "opcode 0x%04x", op);
      return b;
    }
  }
}

std::string explain_command_error(const error_code& ec, std::uint16_t op) {
  const std::string what = op_name(op);
  if (ec.category() == boost::system::system_category()) {
    if (ec.value() == EPERM || ec.value() == EACCES)
      return what + ": permission denied: LE scanning needs CAP_NET_RAW; run as root or "
                    "`sudo setcap cap_net_raw,cap_net_admin+ep $(command -v bandwire)`";
    return explain_errno(ec.value(), what);
  }
  if (ec == errc::command_timeout)
    return what + ": the controller did not answer (wedged? try: bandwire adapter reset)";
  return what + ": " + ec.message();
}

bool transport_failure(const error_code& ec) {
  return ec.category() == boost::system::system_category() || ec == errc::command_timeout;
}

}  // namespace

// The scan's steps, each continuing in the previous command's handler. Held
// by shared_ptr from every callback, so the scanner may go away mid-scan.
struct le_scanner::operation : std::enable_shared_from_this<operation> {
  static constexpr std::size_t max_early = 1024;
  using done_handler = unique_function<void(error_code, scan_result)>;

  operation(std::shared_ptr<detail::packet_channel> c, scan_options o, std::chrono::steady_clock::duration d,
            report_handler r, done_handler h)
      : ch(std::move(c)), opts(std::move(o)), duration(d), on_report(std::move(r)), done(std::move(h)),
        timer(ch->get_executor()) {}

  std::shared_ptr<detail::packet_channel> ch;
  scan_options opts;
  std::chrono::steady_clock::duration duration;
  report_handler on_report;
  done_handler done;
  asio::steady_timer timer;
  subscription sub;
  scan_result result;
  std::deque<std::vector<std::uint8_t>> early;  ///< LE Meta events before on_started
  bool cancelled = false;
  bool stop_requested = false;
  error_code broken;  ///< the channel's read error, once it had one
  bool listening = false;
  bool stopping = false;
  bool finished = false;
  supported_commands sc;
  bool sc_known = false;

  using next = void (operation::*)(error_code, std::vector<std::uint8_t>);
  void send(const std::vector<std::uint8_t>& cmd, next n) {
    ch->command(cmd, opts.command_timeout,
                [self = shared_from_this(), n](error_code ec, std::vector<std::uint8_t> rp) {
                  ((*self).*n)(ec, std::move(rp));
                });
  }

  void begin() {
    // Listen from the start: reports that race the enable are kept.
    sub = ch->subscribe([w = weak_from_this()](error_code ec, bytes_view ev) {
      if (auto self = w.lock()) self->on_event(ec, ev);
    });
    send(encode_read_local_supported_commands(), &operation::on_supported);
  }

  void on_event(error_code ec, bytes_view ev) {
    if (finished || cancelled) return;
    if (ec) {
      // The channel cannot be read any more; the command in flight (if any)
      // fails too and ends the scan, or started() finds this.
      broken = ec;
      if (listening) {
        if (ec != asio::error::operation_aborted)
          result.message = ec.category() == boost::system::system_category()
                               ? explain_errno(ec.value(), "read events")
                               : "read events: " + ec.message();
        listening = false;
        timer.cancel();
        finish(ec);
      }
      return;
    }
    if (ev.empty() || ev[0] != event_code::le_meta) return;
    if (!listening) {
      // Bounded: a controller that floods while a command waits costs at
      // most max_early events of memory; the rest are counted, not kept.
      if (early.size() < max_early)
        early.emplace_back(ev.begin(), ev.end());
      else
        ++result.dropped;
      return;
    }
    deliver(ev);
  }

  void deliver(bytes_view packet) {
    event e;
    if (decode_event(packet, e)) {
      ++result.malformed;
      return;
    }
    if (const auto* r = std::get_if<le_advertising_reports>(&e))
      for (const adv_report& a : r->reports) {
        if (cancelled || stopping) return;
        if (on_report) on_report(a);
      }
  }

  // A command that failed before scanning started.
  void fail(error_code ec, std::uint16_t op) {
    if (cancelled && ec == asio::error::operation_aborted) return finish(ec);
    result.message = explain_command_error(ec, op);
    finish(ec);
  }

  // 1. What does the controller support? (Vol 4 Part E §7.4.2, bit table §6.27)
  void on_supported(error_code ec, std::vector<std::uint8_t> rp) {
    // Transport trouble ends here; a controller status (Unknown HCI Command
    // on a 4.0 controller) just means "assume legacy".
    if (ec && (transport_failure(ec) || ec == asio::error::operation_aborted))
      return fail(ec, opcode::read_local_supported_commands);
    if (cancelled) return finish(asio::error::operation_aborted);
    if (!ec) {
      command_complete cc;
      cc.opcode = opcode::read_local_supported_commands;
      cc.return_params = bytes_view(rp);
      sc_known = !decode_read_local_supported_commands(cc, sc);
    }
    const bool ext_supported = sc_known && sc.extended_scan();
    switch (opts.mode) {
      case scan_mode::automatic: result.state.extended = ext_supported; break;
      case scan_mode::legacy: result.state.extended = false; break;
      case scan_mode::extended:
        if (!ext_supported) {
          result.message =
              "this controller does not list the LE extended scan commands (Read Local Supported Commands)";
          return finish(make_error_code(status::unknown_command));
        }
        result.state.extended = true;
        break;
    }
    set_parameters(result.state.extended, &operation::on_parameters);
  }

  void set_parameters(bool ext, next n) {
    std::vector<std::uint8_t> cmd;
    const error_code ec = ext ? encode_le_set_extended_scan_parameters(opts.params, phy_1m, cmd)
                              : encode_le_set_scan_parameters(opts.params, cmd);
    if (ec) {
      result.message = "scan parameters: " + ec.message();
      return finish(ec);
    }
    send(cmd, n);
  }

  // 2. Parameters. Command Disallowed here means scanning is on already, or
  // the controller is locked to the other command family.
  void on_parameters(error_code ec, std::vector<std::uint8_t>) {
    const bool refused = ec == status::command_disallowed || ec == status::unknown_command;
    if (refused && result.state.extended && opts.mode == scan_mode::automatic && (!sc_known || sc.legacy_scan()) &&
        !cancelled)
      return set_parameters(false, &operation::on_legacy_parameters);
    parameters_done(ec);
  }

  void on_legacy_parameters(error_code ec, std::vector<std::uint8_t>) {
    if (!ec) {
      result.state.extended = false;
      result.state.note = "the controller refused the extended scan commands; using legacy scanning";
    } else if (ec != status::command_disallowed) {
      result.state.extended = false;
      return fail(ec, opcode::le_set_scan_parameters);
    }
    parameters_done(ec);
  }

  void parameters_done(error_code ec) {
    const bool ext = result.state.extended;
    if (ec == status::command_disallowed) {
      result.state.already_scanning = true;
      // Listening only: that scan's duplicate filter may already have
      // swallowed devices it reported before we came (seen with BlueZ's
      // discovery on btvirt); toggling it to reset the filter would fight
      // its owner (raw-socket-peers.md lesson 7).
      result.state.note = "the adapter is already scanning (its scan parameters are locked); listening to that "
                          "scan and leaving it running; devices it already reported may not repeat";
      return started();
    }
    if (ec) return fail(ec, ext ? opcode::le_set_extended_scan_parameters : opcode::le_set_scan_parameters);
    if (cancelled) return finish(asio::error::operation_aborted);
    // 3. Enable, with duplicate filtering as asked (§7.8.11, §7.8.65).
    send(ext ? encode_le_set_extended_scan_enable(
                   true, opts.filter_duplicates ? duplicates::filter : duplicates::report_all)
             : encode_le_set_scan_enable(true, opts.filter_duplicates),
         &operation::on_enable);
  }

  void on_enable(error_code ec, std::vector<std::uint8_t>) {
    const bool ext = result.state.extended;
    if (ec == status::command_disallowed) {
      result.state.already_scanning = true;
      result.state.note = "the adapter refused to start scanning (Command Disallowed); listening anyway";
      return started();
    }
    if (ec) return fail(ec, ext ? opcode::le_set_extended_scan_enable : opcode::le_set_scan_enable);
    result.state.enabled_by_us = true;
    if (result.state.note.empty())
      result.state.note = ext ? "extended scanning (the controller supports LE Set Extended Scan Parameters/Enable)"
                              : "legacy scanning";
    started();
  }

  void started() {
    result.started = true;
    if (cancelled) return stop();
    if (opts.on_started) opts.on_started(result.state);
    listening = true;
    while (!early.empty() && !cancelled) {
      const auto ev = std::move(early.front());
      early.pop_front();
      deliver(ev);
    }
    if (cancelled || stop_requested) return stop();
    if (broken) {
      // Closed or failed during on_started: nothing more will arrive.
      listening = false;
      if (broken != asio::error::operation_aborted) result.message = "read events: " + broken.message();
      return finish(broken);
    }
    timer.expires_after(duration);
    timer.async_wait([self = shared_from_this()](error_code) { self->stop(); });
  }

  // Restore: scanning was off before (its parameters were accepted).
  void stop() {
    if (stopping || finished) return;
    stopping = true;
    listening = false;
    timer.cancel();
    sub.reset();
    if (!result.state.enabled_by_us) return finish(cancelled ? error_code(asio::error::operation_aborted) : error_code{});
    send(result.state.extended ? encode_le_set_extended_scan_enable(false, duplicates::report_all)
                               : encode_le_set_scan_enable(false, false),
         &operation::on_disable);
  }

  void on_disable(error_code ec, std::vector<std::uint8_t>) {
    result.state.enabled_by_us = false;
    if (ec) {
      result.stop_error = ec;
      result.stop_message = explain_command_error(
          ec, result.state.extended ? opcode::le_set_extended_scan_enable : opcode::le_set_scan_enable);
    }
    finish(cancelled ? error_code(asio::error::operation_aborted) : error_code{});
  }

  void cancel() {
    if (finished || cancelled) return;
    cancelled = true;
    // While listening, end now (and restore); otherwise the command in
    // flight finishes first, so an enable that took effect is undone.
    if (listening) stop();
  }

  void request_stop() {
    if (finished || cancelled) return;
    stop_requested = true;
    if (listening) stop();
  }

  void finish(error_code ec) {
    if (finished) return;
    finished = true;
    listening = false;
    timer.cancel();
    sub.reset();
    on_report = nullptr;
    auto h = std::move(done);
    h(ec, std::move(result));
  }
};

void le_scanner::start(scan_options o, std::chrono::steady_clock::duration d, report_handler r,
                       unique_function<void(error_code, scan_result)> h) {
  if (auto running = running_.lock(); running && !running->finished) {
    scan_result res;
    res.message = "a scan is already running on this scanner";
    return h(asio::error::already_started, std::move(res));
  }
  auto op = std::make_shared<operation>(channel_, std::move(o), d, std::move(r), std::move(h));
  running_ = op;
  op->begin();
}

void le_scanner::cancel() {
  if (auto op = running_.lock()) op->cancel();
}

void le_scanner::stop() {
  if (auto op = running_.lock()) op->request_stop();
}

}  // namespace bandwire::hci
