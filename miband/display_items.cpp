// The display-items command `0a` of each family (fact sheet §13.3 for the
// Mi Band 2, §18 for the Mi Band 3 and 4), and which settings a device can
// take at all (check_support). Declared in miband/settings.hpp.
#include <algorithm>
#include <array>

#include "miband/error.hpp"
#include "miband/settings.hpp"
#include "miband/uuids.hpp"

namespace bandwire::miband {

namespace {

constexpr std::uint8_t cmd_display_items = 0x0a;

// One row per screen: its name in the settings file, its Mi Band 2 bit
// (§13.3: 0x02 steps … 0x20 battery) and its Mi Band 3 id (§18: GB-SIB
// MiBand3Support keyPosMap, notifications 1 … nfc 8); 0 when the family has
// no such screen.
struct screen_row {
  screen s;
  const char* name;
  std::uint8_t mb2_bit;
  std::uint8_t mb3_id;
};
constexpr screen_row screen_rows[] = {
    {screen::steps, "steps", display_item::steps, 0},
    {screen::distance, "distance", display_item::distance, 0},
    {screen::calories, "calories", display_item::calories, 0},
    {screen::heart_rate, "heart_rate", display_item::heart_rate, 6},
    {screen::battery, "battery", display_item::battery, 0},
    {screen::notifications, "notifications", 0, 1},
    {screen::weather, "weather", 0, 2},
    {screen::activity, "activity", 0, 3},
    {screen::more, "more", 0, 4},
    {screen::status, "status", 0, 5},
    {screen::timer, "timer", 0, 7},
    {screen::nfc, "nfc", 0, 8},
};
constexpr std::size_t mb3_screens = 8;  // ids 1..8
constexpr std::size_t mb3_frame_size = 4 + mb3_screens;

const screen_row& row_of(screen s) noexcept {
  for (const auto& r : screen_rows)
    if (r.s == s) return r;
  return screen_rows[0];
}

// The id `s` has in layout `l` (a Mi Band 2 bit or a Mi Band 3 id); 0 for none.
std::uint8_t id_in(display_items_layout l, screen s) noexcept {
  switch (l) {
    case display_items_layout::mi_band_2: return row_of(s).mb2_bit;
    case display_items_layout::mi_band_3: return row_of(s).mb3_id;
    default: return 0;
  }
}

std::optional<screen> screen_of_mb3_id(std::uint8_t id) noexcept {
  for (const auto& r : screen_rows)
    if (r.mb3_id == id && id != 0) return r.s;
  return std::nullopt;
}

bool has_duplicates(const screen_list& s) {
  for (std::size_t i = 0; i < s.size(); ++i)
    if (std::find(s.begin() + static_cast<std::ptrdiff_t>(i) + 1, s.end(), s[i]) != s.end()) return true;
  return false;
}

// `0a mask_lo mask_hi 00 p1 … p8` (§18, GB-SUP setDisplayItemsOld): the
// clock at position 0, the listed screens at 1.. in order, the rest after
// them in id order.
frame encode_mb3(const screen_list& shown) {
  std::uint16_t mask = 0x0001;  // the clock, always
  std::array<std::uint8_t, mb3_screens + 1> pos{};  // by id; pos[0] is the clock's 0
  std::uint8_t next = 1;
  for (screen s : shown) {
    const std::uint8_t id = row_of(s).mb3_id;
    mask = static_cast<std::uint16_t>(mask | (1u << id));
    pos[id] = next++;
  }
  for (std::uint8_t id = 1; id <= mb3_screens; ++id)
    if (!(mask & (1u << id))) pos[id] = next++;
  frame f{cmd_display_items, static_cast<std::uint8_t>(mask), static_cast<std::uint8_t>(mask >> 8)};
  for (std::uint8_t p : pos) f.push_back(p);
  return f;
}

boost::system::error_code decode_mb3(bytes_view in, screen_list& out) {
  if (in.size() != mb3_frame_size || in[3] != 0x00) return errc::malformed_value;
  const std::uint16_t mask = get_le16(&in[1]);
  if (!(mask & 0x0001) || (mask >> (mb3_screens + 1))) return errc::malformed_value;
  std::array<std::optional<screen>, mb3_screens + 1> by_pos{};
  std::uint16_t seen = 0;
  std::size_t shown = 0;
  for (std::uint8_t id = 1; id <= mb3_screens; ++id) {
    const std::uint8_t p = in[3 + id];
    if (p < 1 || p > mb3_screens || (seen & (1u << p))) return errc::malformed_value;  // not a permutation
    seen = static_cast<std::uint16_t>(seen | (1u << p));
    if (mask & (1u << id)) by_pos[p] = screen_of_mb3_id(id), ++shown;
  }
  screen_list s;
  for (std::size_t p = 1; p <= shown; ++p) {
    if (!by_pos[p]) return errc::malformed_value;  // a hidden screen before a shown one
    s.push_back(*by_pos[p]);
  }
  out = std::move(s);
  return {};
}

boost::system::error_code decode_mb2(bytes_view in, screen_list& out) {
  static constexpr std::uint8_t order[] = {0x00, 0x00, 0x01, 0x02, 0x03, 0x04, 0x05};
  if (in.size() != 2 + sizeof order || (in[1] & ~display_item::all) || !(in[1] & display_item::clock))
    return errc::malformed_value;
  for (std::size_t i = 0; i < sizeof order; ++i)
    if (in[2 + i] != order[i]) return errc::malformed_value;
  screen_list s;
  for (const auto& r : screen_rows)
    if (r.mb2_bit & in[1]) s.push_back(r.s);
  out = std::move(s);
  return {};
}

}  // namespace

const char* to_string(screen s) noexcept { return row_of(s).name; }

std::optional<screen> parse_screen(std::string_view name) noexcept {
  for (const auto& r : screen_rows)
    if (name == r.name) return r.s;
  return std::nullopt;
}

std::string screen_names() {
  std::string out;
  for (const auto& r : screen_rows) out += (out.empty() ? "" : ", ") + std::string(r.name);
  return out;
}

screen_list screens_of(display_items_layout l) {
  screen_list out;
  for (const auto& r : screen_rows)
    if (id_in(l, r.s)) out.push_back(r.s);
  if (l == display_items_layout::mi_band_3)
    std::sort(out.begin(), out.end(), [](screen a, screen b) { return row_of(a).mb3_id < row_of(b).mb3_id; });
  return out;
}

std::optional<display_items_layout> layout_of(const screen_list& s) {
  for (auto l : {display_items_layout::mi_band_2, display_items_layout::mi_band_3})
    if (std::all_of(s.begin(), s.end(), [l](screen x) { return id_in(l, x) != 0; })) return l;
  return std::nullopt;
}

const char* describe(display_items_layout l) noexcept {
  switch (l) {
    case display_items_layout::none: return "a device without a display";
    case display_items_layout::mi_band_2: return "Mi Band 2";
    case display_items_layout::mi_band_3: return "Mi Band 3 / Mi Band 4";
    case display_items_layout::amazfit_bip: return "Amazfit Bip";
  }
  return "?";
}

boost::system::error_code encode_display_items(display_items_layout l, const screen_list& s, frame& out) {
  if (l != display_items_layout::mi_band_2 && l != display_items_layout::mi_band_3) return errc::invalid_argument;
  if (has_duplicates(s)) return errc::invalid_argument;
  for (screen x : s)
    if (!id_in(l, x)) return errc::invalid_argument;
  if (l == display_items_layout::mi_band_3) {
    out = encode_mb3(s);
    return {};
  }
  std::uint8_t mask = display_item::clock;
  for (screen x : s) mask |= row_of(x).mb2_bit;
  out = encode_display_items(mask);
  return {};
}

boost::system::error_code decode_display_items(display_items_layout l, bytes_view in, screen_list& out) noexcept {
  if (in.empty() || in[0] != cmd_display_items) return errc::malformed_value;
  switch (l) {
    case display_items_layout::mi_band_2: return decode_mb2(in, out);
    case display_items_layout::mi_band_3: return decode_mb3(in, out);
    default: return errc::malformed_value;
  }
}

// ---- what a device can take ----

att::uuid characteristic_of(setting_channel channel) {
  switch (channel) {
    case setting_channel::user_settings: return uuids::user_settings();
    case setting_channel::config: return uuids::configuration();
    case setting_channel::heart_rate: return uuids::heart_rate_control_point();
  }
  return uuids::configuration();
}

namespace {

const char* characteristic_text(setting_channel channel) {
  switch (channel) {
    case setting_channel::user_settings: return "the user-settings characteristic 0008 of FEE0 (fact sheet §12)";
    case setting_channel::config: return "the configuration characteristic 0003 of FEE0 (fact sheet §13)";
    case setting_channel::heart_rate: return "the Heart Rate Control Point 2A39 (fact sheet §5.2)";
  }
  return "?";
}

// The screens of `items` the family has no id for, one problem each.
void check_screens(const screen_list& items, const device_capabilities& caps, std::vector<unsupported_setting>& out) {
  const auto l = caps.display_items;
  const std::string family = to_string(caps.family);
  if (l != display_items_layout::mi_band_2 && l != display_items_layout::mi_band_3) {
    out.push_back({"display.items",
                   "bandwire does not encode the display items of a " + family +
                       " (its item ids and shortcuts differ, fact sheet §18); leave display.items out",
                   make_error_code(errc::invalid_argument)});
    return;
  }
  std::string names;
  for (screen s : screens_of(l)) names += (names.empty() ? "" : ", ") + std::string(to_string(s));
  for (screen s : items)
    if (!id_in(l, s))
      out.push_back({"display.items",
                     "the " + family + " has no \"" + to_string(s) + "\" screen (its screens after the clock: " +
                         names + "; fact sheet " + (l == display_items_layout::mi_band_2 ? "§13.3" : "§18") + ")",
                     make_error_code(errc::invalid_argument)});
}

}  // namespace

std::vector<unsupported_setting> check_support(const std::vector<setting_write>& writes,
                                               const device_capabilities& caps) {
  std::vector<unsupported_setting> out;
  for (const auto& w : writes) {
    auto ec = missing_service_error(caps, characteristic_of(w.channel));
    // Heart-rate settings also turn 2A37's notifications on around them (band_config).
    if (!ec && w.channel == setting_channel::heart_rate) ec = missing_service_error(caps, uuids::heart_rate_measurement());
    std::string needs = characteristic_text(w.channel);
    // `14 NN` and `15 00 0v` are Mi Band commands: never on a strap's control
    // point, where `01` resets Energy Expended (HRS 1.0 §3.3, fact sheet §18).
    if (!ec && w.channel == setting_channel::heart_rate && !caps.miband_service) {
      ec = make_error_code(errc::miband_service_missing);
      needs = "a Mi Band (it is a Mi Band command on 2A39, fact sheet §5.2)";
    }
    if (!ec) continue;
    out.push_back(
        {w.key, "needs " + needs + ", but " + ec.message() + " (this device is a " + to_string(caps.family) + ")", ec});
  }
  return out;
}

std::vector<unsupported_setting> check_support(const band_settings& s, const device_capabilities& caps) {
  // Every key with the characteristic it goes to (the layout decides only
  // the bytes of display.items, not where they go).
  band_settings keys = s;
  keys.display_items.reset();
  std::vector<setting_write> writes = plan_writes(keys);
  if (s.display_items) writes.push_back({"display.items", setting_channel::config, {}, {}});
  auto out = check_support(writes, caps);
  const bool items_flagged =
      std::any_of(out.begin(), out.end(), [](const unsupported_setting& u) { return u.key == "display.items"; });
  if (s.display_items && !items_flagged) check_screens(*s.display_items, caps, out);
  return out;
}

}  // namespace bandwire::miband
