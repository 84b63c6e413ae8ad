// A small JSON reader for the test vectors (RFC 8259). Test-only, header-only,
// no dependency. Recursive descent with a depth bound, so a hostile file
// cannot exhaust the stack; every malformed input throws json::parse_error
// with the byte offset. Accessors throw json::type_error on a kind mismatch
// or a missing key, which doctest reports as a failed test.
//
//   auto doc = bandwire::test::json::load_file(path);
//   for (const auto& t : doc.at("tests").elements())
//     std::string name = t.at("name").str();
#pragma once

#include <charconv>
#include <cstdint>
#include <fstream>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace bandwire::test::json {

struct parse_error : std::runtime_error {
  parse_error(const std::string& what, std::size_t offset)
      : std::runtime_error("json: " + what + " at offset " + std::to_string(offset)), offset(offset) {}
  std::size_t offset;
};
struct type_error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

enum class kind { null, boolean, number, string, array, object };

class value {
 public:
  struct member;

  value() = default;
  static value make_bool(bool b) {
    value v;
    v.kind_ = kind::boolean;
    v.bool_ = b;
    return v;
  }
  static value make_number(double d) {
    value v;
    v.kind_ = kind::number;
    v.num_ = d;
    return v;
  }
  static value make_string(std::string s) {
    value v;
    v.kind_ = kind::string;
    v.str_ = std::move(s);
    return v;
  }
  static value make_array(std::vector<value> a) {
    value v;
    v.kind_ = kind::array;
    v.arr_ = std::move(a);
    return v;
  }
  static value make_object(std::vector<member> o);

  kind type() const noexcept { return kind_; }
  bool is_null() const noexcept { return kind_ == kind::null; }
  bool is_bool() const noexcept { return kind_ == kind::boolean; }
  bool is_number() const noexcept { return kind_ == kind::number; }
  bool is_string() const noexcept { return kind_ == kind::string; }
  bool is_array() const noexcept { return kind_ == kind::array; }
  bool is_object() const noexcept { return kind_ == kind::object; }

  bool boolean() const { return expect(kind::boolean).bool_; }
  double num() const { return expect(kind::number).num_; }
  const std::string& str() const { return expect(kind::string).str_; }

  /// Elements of an array, members of an object; 0 for scalars.
  std::size_t size() const noexcept;
  const value& operator[](std::size_t i) const {
    const auto& a = expect(kind::array).arr_;
    if (i >= a.size()) throw type_error("json: index " + std::to_string(i) + " out of range");
    return a[i];
  }
  const std::vector<value>& elements() const { return expect(kind::array).arr_; }
  const std::vector<member>& members() const;
  /// The member's value; throws type_error when absent.
  const value& at(std::string_view key) const;
  /// The member's value, or nullptr when absent (or not an object).
  const value* find(std::string_view key) const noexcept;
  bool contains(std::string_view key) const noexcept { return find(key) != nullptr; }

 private:
  const value& expect(kind k) const {
    static constexpr const char* names[] = {"null", "boolean", "number", "string", "array", "object"};
    if (kind_ != k)
      throw type_error(std::string("json: expected ") + names[static_cast<int>(k)] + ", found " +
                       names[static_cast<int>(kind_)]);
    return *this;
  }

  kind kind_ = kind::null;
  bool bool_ = false;
  double num_ = 0;
  std::string str_;
  std::vector<value> arr_;
  std::shared_ptr<const std::vector<member>> obj_;  // member is incomplete here
};

struct value::member {
  std::string key;
  value val;
};

inline value value::make_object(std::vector<member> o) {
  value v;
  v.kind_ = kind::object;
  v.obj_ = std::make_shared<const std::vector<member>>(std::move(o));
  return v;
}

inline std::size_t value::size() const noexcept {
  if (kind_ == kind::array) return arr_.size();
  if (kind_ == kind::object) return obj_->size();
  return 0;
}

inline const std::vector<value::member>& value::members() const { return *expect(kind::object).obj_; }

inline const value* value::find(std::string_view key) const noexcept {
  if (kind_ != kind::object) return nullptr;
  for (const auto& m : *obj_)
    if (m.key == key) return &m.val;
  return nullptr;
}

inline const value& value::at(std::string_view key) const {
  for (const auto& m : members())
    if (m.key == key) return m.val;
  throw type_error("json: no member \"" + std::string(key) + "\"");
}

namespace detail {

class parser {
 public:
  parser(std::string_view text, std::size_t max_depth) : s_(text), max_depth_(max_depth) {}

  value document() {
    value v = parse_value(0);
    skip_ws();
    if (i_ != s_.size()) fail("trailing characters");
    return v;
  }

 private:
  [[noreturn]] void fail(const std::string& what) const { throw parse_error(what, i_); }

  void skip_ws() {
    while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\t' || s_[i_] == '\n' || s_[i_] == '\r')) ++i_;
  }
  bool eat(char c) {
    skip_ws();
    if (i_ < s_.size() && s_[i_] == c) {
      ++i_;
      return true;
    }
    return false;
  }
  void literal(std::string_view word) {
    if (s_.substr(i_, word.size()) != word) fail("invalid literal");
    i_ += word.size();
  }

  value parse_value(std::size_t depth) {
    if (depth > max_depth_) fail("nesting deeper than " + std::to_string(max_depth_));
    skip_ws();
    if (i_ >= s_.size()) fail("unexpected end of input");
    switch (s_[i_]) {
      case '{': return parse_object(depth);
      case '[': return parse_array(depth);
      case '"': return value::make_string(parse_string());
      case 't': literal("true"); return value::make_bool(true);
      case 'f': literal("false"); return value::make_bool(false);
      case 'n': literal("null"); return value{};
      default: return parse_number();
    }
  }

