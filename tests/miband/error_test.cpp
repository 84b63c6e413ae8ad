#include "miband/error.hpp"  // first: the header is self-contained

#include <doctest/doctest.h>

#include <set>
#include <string>

#include "att/error.hpp"

using namespace bandwire::miband;

TEST_CASE("miband::errc: stable category name and a distinct message for every value") {
  const errc all[] = {errc::key_rejected,      errc::bind_refused,        errc::bind_timed_out,
                      errc::challenge_refused, errc::no_answer,           errc::malformed_reply,
                      errc::unexpected_auth_step, errc::bind_not_supported, errc::invalid_key,
                      errc::malformed_value,   errc::unknown_packet_type, errc::command_failed,
                      errc::unexpected_reply,  errc::measurement_failed,  errc::invalid_argument,
                      errc::no_key,            errc::key_already_stored,  errc::state_error,
                      errc::transport_failed,  errc::heart_rate_service_missing, errc::miband_service_missing,
                      errc::auth_service_missing, errc::raw_sensor_missing, errc::alert_service_missing,
                      errc::device_information_missing, errc::key_file_exposed};
  std::set<std::string> messages;
  int expected_value = 1;
  for (errc e : all) {
    boost::system::error_code ec = e;  // implicit: is_error_code_enum
    CHECK(ec.value() == expected_value++);  // values are dense from 1, so the list is complete
    CHECK(std::string(ec.category().name()) == "bandwire.miband");
    CHECK(ec.message() != "unknown Mi Band error");
    messages.insert(ec.message());
    CHECK(ec);  // every enumerator is a failure
  }
  CHECK(messages.size() == std::size(all));
  CHECK(make_error_code(static_cast<errc>(999)).message() == "unknown Mi Band error");
}

TEST_CASE("miband::errc is never confused with ATT errors") {
  boost::system::error_code mine = errc::key_rejected;
  CHECK(mine != bandwire::att::make_peer_error(1));
  CHECK_FALSE(bandwire::att::is_peer_error(mine));
  CHECK(mine == errc::key_rejected);
  CHECK(mine != errc::bind_refused);
}
