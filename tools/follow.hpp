// The live part of `heart --continuous`, `steps --follow` and `events`: the
// feed set up on the connected session by a record::supervisor, which
// reconnects a lost link with the back-off `stream` uses (re-authenticates,
// restores the subscription, prints a `gap`), unless --no-reconnect.
#pragma once

#include "record/supervisor.hpp"
#include "tools/band_session.hpp"

namespace bandwire::tools {

class option_set;

/// Declares --no-reconnect for a following command.
void declare_reconnect_option(option_set& o);

/// Follows the feeds `o` asks for (printing each record as the command's
/// own output does) until Ctrl-C, SIGTERM or `duration` (0: no limit).
/// A lost link is reconnected unless the command line has --no-reconnect;
/// then the link's loss fails the command (exit 1, "<what> failed: ...").
asio::awaitable<int> follow_feeds(band_session& s, record::supervisor_options o, const char* what, double duration);

}  // namespace bandwire::tools
