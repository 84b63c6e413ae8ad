// `bandwire config apply|show` and `bandwire alarm list|set|clear`: the
// band's settings from a TOML file and its 10 alarm slots. The library does
// the work (miband/settings_file.hpp parses and validates, miband/band_config.hpp
// writes and waits for each reply, miband/settings_store.hpp keeps what was
// applied); this file parses the command line, calls and prints.
#include <cstdio>
#include <fstream>
#include <sstream>

#include "miband/band_config.hpp"
#include "miband/settings_file.hpp"
#include "miband/settings_store.hpp"
#include "miband/state_store.hpp"
#include "tools/band_session.hpp"
#include "tools/commands.hpp"
#include "tools/option_set.hpp"
#include "tools/output.hpp"

namespace bandwire::tools {

namespace {

using outcomes = std::vector<miband::write_outcome>;

const char* channel_name(miband::setting_channel c) {
  switch (c) {
    case miband::setting_channel::user_settings: return "0008";
    case miband::setting_channel::config: return "0003";
    case miband::setting_channel::heart_rate: return "2a39";
  }
  return "?";
}

// Where the applied state of --device lives: the store, and the device's id.
struct state_place {
  miband::settings_store store;
  std::string id;
};

// Reads --device and --state-dir as a session would; prints a usage error.
std::optional<state_place> place_of(const args& a, const char* command) {
  std::string err;
  const auto target = read_target_options(a, err);
  if (!err.empty()) {
    std::fprintf(stderr, "bandwire %s: %s\n", command, err.c_str());
    return std::nullopt;
  }
  const miband::state_store st(a.get("--state-dir").value_or(""));
  return state_place{miband::settings_store(st.dir()), miband::state_store::device_id(target.device)};
}

// One line per write: "ok display.time_format 06 02 00 01 -> 10 06 02 00 01".
void print_outcome(const miband::write_outcome& o, bool json) {
  const std::string sent = miband::hex_bytes(o.write.value.bytes());
  if (json) {
    json_object j;
    j.add("kind", "setting").add("key", o.write.key).add("characteristic", channel_name(o.write.channel));
    j.add("sent", sent).add("ok", !o.ec);
    if (!o.reply.empty()) j.add("reply", miband::hex_bytes(o.reply));
    if (o.ec) j.add("error", miband::describe_failure(o));
    return emit(j.str());
  }
  std::string line = std::string(o.ec ? "FAILED " : "ok ") + o.write.key + " " + sent;
  if (!o.reply.empty()) line += " -> " + miband::hex_bytes(o.reply);
  emit(line);
}

// Prints every outcome and every failure (with its bytes); the exit code.
int report(band_session& s, error_code ec, const outcomes& done, std::size_t planned) {
  for (const auto& o : done) print_outcome(o, s.json);
  for (const auto& o : done)
    if (o.ec) std::fprintf(stderr, "bandwire: %s\n", miband::describe_failure(o).c_str());
  if (ec && (done.empty() || !done.back().ec)) return s.fail("writing to the band", ec);
  if (done.size() < planned)
    std::fprintf(stderr, "bandwire: stopped after %zu of %zu writes; the rest was not sent\n", done.size(), planned);
  return ec ? exit_failed : exit_ok;
}

std::optional<std::string> read_text(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return std::nullopt;
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

// Reads and validates FILE; prints every problem. Empty: exit 2.
std::optional<miband::band_settings> load_file(const std::string& path) {
  auto text = read_text(path);
  if (!text) {
    std::fprintf(stderr, "bandwire config: cannot read %s\n", path.c_str());
    return std::nullopt;
  }
  miband::band_settings s;
  const auto problems = miband::parse_settings_file(*text, s);
  for (const auto& p : problems) std::fprintf(stderr, "bandwire config: %s\n", miband::format_problem(p, path).c_str());
  if (!problems.empty()) {
    std::fprintf(stderr, "bandwire config: nothing was written to the band (see README \"Settings file\")\n");
    return std::nullopt;
  }
  return s;
}

// Settings the connected device cannot take, found before anything is
// written (`config apply` is all or nothing; an alarm is one write): each
// printed with its key and the family. Exit 1 when a service is missing
// (as every band command that needs one), 2 when the file asks for a screen
// the family has none of; -1 when there is nothing to refuse.
int refuse_unsupported(const char* command, const std::vector<miband::unsupported_setting>& problems) {
  if (problems.empty()) return -1;
  bool service_missing = false;
  for (const auto& p : problems) {
    std::fprintf(stderr, "bandwire %s: %s: %s\n", command, p.key.c_str(), p.message.c_str());
    service_missing = service_missing || p.ec != miband::errc::invalid_argument;
  }
  std::fprintf(stderr, "bandwire %s: nothing was written to the band\n", command);
  return service_missing ? exit_failed : exit_usage;
}

// --dry-run: each write's characteristic and bytes. The band's family
// decides the display-items frame (fact sheet §13.3, §18): without a band,
// each frame the listed screens fit is printed, named by its family, unless
// only the Mi Band 2's fits.
int config_dry_run(const miband::band_settings& settings) {
  using L = miband::display_items_layout;
  std::vector<L> layouts;
  for (L l : {L::mi_band_2, L::mi_band_3})
    if (miband::frame f; settings.display_items && !miband::encode_display_items(l, *settings.display_items, f))
      layouts.push_back(l);
  const bool name_layouts = !(layouts.size() == 1 && layouts[0] == L::mi_band_2);
  for (const auto& w : miband::plan_writes(settings, layouts.empty() ? L::mi_band_2 : layouts.back())) {
    const std::string ch = channel_name(w.channel);
    if (w.key != "display.items" || !name_layouts) {
      emit(ch + " " + miband::hex_bytes(w.value.bytes()) + "  " + w.key);
      continue;
    }
    for (L l : layouts) {
      miband::frame f;
      (void)miband::encode_display_items(l, *settings.display_items, f);
      emit(ch + " " + miband::hex_bytes(f.bytes()) + "  " + w.key + " (" + miband::describe(l) + ")");
    }
  }
  return exit_ok;
}

int config_apply(const args& a, const std::string& path) {
  auto settings = load_file(path);
  if (!settings) return exit_usage;
  if (settings->empty()) {
    std::fprintf(stderr, "bandwire config: %s sets nothing\n", path.c_str());
    return exit_ok;
  }
  if (a.has("--dry-run")) return config_dry_run(*settings);
  auto place = place_of(a, "config");
  if (!place) return exit_usage;
  std::string err;
  auto applied = place->store.load_settings(place->id, err);
  if (!err.empty()) {
    std::fprintf(stderr, "bandwire config: %s (remove it to start afresh)\n", err.c_str());
    return exit_failed;
  }
  return run_on_band(a, "config", [&](band_session& s, miband::band& b) -> asio::awaitable<int> {
    // What the device is decides what it can take and the display-items frame (§18).
    if (int rc = refuse_unsupported("config", miband::check_support(*settings, b.capabilities())); rc >= 0)
      co_return rc;
    const auto plan = miband::plan_writes(*settings, b.capabilities().display_items);
    miband::band_config cfg(b);
    error_code ec;
    auto done = co_await cfg.async_run(plan, asio::redirect_error(asio::use_awaitable, ec));
    for (const auto& o : done)
      if (!o.ec) applied.merge(o.write.carries);
    if (auto e = place->store.save_settings(place->id, applied); !e.empty())
      std::fprintf(stderr, "bandwire config: %s\n", e.c_str());
    co_return report(s, ec, done, plan.size());
  });
}

int config_show(const args& a) {
  auto place = place_of(a, "config");
  if (!place) return exit_usage;
  std::string err;
  const auto applied = place->store.load_settings(place->id, err);
  if (!err.empty()) {
    std::fprintf(stderr, "bandwire config: %s\n", err.c_str());
    return exit_failed;
  }
  if (applied.empty()) {
    std::fprintf(stderr, "bandwire config: nothing applied to %s yet (%s)\n", place->id.c_str(),
                 place->store.settings_path(place->id).c_str());
    return exit_ok;
  }
  std::printf("# what bandwire last applied to %s (%s)\n%s", place->id.c_str(),
              place->store.settings_path(place->id).c_str(), miband::format_settings_file(applied).c_str());
  std::fflush(stdout);
  return exit_ok;
}

// ---- alarms ----

std::optional<std::uint8_t> slot_arg(const std::vector<std::string>& pos) {
  if (pos.size() < 2) return std::nullopt;
  auto v = parse_number(pos[1], miband::alarm_slots - 1);
  if (!v || pos[1].empty() || pos[1][0] < '0' || pos[1][0] > '9') return std::nullopt;
  return static_cast<std::uint8_t>(*v);
}

void print_alarm_slot(std::size_t slot, const std::optional<miband::band_alarm>& al, bool json) {
  if (json) {
    json_object j;
    j.add("kind", "alarm").add("slot", static_cast<unsigned>(slot)).add("set", al.has_value());
    if (al) {
      j.add("time", miband::format_clock_time(al->time)).add("days", miband::format_alarm_days(al->days));
      j.add("enabled", al->enabled).add("snooze", al->snooze);
    }
    return emit(j.str());
  }
  emit(std::to_string(slot) + " " + (al ? miband::describe_alarm(*al) : std::string("-")));
}

int alarm_list(const args& a) {
  auto place = place_of(a, "alarm");
  if (!place) return exit_usage;
  std::string err;
  const auto alarms = place->store.load_alarms(place->id, err);
  if (!err.empty()) {
    std::fprintf(stderr, "bandwire alarm: %s\n", err.c_str());
    return exit_failed;
  }
  // The Mi Band 2 has no command to read its alarms back (fact sheet §13.3).
  std::fprintf(stderr, "bandwire alarm: the alarms bandwire last set on %s (%s); the band cannot report its own\n",
               place->id.c_str(), place->store.alarms_path(place->id).c_str());
  for (std::size_t i = 0; i < alarms.size(); ++i) print_alarm_slot(i, alarms[i], a.has("--json"));
  return exit_ok;
}

// alarm set SLOT HH:MM [--days D] [--disabled] [--no-snooze] and alarm clear SLOT.
int alarm_write(const args& a, bool set) {
  const auto& pos = a.positional();
  auto slot = slot_arg(pos);
  if (!slot || pos.size() != (set ? 3u : 2u)) {
    std::fprintf(stderr, "bandwire alarm: usage: alarm %s (slots 0..9; see bandwire alarm --help)\n",
                 set ? "set SLOT HH:MM [--days D]" : "clear SLOT");
    return exit_usage;
  }
  miband::band_alarm al;
  al.slot = *slot;
  if (set) {
    auto t = miband::parse_clock_time(pos[2]);
    auto days = miband::parse_alarm_days(a.get("--days").value_or("once"));
    if (!t || !days) {
      std::fprintf(stderr, "bandwire alarm: %s\n", !t ? "the time must be HH:MM in 00:00..23:59"
                                                      : "--days must be once, daily, weekdays, weekend or "
                                                        "days like mon,wed,fri");
      return exit_usage;
    }
    al.time = *t, al.days = *days, al.enabled = !a.has("--disabled"), al.snooze = !a.has("--no-snooze");
  }
  auto place = place_of(a, "alarm");
  if (!place) return exit_usage;
  std::string err;
  auto alarms = place->store.load_alarms(place->id, err);
  if (!err.empty()) std::fprintf(stderr, "bandwire alarm: %s (it is replaced)\n", err.c_str());
  return run_on_band(a, "alarm", [&](band_session& s, miband::band& b) -> asio::awaitable<int> {
    miband::band_config cfg(b);
    error_code ec;
    const auto w = set ? miband::plan_alarm(al) : miband::plan_alarm_clear(al.slot);
    std::vector<miband::setting_write> writes{w};
    if (int rc = refuse_unsupported("alarm", miband::check_support(writes, b.capabilities())); rc >= 0) co_return rc;
    auto done = co_await cfg.async_run(std::move(writes), asio::redirect_error(asio::use_awaitable, ec));
    if (!ec) {
      alarms[al.slot] = set ? std::optional<miband::band_alarm>(al) : std::nullopt;
      if (auto e = place->store.save_alarms(place->id, alarms); !e.empty())
        std::fprintf(stderr, "bandwire alarm: %s\n", e.c_str());
    }
    co_return report(s, ec, done, 1);
  });
}

}  // namespace

void declare_config(option_set& o) {
  o.usage("config apply FILE --device TARGET [--dry-run] [options]")
      .usage("config show --device TARGET [--state-dir DIR]")
      .description(R"(The band's settings from a TOML file (every key, its range and its bytes:
README "Settings file").

  apply FILE   validates the whole file first (an unknown key or a value out of
               range is an error naming the key and the range; nothing is written
               then, exit 2), then checks it against the connected device (a
               display.items screen its family lacks: exit 2; a key whose service
               it lacks, e.g. heart_rate.* on a Mi Band HRX: exit 1; nothing is
               written either way), then writes only what the file sets, each write
               confirmed by the band: a command on 0003 by its `10 ...` reply, a
               user or heart-rate setting by the ATT Write Response. A setting the
               band refuses is shown with the raw bytes of its reply (exit 1);
               the others are still written. What the band took is merged into
               the state dir (settings/DEVICE.toml).
  show         prints what bandwire last applied to the device, as a settings
               file (from the state dir: the band cannot be asked for its
               settings). It does not connect.)")
      .positionals()
      .flag("--dry-run", "apply: validate and print each write's characteristic and\n"
                         "bytes; do not connect");
  declare_band_options(o);
}

int run_config(const args& a) {
  const auto& pos = a.positional();
  if (pos.size() == 2 && pos[0] == "apply") return config_apply(a, pos[1]);
  if (pos.size() == 1 && pos[0] == "show") return config_show(a);
  std::fprintf(stderr, "bandwire config: usage: config apply FILE | config show (see bandwire config --help)\n");
  return exit_usage;
}

void declare_alarm(option_set& o) {
  o.usage("alarm list --device TARGET [--json] [--state-dir DIR]")
      .usage("alarm set SLOT HH:MM --device TARGET [--days D] [--disabled] [--no-snooze] [options]")
      .usage("alarm clear SLOT --device TARGET [options]")
      .description(R"(The band's 10 alarm slots (0..9, fact sheet §13.3).

  set SLOT HH:MM   writes the alarm (`02 FL hh mm DD`) and waits for the band's
                   `10 02 01`; --days once (default), daily, weekdays, weekend or
                   days like mon,wed,fri
  clear SLOT       marks the slot unused (`02 0N 00 00 00`)
  list             the alarms bandwire last set on this device, from the state dir
                   (alarms/DEVICE.toml). The Mi Band 2 has no command to read its
                   alarms back, so an alarm set by another app is not shown; list
                   does not connect.)")
      .positionals()
      .value("--days", "D", "once (default), daily, weekdays, weekend, or mon,tue,...")
      .flag("--disabled", "store the alarm switched off")
      .flag("--no-snooze", "set the band's \"snooze disabled\" flag (0x40; whether the\n"
                           "Mi Band 2 honours it is unverified)");
  declare_band_options(o);
}

int run_alarm(const args& a) {
  const auto& pos = a.positional();
  const std::string sub = pos.empty() ? "" : pos[0];
  if (sub == "list" && pos.size() == 1) return alarm_list(a);
  if (sub == "set" || sub == "clear") return alarm_write(a, sub == "set");
  std::fprintf(stderr, "bandwire alarm: usage: alarm list | alarm set SLOT HH:MM | alarm clear SLOT "
                       "(see bandwire alarm --help)\n");
  return exit_usage;
}

}  // namespace bandwire::tools
