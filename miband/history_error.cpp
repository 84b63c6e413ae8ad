#include "miband/history_error.hpp"

#include <string>

namespace bandwire::miband {

namespace {

class category final : public boost::system::error_category {
 public:
  const char* name() const noexcept override { return "bandwire.miband.history"; }
  std::string message(int ev) const override {
    switch (static_cast<history_errc>(ev)) {
      case history_errc::fetch_refused: return "Mi Band refused to start the history fetch";
      case history_errc::transfer_failed: return "Mi Band ended the history transfer with a failure";
      case history_errc::malformed_reply: return "malformed history fetch reply from the Mi Band";
      case history_errc::bad_start_date: return "Mi Band returned an invalid history start date";
      case history_errc::bad_packet_length: return "history data packet length is not 1 + 4*N bytes";
      case history_errc::packet_gap: return "history data packets were skipped (counter jumped)";
      case history_errc::packet_repeated: return "history data packet was repeated (same counter twice)";
      case history_errc::unexpected_data: return "history data arrived before the transfer was started";
      case history_errc::no_answer: return "Mi Band stopped answering during the history fetch";
      case history_errc::count_mismatch: return "history records received differ from the announced count";
      case history_errc::no_progress: return "history fetch made no progress (start date did not advance)";
      case history_errc::retries_exhausted: return "history round failed too many times in a row";
      case history_errc::commit_failed: return "history records could not be stored; nothing acknowledged";
      case history_errc::ack_refused: return "Mi Band refused the history acknowledgement";
      case history_errc::invalid_argument: return "invalid history fetch call";
    }
    return "unknown history fetch error";
  }
};

}  // namespace

const boost::system::error_category& history_category() noexcept {
  static const category c;
  return c;
}

}  // namespace bandwire::miband
