// Number and byte formatting appended to a std::string, with std::to_chars:
// no locale, no printf parsing, no temporary strings. The output is the
// printf one (to_chars is specified "as if by printf in the C locale"), so
// code that moves here from snprintf prints the same bytes.
#pragma once

#include <charconv>
#include <cstddef>
#include <cstdint>
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

/// printf "%.<precision>f".
inline void append_fixed(std::string& s, double v, int precision) {
  char b[64];
  const auto r = std::to_chars(b, b + sizeof b, v, std::chars_format::fixed, precision);
  if (r.ec == std::errc()) s.append(b, r.ptr);
  else s.append("inf");  // |v| beyond 1e40: printf would print all digits; no caller gets here
}

/// printf "%<width>.<precision>f": right-aligned in `width` columns.
inline void append_fixed(std::string& s, double v, int precision, std::size_t width) {
  char b[64];
  const auto r = std::to_chars(b, b + sizeof b, v, std::chars_format::fixed, precision);
  const std::size_t n = r.ec == std::errc() ? static_cast<std::size_t>(r.ptr - b) : 0;
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
