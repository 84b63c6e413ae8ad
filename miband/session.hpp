// The session a program holds: one band's link lifecycle,
//   transport → att::bearer → gatt::client → miband::band,
// with the key and GATT cache stores, authentication, the Service Changed
// watch, an optional btsnoop recording, and reconnection for streams.
//
// Operations (connect, pair, stream, stop) have a callback form and an
// async_* form taking any completion token; each handler runs exactly once,
// never inline. cancel() completes every operation in flight with
// operation_aborted; so does destroying the session, at any moment
// (tests/miband/session_test.cpp). Link events are observed through RAII
// registrations (on_link_event).
//
// Key precedence (README "Keys"): session_options::key (from --key-file or
// BANDWIRE_KEY, read by the caller) over the key stored for the device.
// A rejected key is never re-bound on the session's own (fact sheet §4.2).
//
// Service Changed (Core Vol 3 Part G §7.1) drops the cached database, except
// the indication the band sends in answer to our own CCCD write: the first
// one after that write's response, as in CAP-A (fact sheet §3.1).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "common/async.hpp"
#include "common/clock.hpp"
#include "common/listeners.hpp"
#include "common/timer.hpp"
#include "gatt/client.hpp"
#include "hci/btsnoop_recorder.hpp"
#include "miband/band.hpp"
#include "miband/features.hpp"
#include "miband/state_store.hpp"
#include "miband/transport.hpp"
#include "miband/virtual_band.hpp"

namespace bandwire::miband {

/// Back-off between reconnection attempts: initial, ×factor, capped at max.
struct reconnect_policy {
  bool enabled = true;
  std::chrono::milliseconds initial{1000};
  std::chrono::milliseconds max{10000};
  double factor = 2.0;
  unsigned max_attempts = 0;  ///< 0: no limit
};

/// What a program can observe about the link.
struct link_event {
  enum class kind : std::uint8_t { connected, authenticated, lost, reconnecting, resumed };
  kind what = kind::connected;
  error_code reason;            ///< lost: why; reconnecting: the last attempt's failure
  unsigned attempt = 0;         ///< reconnecting: 1, 2, ...
  double delay_seconds = 0;     ///< reconnecting: band seconds until the attempt
  double outage_seconds = 0;    ///< resumed: host seconds without data
  std::uint64_t missing = 0;    ///< resumed: packets the outage cost, where the counter tells
};

struct session_options {
  transport_options transport;
  /// Where keys and GATT caches live (file formats: README "Keys and cache").
  std::shared_ptr<state_store> store;
  /// A key given by the user; wins over the stored one.
  std::optional<auth_key> key;
  /// Auth options. The auth flag byte and the crypt flags follow the family
  /// the device turns out to be (fact sheet §18: 0x08 on the Bip, crypt
  /// flags 0x80 with the plain fallback on the Mi Band 4 and Bip Lite)
  /// unless auth_flag_fixed.
  auth_options auth;
  bool auth_flag_fixed = false;  ///< use auth.auth_flag as given (--auth-flag)
  /// What the program will use: connect discovers only that (the cached
  /// database, completed where it lacks something). require() adds more.
  feature_set features = feature::all;
  bool refresh = false;               ///< ignore the cached database
  std::string btsnoop_path;           ///< record the ATT traffic ("" = off)
  bool show_secrets = false;          ///< do not mask the bound key in the recording
  reconnect_policy reconnect;
  /// device "sim" or "sim:MODEL": the virtual device to serve (tests pass
  /// their own); when null the session makes one from sim with the model's
  /// differences applied (holding the stored key; a model that cannot bind
  /// holds only the user's key, as a Mi Band 4 holds its vendor key).
  virtual_band* sim_band = nullptr;
  sim_options sim;
};

class session {
 public:
  using done_fn = unique_function<void(error_code)>;

  /// `clock` (scaled or virtual time) must outlive the session; `io` runs everything.
  session(asio::io_context& io, const scaled_clock& clock, session_options options);
  ~session();
  session(const session&) = delete;
  session& operator=(const session&) = delete;

  using executor_type = asio::any_io_executor;
  executor_type get_executor() const { return io_.get_executor(); }

