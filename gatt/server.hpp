// One connection's GATT server (Core 5.4 Vol 3 Part F §3.4, Vol 3 Part G §4)
// as a pure, synchronous function: request bytes in, response bytes out.
//
// Design note
//  * handle() answers one PDU from the client and returns the size of the
//    response it wrote, 0 when nothing is to be sent (commands, confirmations,
//    PDUs with the Command Flag, responses that belong to the client side).
//    It never blocks, never does I/O and never throws on peer input; the
//    bearer shell decides when to call it. Every PDU is decoded and encoded by
//    att/pdu.hpp.
//  * The server keeps what belongs to one connection: the negotiated ATT_MTU,
//    the prepare queue, the CCCD values of CCCDs made with
//    database::add_cccd(), the link's security, the peer's signing key and
//    the one outstanding indication. Attribute values live in the database,
//    which may be shared by several servers (one per connection); it must
//    outlive them.
//  * Permission checks follow Vol 3 Part F §3.2.5 and Vol 3 Part C §10.3:
//    the link's security is set by the shell with set_security().
//  * Hooks and callbacks run inside handle(); they must not call back into
//    this server's handle().
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

#include "att/pdu.hpp"
#include "common/bytes.hpp"
#include "gatt/database.hpp"

namespace bandwire::gatt {

class server {
 public:
  /// Largest ATT_MTU this server accepts by default (Server Rx MTU, §3.4.2.2).
  static constexpr std::uint16_t default_rx_mtu = 512;

  /// The link's security as the server needs it for permission checks.
  struct security {
    /// LE security mode 1 level (Vol 3 Part C §10.2.1): 1 none, 2 encrypted
    /// (unauthenticated pairing), 3 authenticated pairing, 4 authenticated LE
    /// Secure Connections with a 128-bit key.
    std::uint8_t level = 1;
    /// The level the link would reach by encrypting with a key already stored
    /// for this peer, 0 when none. On an unencrypted link it decides between
    /// Insufficient Encryption (a key is there: just encrypt) and
    /// Insufficient Authentication (pairing is needed).
    std::uint8_t key_level = 0;
    /// The application authorized this client (perm::*_authorized).
    bool authorized = false;
  };

  /// A client's subscription as stored in a CCCD (Vol 3 Part G §3.3.3.3).
  struct subscription {
    std::uint16_t value_handle = 0;  ///< the characteristic value, 0 when the CCCD belongs to none
    std::uint16_t cccd_handle = 0;
    bool notify = false;    ///< bit 0
    bool indicate = false;  ///< bit 1
  };

  struct options {
    std::uint16_t rx_mtu = default_rx_mtu;  ///< clamped to [23, 65535]
    std::size_t prepare_queue_bytes = 4096; ///< queued value bytes before Prepare Queue Full
    std::size_t prepare_queue_entries = 64; ///< queued segments before Prepare Queue Full
  };

  explicit server(database& db) : server(db, options{}) {}
  server(database& db, options opt);

  /// Answers one PDU from the client. `response` should hold at least
  /// mtu() bytes; the answer never exceeds min(mtu(), response.size()).
  /// Returns the response size, 0 for no response.
  std::size_t handle(bytes_view request, bytes_span response);

  /// Handle Value Notification (Vol 3 Part F §3.4.7.1) of `value_handle`,
  /// value truncated to ATT_MTU - 3. Returns 0 (nothing to send) when this
  /// client has not enabled notifications in the characteristic's CCCD, or
  /// `out` is too small.
  std::size_t encode_notification(std::uint16_t value_handle, bytes_view value, bytes_span out);
  /// Handle Value Indication (§3.4.7.2). Returns 0 when indications are not
  /// enabled or one is still unconfirmed (only one may be outstanding,
  /// §3.3.2); otherwise the indication becomes pending until the client's
  /// Handle Value Confirmation arrives through handle().
  std::size_t encode_indication(std::uint16_t value_handle, bytes_view value, bytes_span out);
  /// Value handle of the unconfirmed indication, if any.
  std::optional<std::uint16_t> pending_indication() const noexcept { return pending_indication_; }
  /// Forgets an unconfirmed indication (the shell's 30 s transaction timeout,
  /// Vol 3 Part F §3.3.3, closes the bearer; a new bearer gets a new server).
  void clear_pending_indication() noexcept { pending_indication_.reset(); }

  /// CCCD bits (bit 0 notify, bit 1 indicate) this client set for the
  /// characteristic whose value is at `value_handle`; 0 without a CCCD.
  std::uint16_t cccd_bits(std::uint16_t value_handle) const;
  /// Per-connection CCCD value by CCCD handle (for saving a bonded client's
  /// configuration, Vol 3 Part G §3.3.3.3).
  std::uint16_t cccd_value(std::uint16_t cccd_handle) const;
  /// Restores a bonded client's CCCD value on reconnection. False when the
  /// handle is not a per-connection CCCD. Does not call on_subscription.
  bool set_cccd_value(std::uint16_t cccd_handle, std::uint16_t value);
  /// Every CCCD of the database whose bits are non-zero for this client.
  std::vector<subscription> subscriptions() const;

