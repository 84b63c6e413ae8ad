// The Mi Band commands that act on the band: pair, alert, vibrate, events.
// Each is a short coroutine over miband::band (the readings are in
// status_commands.cpp and heart_command.cpp).
#include <cstdio>
#include <optional>
#include <string>

#include "tools/await.hpp"
#include "tools/band_session.hpp"
#include "tools/commands.hpp"
#include "tools/follow.hpp"
#include "tools/option_set.hpp"
#include "tools/output.hpp"
#include "tools/wait.hpp"

namespace bandwire::tools {

using namespace std::chrono_literals;

namespace {

std::optional<miband::alert_category> category_named(const std::string& c) {
  static const std::pair<const char*, miband::alert_category> cats[] = {
      {"simple", miband::alert_category::simple}, {"email", miband::alert_category::email},
      {"call", miband::alert_category::incoming_call}, {"missed-call", miband::alert_category::missed_call},
      {"sms", miband::alert_category::sms}, {"im", miband::alert_category::instant_message}};
  for (auto& [n, v] : cats)
    if (c == n) return v;
  return std::nullopt;
}

std::optional<miband::alert_level> level_named(const std::string& l) {
  if (l == "message") return miband::alert_level::message;
  if (l == "call") return miband::alert_level::phone_call;
  if (l == "vibrate") return miband::alert_level::vibrate_only;
  if (l == "stop") return miband::alert_level::none;
  return std::nullopt;
}

const char* category_name(miband::alert_category c) {
  switch (c) {
    case miband::alert_category::simple: return "simple";
    case miband::alert_category::email: return "email";
    case miband::alert_category::incoming_call: return "call";
    case miband::alert_category::missed_call: return "missed-call";
    case miband::alert_category::sms: return "sms";
    case miband::alert_category::instant_message: return "im";
    default: return "?";
  }
}

// What `alert`/`vibrate` will write, checked before connecting.
struct alert_plan {
  miband::alert_level level = miband::alert_level::message;
  std::optional<miband::new_alert> text;  ///< a New Alert instead of an Immediate Alert
  std::string text_storage;               ///< what text->text views
  bool split = false;                     ///< --split: the whole text, as several alerts
};

// Fills `p` from the options; a usage error, or "" when valid.
std::string make_alert_plan(const args& a, alert_plan& p) {
  p.split = a.has("--split");
  if (auto t = a.get("--text")) {
    auto category = category_named(a.get("--category").value_or("sms"));
    if (!category) return "--category must be simple, email, call, missed-call, sms or im";
    p.text_storage = *t;
    p.text.emplace();
    p.text->category = *category;
    p.text->text = p.text_storage;
    if (a.get("--level")) return "--level and --text do not go together (--text sends a New Alert)";
  } else if (auto l = a.get("--level")) {
    auto named = level_named(*l);
    if (!named) return "--level must be message, call, vibrate or stop";
    p.level = *named;
  }
  if (p.split && !p.text) return "--split needs --text";
  return {};
}

// What of the text the band will not show (fact sheet §11.2), for stderr
// once the alert went out: icon-only categories show no text at all (so
// none is sent: `p` loses it), and one alert shows at most 18 bytes (cut on
// a character boundary unless --split sends the rest as further alerts).
std::string text_note(const char* command, alert_plan& p) {
  auto& t = *p.text;
  char b[400];
  if (!miband::miband2_shows_text(t.category)) {
    const bool had = !t.text.empty();
    t.text = {};
    p.split = false;
    if (!had) return {};
    std::snprintf(b, sizeof b, "bandwire %s: the Mi Band 2 shows %s alerts as an icon only, so the text was not sent "
                  "(--category sms or call show text)\n", command, category_name(t.category));
    return b;
  }
  std::size_t used = 0;
  const std::size_t room = miband::frame::capacity - miband::encode_new_alert({t.category, t.count, t.icon, {}}).size();
  miband::encode_new_alert(t, &used);
  if (used == t.text.size()) return {};
  if (p.split)
    std::snprintf(b, sizeof b, "bandwire %s: the text is %zu bytes and one alert shows at most %zu: sent it as %zu "
                  "alerts, %lld s apart\n", command, t.text.size(), room, miband::encode_new_alert_parts(t).size(),
                  static_cast<long long>(miband::new_alert_spacing.count() / 1000));
  else
    std::snprintf(b, sizeof b, "bandwire %s: the text is %zu bytes and one alert shows at most %zu: sent the first "
                  "%zu (cut on a character boundary); --split sends the rest as further alerts\n",
                  command, t.text.size(), room, used);
  return b;
}

// alert and vibrate: a New Alert with --text, else an Immediate Alert;
// --level stop also stops a ringing call alert.
int run_alert_command(const args& a, const char* command, miband::alert_level level) {
  alert_plan p;
  p.level = level;
  if (std::string e = make_alert_plan(a, p); !e.empty()) {
    std::fprintf(stderr, "bandwire %s: %s (see bandwire %s --help)\n", command, e.c_str(), command);
    return exit_usage;
  }
  const std::string note = p.text ? text_note(command, p) : std::string();
  return run_on_band(a, command, [&](band_session& s, miband::band& b) -> asio::awaitable<int> {
    // The Mi Band 3 and 4 show text only through their chunked characteristic (§18).
    if (p.text && !p.text->text.empty() && b.capabilities().new_alert && !b.capabilities().new_alert_text)
      std::fprintf(stderr, "bandwire: a %s does not show New Alert text: it will only vibrate and show the icon\n",
                   s.family().c_str());
    error_code ec = co_await await_done([&](auto d) {
      if (p.text && p.split)
        b.send_new_alert_parts(*p.text, miband::new_alert_spacing, std::move(d));
      else if (p.text)
        b.send_new_alert(*p.text, std::move(d));
      else if (p.level == miband::alert_level::none)
        b.stop_alerts(std::move(d));
      else
        b.alert(miband::make_alert(p.level), std::move(d));
    });
    if (ec) co_return s.fail("alert", ec);
    std::fputs(note.c_str(), stderr);
    co_return exit_ok;
  });
}

void declare_alert_options(option_set& o) {
  o.value("--level", "L", "message (default for alert), call (vibrates until stopped),\n"
                          "vibrate (default for vibrate), or stop: ends any alert,\n"
                          "a ringing call alert included")
      .value("--text", "TEXT", "a New Alert instead: its text, shown by the Mi Band 2 for\n"
                               "--category sms and call only (other categories show their\n"
                               "icon; the text is then not sent). One alert shows at most\n"
                               "18 bytes: longer text is cut on a character boundary")
      .flag("--split", "with --text: send all of a longer text, as further alerts 4 s\n"
                       "apart (each one vibrates)")
      .value("--category", "C", "the New Alert's category: sms (default), call (rings until\n"
                                "--level stop), email, im, missed-call or simple");
}

// The in-process band has a button only the simulation can press: this
// presses it every 5 s of band time, so `events --device sim` shows one,
// until destroyed.
class button_presser {
 public:
  explicit button_presser(band_session& s) : timer_(std::make_shared<timer>(s.io.get_executor(), s.clock)) {
    arm(s, timer_, active_);
  }
  ~button_presser() {
    *active_ = false;
    timer_->cancel();
  }
  button_presser(const button_presser&) = delete;
  button_presser& operator=(const button_presser&) = delete;

