// The GATT client (Core 5.4 Vol 3 Part G §4): discovery, reads, writes and
// notifications over one att::bearer.
//
// Every async_* function takes an Asio completion token (a callback,
// asio::use_future, asio::use_awaitable...). The handler is never invoked
// inline; it runs on the handler's associated executor, or on the bearer's
// when it has none. Arguments passed by view (values) are copied before the
// function returns. Each procedure is one small state machine in
// gatt/procedures.cpp; the client holds only the discovery cache and the
// notification subscriptions. The client must outlive its operations.
//
// Errors: a peer's ATT Error Response arrives as an att::error code (its
// value is the wire code), local failures as att::errc / gatt::errc.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

#include "att/bearer.hpp"
#include "common/asio.hpp"
#include "common/listeners.hpp"
#include "common/unique_function.hpp"
#include "gatt/types.hpp"

namespace bandwire::gatt {

using value_type = std::vector<std::uint8_t>;

/// One (handle, value) result of Read Using Characteristic UUID.
struct handle_value {
  std::uint16_t handle = 0;
  value_type value;
};

/// Result of Read Using Characteristic UUID (§4.8.2): entries collected before
/// the procedure ended. A search that ends in Attribute Not Found after
/// entries is a success; `end_code` then is 0x0a.
struct read_by_uuid_result {
  std::vector<handle_value> entries;
  std::uint8_t end_code = 0;
};

/// Signing key and counter for Signed Write Without Response (§4.9.2,
/// Vol 3 Part H §2.4.5). `csrk` is in the byte order BlueZ stores keys
/// (least significant octet first).
struct signing_key {
  std::array<std::uint8_t, 16> csrk{};
  std::uint32_t counter = 0;
};

/// Computes the 12-byte signature (SignCounter || MAC) of a Signed Write
/// Command PDU prefix (opcode, handle, value). Pure; exposed for tests.
std::array<std::uint8_t, 12> sign_write(const signing_key& key, bytes_view pdu_prefix);

/// How a UUID given as a search value goes on the wire: the shortest form,
/// or always 128 bits (some servers store 16-bit service UUIDs in full).
enum class uuid_width { shortest, full };

class client {
 public:
  using notify_callback = std::function<void(std::uint16_t value_handle, bytes_view value, bool indication)>;

  explicit client(att::bearer& bearer);
  ~client();
  client(const client&) = delete;
  client& operator=(const client&) = delete;

  att::bearer& bearer() noexcept { return bearer_; }
  using executor_type = att::bearer::executor_type;
  executor_type get_executor() { return bearer_.get_executor(); }

  // ---- the discovery cache ----
  const std::vector<service>& services() const noexcept { return db_.services; }
  /// A full list of services (as discover_all makes): every other is absent.
  void set_services(std::vector<service> s) {
    db_ = discovered_database{};
    db_.services = std::move(s);
    db_.all_services = true;
  }
  /// Everything discovery knows, partial discovery included (the GATT cache).
  const discovered_database& database() const noexcept { return db_; }
  void set_database(discovered_database db) { db_ = std::move(db); }
  /// Present, absent (searched by UUID and not found, or not in a full
  /// discovery) or unknown (not searched yet).
  presence service_presence(const uuid& type) const noexcept { return db_.service_presence(type); }
  /// The cached characteristic with this value handle, if any.
  const characteristic* find_characteristic(std::uint16_t value_handle) const noexcept;
  const characteristic* find_characteristic(const uuid& type) const noexcept;
  /// Called for every Service Changed indication (§7.1) with the handle
  /// range, while the returned handle lives.
  [[nodiscard]] registration on_service_changed(std::function<void(std::uint16_t start, std::uint16_t end)> cb) {
    return on_service_changed_.add(0, std::move(cb));
  }

