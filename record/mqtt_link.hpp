// The MQTT link of `bandwire record` (README "Publishing to MQTT"): the thin
// shell that drives libmosquitto from the recorder's Asio loop. The spool
// (record/mqtt_spool.hpp) and what is sent when (record/mqtt_outbox.hpp)
// are pure; this file only moves bytes and time.
//
// No second thread: libmosquitto runs with threaded_set(false); its socket
// is watched by an asio::posix::stream_descriptor (read, and write while
// libmosquitto wants to write), mosquitto_loop_read/loop_write run from
// those handlers and mosquitto_loop_misc (keep-alive) from a 1 s timer. A
// lost or refused connection destroys the client; the next attempt, after a
// back-off of 1, 2, 4 ... 30 s, makes a new one, and the outbox sends again
// everything the spool holds. One call blocks: the DNS lookup of a broker
// given by name in mosquitto_connect_async (getaddrinfo); with an address,
// or a name in /etc/hosts, it returns at once.
//
// Built only with libmosquitto (meson option `mqtt`); a static executable
// leaves it out (Debian ships no static libmosquitto).
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "common/asio.hpp"
#include "record/config.hpp"
#include "record/file_system.hpp"
#include "record/mqtt_format.hpp"
#include "record/records.hpp"
#include "record/recorder.hpp"

namespace bandwire::record {

/// A recorder's sink (recorder::sink): each record is staged in the spool
/// before its file write and sent once it is in the file.
class mqtt_link final : public record_sink {
 public:
  /// `spool_path`: the spool file (`<state_dir>/mqtt-spool`).
  mqtt_link(asio::io_context& io, mqtt_config c, file_system& fs, std::string spool_path);
  ~mqtt_link() override;
  mqtt_link(const mqtt_link&) = delete;
  mqtt_link& operator=(const mqtt_link&) = delete;

  /// Opens the spool, reads the password file and starts connecting.
  /// Returns "" or why the link cannot run (the spool, the password file).
  std::string start();
  /// Publishes "offline", disconnects; the spool keeps what is not acknowledged.
  void stop();

  void set_bands(const std::vector<band_config>& bands);
  void before_write(const std::string& alias, const live_record& r) override;
  void after_write(const std::string& alias, const live_record& r, bool written) override;
  void writer_opened(const std::string& alias, record_kind k, std::uint64_t next_n) override;
  void band_online(const std::string& alias, bool online);

  mqtt_status status() const;
  /// Connected, lost, refused: for status lines on change.
  std::function<void()> on_change;

 private:
  struct impl;
  std::unique_ptr<impl> p_;
};

/// The libmosquitto version this build uses, e.g. "2.0.11".
std::string mosquitto_version();

}  // namespace bandwire::record