  /// Opens the link, loads the cached database or discovers (and caches it),
  /// reads the device name to tell the family (band::identify), watches
  /// Service Changed and, when `authenticate` and the device is a Huami band,
  /// authenticates with the user's or the stored key; a heart-rate strap
  /// needs no key and no auth. Errors: errc::transport_failed (see
  /// last_message()), errc::no_key, errc::key_file_exposed (the stored key
  /// file is open to group or others: last_message() names it and the chmod
  /// that fixes it), discovery/ATT errors, auth errors.
  void connect(bool authenticate, done_fn done);
  /// Discovers what `more` features need beyond the session's (and keeps
  /// them for later links); the cache is saved when it grew. Errors: ATT
  /// errors, gatt::errc::not_in_cache when the band lacks a characteristic.
  void require(feature_set more, done_fn done);
  /// Binds a new random key (the user taps the band) and stores it. Call
  /// after connect(false). Errors: errc::key_already_stored unless `force`;
  /// errc::key_file_exposed unless `force` (replacing it mends it);
  /// errc::bind_not_supported on a band that takes only its vendor app's key
  /// (Mi Band 4, Bip Lite: nothing is written); errc::auth_service_missing
  /// on a device without Mi Band auth (a strap).
  void pair(bool force, unique_function<void(error_code, std::optional<auth_key>)> done);
  /// Starts the stream and keeps it running: a lost link is reconnected per
  /// the policy (re-authenticated, the stream re-armed) and reported as link
  /// events and a `gap` stream event. `on_event` gets sensor packets, heart
  /// rate, stalls and gaps. `done` runs once the stream ends: after stop()
  /// (success), or on a failure that reconnecting cannot mend.
  void stream(const stream_options& o, stream_handler on_event, done_fn done);
  /// Ends a running stream: the band's streams are stopped cleanly when the
  /// link is up; then the stream's handler and `done` run.
  void stop(done_fn done);
  /// Completes every operation in flight with operation_aborted and closes the link.
  void cancel();
  /// Closes the link (pending ATT operations fail with att::errc::closed).
  /// An open link (and, for "sim", the virtual band it serves) keeps the
  /// io_context busy: a program ends its run() by closing.
  void close();

  /// Link events while the handle lives.
  [[nodiscard]] registration on_link_event(std::function<void(const link_event&)> cb) {
    return link_events_.add(std::move(cb));
  }

  // ---- completion-token forms ----
  template <class Token> auto async_connect(bool authenticate, Token&& token) {
    return initiate<void(error_code)>(get_executor(), std::forward<Token>(token),
                                      [this, authenticate](auto h) { connect(authenticate, std::move(h)); });
  }
  template <class Token> auto async_require(feature_set more, Token&& token) {
    return initiate<void(error_code)>(get_executor(), std::forward<Token>(token),
                                      [this, more](auto h) { require(more, std::move(h)); });
  }
  template <class Token> auto async_pair(bool force, Token&& token) {
    return initiate<void(error_code, std::optional<auth_key>)>(get_executor(), std::forward<Token>(token),
                                                               [this, force](auto h) { pair(force, std::move(h)); });
  }
  template <class Token> auto async_stream(const stream_options& o, stream_handler on_event, Token&& token) {
    return initiate<void(error_code)>(get_executor(), std::forward<Token>(token),
                                      [this, o, ev = std::move(on_event)](auto h) mutable {
                                        stream(o, std::move(ev), std::move(h));
                                      });
  }
  template <class Token> auto async_stop(Token&& token) {
    return initiate<void(error_code)>(get_executor(), std::forward<Token>(token), [this](auto h) { stop(std::move(h)); });
  }

  /// The band, client and bearer of the current link (null before connect
  /// and while reconnecting). Valid until the next reconnect or close.
  miband::band* band() noexcept { return band_.get(); }
  gatt::client* client() noexcept { return client_.get(); }
  att::bearer* bearer() noexcept { return conn_.bearer.get(); }
  bool connected() const noexcept { return conn_.bearer && conn_.bearer->is_open(); }
  /// The virtual band serving device "sim" (null otherwise).
  virtual_band* sim() noexcept { return sim_; }
  /// The device's id in the state store ("sim", "FA8EE312B4A9", ...).
  const std::string& device_id() const noexcept { return device_id_; }
  /// A one-line explanation of the last transport failure.
  const std::string& last_message() const noexcept { return message_; }
  const session_options& options() const noexcept { return opts_; }
  /// Sensor packets delivered over every link of this session.
  std::uint64_t packets_delivered() const noexcept { return packets_; }

 private:
  struct stream_state;
  void open_link(bool with_key, unique_function<void(error_code)> done);
  error_code open_sim(bool with_key);
  void attach_link();
  void discover_or_load(std::shared_ptr<op<>> o, bool authenticate);
  void after_identify(std::shared_ptr<op<>> o, bool authenticate);
  auth_options auth_for_device(bool bind) const;
  void discover_needs(unique_function<void(error_code)> done);
  void identify(unique_function<void(error_code)> done);
  void drop_link();
  void watch_service_changed();
  std::optional<auth_key> key_for_auth(error_code& ec);
  void start_stream_on_link();
  void on_link_lost(error_code reason);
  void schedule_reconnect(error_code why);
  void finish_stream(error_code ec);
  bool emit(const link_event& e);  // false: a listener destroyed the session

  asio::io_context& io_;
  const scaled_clock& clock_;
  session_options opts_;
  std::string device_id_, message_;
  std::unique_ptr<virtual_band> own_sim_;
  virtual_band* sim_ = nullptr;
  connection conn_;
  std::unique_ptr<gatt::client> client_;
  std::unique_ptr<miband::band> band_;
  hci::btsnoop_recorder recorder_;
  registration tap_reg_, close_reg_, sc_reg_;
  bool sc_echo_expected_ = false;
  listener_list<const link_event&> link_events_;
  pending_ops ops_;
  std::shared_ptr<stream_state> stream_;
  timer backoff_;
  std::uint64_t packets_ = 0;
  life life_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace bandwire::miband
