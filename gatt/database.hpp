// The attribute database a GATT server exposes (Core 5.4 Vol 3 Part F §3.2,
// Vol 3 Part G §3): a flat, handle-ordered table of attributes built through
// a small builder API.
//
// Design note
//  * The table is the single source of truth. Declarations (service, include,
//    characteristic) are ordinary attributes whose values are encoded by the
//    builder in their on-air form, so the request handler in gatt/server.hpp
//    treats every attribute alike and the Database Hash (§7.3) is computed
//    from the same bytes a client reads.
//  * Handles are assigned sequentially, or placed at explicit handles with
//    gaps (the conformance databases in shared/vectors/att-gatt use both).
//    Builder misuse (overlaps, handle 0, a characteristic outside a service)
//    throws std::invalid_argument: it is a programming error, never peer input.
//  * Values shared by all connections live here. Per-connection state (the
//    negotiated MTU, prepared writes, Client Characteristic Configuration
//    values of CCCDs made with add_cccd()) lives in each gatt::server.
//  * Dynamic values use hooks: a read hook produces the value on every read,
//    a write hook sees every accepted new value and may refuse it with an ATT
//    error code. Hooks run synchronously inside server::handle().
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "att/pdu.hpp"
#include "att/uuid.hpp"
#include "common/bytes.hpp"
#include "gatt/types.hpp"

namespace bandwire::gatt {

/// Attribute permissions (Vol 3 Part F §3.2.5). A read (write) is permitted
/// when any read (write) bit is set; the strongest bit present sets the
/// security the link needs (Vol 3 Part C §10.2.1, LE security mode 1):
/// *_encrypted → level 2, *_authenticated → level 3, *_secure → level 4.
/// The low four bits have the values the conformance vectors' tables use.
namespace perm {
inline constexpr std::uint16_t none = 0x0000;
inline constexpr std::uint16_t read = 0x0001;
inline constexpr std::uint16_t write = 0x0002;
inline constexpr std::uint16_t read_encrypted = 0x0004;
inline constexpr std::uint16_t write_encrypted = 0x0008;
inline constexpr std::uint16_t read_authenticated = 0x0010;
inline constexpr std::uint16_t write_authenticated = 0x0020;
inline constexpr std::uint16_t read_authorized = 0x0040;   ///< also needs the application's authorization
inline constexpr std::uint16_t write_authorized = 0x0080;  ///< also needs the application's authorization
inline constexpr std::uint16_t read_secure = 0x0100;       ///< LE Secure Connections, 128-bit key
inline constexpr std::uint16_t write_secure = 0x0200;
inline constexpr std::uint16_t any_read = read | read_encrypted | read_authenticated | read_secure;
inline constexpr std::uint16_t any_write = write | write_encrypted | write_authenticated | write_secure;
}  // namespace perm

/// ATT status a hook returns: 0 for success, else an ATT error code
/// (att::error values, or 0x80..0x9f application errors, Vol 3 Part F §3.4.1.1).
using att_status = std::uint8_t;

struct attribute {
  /// Produces the current value into `value` (passed empty). Called for every
  /// read of the attribute, including each Read Blob of a long read.
  using read_hook = std::function<att_status(std::vector<std::uint8_t>& value)>;
  /// Receives a complete new value (after prepared writes are assembled).
  /// Returning 0 accepts it and the database stores it; any other value is
  /// sent to the client as the error code and the stored value is kept.
  using write_hook = std::function<att_status(bytes_view value)>;

  std::uint16_t handle = 0;
  uuid type;
  std::uint16_t permissions = perm::none;
  std::vector<std::uint8_t> value;
  std::uint16_t max_length = att::max_attribute_length;  ///< longer writes fail with Invalid Attribute Value Length
  read_hook on_read{};
  write_hook on_write{};
  /// True for CCCDs made with add_cccd(): each connection's server keeps its
  /// own 2-byte value (Vol 3 Part G §3.3.3.3) and `value` is unused.
  bool per_connection = false;
};

class database {
 public:
  struct characteristic_params {
    uuid type{};
    std::uint8_t properties = 0;  ///< gatt::prop bits, written into the declaration
    std::uint16_t permissions = perm::none;  ///< of the value attribute
    std::vector<std::uint8_t> value{};
    std::uint16_t max_length = att::max_attribute_length;
    attribute::read_hook on_read{};
    attribute::write_hook on_write{};
    std::uint16_t decl_handle = 0;   ///< 0: next free handle (or value_handle - 1 when that is given)
    std::uint16_t value_handle = 0;  ///< 0: decl_handle + 1
  };
  struct descriptor_params {
    uuid type{};
    std::uint16_t permissions = perm::read;
    std::vector<std::uint8_t> value{};
    std::uint16_t max_length = att::max_attribute_length;
    attribute::read_hook on_read{};
    attribute::write_hook on_write{};
    std::uint16_t handle = 0;  ///< 0: next free handle
  };

  // ---- building ----

