#include "miband/time.hpp"

namespace bandwire::miband {

namespace chr = std::chrono;

date_time read_date_time(const std::uint8_t* p) noexcept {
  date_time d;
  d.year = get_le16(p);
  d.month = p[2];
  d.day = p[3];
  d.hour = p[4];
  d.minute = p[5];
  d.second = p[6];
  return d;
}

void write_date_time(std::uint8_t* p, const date_time& d) noexcept {
  put_le16(p, d.year);
  p[2] = d.month;
  p[3] = d.day;
  p[4] = d.hour;
  p[5] = d.minute;
  p[6] = d.second;
}

bool is_valid(const date_time& d) noexcept {
  const chr::year_month_day ymd{chr::year{d.year}, chr::month{d.month}, chr::day{d.day}};
  // Year 0 is CTS "unknown", not the proleptic year 0.
  return d.year != 0 && ymd.ok() && d.hour < 24 && d.minute < 60 && d.second < 60;
}

std::optional<chr::sys_seconds> to_utc(const date_time& local, std::int8_t tz_quarters) noexcept {
  if (!is_valid(local)) return std::nullopt;
  const chr::year_month_day ymd{chr::year{local.year}, chr::month{local.month}, chr::day{local.day}};
  const chr::sys_seconds wall = chr::sys_days{ymd} + chr::hours{local.hour} + chr::minutes{local.minute} +
                                chr::seconds{local.second};
  return wall - chr::minutes{15 * tz_quarters};
}

date_time to_local(chr::sys_seconds utc, chr::minutes utc_offset) noexcept {
  const chr::sys_seconds wall = utc + utc_offset;
  const chr::sys_days day = chr::floor<chr::days>(wall);
  const chr::year_month_day ymd{day};
  const int year = static_cast<int>(ymd.year());
  if (year < 0 || year > 0xffff) return {};
  const chr::hh_mm_ss<chr::seconds> hms{wall - day};
  date_time d;
  d.year = static_cast<std::uint16_t>(year);
  d.month = static_cast<std::uint8_t>(static_cast<unsigned>(ymd.month()));
  d.day = static_cast<std::uint8_t>(static_cast<unsigned>(ymd.day()));
  d.hour = static_cast<std::uint8_t>(hms.hours().count());
  d.minute = static_cast<std::uint8_t>(hms.minutes().count());
  d.second = static_cast<std::uint8_t>(hms.seconds().count());
  return d;
}

std::int8_t to_tz_quarters(chr::minutes utc_offset) noexcept {
  long long m = utc_offset.count();
  // Round half away from zero to the nearest quarter hour.
  long long q = m >= 0 ? (m + 7) / 15 : -((-m + 7) / 15);
  if (q > 127) q = 127;
  if (q < -128) q = -128;
  return static_cast<std::int8_t>(q);
}

boost::system::error_code decode_current_time(bytes_view in, current_time& out) noexcept {
  if (in.size() != 10 && in.size() != 11) return errc::malformed_value;
  current_time t;
  t.local = read_date_time(in.data());
  t.day_of_week = in[7];
  t.fractions256 = in[8];
  t.adjust_reason = in[9];
  if (in.size() == 11) t.tz_quarters = static_cast<std::int8_t>(in[10]);
  out = t;
  return {};
}

frame encode_current_time(const current_time& t) {
  std::uint8_t b[11];
  write_date_time(b, t.local);
  b[7] = t.day_of_week;
  b[8] = t.fractions256;
  b[9] = t.adjust_reason;
  b[10] = t.tz_quarters ? static_cast<std::uint8_t>(*t.tz_quarters) : 0;
  frame f;
  f.append(bytes_view(b, t.tz_quarters ? 11 : 10));
  return f;
}

current_time make_current_time(chr::system_clock::time_point now, chr::minutes utc_offset) noexcept {
  const chr::sys_seconds utc = chr::floor<chr::seconds>(now);
  current_time t;
  t.local = to_local(utc, utc_offset);
  if (t.local.year != 0) {
    const chr::sys_days day = chr::floor<chr::days>(utc + utc_offset);
    t.day_of_week = static_cast<std::uint8_t>(chr::weekday{day}.iso_encoding());  // Mon=1 … Sun=7
  }
  t.tz_quarters = to_tz_quarters(utc_offset);
  return t;
}

std::optional<chr::sys_seconds> to_utc(const current_time& t) noexcept {
  if (!t.tz_quarters) return std::nullopt;
  return to_utc(t.local, *t.tz_quarters);
}

}  // namespace bandwire::miband
