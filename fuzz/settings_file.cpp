// libFuzzer target for the settings and alarms files (miband/settings_file.hpp).
// Besides "never crash": a file that parses formats to a file that parses
// back to the same settings (the state dir relies on it), and every problem
// names a place in the file or none.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "miband/settings.hpp"
#include "miband/settings_file.hpp"

using namespace bandwire::miband;

namespace {

void check(bool ok) {
  if (!ok) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  band_settings s;
  if (parse_settings_file(text, s).empty()) {
    band_settings back;
    check(parse_settings_file(format_settings_file(s), back).empty());
    check(back == s);
    // A file's screens fit one band's layout (parse refuses a mix); the plan for it writes them.
    const auto layout = s.display_items ? layout_of(*s.display_items) : display_items_layout::mi_band_2;
    check(layout.has_value());
    const auto plan = plan_writes(s, *layout);
    for (const auto& w : plan) check(!w.value.empty());
    check(s.empty() || !plan.empty());
  } else {
    check(s.empty());  // nothing is set from a file with a problem
  }
  alarm_table a{};
  if (parse_alarms_file(text, a).empty()) {
    alarm_table back{};
    check(parse_alarms_file(format_alarms_file(a), back).empty());
    check(back == a);
  }
  return 0;
}