  value parse_object(std::size_t depth) {
    ++i_;  // '{'
    std::vector<value::member> members;
    if (eat('}')) return value::make_object(std::move(members));
    do {
      skip_ws();
      if (i_ >= s_.size() || s_[i_] != '"') fail("expected a member name");
      std::string key = parse_string();
      if (!eat(':')) fail("expected ':'");
      members.push_back({std::move(key), parse_value(depth + 1)});
    } while (eat(','));
    if (!eat('}')) fail("expected ',' or '}'");
    return value::make_object(std::move(members));
  }

  value parse_array(std::size_t depth) {
    ++i_;  // '['
    std::vector<value> elements;
    if (eat(']')) return value::make_array(std::move(elements));
    do elements.push_back(parse_value(depth + 1));
    while (eat(','));
    if (!eat(']')) fail("expected ',' or ']'");
    return value::make_array(std::move(elements));
  }

  unsigned hex4() {
    if (s_.size() - i_ < 4) fail("short \\u escape");
    unsigned v = 0;
    for (int k = 0; k < 4; ++k) {
      const char c = s_[i_++];
      v <<= 4;
      if (c >= '0' && c <= '9')
        v |= static_cast<unsigned>(c - '0');
      else if (c >= 'a' && c <= 'f')
        v |= static_cast<unsigned>(c - 'a' + 10);
      else if (c >= 'A' && c <= 'F')
        v |= static_cast<unsigned>(c - 'A' + 10);
      else
        fail("bad hex digit in \\u escape");
    }
    return v;
  }

  static void put_utf8(std::string& out, unsigned cp) {
    if (cp < 0x80) {
      out += static_cast<char>(cp);
    } else if (cp < 0x800) {
      out += static_cast<char>(0xc0 | (cp >> 6));
      out += static_cast<char>(0x80 | (cp & 0x3f));
    } else if (cp < 0x10000) {
      out += static_cast<char>(0xe0 | (cp >> 12));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
      out += static_cast<char>(0x80 | (cp & 0x3f));
    } else {
      out += static_cast<char>(0xf0 | (cp >> 18));
      out += static_cast<char>(0x80 | ((cp >> 12) & 0x3f));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
      out += static_cast<char>(0x80 | (cp & 0x3f));
    }
  }

  std::string parse_string() {
    ++i_;  // opening quote
    std::string out;
    for (;;) {
      if (i_ >= s_.size()) fail("unterminated string");
      const char c = s_[i_++];
      if (c == '"') return out;
      if (static_cast<unsigned char>(c) < 0x20) fail("control character in string");
      if (c != '\\') {
        out += c;
        continue;
      }
      if (i_ >= s_.size()) fail("unterminated escape");
      switch (const char e = s_[i_++]) {
        case '"': out += '"'; break;
        case '\\': out += '\\'; break;
        case '/': out += '/'; break;
        case 'b': out += '\b'; break;
        case 'f': out += '\f'; break;
        case 'n': out += '\n'; break;
        case 'r': out += '\r'; break;
        case 't': out += '\t'; break;
        case 'u': {
          unsigned cp = hex4();
          if (cp >= 0xd800 && cp < 0xdc00) {  // high surrogate: a low one must follow
            if (s_.substr(i_, 2) != "\\u") fail("lone surrogate");
            i_ += 2;
            const unsigned lo = hex4();
            if (lo < 0xdc00 || lo >= 0xe000) fail("bad low surrogate");
            cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
          } else if (cp >= 0xdc00 && cp < 0xe000) {
            fail("lone surrogate");
          }
          put_utf8(out, cp);
          break;
        }
        default: (void)e; fail("unknown escape");
      }
    }
  }

  value parse_number() {
    // -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?
    const std::size_t start = i_;
    auto digits = [&] {
      const std::size_t d = i_;
      while (i_ < s_.size() && s_[i_] >= '0' && s_[i_] <= '9') ++i_;
      return i_ - d;
    };
    if (i_ < s_.size() && s_[i_] == '-') ++i_;
    if (i_ < s_.size() && s_[i_] == '0')
      ++i_;
    else if (digits() == 0)
      fail("invalid value");
    if (i_ < s_.size() && s_[i_] == '.') {
      ++i_;
      if (digits() == 0) fail("digits expected after '.'");
    }
    if (i_ < s_.size() && (s_[i_] == 'e' || s_[i_] == 'E')) {
      ++i_;
      if (i_ < s_.size() && (s_[i_] == '+' || s_[i_] == '-')) ++i_;
      if (digits() == 0) fail("digits expected in exponent");
    }
    double d = 0;
    const auto r = std::from_chars(s_.data() + start, s_.data() + i_, d);
    if (r.ec != std::errc{}) fail("number out of range");
    return value::make_number(d);
  }

  std::string_view s_;
  std::size_t i_ = 0;
  std::size_t max_depth_;
};

}  // namespace detail

/// Parses a whole document. Throws parse_error.
inline value parse(std::string_view text, std::size_t max_depth = 64) {
  return detail::parser(text, max_depth).document();
}

/// Reads and parses a file. Throws std::runtime_error when it cannot be read.
inline value load_file(const std::string& path, std::size_t max_depth = 64) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw std::runtime_error("json: cannot open " + path);
  std::ostringstream ss;
  ss << f.rdbuf();
  return parse(ss.str(), max_depth);
}

}  // namespace bandwire::test::json
