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

// Two decimal digits per table lookup: "00" … "99".
inline constexpr char digit_pairs[] =
    "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
    "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
    "8081828384858687888990919293949596979899";

// The decimal digits of v at o (no sign, no leading zeros); past the last.
// std::to_chars's bytes, a little faster for the short numbers records hold.
inline char* write_u32(char* o, std::uint32_t v) {
  const int n = v < 10 ? 1 : v < 100 ? 2 : v < 1000 ? 3 : v < 10000 ? 4 : v < 100000 ? 5 : v < 1000000 ? 6
              : v < 10000000 ? 7 : v < 100000000 ? 8 : v < 1000000000 ? 9 : 10;
  char* e = o + n;
  char* p = e;
  while (v >= 100) {
    const std::uint32_t r = v % 100;
    v /= 100;
    p -= 2;
    std::memcpy(p, digit_pairs + 2 * r, 2);
  }
  if (v >= 10) {
    p -= 2;
    std::memcpy(p, digit_pairs + 2 * v, 2);
  } else {
    *--p = static_cast<char>('0' + v);
  }
  return e;
}

// Exactly `Digits` decimal digits of v < 10^Digits, zero-padded, at o.
template <int Digits> inline void write_padded(char* o, std::uint32_t v) {
  int i = Digits;
  for (; i >= 2; i -= 2) {
    const std::uint32_t r = v % 100;
    v /= 100;
    std::memcpy(o + i - 2, digit_pairs + 2 * r, 2);
  }
  if (i == 1) o[0] = static_cast<char>('0' + v % 10);
}

// v rounded to Precision decimals by integer arithmetic, with 128-bit
// integers (64-bit targets): exact for finite values below 2^52, the decimal
// nearest the double's exact binary value, ties to even, as glibc's printf
// and std::to_chars. The precision is a constant, so the divisions by
// 10^Precision are multiplications (a 64-bit divide costs up to 90 cycles,
// and `bandwire stream` formats ~11 such numbers per packet). False where
// it does not apply (the caller falls back to to_chars).
struct fixed_parts {
  bool negative = false;
  std::uint64_t whole = 0;  ///< the part before the point
  std::uint32_t frac = 0;   ///< the Precision digits after it
};
template <int Precision> inline bool split_fixed(double v, fixed_parts& out) {
#ifdef __SIZEOF_INT128__
  static_assert(Precision >= 0 && Precision <= 6);
  constexpr std::uint32_t scale = [] {
    std::uint32_t s = 1;
    for (int i = 0; i < Precision; ++i) s *= 10;
    return s;
  }();
  std::uint64_t bits;
  std::memcpy(&bits, &v, sizeof bits);
  const int biased = static_cast<int>((bits >> 52) & 0x7ff);
  if (biased >= 1075) return false;  // infinite, NaN or 2^52 and above
  const std::uint64_t fraction = bits & ((std::uint64_t{1} << 52) - 1);
  // v = m * 2^-shift exactly, m < 2^53.
  const std::uint64_t m = biased == 0 ? fraction : fraction | (std::uint64_t{1} << 52);
  const int shift = biased == 0 ? 1074 : 1075 - biased;
  const unsigned __int128 product = static_cast<unsigned __int128>(m) * scale;  // < 2^73
  unsigned __int128 q = 0;
  if (shift < 128) {
    q = product >> shift;
    const unsigned __int128 rest = product & ((static_cast<unsigned __int128>(1) << shift) - 1);
    const unsigned __int128 half = static_cast<unsigned __int128>(1) << (shift - 1);
    if (rest > half || (rest == half && (q & 1) != 0)) ++q;
  }  // else v * 10^precision < 2^-54: rounds to 0
  if (q > UINT64_MAX) return false;
  const auto scaled = static_cast<std::uint64_t>(q);
  out.negative = (bits >> 63) != 0;
  out.whole = scaled / scale;
  out.frac = static_cast<std::uint32_t>(scaled % scale);
  return true;
#else
  (void)v, (void)out;
  return false;
#endif
}

// The digits of a whole part (u64) at o; past the last.
inline char* write_u64(char* o, std::uint64_t v) {
  return v <= UINT32_MAX ? write_u32(o, static_cast<std::uint32_t>(v)) : std::to_chars(o, o + 20, v).ptr;
}

// "." and the Precision digits of p.frac at o; past the last.
template <int Precision> inline char* write_frac(char* o, const fixed_parts& p) {
  if constexpr (Precision > 0) {
    *o++ = '.';
    write_padded<Precision>(o, p.frac);
    o += Precision;
  }
  return o;
}

// printf "%.<Precision>f" into b (room for 64 chars) by split_fixed; the
// length, 0 where split_fixed does not apply.
template <int Precision> inline std::size_t format_fixed_exact(char* b, double v) {
  fixed_parts p;
  if (!split_fixed<Precision>(v, p)) return 0;
  char* o = b;
  if (p.negative) *o++ = '-';
  o = write_frac<Precision>(write_u64(o, p.whole), p);
  return static_cast<std::size_t>(o - b);
}

// printf "%.<precision>f" into b (room for 64 chars); the length. Values
// below 2^52 with at most 6 decimals by format_fixed_exact, four to five
// times faster than to_chars (bandwire stream writes 3 to 9 records per
// packet, `decode` 270,000 lines per 18 MB); anything else by to_chars.
inline std::size_t format_fixed(char* b, double v, int precision) {
  std::size_t n = 0;
  switch (precision) {
    case 0: n = format_fixed_exact<0>(b, v); break;
    case 1: n = format_fixed_exact<1>(b, v); break;
    case 2: n = format_fixed_exact<2>(b, v); break;
    case 3: n = format_fixed_exact<3>(b, v); break;
    case 4: n = format_fixed_exact<4>(b, v); break;
    case 5: n = format_fixed_exact<5>(b, v); break;
    case 6: n = format_fixed_exact<6>(b, v); break;
    default: break;
  }
  if (n) return n;
  const auto r = std::to_chars(b, b + 64, v, std::chars_format::fixed, precision);
  return r.ec == std::errc() ? static_cast<std::size_t>(r.ptr - b) : 0;
}

/// printf "%.<Precision>f" into b (room for 64 chars), the precision known
/// at compile time; the length.
template <int Precision> inline std::size_t format_fixed(char* b, double v) {
  if (const std::size_t n = format_fixed_exact<Precision>(b, v)) return n;
  const auto r = std::to_chars(b, b + 64, v, std::chars_format::fixed, Precision);
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
