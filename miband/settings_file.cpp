#include "miband/settings_file.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <initializer_list>
#include <optional>
#include <utility>

#include "miband/detail/toml.hpp"  // toml++ header-only, its guards throwing (see there)

namespace bandwire::miband {

namespace {

constexpr const char* settings_tables = "user, goal, wear, display, do_not_disturb, inactivity, connection, heart_rate";

std::string join(std::initializer_list<std::string_view> names, const char* sep = ", ") {
  std::string s;
  for (auto n : names) {
    if (!s.empty()) s += sep;
    s += n;
  }
  return s;
}

const char* type_name(const toml::node& n) {
  switch (n.type()) {
    case toml::node_type::table: return "a table";
    case toml::node_type::array: return "an array";
    case toml::node_type::string: return "a string";
    case toml::node_type::integer: return "an integer";
    case toml::node_type::floating_point: return "a float";
    case toml::node_type::boolean: return "a boolean";
    case toml::node_type::date: return "a date";
    case toml::node_type::time: return "a time";
    case toml::node_type::date_time: return "a date-time";
    default: return "nothing";
  }
}

std::string quoted(std::string_view s) { return "\"" + std::string(s) + "\""; }

std::string number_text(double v) {
  char b[32];
  std::snprintf(b, sizeof b, "%g", v);
  return b;
}

// Reads one table's keys, collecting every problem with its position.
class reader {
 public:
  reader(std::vector<settings_problem>& out, const toml::table& t, std::string table)
      : out_(out), t_(t), table_(std::move(table)) {}

  std::string key(std::string_view name) const { return table_.empty() ? std::string(name) : table_ + "." + std::string(name); }
  const toml::node* get(std::string_view name) const { return t_.get(name); }
  bool has(std::string_view name) const { return t_.contains(name); }
  const toml::table& table() const { return t_; }

  void problem(const toml::node* n, std::string key, std::string message) {
    problem(n ? &n->source() : nullptr, std::move(key), std::move(message));
  }
  void problem(const toml::source_region* where, std::string key, std::string message) {
    settings_problem p{std::move(key), std::move(message), 0, 0};
    if (where) {
      p.line = where->begin.line;
      p.column = where->begin.column;
    }
    out_.push_back(std::move(p));
  }
  /// Unknown keys of this table are problems.
  void only(std::initializer_list<std::string_view> allowed) {
    for (auto&& [k, v] : t_) {
      bool ok = false;
      for (auto a : allowed) ok = ok || k.str() == a;
      if (!ok) problem(&k.source(), key(k.str()), "unknown key (" + table_ + " takes " + join(allowed) + ")");
    }
  }
  void missing(std::string_view name, const std::string& why) {
    problem(&t_, key(name), "missing (" + why + ")");
  }

  std::optional<long long> integer(std::string_view name, long long lo, long long hi, const char* unit = "") {
    const toml::node* n = get(name);
    if (!n) return std::nullopt;
    const std::string range = std::to_string(lo) + ".." + std::to_string(hi) + unit;
    if (const auto* i = n->as_integer()) {
      const long long v = i->get();
      if (v >= lo && v <= hi) return v;
      problem(n, key(name), std::to_string(v) + " is out of range " + range);
      return std::nullopt;
    }
    problem(n, key(name), std::string("must be an integer in ") + range + ", not " + type_name(*n));
    return std::nullopt;
  }

  std::optional<bool> boolean(std::string_view name) {
    const toml::node* n = get(name);
    if (!n) return std::nullopt;
    if (const auto* b = n->as_boolean()) return b->get();
    problem(n, key(name), std::string("must be true or false, not ") + type_name(*n));
    return std::nullopt;
  }

  template <class E>
  std::optional<E> choice(std::string_view name, std::initializer_list<std::pair<std::string_view, E>> options) {
    const toml::node* n = get(name);
    if (!n) return std::nullopt;
    std::string names;
    for (auto& o : options) names += (names.empty() ? "" : ", ") + std::string(o.first);
    if (const auto* s = n->as_string()) {
      for (auto& o : options)
        if (s->get() == o.first) return o.second;
      problem(n, key(name), quoted(s->get()) + " is not one of " + names);
      return std::nullopt;
    }
    problem(n, key(name), "must be one of " + names + " (a string), not " + type_name(*n));
    return std::nullopt;
  }