  /// Starts a service declaration (Vol 3 Part G §3.1). `start` 0 places it
  /// after the highest handle in use. `end` 0 lets the service grow with
  /// what is added to it; otherwise the service owns [start, end] and
  /// everything added must fit. Returns the start handle. Later add_*
  /// calls go into this service.
  std::uint16_t add_service(const uuid& type, bool primary = true, std::uint16_t start = 0,
                            std::uint16_t end = 0);
  std::uint16_t add_primary_service(const uuid& type, std::uint16_t start = 0, std::uint16_t end = 0) {
    return add_service(type, true, start, end);
  }
  std::uint16_t add_secondary_service(const uuid& type, std::uint16_t start = 0, std::uint16_t end = 0) {
    return add_service(type, false, start, end);
  }
  /// Include declaration (§3.2) of the service [start, end] with the given
  /// type; the service may be added later (forward references are legal).
  std::uint16_t add_include(std::uint16_t start, std::uint16_t end, const uuid& type, std::uint16_t handle = 0);
  /// Include declaration of an already added service starting at `service_start`.
  std::uint16_t add_include(std::uint16_t service_start, std::uint16_t handle = 0);
  /// Characteristic declaration + value (§3.3). Returns the value handle.
  std::uint16_t add_characteristic(characteristic_params p);
  /// A descriptor of the last characteristic (§3.3.3). The value is stored as
  /// given, whatever the type: a 0x2902 descriptor made here is one value
  /// shared by every connection. Use add_cccd() for a real CCCD.
  std::uint16_t add_descriptor(descriptor_params p);
  /// Client Characteristic Configuration descriptor (§3.3.3.3), value kept
  /// per connection by each gatt::server.
  std::uint16_t add_cccd(std::uint16_t permissions = perm::read | perm::write, std::uint16_t handle = 0);
  /// Characteristic User Description (§3.3.3.2), read-only by default.
  std::uint16_t add_user_description(std::string_view text, std::uint16_t permissions = perm::read,
                                     std::uint16_t handle = 0);
  /// Characteristic Extended Properties (§3.3.3.1): bit 0 Reliable Write,
  /// bit 1 Writable Auxiliaries.
  std::uint16_t add_extended_properties(std::uint16_t bits, std::uint16_t handle = 0);

  // ---- lookup ----

  /// All attributes in handle order.
  std::span<const attribute> attributes() const noexcept { return attrs_; }
  const attribute* find(std::uint16_t handle) const noexcept;
  attribute* find(std::uint16_t handle) noexcept;
  /// Index of the first attribute with a handle >= `handle` (attributes().size() if none).
  std::size_t lower_index(std::uint16_t handle) const noexcept;

  /// Application-side update (a new battery level...): replaces the stored
  /// value without permission checks or hooks. False for an unknown handle or
  /// a value longer than the attribute's max_length.
  bool set_value(std::uint16_t handle, bytes_view value);

  /// End Group Handle (Vol 3 Part F §3.4.4.10) of the service whose
  /// declaration is at `decl_handle`; 0 when it is no service declaration.
  std::uint16_t service_end(std::uint16_t decl_handle) const noexcept;

  /// The services with their includes, characteristics and descriptors, in
  /// handle order (the same structs a client's discovery produces).
  std::vector<service> services() const;
  /// The characteristic whose declaration, value or descriptor holds `handle`.
  std::optional<characteristic> characteristic_at(std::uint16_t handle) const;
  /// Value handle of the first characteristic of the given type, 0 if none.
  std::uint16_t find_value_handle(const uuid& characteristic_type) const;
  /// Handle of the CCCD (type 0x2902) of the characteristic whose value is at
  /// `value_handle`; 0 if it has none.
  std::uint16_t find_cccd(std::uint16_t value_handle) const;
  /// True when `handle` is a characteristic value whose Extended Properties
  /// descriptor has the Reliable Write bit (Vol 3 Part G §3.3.3.1).
  bool reliable_write_enabled(std::uint16_t handle) const;

  /// Database Hash (Vol 3 Part G §7.3): AES-CMAC with an all-zero key over,
  /// in handle order, handle || type || value of every service, include,
  /// characteristic and extended-properties declaration and handle || type of
  /// every 0x2901..0x2905 descriptor, all little-endian. The array holds the
  /// CMAC output in the order the algorithm produces it (Appendix B prints
  /// F1CA2D48... for its example: byte 0 is 0xF1).
  std::array<std::uint8_t, 16> hash() const;

 private:
  struct group {
    std::uint16_t start = 0, end = 0;
    bool fixed_end = false;  ///< end given by add_service, not grown
  };
  attribute& insert(attribute a);
  std::uint16_t next_handle(std::uint16_t explicit_handle) const;
  void check_free(std::uint32_t handle) const;
  group* current_group() noexcept;
  const group* group_of(std::uint16_t handle) const noexcept;

  std::vector<attribute> attrs_;  // sorted by handle
  std::vector<group> groups_;     // sorted by start
  std::uint16_t current_ = 0;     // start handle of the service being built, 0 = none
  std::uint16_t last_char_value_ = 0;  // value handle of the last characteristic added, 0 = none
};

}  // namespace bandwire::gatt