  // ---- callback forms (used by the token forms and by other layers) ----
  void exchange_mtu(std::uint16_t rx_mtu, unique_function<void(error_code, std::uint16_t)> done);
  void discover_primary(unique_function<void(error_code, std::vector<service>)> done);
  void discover_primary(const uuid& type, uuid_width width,
                        unique_function<void(error_code, std::vector<service>)> done);
  void discover_included(std::uint16_t start, std::uint16_t end,
                         unique_function<void(error_code, std::vector<included_service>)> done);
  void discover_characteristics(std::uint16_t start, std::uint16_t end, std::optional<uuid> type,
                                unique_function<void(error_code, std::vector<characteristic>)> done);
  void discover_descriptors(std::uint16_t start, std::uint16_t end,
                            unique_function<void(error_code, std::vector<descriptor>)> done);
  /// Whole database: primary services, includes, characteristics and
  /// descriptors. Fills the cache.
  void discover_all(unique_function<void(error_code, std::vector<service>)> done);
  /// Only what `needs` asks and the cache lacks (gatt/needs.hpp): each
  /// service by UUID (Find By Type Value; one not found is recorded absent),
  /// characteristics inside it until the needed ones are found, descriptors
  /// only of those that need a CCCD. Never an included-service search. A
  /// needed characteristic the peer lacks is no error here:
  /// missing_characteristics() tells. Fills the cache.
  void discover(discovery_needs needs, unique_function<void(error_code)> done);
  /// Read (§4.8.1) continued by Read Blob (§4.8.3) while a response fills
  /// ATT_MTU-1 bytes, up to 512 bytes. With offset > 0 starts with Read Blob.
  void read(std::uint16_t handle, std::uint16_t offset, unique_function<void(error_code, value_type)> done);
  void read_by_uuid(std::uint16_t start, std::uint16_t end, const uuid& type,
                    unique_function<void(error_code, read_by_uuid_result)> done);
  /// One Read By Type request and no continuation: the entries of its
  /// response only. For a characteristic a peer has once (the GAP Device
  /// Name), where §4.8.2's continuation would only fetch the end code.
  void read_first_by_uuid(std::uint16_t start, std::uint16_t end, const uuid& type,
                          unique_function<void(error_code, read_by_uuid_result)> done);
  void read_multiple(std::vector<std::uint16_t> handles, bool variable,
                     unique_function<void(error_code, value_type)> done);
  void write(std::uint16_t handle, bytes_view value, unique_function<void(error_code)> done);
  /// Long or reliable write (§4.9.4/§4.9.5): Prepare Writes of ATT_MTU-5
  /// bytes then Execute Write; any error cancels with Execute Write 0x00.
  void write_long(std::uint16_t handle, std::uint16_t offset, bytes_view value, bool reliable,
                  unique_function<void(error_code)> done);
  /// Write Without Response (§4.9.1); sent at once.
  error_code write_without_response(std::uint16_t handle, bytes_view value);
  /// Signed Write Without Response (§4.9.2) on an unencrypted link; on an
  /// encrypted link a plain Write Command (Vol 3 Part C §10.4.2). Increments
  /// the key's counter when a signed PDU is sent.
  error_code signed_write(std::uint16_t handle, bytes_view value, signing_key& key);
  /// Writes the CCCD (0x0001 notify if supported, else 0x0002 indicate) of the
  /// cached characteristic with this value handle. Values reach listeners
  /// registered with listen().
  void subscribe(std::uint16_t value_handle, unique_function<void(error_code)> done);
  /// Writes 0x0000 to the characteristic's CCCD.
  void unsubscribe(std::uint16_t value_handle, unique_function<void(error_code)> done);
  /// Routes values of a handle to cb while the returned handle lives (any
  /// number of listeners per handle). Writes no CCCD.
  [[nodiscard]] registration listen(std::uint16_t value_handle, notify_callback cb) {
    return subs_.add(value_handle, std::move(cb));
  }
  /// Receives every value for handles nobody listens to, while the handle lives.
  [[nodiscard]] registration listen_all(notify_callback cb) { return catch_all_.add(0, std::move(cb)); }