  /// Called after a client's write changed a CCCD (any 0x2902 attribute
  /// whose new value is 2 bytes), with the new state.
  std::function<void(const subscription&)> on_subscription;
  /// Called when the client confirms the pending indication.
  std::function<void(std::uint16_t value_handle)> on_confirmation;

  std::uint16_t mtu() const noexcept { return mtu_; }
  std::uint16_t rx_mtu() const noexcept { return rx_mtu_; }
  void set_security(const security& s) noexcept { security_ = s; }
  const security& link_security() const noexcept { return security_; }

  /// Connection Signature Resolving Key of the peer (Vol 3 Part H §2.4.5),
  /// least significant octet first as SMP distributes it. Without one,
  /// Signed Write Commands are ignored. `next_counter` is the lowest
  /// SignCounter still accepted (replay protection).
  void set_signing_key(const std::array<std::uint8_t, 16>& csrk, std::uint32_t next_counter = 0) {
    csrk_ = csrk;
    next_sign_counter_ = next_counter;
  }
  void clear_signing_key() noexcept { csrk_.reset(); }
  /// The SignCounter the next Signed Write must at least carry (to persist it).
  std::uint32_t next_sign_counter() const noexcept { return next_sign_counter_; }

  /// Number of queued Prepare Write segments (contiguous writes to one
  /// handle are merged into one).
  std::size_t prepare_queue_size() const noexcept { return queue_.size(); }

  const database& db() const noexcept { return db_; }

 private:
  struct prepared {
    std::uint16_t handle = 0, offset = 0;
    std::vector<std::uint8_t> data;
  };

  std::size_t dispatch(const att::pdu& p, bytes_span out);
  std::size_t error(std::uint8_t op, std::uint16_t handle, std::uint8_t code, bytes_span out);
  std::size_t error(std::uint8_t op, std::uint16_t handle, att::error code, bytes_span out) {
    return error(op, handle, static_cast<std::uint8_t>(code), out);
  }

  std::size_t on_exchange_mtu(const att::exchange_mtu_req& r, bytes_span out);
  std::size_t on_find_information(const att::find_information_req& r, bytes_span out);
  std::size_t on_find_by_type_value(const att::find_by_type_value_req& r, bytes_span out);
  std::size_t on_read_by_type(const att::read_by_type_req& r, bytes_span out);
  std::size_t on_read(const att::read_req& r, bytes_span out);
  std::size_t on_read_blob(const att::read_blob_req& r, bytes_span out);
  std::size_t on_read_multiple(std::uint8_t op, bytes_view handles, bytes_span out);
  std::size_t on_read_by_group_type(const att::read_by_group_type_req& r, bytes_span out);
  std::size_t on_write(const att::write_req& r, bytes_span out);
  void on_write_cmd(const att::write_cmd& r);
  void on_signed_write(const att::signed_write_cmd& r, bytes_view pdu);
  std::size_t on_prepare_write(const att::prepare_write_req& r, bytes_span out);
  std::size_t on_execute_write(const att::execute_write_req& r, bytes_span out);
  void on_confirm();

  /// 0 when the client may read (write) the attribute, else the ATT error.
  std::uint8_t check_access(const attribute& a, bool write) const;
  /// The current value for this client: per-connection CCCD value, read
  /// hook output (into scratch_) or the stored bytes. 0 or an ATT error.
  std::uint8_t read_value(const attribute& a, bytes_view& value);
  /// Stores an accepted value (hook, per-connection CCCD or database) and
  /// reports CCCD changes. 0 or an ATT error code.
  std::uint8_t write_value(attribute& a, bytes_view value);
  std::uint16_t stored_cccd(const attribute& a) const;
  bool verify_signature(bytes_view pdu) const;

  database& db_;
  options opt_;
  std::uint16_t rx_mtu_;
  std::uint16_t mtu_ = att::default_mtu;
  bool mtu_exchanged_ = false;
  security security_;
  std::optional<std::array<std::uint8_t, 16>> csrk_;
  std::uint32_t next_sign_counter_ = 0;
  std::optional<std::uint16_t> pending_indication_;
  std::vector<prepared> queue_;
  std::size_t queue_bytes_ = 0;
  std::vector<std::pair<std::uint16_t, std::uint16_t>> cccds_;  // (CCCD handle, value), sorted
  std::vector<std::uint8_t> scratch_;  // read hook output
  std::vector<std::uint8_t> list_;     // list responses being assembled
};

}  // namespace bandwire::gatt
