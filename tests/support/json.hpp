// A small JSON reader for test vectors (test-only). Recursive descent with a
// depth limit; throws std::runtime_error on malformed input.
#pragma once

#include <cstdlib>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace bandwire::test {

class json {
 public:
  enum class kind { null, boolean, number, string, array, object };

  static json parse(const std::string& text) {
    std::size_t i = 0;
    json v = parse_value(text, i, 0);
    skip_ws(text, i);
    if (i != text.size()) throw std::runtime_error("json: trailing data");
    return v;
  }
  static json parse_file(const std::string& path) {
    std::ifstream f(path);
    if (!f) throw std::runtime_error("json: cannot open " + path);
    std::stringstream ss;
    ss << f.rdbuf();
    return parse(ss.str());
  }

  kind type() const { return k_; }
  bool is_null() const { return k_ == kind::null; }
  bool has(const std::string& key) const { return k_ == kind::object && obj_->count(key); }
  const json& at(const std::string& key) const {
    if (!has(key)) throw std::runtime_error("json: no key " + key);
    return obj_->at(key);
  }
  const json& operator[](std::size_t i) const {
    if (k_ != kind::array || i >= arr_->size()) throw std::runtime_error("json: bad index");
    return (*arr_)[i];
  }
  std::size_t size() const {
    return k_ == kind::array ? arr_->size() : k_ == kind::object ? obj_->size() : 0;
  }
  const std::string& str() const {
    if (k_ != kind::string) throw std::runtime_error("json: not a string");
    return s_;
  }
  double num() const {
    if (k_ != kind::number) throw std::runtime_error("json: not a number");
    return n_;
  }
  bool boolean() const {
    if (k_ != kind::boolean) throw std::runtime_error("json: not a boolean");
    return b_;
  }
  const std::map<std::string, json>& items() const { return *obj_; }
  const std::vector<json>& elements() const { return *arr_; }

 private:
  static void skip_ws(const std::string& t, std::size_t& i) {
    while (i < t.size() && (t[i] == ' ' || t[i] == '\n' || t[i] == '\r' || t[i] == '\t')) ++i;
  }
  static json parse_value(const std::string& t, std::size_t& i, int depth) {
    if (depth > 64) throw std::runtime_error("json: too deep");
    skip_ws(t, i);
    if (i >= t.size()) throw std::runtime_error("json: unexpected end");
    json v;
    const char c = t[i];
    if (c == '{') {
      v.k_ = kind::object;
      v.obj_ = std::make_shared<std::map<std::string, json>>();
      ++i;
      skip_ws(t, i);
      if (i < t.size() && t[i] == '}') return ++i, v;
      for (;;) {
        skip_ws(t, i);
        json key = parse_value(t, i, depth + 1);
        if (key.k_ != kind::string) throw std::runtime_error("json: key not a string");
        skip_ws(t, i);
        if (i >= t.size() || t[i] != ':') throw std::runtime_error("json: expected ':'");
        ++i;
        (*v.obj_)[key.s_] = parse_value(t, i, depth + 1);
        skip_ws(t, i);
        if (i < t.size() && t[i] == ',') { ++i; continue; }
        if (i < t.size() && t[i] == '}') return ++i, v;
        throw std::runtime_error("json: expected ',' or '}'");
      }
    }
    if (c == '[') {
      v.k_ = kind::array;
      v.arr_ = std::make_shared<std::vector<json>>();
      ++i;
      skip_ws(t, i);
      if (i < t.size() && t[i] == ']') return ++i, v;
      for (;;) {
        v.arr_->push_back(parse_value(t, i, depth + 1));
        skip_ws(t, i);
        if (i < t.size() && t[i] == ',') { ++i; continue; }
        if (i < t.size() && t[i] == ']') return ++i, v;
        throw std::runtime_error("json: expected ',' or ']'");
      }
    }
    if (c == '"') {
      v.k_ = kind::string;
      ++i;
      while (i < t.size() && t[i] != '"') {
        if (t[i] == '\\') {
          if (++i >= t.size()) break;
          switch (t[i]) {
            case 'n': v.s_ += '\n'; break;
            case 't': v.s_ += '\t'; break;
            case 'r': v.s_ += '\r'; break;
            case 'b': v.s_ += '\b'; break;
            case 'f': v.s_ += '\f'; break;
            case 'u': {
              if (i + 4 >= t.size()) throw std::runtime_error("json: bad \\u");
              unsigned cp = static_cast<unsigned>(std::strtoul(t.substr(i + 1, 4).c_str(), nullptr, 16));
              i += 4;
              if (cp < 0x80) v.s_ += static_cast<char>(cp);
              else if (cp < 0x800) v.s_ += static_cast<char>(0xc0 | (cp >> 6)), v.s_ += static_cast<char>(0x80 | (cp & 0x3f));
              else v.s_ += static_cast<char>(0xe0 | (cp >> 12)), v.s_ += static_cast<char>(0x80 | ((cp >> 6) & 0x3f)),
                   v.s_ += static_cast<char>(0x80 | (cp & 0x3f));
              break;
            }
            default: v.s_ += t[i];
          }
          ++i;
        } else {
          v.s_ += t[i++];
        }
      }
      if (i >= t.size()) throw std::runtime_error("json: unterminated string");
      ++i;
      return v;
    }
    if (t.compare(i, 4, "true") == 0) return i += 4, v.k_ = kind::boolean, v.b_ = true, v;
    if (t.compare(i, 5, "false") == 0) return i += 5, v.k_ = kind::boolean, v.b_ = false, v;
    if (t.compare(i, 4, "null") == 0) return i += 4, v;
    char* end = nullptr;
    v.n_ = std::strtod(t.c_str() + i, &end);
    if (end == t.c_str() + i) throw std::runtime_error("json: unexpected character");
    v.k_ = kind::number;
    i = static_cast<std::size_t>(end - t.c_str());
    return v;
  }

  kind k_ = kind::null;
  bool b_ = false;
  double n_ = 0;
  std::string s_;
  std::shared_ptr<std::vector<json>> arr_;
  std::shared_ptr<std::map<std::string, json>> obj_;
};

/// The ../shared folder, or "" when absent (tests then skip with a message).
inline std::string shared_dir() {
  const char* env = std::getenv("BANDWIRE_SHARED");
  std::string d = env ? env : "../shared";
  std::ifstream probe(d + "/README.md");
  return probe ? d : std::string();
}

}  // namespace bandwire::test