  // ---- completion-token forms ----
  template <class Token> auto async_exchange_mtu(std::uint16_t rx_mtu, Token&& token) {
    return initiate<void(error_code, std::uint16_t)>(
        std::forward<Token>(token), [this, rx_mtu](auto h) { exchange_mtu(rx_mtu, std::move(h)); });
  }
  template <class Token> auto async_discover_primary(Token&& token) {
    return initiate<void(error_code, std::vector<service>)>(
        std::forward<Token>(token), [this](auto h) { discover_primary(std::move(h)); });
  }
  template <class Token> auto async_discover_primary(const uuid& type, Token&& token) {
    return initiate<void(error_code, std::vector<service>)>(
        std::forward<Token>(token),
        [this, type](auto h) { discover_primary(type, uuid_width::shortest, std::move(h)); });
  }
  template <class Token> auto async_discover_all(Token&& token) {
    return initiate<void(error_code, std::vector<service>)>(
        std::forward<Token>(token), [this](auto h) { discover_all(std::move(h)); });
  }
  template <class Token> auto async_discover(discovery_needs needs, Token&& token) {
    return initiate<void(error_code)>(std::forward<Token>(token), [this, n = std::move(needs)](auto h) mutable {
      discover(std::move(n), std::move(h));
    });
  }
  template <class Token> auto async_discover_characteristics(std::uint16_t start, std::uint16_t end, Token&& token) {
    return initiate<void(error_code, std::vector<characteristic>)>(
        std::forward<Token>(token),
        [this, start, end](auto h) { discover_characteristics(start, end, std::nullopt, std::move(h)); });
  }
  template <class Token> auto async_discover_descriptors(std::uint16_t start, std::uint16_t end, Token&& token) {
    return initiate<void(error_code, std::vector<descriptor>)>(
        std::forward<Token>(token), [this, start, end](auto h) { discover_descriptors(start, end, std::move(h)); });
  }
  template <class Token> auto async_read(std::uint16_t handle, Token&& token) {
    return initiate<void(error_code, value_type)>(std::forward<Token>(token),
                                                  [this, handle](auto h) { read(handle, 0, std::move(h)); });
  }
  template <class Token> auto async_read_by_uuid(std::uint16_t start, std::uint16_t end, const uuid& type,
                                                 Token&& token) {
    return initiate<void(error_code, read_by_uuid_result)>(
        std::forward<Token>(token), [this, start, end, type](auto h) { read_by_uuid(start, end, type, std::move(h)); });
  }
  template <class Token> auto async_read_multiple(std::vector<std::uint16_t> handles, Token&& token) {
    return initiate<void(error_code, value_type)>(
        std::forward<Token>(token),
        [this, hs = std::move(handles)](auto h) mutable { read_multiple(std::move(hs), false, std::move(h)); });
  }
  template <class Token> auto async_write(std::uint16_t handle, bytes_view value, Token&& token) {
    return initiate<void(error_code)>(
        std::forward<Token>(token),
        [this, handle, v = value_type(value.begin(), value.end())](auto h) { write(handle, v, std::move(h)); });
  }
  template <class Token> auto async_write_long(std::uint16_t handle, bytes_view value, bool reliable, Token&& token) {
    return initiate<void(error_code)>(std::forward<Token>(token),
                                      [this, handle, reliable, v = value_type(value.begin(), value.end())](auto h) {
                                        write_long(handle, 0, v, reliable, std::move(h));
                                      });
  }
  template <class Token> auto async_subscribe(std::uint16_t value_handle, Token&& token) {
    return initiate<void(error_code)>(std::forward<Token>(token),
                                      [this, value_handle](auto h) mutable { subscribe(value_handle, std::move(h)); });
  }

 private:
  // Wraps a completion handler so it runs on its associated executor, never
  // inline, then starts the callback-form operation with it.
  template <class Sig, class Token, class Start> auto initiate(Token&& token, Start start) {
    return asio::async_initiate<Token, Sig>(
        [this, start = std::move(start)](auto handler) mutable {
          auto ex = asio::get_associated_executor(handler, bearer_.get_executor());
          start([h = std::move(handler), ex](auto... args) mutable {
            asio::post(ex, [h = std::move(h), ... a = std::move(args)]() mutable { std::move(h)(std::move(a)...); });
          });
        },
        token);
  }

  void dispatch_value(std::uint16_t handle, bytes_view value, bool indication);

  att::bearer& bearer_;
  discovered_database db_;
  // Few entries: a linear scan, no allocation per value.
  keyed_listener_list<std::uint16_t, std::uint16_t, bytes_view, bool> subs_;
  keyed_listener_list<int, std::uint16_t, bytes_view, bool> catch_all_;
  keyed_listener_list<int, std::uint16_t, std::uint16_t> on_service_changed_;
  registration value_reg_;
};

}  // namespace bandwire::gatt
