#include "miband/steps.hpp"

namespace bandwire::miband {

namespace {
constexpr std::uint8_t flag_running = 0x01;
constexpr std::uint8_t flag_walking = 0x02;
constexpr std::uint8_t flag_distance = 0x04;
constexpr std::uint8_t flag_calories = 0x08;
constexpr std::uint8_t known_flags = 0x0f;
}  // namespace

boost::system::error_code decode_realtime_steps(bytes_view in, realtime_steps& out) noexcept {
  if (in.size() < 5) return errc::malformed_value;
  const std::uint8_t flags = in[0];
  realtime_steps s;
  s.steps = get_le32(&in[1]);
  std::size_t pos = 5;
  auto field = [&](std::uint8_t bit, std::optional<std::uint32_t>& dst) {
    if (!(flags & bit)) return true;
    if (in.size() < pos + 4) return false;
    dst = get_le32(&in[pos]);
    pos += 4;
    return true;
  };
  if (!field(flag_running, s.running_steps) || !field(flag_walking, s.walking_steps) ||
      !field(flag_distance, s.distance_m) || !field(flag_calories, s.calories_kcal))
    return errc::malformed_value;
  if (pos != in.size() && (flags & ~known_flags) == 0) return errc::malformed_value;
  out = s;
  return {};
}

boost::system::error_code encode_realtime_steps(const realtime_steps& s, frame& out) {
  std::uint8_t flags = 0;
  if (s.running_steps) flags |= flag_running;
  if (s.walking_steps) flags |= flag_walking;
  if (s.distance_m) flags |= flag_distance;
  if (s.calories_kcal) flags |= flag_calories;
  frame f{flags};
  auto put = [&f](std::uint32_t v) {
    std::uint8_t b[4];
    put_le32(b, v);
    return f.append(b);
  };
  bool fits = put(s.steps);
  for (const auto* o : {&s.running_steps, &s.walking_steps, &s.distance_m, &s.calories_kcal})
    if (*o) fits = fits && put(**o);
  if (!fits) return errc::invalid_argument;
  out = f;
  return {};
}

}  // namespace bandwire::miband
