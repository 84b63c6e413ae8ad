// Error codes of the activity history fetch (category "bandwire.miband.history",
// fact sheet §14).
//
// Kept apart from miband::errc because a fetch has failure modes no other
// command has: a broken packet sequence on the data characteristic, a
// round that makes no progress. Like miband::errc these are local
// conditions; an ATT Error Response stays in att::error_category().
#pragma once

#include <type_traits>

#include <boost/system/error_code.hpp>

namespace bandwire::miband {

enum class history_errc {
  fetch_refused = 1,   ///< `10 01 xx`, xx != 01: the band will not start a fetch (§14.1)
  transfer_failed,     ///< `10 02 xx`, xx != 01 (SAT: `10 02 04`, "no more fetch possible")
  malformed_reply,     ///< a notification on the control characteristic that does not decode
  bad_start_date,      ///< the start date the band returned is not a real date
  bad_packet_length,   ///< a data packet whose length is not 1 + 4·N (§14.2)
  packet_gap,          ///< a data packet counter skipped ahead (packets lost)
  packet_repeated,     ///< a data packet counter repeated the previous one
  unexpected_data,     ///< a data packet before the transfer was started with `02`
  no_answer,           ///< the band did not reply or stopped sending within the deadline
  count_mismatch,      ///< records received differ from the announced count (a warning, §22.9)
  no_progress,         ///< the next round would not start after the previous one
  retries_exhausted,   ///< a round failed more times in a row than allowed
  commit_failed,       ///< the caller could not store a round durably; nothing was acknowledged
  ack_refused,         ///< `10 03 xx`, xx != 01: the band did not take the acknowledgement (a warning)
  invalid_argument,    ///< a call that is not valid in the machine's state
};

const boost::system::error_category& history_category() noexcept;

inline boost::system::error_code make_error_code(history_errc e) noexcept {
  return {static_cast<int>(e), history_category()};
}

}  // namespace bandwire::miband

namespace boost::system {
template <> struct is_error_code_enum<bandwire::miband::history_errc> : std::true_type {};
}  // namespace boost::system