  /// "HH:MM", or a TOML time with zero seconds.
  std::optional<clock_time> time_of_day(std::string_view name) {
    const toml::node* n = get(name);
    if (!n) return std::nullopt;
    if (const auto* t = n->as_time()) {
      const toml::time v = t->get();
      if (v.second == 0 && v.nanosecond == 0) return clock_time{v.hour, v.minute};
    } else if (const auto* s = n->as_string()) {
      if (auto t = parse_clock_time(s->get())) return t;
    }
    problem(n, key(name), "must be a time of day \"HH:MM\" in 00:00..23:59");
    return std::nullopt;
  }

  /// "HH:MM-HH:MM" from a string node.
  std::optional<time_window> window(const toml::node* n, const std::string& k) {
    if (const auto* s = n->as_string()) {
      const std::string_view v = s->get();
      if (v.size() == 11 && v[5] == '-') {
        auto a = parse_clock_time(v.substr(0, 5)), b = parse_clock_time(v.substr(6));
        if (a && b) return time_window{*a, *b};
      }
    }
    problem(n, k, "must be a window of the day \"HH:MM-HH:MM\" (times in 00:00..23:59)");
    return std::nullopt;
  }

 private:
  std::vector<settings_problem>& out_;
  const toml::table& t_;
  std::string table_;
};

void read_user(reader& r, band_settings& s) {
  r.only({"birth_date", "gender", "height_cm", "weight_kg", "user_id"});
  const std::string why = "the band takes birth_date, gender, height_cm, weight_kg and user_id in one frame, "
                          "fact sheet §12";
  user_info u;
  bool complete = true;
  for (auto name : {"birth_date", "gender", "height_cm", "weight_kg", "user_id"})
    if (!r.has(name)) {
      r.missing(name, why);
      complete = false;
    }
  if (const toml::node* n = r.get("birth_date")) {
    const auto* d = n->as_date();
    if (!d || d->get().year < 1900 || d->get().year > 2100) {
      r.problem(n, r.key("birth_date"), "must be a date 1900-01-01..2100-12-31, written without quotes (1986-01-01)");
      complete = false;
    } else {
      u.birth_year = d->get().year;
      u.birth_month = d->get().month;
      u.birth_day = d->get().day;
    }
  }
  auto g = r.choice<gender>("gender", {{"male", gender::male}, {"female", gender::female}, {"other", gender::other}});
  auto h = r.integer("height_cm", 50, 250, " cm");
  auto id = r.integer("user_id", 0, 4294967295LL);
  std::optional<double> kg;
  if (const toml::node* n = r.get("weight_kg")) {
    const auto* f = n->as_floating_point();
    const auto* i = n->as_integer();
    const double v = f ? f->get() : i ? static_cast<double>(i->get()) : -1;
    // Sent as kg × 200 in 16 bits (§12): 327 kg is the most that fits.
    if ((f || i) && v >= 1 && v <= 327) kg = v;
    else if (f || i)
      r.problem(n, r.key("weight_kg"), number_text(v) + " is out of range 1..327 kg");
    else
      r.problem(n, r.key("weight_kg"), std::string("must be a number of kg in 1..327, not ") + type_name(*n));
  }
  if (!complete || !g || !h || !id || !kg) return;
  u.gender = *g;
  u.height_cm = static_cast<std::uint16_t>(*h);
  u.user_id = static_cast<std::uint32_t>(*id);
  u.weight_5g = static_cast<std::uint16_t>(std::lround(*kg * 200));
  s.user = u;
}

void read_goal(reader& r, band_settings& s) {
  r.only({"steps", "notification"});
  if (auto v = r.integer("steps", 1, 65535)) s.step_goal = static_cast<std::uint16_t>(*v);  // u16 (§12)
  s.goal_notification = r.boolean("notification");
}

void read_wear(reader& r, band_settings& s) {
  r.only({"location", "side"});
  auto place = r.choice<wear_place>("location", {{"wrist", wear_place::wrist},
                                                 {"chest", wear_place::chest},
                                                 {"finger", wear_place::finger},
                                                 {"hand", wear_place::hand},
                                                 {"ear_lobe", wear_place::ear_lobe},
                                                 {"foot", wear_place::foot},
                                                 {"other", wear_place::other}});
  auto side = r.choice<bool>("side", {{"left", false}, {"right", true}});
  if (!r.has("side")) r.missing("side", "left or right: location and side are one byte, fact sheet §12");
  if (side && (place || !r.has("location"))) s.wear = wear_location{place.value_or(wear_place::wrist), *side};
}

// display.items: screen names of one band's layout, in the order shown
// after the clock ("clock" may be listed: it is always first). Which layout
// the band takes is known only once connected (check_support); a list that
// fits no band is an error here.
void read_display_items(reader& r, band_settings& s) {
  const toml::node* n = r.get("items");
  if (!n) return;
  const std::string names = "clock, " + screen_names();
  const auto* a = n->as_array();
  if (!a) return r.problem(n, r.key("items"), "must be an array of " + names + ", not " + type_name(*n));
  screen_list items;
  bool ok = true;
  for (std::size_t i = 0; i < a->size(); ++i) {
    const toml::node& e = *a->get(i);
    const std::string k = r.key("items") + "[" + std::to_string(i) + "]";
    const auto* str = e.as_string();
    const auto sc = str ? parse_screen(str->get()) : std::nullopt;
    if (str && str->get() == "clock") continue;  // the clock is always shown (§13.3, §18)
    if (!sc) {
      r.problem(&e, k, (str ? quoted(str->get()) : std::string(type_name(e))) + " is not one of " + names);
      ok = false;
    } else if (std::find(items.begin(), items.end(), *sc) != items.end()) {
      r.problem(&e, k, quoted(str->get()) + " is listed twice");
      ok = false;
    } else {
      items.push_back(*sc);
    }
  }
  if (ok && !layout_of(items)) {
    std::string mb2, mb3;
    const screen_list mb3_screens = screens_of(display_items_layout::mi_band_3);
    for (screen x : items) {
      const bool in_mb3 = std::find(mb3_screens.begin(), mb3_screens.end(), x) != mb3_screens.end();
      if (in_mb3 && layout_of({x}) == display_items_layout::mi_band_2) continue;  // both have it
      std::string& to = in_mb3 ? mb3 : mb2;
      to += (to.empty() ? "" : ", ") + quoted(to_string(x));
    }
    r.problem(n, r.key("items"), "mixes screens of different bands: " + mb2 + " (Mi Band 2) and " + mb3 +
                                     " (Mi Band 3 / 4); heart_rate is the only screen both have");
    ok = false;
  }
  if (ok) s.display_items = std::move(items);
}

void read_display(reader& r, band_settings& s) {
  r.only({"items", "time_format", "distance_unit", "date", "raise_to_wake", "rotate_to_switch"});
  s.time_format = r.choice<time_format>("time_format", {{"12h", time_format::h12}, {"24h", time_format::h24}});
  s.distance_unit = r.choice<distance_unit>("distance_unit", {{"metric", distance_unit::metric},
                                                              {"imperial", distance_unit::imperial}});
  s.date_display = r.choice<date_display>("date", {{"time", date_display::time}, {"date_time", date_display::date_time}});
  s.raise_to_wake = r.boolean("raise_to_wake");
  s.rotate_to_switch = r.boolean("rotate_to_switch");
  read_display_items(r, s);
}

void read_dnd(reader& r, band_settings& s) {
  r.only({"mode", "start", "end", "lift_to_wake"});
  auto mode = r.choice<dnd_mode>("mode", {{"off", dnd_mode::off}, {"scheduled", dnd_mode::scheduled},
                                          {"automatic", dnd_mode::automatic}});
  if (!r.has("mode")) r.missing("mode", "off, scheduled or automatic");
  auto start = r.time_of_day("start");
  auto end = r.time_of_day("end");
  auto lift = r.boolean("lift_to_wake");
  if (!mode) return;
  do_not_disturb d;
  d.mode = *mode;
  d.lift_wakes = lift.value_or(false);
  if (*mode == dnd_mode::scheduled) {
    for (auto name : {"start", "end"})
      if (!r.has(name)) r.missing(name, "mode = \"scheduled\" needs start and end");
    if (!start || !end) return;
    d.window = {*start, *end};
  } else {
    for (auto name : {"start", "end"})
      if (r.has(name)) r.problem(r.get(name), r.key(name), "only with mode = \"scheduled\"");
    if (r.has("start") || r.has("end")) return;
  }
  if (*mode == dnd_mode::off && d.lift_wakes)
    return r.problem(r.get("lift_to_wake"), r.key("lift_to_wake"), "only with mode = \"scheduled\" or \"automatic\"");
  s.dnd = d;
}

void read_inactivity(reader& r, band_settings& s) {
  r.only({"enabled", "threshold_minutes", "windows"});
  inactivity_warnings w;
  auto enabled = r.boolean("enabled");
  if (!r.has("enabled")) r.missing("enabled", "true or false");
  auto threshold = r.integer("threshold_minutes", 1, 255, " minutes");  // one byte (§13.3)
  bool ok = enabled.has_value() && (threshold || !r.has("threshold_minutes"));
  if (const toml::node* n = r.get("windows")) {
    const auto* a = n->as_array();
    if (!a || a->empty() || a->size() > 2) {
      r.problem(n, r.key("windows"), "must be an array of one or two \"HH:MM-HH:MM\" windows");
      ok = false;
    } else {
      w.windows.clear();
      for (std::size_t i = 0; i < a->size(); ++i) {
        auto win = r.window(a->get(i), r.key("windows") + "[" + std::to_string(i) + "]");
        if (win) w.windows.push_back(*win);
        else ok = false;
      }
    }
  }
  if (!ok) return;
  w.enabled = *enabled;
  if (threshold) w.threshold_minutes = static_cast<std::uint8_t>(*threshold);
  s.inactivity = w;
}

void read_connection(reader& r, band_settings& s) {
  r.only({"discoverable", "disconnect_notification", "disconnect_window"});
  s.discoverable = r.boolean("discoverable");
  auto on = r.boolean("disconnect_notification");
  std::optional<time_window> win;
  if (const toml::node* n = r.get("disconnect_window")) {
    win = r.window(n, r.key("disconnect_window"));
    if (!on.value_or(false)) {
      r.problem(n, r.key("disconnect_window"), "only with disconnect_notification = true");
      return;
    }
    if (!win) return;
  }
  if (on) s.disconnect = disconnect_notification{*on, win};
}

void read_heart_rate(reader& r, band_settings& s) {
  r.only({"interval_minutes", "sleep_assistance"});
  // 0 = off; Gadgetbridge clamps to 120 (§5.2), the band's own limit is unknown.
  if (auto v = r.integer("interval_minutes", 0, 120, " minutes")) s.hr_interval_minutes = static_cast<std::uint8_t>(*v);
  s.sleep_assistance = r.boolean("sleep_assistance");
}

bool key_start(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-' ||
         c == '"' || c == '\'';
}

// The two malformed forms fuzzing found that break toml++ 3.3.0's guards
// (see the top of this file), refused here with their place before toml++
// sees them: a table header whose key does not start with a key character
// (`[!]`, `[[[1]]]`, `[` alone on a line; marzer/tomlplusplus#301), and an
// array with `}` where a value is due (`x = [}`). A small lexer: comments,
// strings (which may span lines) and the brackets of arrays, so that only a
// `[` that opens a line outside any value is a header.
std::optional<settings_problem> malformed_for_toml(std::string_view t) {
  char last = 0;  // the last character outside strings and comments, not a space
  std::size_t depth = 0;  // open `[` of array values (arrays may span lines)
  std::uint32_t line = 1, column = 1;
  bool line_start = true, header = false;
  const std::size_t bom = t.substr(0, 3) == "\xEF\xBB\xBF" ? 3 : 0;  // toml++ skips a UTF-8 byte order mark
  for (std::size_t i = bom; i < t.size(); ++i, ++column) {
    const char c = t[i];
    if (c == '\n') {
      ++line, column = 0, line_start = true, header = false;
      continue;
    }
    if (line_start && (c == ' ' || c == '\t' || c == '\r')) continue;
    if (c == '#') {
      while (i + 1 < t.size() && t[i + 1] != '\n') ++i, ++column;
      continue;
    }
    if (c == '"' || c == '\'') {
      const bool triple = t.substr(i, 3) == std::string(3, c);
      const std::size_t from = i + (triple ? 3 : 1);
      std::size_t end = from;
      while (end < t.size() && !(triple ? t.substr(end, 3) == std::string(3, c) : t[end] == c || t[end] == '\n'))
        end += (c == '"' && t[end] == '\\') ? 2 : 1;  // a basic string's escape
      if (!triple && end < t.size() && t[end] == '\n') --end;  // unterminated: the line ends it
      end = std::min(end + (triple ? 2 : 0), t.size());
      for (; i < end; ++i, ++column)
        if (t[i] == '\n') ++line, column = 0;
      line_start = false;
      last = c;
      continue;
    }
    if (line_start && depth == 0 && c == '[') {
      std::size_t j = i + 1;
      if (j < t.size() && t[j] == '[') ++j;
      while (j < t.size() && (t[j] == ' ' || t[j] == '\t')) ++j;
      if (j < t.size() && !key_start(t[j]) && t[j] != ']')
        return settings_problem{"", "TOML syntax: a table header must start with a key (a letter, digit, _, - or a quote)",
                                line, static_cast<std::uint32_t>(column + (j - i))};
      header = true;
    } else if (!header && c == '[') {
      ++depth;
    } else if (!header && c == ']' && depth > 0) {
      --depth;
    } else if (c == '}' && depth > 0 && (last == '[' || last == ',')) {
      return settings_problem{"", "TOML syntax: expected a value in the array, saw '}'", line, column};
    }
    if (c != ' ' && c != '\t' && c != '\r') last = c;
    line_start = false;
  }
  return std::nullopt;
}

// toml++ keeps a table's keys sorted: put the problems back in file order.
void in_file_order(std::vector<settings_problem>& p) {
  std::stable_sort(p.begin(), p.end(), [](const settings_problem& a, const settings_problem& b) {
    return a.line != b.line ? a.line < b.line : a.column < b.column;
  });
}

// Parses `text` into `root`, or adds the one syntax problem and returns false.
bool parse_toml(std::string_view text, toml::table& root, std::vector<settings_problem>& problems) {
  if (auto p = check_toml_guards(text)) {
    problems.push_back(*p);
    return false;
  }
  try {
    root = toml::parse(text);
    return true;
  } catch (const toml::parse_error& e) {
    problems.push_back(settings_problem{"", "TOML syntax: " + std::string(e.description()), e.source().begin.line,
                                        e.source().begin.column});
  } catch (const detail::toml_check_failed&) {
    problems.push_back(settings_problem{"", "TOML syntax: not a TOML document this parser can read (check its "
                                            "brackets, quotes and keys)", 0, 0});
  }
  return false;
}

// ---- formatting ----

struct entry {
  std::string_view table, key;
  std::string value;
};

std::string str(std::string_view s) { return quoted(s); }
std::string boolean(bool b) { return b ? "true" : "false"; }
std::string window_text(const time_window& w) { return format_clock_time(w.start) + "-" + format_clock_time(w.end); }

std::string kg_text(std::uint16_t weight_5g) {
  char b[32];
  std::snprintf(b, sizeof b, "%.3f", weight_5g / 200.0);
  std::string s = b;
  while (s.size() > 2 && s.back() == '0' && s[s.size() - 2] != '.') s.pop_back();
  return s;
}

template <class E> std::string_view name_of(E v, std::initializer_list<std::pair<std::string_view, E>> names) {
  for (auto& n : names)
    if (n.second == v) return n.first;
  return "?";
}

std::vector<entry> entries(const band_settings& s) {
  std::vector<entry> e;
  if (const auto& u = s.user) {
    char date[16];
    std::snprintf(date, sizeof date, "%04u-%02u-%02u", unsigned(u->birth_year), unsigned(u->birth_month % 100),
                  unsigned(u->birth_day % 100));
    e.push_back({"user", "birth_date", date});
    e.push_back({"user", "gender", str(name_of(u->gender, {{"male", gender::male}, {"female", gender::female},
                                                          {"other", gender::other}}))});
    e.push_back({"user", "height_cm", std::to_string(u->height_cm)});
    e.push_back({"user", "weight_kg", kg_text(u->weight_5g)});
    e.push_back({"user", "user_id", std::to_string(u->user_id)});
  }
  if (s.step_goal) e.push_back({"goal", "steps", std::to_string(*s.step_goal)});
  if (s.goal_notification) e.push_back({"goal", "notification", boolean(*s.goal_notification)});
  if (const auto& w = s.wear) {
    e.push_back({"wear", "location", str(name_of(w->place, {{"wrist", wear_place::wrist}, {"chest", wear_place::chest},
                                                           {"finger", wear_place::finger}, {"hand", wear_place::hand},
                                                           {"ear_lobe", wear_place::ear_lobe},
                                                           {"foot", wear_place::foot}, {"other", wear_place::other}}))});
    e.push_back({"wear", "side", str(w->right ? "right" : "left")});
  }
  if (s.display_items) {
    std::string v = "[\"clock\"";
    for (screen x : *s.display_items) v += std::string(", \"") + to_string(x) + "\"";
    e.push_back({"display", "items", v + "]"});
  }
  if (s.time_format) e.push_back({"display", "time_format", str(*s.time_format == time_format::h12 ? "12h" : "24h")});
  if (s.distance_unit)
    e.push_back({"display", "distance_unit", str(*s.distance_unit == distance_unit::metric ? "metric" : "imperial")});
  if (s.date_display) e.push_back({"display", "date", str(*s.date_display == date_display::time ? "time" : "date_time")});
  if (s.raise_to_wake) e.push_back({"display", "raise_to_wake", boolean(*s.raise_to_wake)});
  if (s.rotate_to_switch) e.push_back({"display", "rotate_to_switch", boolean(*s.rotate_to_switch)});
  if (const auto& d = s.dnd) {
    e.push_back({"do_not_disturb", "mode", str(name_of(d->mode, {{"off", dnd_mode::off}, {"scheduled", dnd_mode::scheduled},
                                                                  {"automatic", dnd_mode::automatic}}))});
    if (d->mode == dnd_mode::scheduled) {
      e.push_back({"do_not_disturb", "start", str(format_clock_time(d->window.start))});
      e.push_back({"do_not_disturb", "end", str(format_clock_time(d->window.end))});
    }
    if (d->mode != dnd_mode::off) e.push_back({"do_not_disturb", "lift_to_wake", boolean(d->lift_wakes)});
  }
  if (const auto& i = s.inactivity) {
    e.push_back({"inactivity", "enabled", boolean(i->enabled)});
    e.push_back({"inactivity", "threshold_minutes", std::to_string(i->threshold_minutes)});
    std::string v;
    for (const auto& w : i->windows) v += (v.empty() ? "" : ", ") + str(window_text(w));
    e.push_back({"inactivity", "windows", "[" + v + "]"});
  }
  if (s.discoverable) e.push_back({"connection", "discoverable", boolean(*s.discoverable)});
  if (const auto& d = s.disconnect) {
    e.push_back({"connection", "disconnect_notification", boolean(d->enabled)});
    if (d->window) e.push_back({"connection", "disconnect_window", str(window_text(*d->window))});
  }
  if (s.hr_interval_minutes) e.push_back({"heart_rate", "interval_minutes", std::to_string(*s.hr_interval_minutes)});
  if (s.sleep_assistance) e.push_back({"heart_rate", "sleep_assistance", boolean(*s.sleep_assistance)});
  return e;
}

}  // namespace

std::optional<settings_problem> check_toml_guards(std::string_view text) { return malformed_for_toml(text); }

std::string format_problem(const settings_problem& p, std::string_view file_name) {
  std::string s(file_name);
  if (p.line) s += (s.empty() ? "" : ":") + std::to_string(p.line) + ":" + std::to_string(p.column);
  if (!s.empty()) s += ": ";
  if (!p.key.empty()) s += p.key + ": ";
  return s + p.message;
}

std::vector<settings_problem> parse_settings_file(std::string_view text, band_settings& out) {
  std::vector<settings_problem> problems;
  toml::table root;
  if (!parse_toml(text, root, problems)) return problems;
  band_settings s;
  using read_fn = void (*)(reader&, band_settings&);
  static constexpr std::pair<std::string_view, read_fn> readers[] = {
      {"user", read_user},           {"goal", read_goal},
      {"wear", read_wear},           {"display", read_display},
      {"do_not_disturb", read_dnd},  {"inactivity", read_inactivity},
      {"connection", read_connection}, {"heart_rate", read_heart_rate}};
  reader top(problems, root, "");
  for (auto&& [k, v] : root) {
    read_fn fn = nullptr;
    for (auto& [name, f] : readers)
      if (k.str() == name) fn = f;
    if (!fn) {
      top.problem(&k.source(), std::string(k.str()), std::string("unknown key (a settings file has the tables ") + settings_tables + ")");
      continue;
    }
    const auto* t = v.as_table();
    if (!t) {
      top.problem(&v, std::string(k.str()), "must be a table ([" + std::string(k.str()) + "]), not " + type_name(v));
      continue;
    }
    reader r(problems, *t, std::string(k.str()));
    fn(r, s);
  }
  in_file_order(problems);
  if (problems.empty()) out = s;
  return problems;
}

std::string format_settings_file(const band_settings& s) {
  std::string out;
  std::string_view table;
  for (const auto& e : entries(s)) {
    if (e.table != table) {
      out += (out.empty() ? "[" : "\n[") + std::string(e.table) + "]\n";
      table = e.table;
    }
    out += std::string(e.key) + " = " + e.value + "\n";
  }
  return out;
}

std::vector<std::string> describe_settings(const band_settings& s) {
  std::vector<std::string> lines;
  for (const auto& e : entries(s)) lines.push_back(std::string(e.table) + "." + std::string(e.key) + " = " + e.value);
  return lines;
}

// ---- alarms ----

std::vector<settings_problem> parse_alarms_file(std::string_view text, alarm_table& out) {
  std::vector<settings_problem> problems;
  toml::table root;
  if (!parse_toml(text, root, problems)) return problems;
  reader top(problems, root, "");
  top.only({"alarm"});
  alarm_table t{};
  const toml::node* list = top.get("alarm");
  const toml::array* a = list ? list->as_array() : nullptr;
  if (list && !a) top.problem(list, "alarm", "must be an array of tables ([[alarm]])");
  for (std::size_t i = 0; a && i < a->size(); ++i) {
    const std::string name = "alarm[" + std::to_string(i) + "]";
    const auto* at = a->get(i)->as_table();
    if (!at) {
      top.problem(a->get(i), name, "must be a table ([[alarm]])");
      continue;
    }
    reader r(problems, *at, name);
    r.only({"slot", "time", "days", "enabled", "snooze"});
    for (auto k : {"slot", "time", "days"})
      if (!r.has(k)) r.missing(k, "an alarm has a slot, a time and days");
    auto slot = r.integer("slot", 0, alarm_slots - 1);
    auto time = r.time_of_day("time");
    std::optional<std::uint8_t> days;
    if (const toml::node* n = r.get("days")) {
      const auto* s = n->as_string();
      if (s) days = parse_alarm_days(s->get());
      if (!days) r.problem(n, r.key("days"), "must be once, daily, weekdays, weekend or days like \"mon,wed,fri\"");
    }
    auto enabled = r.boolean("enabled");
    auto snooze = r.boolean("snooze");
    if (slot && t[*slot]) r.problem(r.get("slot"), r.key("slot"), "slot " + std::to_string(*slot) + " is listed twice");
    if (!slot || !time || !days || t[*slot]) continue;
    band_alarm al;
    al.slot = static_cast<std::uint8_t>(*slot);
    al.time = *time;
    al.days = *days;
    al.enabled = enabled.value_or(true);
    al.snooze = snooze.value_or(true);
    t[al.slot] = al;
  }
  in_file_order(problems);
  if (problems.empty()) out = t;
  return problems;
}

std::string format_alarms_file(const alarm_table& alarms) {
  std::string out;
  for (const auto& a : alarms) {
    if (!a) continue;
    out += (out.empty() ? "" : "\n");
    out += "[[alarm]]\nslot = " + std::to_string(a->slot) + "\ntime = " + str(format_clock_time(a->time)) +
           "\ndays = " + str(format_alarm_days(a->days)) + "\nenabled = " + boolean(a->enabled) +
           "\nsnooze = " + boolean(a->snooze) + "\n";
  }
  return out;
}

std::string describe_alarm(const band_alarm& a) {
  return format_clock_time(a.time) + " " + format_alarm_days(a.days) + (a.enabled ? " enabled" : " disabled") +
         (a.snooze ? "" : " no-snooze");
}

}  // namespace bandwire::miband
