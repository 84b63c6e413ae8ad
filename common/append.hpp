// Number and byte formatting appended to a std::string, with std::to_chars:
// no locale, no printf parsing, no temporary strings. The output is the
// printf one (to_chars is specified "as if by printf in the C locale"), so
// code that moves here from snprintf prints the same bytes.
#pragma once

#include <charconv>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "common/bytes.hpp"

namespace bandwire {

/// printf "%d" / "%u" (and std::to_string) of any integer.
template <class Int> void append_decimal(std::string& s, Int v) {
  char b[24];
  const auto r = std::to_chars(b, b + sizeof b, v);
  s.append(b, r.ptr);
}

namespace detail {

// printf "%.<precision>f" into b (room for 64 chars); the length. Exact: the
// decimal nearest the double's exact binary value, ties to even, as glibc's
// printf and std::to_chars. With 128-bit integers (64-bit targets), values
// below 2^52 with at most 6 decimals are done by integer arithmetic, four
// to five times faster than to_chars (bandwire stream writes 3 to 9 records
// per packet, `decode` 270,000 lines per 18 MB); anything else by to_chars.
inline std::size_t format_fixed(char* b, double v, int precision) {
#ifdef __SIZEOF_INT128__
  static constexpr std::uint32_t pow10[] = {1, 10, 100, 1000, 10000, 100000, 1000000};
  std::uint64_t bits;
  std::memcpy(&bits, &v, sizeof bits);
  const int biased = static_cast<int>((bits >> 52) & 0x7ff);
  if (precision >= 0 && precision <= 6 && biased < 1075) {  // finite, below 2^52
    const bool negative = (bits >> 63) != 0;
    const std::uint64_t fraction = bits & ((std::uint64_t{1} << 52) - 1);
    // v = m * 2^-shift exactly, m < 2^53.
    const std::uint64_t m = biased == 0 ? fraction : fraction | (std::uint64_t{1} << 52);
    const int shift = biased == 0 ? 1074 : 1075 - biased;
    const std::uint32_t scale = pow10[precision];
    const unsigned __int128 product = static_cast<unsigned __int128>(m) * scale;  // < 2^73
    unsigned __int128 q = 0;
    if (shift < 128) {
      q = product >> shift;
      const unsigned __int128 rest = product & ((static_cast<unsigned __int128>(1) << shift) - 1);
      const unsigned __int128 half = static_cast<unsigned __int128>(1) << (shift - 1);
      if (rest > half || (rest == half && (q & 1) != 0)) ++q;
    }  // else v * 10^precision < 2^-54: rounds to 0
    if (q <= UINT64_MAX) {
      const auto whole = static_cast<std::uint64_t>(q);
      char* o = b;
      if (negative) *o++ = '-';
      o = std::to_chars(o, b + 64, whole / scale).ptr;
      if (precision > 0) {
        *o++ = '.';
        std::uint32_t frac = static_cast<std::uint32_t>(whole % scale);
        for (int i = precision - 1; i >= 0; --i) {
          o[i] = static_cast<char>('0' + frac % 10);
          frac /= 10;
        }
        o += precision;
      }
      return static_cast<std::size_t>(o - b);
    }
  }
#endif
  const auto r = std::to_chars(b, b + 64, v, std::chars_format::fixed, precision);
  return r.ec == std::errc() ? static_cast<std::size_t>(r.ptr - b) : 0;
}

}  // namespace detail

/// printf "%.<precision>f". (A value needing more than 64 characters, past
/// 1e40 or so, prints nothing: no caller comes near it.)
inline void append_fixed(std::string& s, double v, int precision) {
  char b[64];
  s.append(b, detail::format_fixed(b, v, precision));
}

/// printf "%<width>.<precision>f": right-aligned in `width` columns.
inline void append_fixed(std::string& s, double v, int precision, std::size_t width) {
  char b[64];
  const std::size_t n = detail::format_fixed(b, v, precision);
  if (n < width) s.append(width - n, ' ');
  s.append(b, n);
}

/// printf "%02x" of each byte: lowercase hex, no separators (as to_hex).
inline void append_hex(std::string& s, bytes_view v) {
  static constexpr char digits[] = "0123456789abcdef";
  const std::size_t at = s.size();
  s.resize(at + 2 * v.size());
  char* o = s.data() + at;
  for (std::uint8_t x : v) {
    *o++ = digits[x >> 4];
    *o++ = digits[x & 15];
  }
}

/// printf "0x%0<digits>x".
inline void append_hex_number(std::string& s, unsigned v, int digits) {
  static constexpr char hex[] = "0123456789abcdef";
  s += "0x";
  for (int i = digits - 1; i >= 0; --i) s.push_back(hex[(v >> (4 * i)) & 15]);
}

/// printf "%-<width>s": left-aligned, padded with spaces to `width`.
inline void append_padded(std::string& s, std::string_view text, std::size_t width) {
  s.append(text);
  if (text.size() < width) s.append(width - text.size(), ' ');
}

}  // namespace bandwire