 private:
  // The pending handler holds the timer, so it may outlive this object.
  static void arm(band_session& s, std::shared_ptr<timer> t, std::shared_ptr<bool> active) {
    t->expires_after(5s);
    t->async_wait([&s, t, active](error_code e) {
      if (e || !*active || !s.sim()) return;
      s.sim()->press_button();
      arm(s, t, active);
    });
  }
  std::shared_ptr<timer> timer_;
  std::shared_ptr<bool> active_ = std::make_shared<bool>(true);
};

}  // namespace

void declare_pair(option_set& o) {
  o.usage("pair --device TARGET [--force] [options]")
      .description("Binds a new random key to the band: the band vibrates and you tap it to\n"
                   "confirm. The key is stored (mode 0600) for later commands and never printed.")
      .flag("--force", "replace a key already stored for this device");
  declare_band_options(o);
}

int run_pair(const args& a) {
  band_session s(a);
  if (int rc = s.configure("pair"); rc >= 0) return rc;
  return s.run([&]() -> asio::awaitable<int> {
    if (int c = co_await s.connect(false); c >= 0) co_return c;
    co_return co_await s.pair(a.has("--force"));
  });
}

void declare_alert(option_set& o) {
  o.usage("alert --device TARGET [--level message|call|vibrate|stop]\n"
          "                      [--text TEXT [--category sms|call|email|...] [--split]] [options]")
      .description("Immediate Alert (default level message), or with --text a New Alert that\n"
                   "shows the text (SMS and incoming call only on the Mi Band 2; at most 18 bytes\n"
                   "per alert). --level stop stops every alert, a ringing call included.");
  declare_alert_options(o);
  declare_band_options(o);
}

int run_alert(const args& a) { return run_alert_command(a, "alert", miband::alert_level::message); }

void declare_vibrate(option_set& o) {
  o.usage("vibrate --device TARGET [options]").description("Vibrates the band (find device: alert level 3).");
  declare_alert_options(o);
  declare_band_options(o);
}

int run_vibrate(const args& a) { return run_alert_command(a, "vibrate", miband::alert_level::vibrate_only); }

void declare_events(option_set& o) {
  o.usage("events --device TARGET [--duration S] [options]")
      .description("Prints the band's events (button presses...) until Ctrl-C or S seconds.")
      .value("--duration", "S", "stop after S seconds");
  declare_reconnect_option(o);
  declare_band_options(o);
}

int run_events(const args& a) {
  const auto duration = duration_option(a, "events");
  if (!duration) return exit_usage;
  return run_on_band(a, "events", [&](band_session& s, miband::band&) -> asio::awaitable<int> {
    std::optional<button_presser> presses;
    if (s.sim() && s.clock.speed() > 0) presses.emplace(s);
    record::supervisor_options o;
    o.events = true;
    co_return co_await follow_feeds(s, o, "events", *duration);
  });
}

}  // namespace bandwire::tools
