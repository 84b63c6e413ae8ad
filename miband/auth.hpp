// Mi Band application-level authentication (fact sheet §4, §19.2, §20.1):
// the key type, the AES answer, the frames both sides exchange on the auth
// characteristic 00000009, and the client's state machine.
//
// Design note. `authenticator` is sans-I/O: it never touches a socket or a
// clock. Its inputs are start(), each notification from the auth
// characteristic, and "the deadline you asked for has passed". Its outputs
// are actions: write these bytes (Write Command, §4.1) and wait at most this
// long, or finished with this error_code. The async Band API owns the
// socket and the timer and runs the actions.
//
// Invariants:
//  * Steps go strictly 01 (optional) → 02 → 03, each waiting for its reply.
//  * A reply for another step, a malformed reply or any failure status ends
//    the run with a distinct error; nothing is retried.
//  * After `10 03 04` (key rejected) the machine NEVER binds the key on its
//    own. Several libraries answer a rejection by silently writing their own
//    key (fact sheet §4.2 "fallback"; user-needs §3 A1), which re-keys the
//    band behind the user's back. Re-binding is an explicit new run with
//    auth_options::bind_new_key, after asking the user to tap the band.
//  * Notifications while idle or finished are ignored.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include <boost/system/error_code.hpp>

#include "common/bytes.hpp"
#include "miband/error.hpp"
#include "miband/frame.hpp"

namespace bandwire::miband {

/// A 128-bit Mi Band auth key. It is a secret: the type has no operator<<,
/// use masked() to show one, and its bytes are wiped on destruction.
class auth_key {
 public:
  static constexpr std::size_t size = 16;
  using bytes_type = std::array<std::uint8_t, size>;

  explicit auth_key(const bytes_type& bytes) noexcept : b_(bytes) {}
  /// Exactly 16 bytes, else nullopt.
  static std::optional<auth_key> from_bytes(bytes_view bytes) noexcept;
  auth_key(const auth_key&) = default;
  auth_key& operator=(const auth_key&) = default;
  ~auth_key();

  /// The raw secret. Named so that a reveal is visible in review.
  const bytes_type& secret_bytes() const noexcept { return b_; }

  /// Constant-time comparison (no early exit on the first differing byte).
  friend bool operator==(const auth_key& a, const auth_key& b) noexcept;

