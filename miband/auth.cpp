#include "miband/auth.hpp"

#include <cstdio>
#include <vector>

#include <mbedtls/aes.h>
#include <mbedtls/platform_util.h>

#include "miband/reply.hpp"

namespace bandwire::miband {

// ---------------------------------------------------------------- key

std::optional<auth_key> auth_key::from_bytes(bytes_view bytes) noexcept {
  if (bytes.size() != size) return std::nullopt;
  bytes_type b;
  for (std::size_t i = 0; i < size; ++i) b[i] = bytes[i];
  auth_key k(b);
  mbedtls_platform_zeroize(b.data(), b.size());
  return k;
}

auth_key::~auth_key() { mbedtls_platform_zeroize(b_.data(), b_.size()); }

bool operator==(const auth_key& a, const auth_key& b) noexcept {
  std::uint8_t diff = 0;
  for (std::size_t i = 0; i < auth_key::size; ++i) diff |= static_cast<std::uint8_t>(a.b_[i] ^ b.b_[i]);
  return diff == 0;
}

auth_key well_known_key() noexcept {
  // "0123456789@ABCDE" (fact sheet §4.1).
  return auth_key({0x30, 0x31, 0x32, 0x33, 0x34, 0x35, 0x36, 0x37, 0x38, 0x39, 0x40, 0x41, 0x42, 0x43,
                   0x44, 0x45});
}

namespace {

void aes128_ecb(const auth_key::bytes_type& key, const std::uint8_t* in, std::uint8_t* out) noexcept {
  mbedtls_aes_context ctx;
  mbedtls_aes_init(&ctx);
  // Cannot fail: 128 is a valid key size and ECB on one block has no other
  // failure mode (mbedTLS 2.28 aes.h).
  mbedtls_aes_setkey_enc(&ctx, key.data(), 128);
  mbedtls_aes_crypt_ecb(&ctx, MBEDTLS_AES_ENCRYPT, in, out);
  mbedtls_aes_free(&ctx);  // also wipes the round keys
}

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f'; }

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

}  // namespace

std::string masked(const auth_key& key) {
  // Domain-separated input, so the id never equals an answer the band could
  // ask for with an all-zero or other natural challenge.
  static constexpr std::uint8_t label[16] = {'b', 'a', 'n', 'd', 'w', 'i', 'r', 'e',
                                             ' ', 'k', 'e', 'y', ' ', 'i', 'd', '.'};
  std::uint8_t out[16];
  aes128_ecb(key.secret_bytes(), label, out);
  char buf[64];
  std::snprintf(buf, sizeof buf, "auth key ******** (id %02x%02x%02x%02x)", out[0], out[1], out[2], out[3]);
  return buf;
}

auth_key generate_key(const std::function<void(bytes_span)>& fill_random) {
  auth_key::bytes_type b{};
  fill_random(b);
  auth_key k(b);
  mbedtls_platform_zeroize(b.data(), b.size());
  return k;
}

boost::system::error_code parse_key_file(std::string_view text, std::optional<auth_key>& out) {
  std::optional<std::string_view> key_line;
  while (!text.empty()) {
    const auto nl = text.find('\n');
    std::string_view line = trim(text.substr(0, nl));
    text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
    if (line.empty() || line.front() == '#') continue;
    if (key_line) return errc::invalid_key;  // two keys: refuse to guess which one
    key_line = line;
  }
  if (!key_line) return errc::invalid_key;
  std::vector<std::uint8_t> bytes;
  if (!from_hex(*key_line, bytes) || bytes.size() != auth_key::size) {
    mbedtls_platform_zeroize(bytes.data(), bytes.size());
    return errc::invalid_key;
  }
  out = auth_key::from_bytes(bytes);
  mbedtls_platform_zeroize(bytes.data(), bytes.size());
  return {};
}

std::string format_key_file(const auth_key& key) { return to_hex(key.secret_bytes()) + "\n"; }

std::array<std::uint8_t, 16> encrypt_challenge(const auth_key& key,
                                               std::span<const std::uint8_t, 16> random) noexcept {
  std::array<std::uint8_t, 16> out{};
  aes128_ecb(key.secret_bytes(), random.data(), out.data());
  return out;
}

// ---------------------------------------------------------------- frames

frame make_bind_request(const auth_key& key, std::uint8_t auth_flag) {
  frame f{auth_cmd_bind, auth_flag};
  f.append(key.secret_bytes());
  return f;
}

frame make_challenge_request(std::uint8_t auth_flag, std::uint8_t crypt_flags) {
  if (crypt_flags == crypt_flags_none) return frame{auth_cmd_challenge, auth_flag};
  // GB-INIT requestAuthNumber with crypt flags: `82 00 02 01 00` (fact sheet §18).
  return frame{static_cast<std::uint8_t>(crypt_flags | auth_cmd_challenge), auth_flag, 0x02, 0x01, 0x00};
}

frame make_answer(const auth_key& key, std::span<const std::uint8_t, 16> random, std::uint8_t auth_flag,
                  std::uint8_t crypt_flags) {
  frame f{static_cast<std::uint8_t>(crypt_flags | auth_cmd_answer), auth_flag};
  f.append(encrypt_challenge(key, random));
  return f;
}

boost::system::error_code decode_auth_request(bytes_view in, auth_request& out) noexcept {
  if (in.size() < 2) return errc::malformed_value;
  const std::uint8_t command = in[0] & 0x0f;
  const std::uint8_t crypt = in[0] & 0xf0;
  std::size_t expected = 0;
  switch (command) {
    case auth_cmd_bind: expected = 18; break;
    case auth_cmd_challenge: expected = crypt ? 5 : 2; break;
    case auth_cmd_answer: expected = 18; break;
    default: return errc::malformed_value;
  }
  if (in.size() != expected) return errc::malformed_value;
  out.command = command;
  out.crypt_flags = crypt;
  out.auth_flag = in[1];
  out.payload = in.subspan(2);
  return {};
}

frame make_challenge_reply(std::span<const std::uint8_t, 16> random) {
  frame f{reply_marker, auth_cmd_challenge, status_success};
  f.append(random);
  return f;
}

bool answer_matches(const auth_key& key, std::span<const std::uint8_t, 16> random, bytes_view answer) noexcept {
  if (answer.size() != 16) return false;
  const auto expected = encrypt_challenge(key, random);
  std::uint8_t diff = 0;
  for (std::size_t i = 0; i < 16; ++i) diff |= static_cast<std::uint8_t>(expected[i] ^ answer[i]);
  return diff == 0;
}

// ---------------------------------------------------------------- state machine

const char* to_string(auth_state s) noexcept {
  switch (s) {
    case auth_state::idle: return "idle";
    case auth_state::awaiting_bind: return "awaiting_bind";
    case auth_state::awaiting_challenge: return "awaiting_challenge";
    case auth_state::awaiting_result: return "awaiting_result";
    case auth_state::authenticated: return "authenticated";
    case auth_state::failed: return "failed";
  }
  return "?";
}

authenticator::authenticator(const auth_key& key, auth_options options) noexcept
    : key_(key), options_(options) {}

auth_action authenticator::fail(boost::system::error_code ec, std::optional<std::uint8_t> status) {
  state_ = auth_state::failed;
  error_ = ec;
  band_status_ = status;
  auth_action a;
  a.what = auth_action::kind::done;
  a.ec = ec;
  return a;
}

auth_action authenticator::write(const frame& f, std::chrono::milliseconds timeout, auth_state next) {
  state_ = next;
  auth_action a;
  a.what = auth_action::kind::write;
  a.value = f;
  a.timeout = timeout;
  return a;
}

auth_action authenticator::start() {
  if (state_ != auth_state::idle) {
    auth_action a;
    a.what = auth_action::kind::done;
    a.ec = errc::invalid_argument;
    return a;
  }
  if (options_.bind_new_key) {
    // Bands with crypt flags only accept a key created by the vendor app;
    // GB never sends 01 to them (fact sheet §18).
    if (options_.crypt_flags != crypt_flags_none) return fail(errc::bind_not_supported);
    return write(make_bind_request(key_, options_.auth_flag), options_.bind_timeout, auth_state::awaiting_bind);
  }
  return write(make_challenge_request(options_.auth_flag, options_.crypt_flags), options_.reply_timeout,
               auth_state::awaiting_challenge);
}

auth_action authenticator::on_notification(bytes_view value) {
  std::uint8_t expected = 0;
  switch (state_) {
    case auth_state::awaiting_bind: expected = auth_cmd_bind; break;
    case auth_state::awaiting_challenge: expected = auth_cmd_challenge; break;
    case auth_state::awaiting_result: expected = auth_cmd_answer; break;
    default: return {};  // idle or finished: nothing is awaited
  }
  reply r;
  if (decode_reply(value, r)) return fail(errc::malformed_reply);
  // With crypt flags the band may echo 0x82/0x83; GB compares value[1] & 0x0f
  // (fact sheet §4.1, §18). MB2 echoes the plain command, so match exactly.
  const std::uint8_t command = options_.crypt_flags != crypt_flags_none ? (r.command & 0x0f) : r.command;
  if (command != expected) return fail(errc::unexpected_auth_step);

  switch (state_) {
    case auth_state::awaiting_bind:
      if (!r.ok()) return fail(errc::bind_refused, r.status);  // `10 01 04` (§4.1)
      if (!r.payload.empty()) return fail(errc::malformed_reply);
      return write(make_challenge_request(options_.auth_flag, options_.crypt_flags), options_.reply_timeout,
                   auth_state::awaiting_challenge);
    case auth_state::awaiting_challenge: {
      if (!r.ok() && can_fall_back()) return fall_back();  // `10 82 04`: try `02 <flag>` (§22.16)
      if (!r.ok()) return fail(errc::challenge_refused, r.status);  // `10 02 04` (§4.1)
      if (r.payload.size() != 16) return fail(errc::malformed_reply);  // `10 02 01 <16 random>` = 19 B
      std::array<std::uint8_t, 16> random;
      for (std::size_t i = 0; i < 16; ++i) random[i] = r.payload[i];
      return write(make_answer(key_, random, options_.auth_flag, options_.crypt_flags), options_.reply_timeout,
                   auth_state::awaiting_result);
    }
    case auth_state::awaiting_result: {
      // `10 03 04` = wrong key (§4.1). Report it and stop: never fall back
      // to binding (see the design note in auth.hpp).
      if (!r.ok()) return fail(errc::key_rejected, r.status);
      if (!r.payload.empty()) return fail(errc::malformed_reply);
      state_ = auth_state::authenticated;
      auth_action a;
      a.what = auth_action::kind::done;
      return a;
    }
    default: return {};
  }
}

bool authenticator::can_fall_back() const noexcept {
  return options_.plain_fallback && !fell_back_ && options_.crypt_flags != crypt_flags_none;
}

auth_action authenticator::fall_back() {
  fell_back_ = true;
  options_.crypt_flags = crypt_flags_none;
  return write(make_challenge_request(options_.auth_flag, crypt_flags_none), options_.reply_timeout,
               auth_state::awaiting_challenge);
}

auth_action authenticator::on_timeout() {
  switch (state_) {
    case auth_state::awaiting_bind: return fail(errc::bind_timed_out);
    case auth_state::awaiting_challenge:
      if (can_fall_back()) return fall_back();  // no answer to `82 …`: try `02 <flag>` (§22.16)
      return fail(errc::no_answer);
    case auth_state::awaiting_result: return fail(errc::no_answer);
    default: return {};
  }
}

}  // namespace bandwire::miband
