#include "tests/support/json.hpp"  // first: the header is self-contained

#include <doctest/doctest.h>

namespace json = bandwire::test::json;

TEST_CASE("json: scalars, arrays, objects and accessors") {
  const auto v = json::parse(R"( {"a": [1, -2.5e1, true, false, null], "s": "x\"\\\/\n\u00e9\ud83d\ude00", "o": {}} )");
  REQUIRE(v.is_object());
  CHECK(v.size() == 3);
  const auto& a = v.at("a");
  CHECK(a.size() == 5);
  CHECK(a[0].num() == 1);
  CHECK(a[1].num() == -25);
  CHECK(a[2].boolean());
  CHECK_FALSE(a[3].boolean());
  CHECK(a[4].is_null());
  CHECK(v.at("s").str() == "x\"\\/\n\xc3\xa9\xf0\x9f\x98\x80");
  CHECK(v.at("o").is_object());
  CHECK(v.at("o").size() == 0);
  CHECK(v.find("missing") == nullptr);
  CHECK(v.contains("s"));
  CHECK(v.members()[1].key == "s");
  CHECK_THROWS_AS(v.at("missing"), json::type_error);
  CHECK_THROWS_AS(a[5], json::type_error);
  CHECK_THROWS_AS(a[0].str(), json::type_error);
  CHECK(json::parse("[]").elements().empty());
  CHECK(json::parse("0").num() == 0);
}

TEST_CASE("json: malformed input throws parse_error") {
  const char* bad[] = {"",        "{",          "[1,]",      "{\"a\" 1}",  "01",     "1.",     "-",
                       "tru",     "\"abc",      "\"\\x\"",   "\"\\ud800\"", "[1] 2", "{\"a\":}", "\"\x01\"",
                       "1e",      "{1: 2}",     "[1 2]"};
  for (const char* s : bad) {
    CAPTURE(s);
    CHECK_THROWS_AS(json::parse(s), json::parse_error);
  }
}

TEST_CASE("json: nesting is bounded") {
  std::string deep(100, '[');
  deep += std::string(100, ']');
  CHECK_THROWS_AS(json::parse(deep), json::parse_error);
  CHECK_NOTHROW(json::parse(deep, 200));
}
