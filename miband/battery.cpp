#include "miband/battery.hpp"

namespace bandwire::miband {

namespace {
constexpr std::uint8_t flag_charging = 0x01;
constexpr std::uint8_t flag_date_a = 0x02;
constexpr std::uint8_t flag_date_b = 0x04;
constexpr std::uint8_t flag_last_level = 0x08;
constexpr std::size_t battery_size = 20;

zoned_date read_zoned(const std::uint8_t* p) noexcept {
  return {read_date_time(p), static_cast<std::int8_t>(p[date_time_size])};
}
}  // namespace

boost::system::error_code decode_battery_info(bytes_view in, battery_info& out) noexcept {
  if (in.size() < 2 || in.size() > battery_size) return errc::malformed_value;
  battery_info b;
  b.flags = in[0];
  b.level_percent = in[1];
  if ((b.flags & flag_charging) && in.size() >= 3) b.charging_state = in[2];
  if ((b.flags & flag_date_a) && in.size() >= 11) b.date_a = read_zoned(&in[3]);
  if ((b.flags & flag_date_b) && in.size() >= 19) b.date_b = read_zoned(&in[11]);
  if ((b.flags & flag_last_level) && in.size() >= 20) b.level_at_date_b = in[19];
  out = b;
  return {};
}

frame encode_battery_info(const battery_info& info) {
  std::uint8_t v[battery_size] = {};
  std::uint8_t flags = info.flags & 0xf0;
  v[1] = info.level_percent;
  if (info.charging_state) {
    flags |= flag_charging;
    v[2] = *info.charging_state;
  }
  if (info.date_a) {
    flags |= flag_date_a;
    write_date_time(&v[3], info.date_a->local);
    v[10] = static_cast<std::uint8_t>(info.date_a->tz_quarters);
  }
  if (info.date_b) {
    flags |= flag_date_b;
    write_date_time(&v[11], info.date_b->local);
    v[18] = static_cast<std::uint8_t>(info.date_b->tz_quarters);
  }
  if (info.level_at_date_b) {
    flags |= flag_last_level;
    v[19] = *info.level_at_date_b;
  }
  v[0] = flags;
  frame f;
  f.append(v);
  return f;
}

}  // namespace bandwire::miband
