#include "tools/follow.hpp"

#include <cstdio>
#include <optional>

#include "tools/clocks.hpp"
#include "tools/commands.hpp"
#include "tools/option_set.hpp"
#include "tools/output.hpp"
#include "tools/wait.hpp"

namespace bandwire::tools {

namespace {

void print_gap(double seconds, bool json) {
  if (json)
    emit(json_object().add("kind", "gap").add("time", now_wall()).add("missing", 0).add("seconds", seconds).str());
  else
    std::fprintf(stderr, "bandwire: resumed after %.1f s without data\n", seconds);
}

void print_feed(const record::feed_event& f, bool json) {
  using k = record::feed_event::kind;
  switch (f.what) {
    case k::stream:
      if (f.stream->what == miband::stream_event::kind::heart_rate) print_heart_rate(*f.stream->hr, json);
      if (f.stream->what == miband::stream_event::kind::stall) print_heart_rate_stall(f.stream->stall_seconds, json);
      break;
    case k::steps: print_steps(*f.steps, json); break;
    case k::device_event: print_event(*f.event, json); break;
    case k::gap: print_gap(f.gap_seconds, json); break;
    default: break;
  }
}

}  // namespace

void declare_reconnect_option(option_set& o) {
  o.flag("--no-reconnect", "exit when the link is lost instead of reconnecting\n"
                           "(re-authenticating and restoring the subscription, with a\n"
                           "`gap` line for the outage)");
}

asio::awaitable<int> follow_feeds(band_session& s, record::supervisor_options o, const char* what, double duration) {
  o.reconnect = s.session->options().reconnect;
  o.reconnect.enabled = !s.a.has("--no-reconnect");
  o.set_time = false;
  std::optional<error_code> gave_up;
  stop_wait until(s.io, duration);
  record::supervisor sup(s.io, s.clock, *s.session, o, [&s](const record::feed_event& f) { print_feed(f, s.json); });
  sup.on_gave_up = [&](error_code ec) {
    gave_up = ec;
    until.stop();
  };
  record::link_state last = record::link_state::idle;
  sup.on_state_change = [&] {
    const auto st = sup.status();
    if (st.state == record::link_state::reconnecting && last != record::link_state::reconnecting)
      std::fprintf(stderr, "bandwire: %s; reconnecting in %.1f s\n", st.last_error.c_str(), st.reconnect_in);
    last = st.state;
  };
  sup.adopt();
  co_await until.wait();
  if (gave_up) co_return s.fail(what, *gave_up);
  error_code ec;
  co_await sup.async_stop(asio::redirect_error(asio::use_awaitable, ec));
  if (ec) co_return s.fail(std::string("stopping ") + what, ec);
  co_return exit_ok;
}

}  // namespace bandwire::tools