 private:
  bytes_type b_;
};

/// ASCII "0123456789@ABCDE", the fixed key of Gadgetbridge, miband-js,
/// miband2-python-test and leojrfs (fact sheet §4.1). It is public: use it
/// only to talk to a band already bound by those tools, or in tests.
auth_key well_known_key() noexcept;

/// "auth key ******** (id 1a2b3c4d)". The id is the first 4 bytes of
/// AES-128(key, "bandwire key id.") — stable per key so two configs can be
/// compared, and no use for answering a band's challenge.
std::string masked(const auth_key& key);

/// A new random key. fill_random must fill the whole span with bytes from a
/// cryptographically secure source (e.g. getrandom(2)); the caller chooses
/// it so this library holds no global random state.
auth_key generate_key(const std::function<void(bytes_span)>& fill_random);

/// Parses a key file: 32 hex digits (16 bytes), with an optional 0x prefix
/// and ':' ' ' '-' separators between bytes (as huami-token and Gadgetbridge
/// print keys). Blank lines and lines starting with '#' are ignored; exactly
/// one key line must remain. errc::invalid_key otherwise.
boost::system::error_code parse_key_file(std::string_view text, std::optional<auth_key>& out);

/// The key file text: 32 lower-case hex digits and a newline. Contains the
/// secret; write it with mode 0600.
std::string format_key_file(const auth_key& key);

/// AES-128-ECB(key, random), one block, no padding: the answer to the
/// band's challenge (fact sheet §4.1 `03`, vectors §20.1).
std::array<std::uint8_t, 16> encrypt_challenge(const auth_key& key,
                                               std::span<const std::uint8_t, 16> random) noexcept;

// ---- frames on the auth characteristic (fact sheet §4.1, §18) ----

inline constexpr std::uint8_t auth_cmd_bind = 0x01;       ///< `01 <flag> <key>`: bind a new key
inline constexpr std::uint8_t auth_cmd_challenge = 0x02;  ///< `02 <flag>`: request a random number
inline constexpr std::uint8_t auth_cmd_answer = 0x03;     ///< `03 <flag> <AES(key, r)>`: answer it

/// The second byte of every request ("auth flag" / app id, fact sheet §4.1):
/// Mi Fit sends 0x00 (CAP-A, NM), Gadgetbridge 0x08 on MB2 (GB-HS
/// AUTH_BYTE); both work on MB2 (§22.1).
inline constexpr std::uint8_t auth_flag_mi_fit = 0x00;
inline constexpr std::uint8_t auth_flag_gadgetbridge = 0x08;
/// Crypt flags ORed into the command byte: 0x00 on MB2, 0x80 on Mi Band 4
/// and Bip Lite (fact sheet §18).
inline constexpr std::uint8_t crypt_flags_none = 0x00;
inline constexpr std::uint8_t crypt_flags_mb4 = 0x80;

/// `01 <flag> <key16>` (18 bytes).
frame make_bind_request(const auth_key& key, std::uint8_t auth_flag);
/// `02 <flag>`, or with crypt flags `(crypt|02) <flag> 02 01 00` (§18, GB-INIT).
frame make_challenge_request(std::uint8_t auth_flag, std::uint8_t crypt_flags = crypt_flags_none);
/// `(crypt|03) <flag> <AES(key, random)>` (18 bytes).
frame make_answer(const auth_key& key, std::span<const std::uint8_t, 16> random, std::uint8_t auth_flag,
                  std::uint8_t crypt_flags = crypt_flags_none);

/// A request written to the auth characteristic, as the band sees it.
struct auth_request {
  std::uint8_t command = 0;      ///< 0x01, 0x02 or 0x03, crypt flags removed
  std::uint8_t crypt_flags = 0;  ///< high nibble of the command byte
  std::uint8_t auth_flag = 0;
  bytes_view payload;            ///< key (01), random-request tail (crypt 02), answer (03); views the input
};
/// For the virtual band: decodes a write. Lengths: 01 → 18, 02 → 2 (or 5 with
/// crypt flags), 03 → 18; anything else is errc::malformed_value.
boost::system::error_code decode_auth_request(bytes_view in, auth_request& out) noexcept;
/// For the virtual band: `10 02 01 <random16>` (19 bytes).
frame make_challenge_reply(std::span<const std::uint8_t, 16> random);
/// For the virtual band: constant-time check that answer == AES(key, random).
bool answer_matches(const auth_key& key, std::span<const std::uint8_t, 16> random, bytes_view answer) noexcept;

// ---- the client state machine ----

struct auth_options {
  std::uint8_t auth_flag = auth_flag_mi_fit;
  std::uint8_t crypt_flags = crypt_flags_none;
  /// With crypt flags: when the band refuses the crypt-flag challenge request
  /// (`10 x2 xx`, xx != 01) or does not answer it, ask once more with the
  /// plain `02 <flag>` and finish without crypt flags. Gadgetbridge sends
  /// `82 00 02 01 00`, satcar77/miband4 the plain `02 00`, and both are
  /// reported to work with the vendor key on a Mi Band 4 (fact sheet §18, §22.16).
  bool plain_fallback = false;
  /// First pairing: send `01 <flag> <key>` and wait for the user's tap
  /// before the challenge (fact sheet §4.2). Off: reconnect with a known key.
  bool bind_new_key = false;
  /// How long to wait for `10 01 xx`. The user must tap the band; CAP-A took
  /// 1.19 s. Choice: 30 s, long enough to find the band on a wrist.
  std::chrono::milliseconds bind_timeout{30'000};
  /// How long to wait for `10 02 …` and `10 03 …`. CAP-A answered in ~80 ms
  /// (fact sheet §4.2); choice: 5 s.
  std::chrono::milliseconds reply_timeout{5'000};
};

enum class auth_state {
  idle,                ///< start() not called yet
  awaiting_bind,       ///< sent `01 …`, waiting for the tap and `10 01 01`
  awaiting_challenge,  ///< sent `02 …`, waiting for `10 02 01 <random>`
  awaiting_result,     ///< sent `03 …`, waiting for `10 03 01`
  authenticated,       ///< finished, success
  failed,              ///< finished, error() says why
};
const char* to_string(auth_state s) noexcept;

/// What the shell must do next.
struct auth_action {
  enum class kind {
    none,   ///< nothing (ignored input)
    write,  ///< write `value` to the auth characteristic, then wait at most `timeout`
    done,   ///< finished: `ec` is empty on success
  };
  kind what = kind::none;
  frame value;
  std::chrono::milliseconds timeout{0};
  boost::system::error_code ec;
};

class authenticator {
 public:
  explicit authenticator(const auth_key& key, auth_options options = {}) noexcept;

  /// The first write (`01 …` when binding, else `02 …`). Valid only in
  /// state idle; otherwise returns done with errc::invalid_argument and
  /// changes nothing. Binding with crypt flags fails with
  /// errc::bind_not_supported: such bands cannot take a new key (§18).
  auth_action start();
  /// A notification from the auth characteristic.
  auth_action on_notification(bytes_view value);
  /// The deadline of the last write action expired: errc::bind_timed_out
  /// while waiting for the tap, errc::no_answer otherwise.
  auth_action on_timeout();

  auth_state state() const noexcept { return state_; }
  bool finished() const noexcept { return state_ == auth_state::authenticated || state_ == auth_state::failed; }
  /// Why the run failed; empty unless state() == failed.
  boost::system::error_code error() const noexcept { return error_; }
  /// The band's status byte of the reply that ended a failed run (e.g. 0x04
  /// in `10 03 04`), for logs; nullopt when the failure was not a status.
  std::optional<std::uint8_t> band_status() const noexcept { return band_status_; }
  /// The crypt flags in use now: options().crypt_flags, or 0 after the plain fallback.
  std::uint8_t crypt_flags() const noexcept { return options_.crypt_flags; }
  /// The run fell back from the crypt-flag request to the plain `02 <flag>`.
  bool fell_back() const noexcept { return fell_back_; }

 private:
  auth_action fail(boost::system::error_code ec, std::optional<std::uint8_t> status = std::nullopt);
  auth_action write(const frame& f, std::chrono::milliseconds timeout, auth_state next);
  bool can_fall_back() const noexcept;
  auth_action fall_back();

  auth_key key_;
  auth_options options_;
  auth_state state_ = auth_state::idle;
  boost::system::error_code error_;
  std::optional<std::uint8_t> band_status_;
  bool fell_back_ = false;
};

}  // namespace bandwire::miband
