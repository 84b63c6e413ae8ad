#include "hci/error.hpp"  // first: the header is self-contained

#include <doctest/doctest.h>

#include <set>
#include <string>

using namespace bandwire::hci;

TEST_CASE("hci::errc category: stable name and a distinct message for every value") {
  const auto& cat = errc_category();
  CHECK(std::string(cat.name()) == "bandwire.hci");
  std::set<std::string> messages;
  for (int v = static_cast<int>(errc::not_btsnoop); v <= static_cast<int>(errc::pdu_too_long); ++v) {
    const boost::system::error_code ec = static_cast<errc>(v);
    CAPTURE(v);
    CHECK(&ec.category() == &cat);
    CHECK(ec.value() == v);
    CHECK(ec.message() != "unknown HCI error");
    CHECK(messages.insert(ec.message()).second);
  }
  CHECK(messages.size() == 8);
  CHECK(cat.message(0) == "unknown HCI error");
  CHECK(cat.message(999) == "unknown HCI error");
  // The enum converts implicitly, so comparisons read naturally.
  boost::system::error_code ec = errc::truncated_record;
  CHECK(ec == errc::truncated_record);
  CHECK(ec != errc::not_btsnoop);
}
