#include "miband/alert.hpp"

namespace bandwire::miband {

frame make_custom_vibration(std::uint16_t on_ms, std::uint16_t off_ms, std::uint8_t count) {
  return frame{0xff,
               static_cast<std::uint8_t>(on_ms),
               static_cast<std::uint8_t>(on_ms >> 8),
               static_cast<std::uint8_t>(off_ms),
               static_cast<std::uint8_t>(off_ms >> 8),
               count};
}

boost::system::error_code decode_alert_request(bytes_view in, alert_request& out) noexcept {
  alert_request r;
  if (in.size() == 1 && in[0] != 0xff) {
    r.level = in[0];
  } else if (in.size() == 6 && in[0] == 0xff) {
    r.level = 0xff;
    r.on_ms = get_le16(&in[1]);
    r.off_ms = get_le16(&in[3]);
    r.count = in[5];
  } else {
    return errc::malformed_value;
  }
  out = r;
  return {};
}

namespace {

frame header(const new_alert& a) {
  frame f{static_cast<std::uint8_t>(a.category), a.count};
  if (a.category == alert_category::huami_icon) f.push_back(a.icon);
  return f;
}

bool is_continuation(char c) { return (static_cast<unsigned char>(c) & 0xc0) == 0x80; }

/// How many bytes of `text` fit in `room` without splitting a character.
/// Never 0 for non-empty text and room > 0 unless the text starts with a
/// run of continuation bytes longer than room (invalid UTF-8): then `room`.
std::size_t fitting(std::string_view text, std::size_t room) {
  if (text.size() <= room) return text.size();
  std::size_t n = room;
  while (n > 0 && is_continuation(text[n])) --n;
  return n == 0 ? room : n;
}

frame with_text(frame f, std::string_view text) {
  for (char c : text) f.push_back(static_cast<std::uint8_t>(c));
  return f;
}

}  // namespace

frame encode_new_alert(const new_alert& a, std::size_t* consumed) {
  const frame h = header(a);
  const std::size_t n = fitting(a.text, frame::capacity - h.size());
  if (consumed) *consumed = n;
  return with_text(h, a.text.substr(0, n));
}

std::vector<frame> encode_new_alert_parts(const new_alert& a) {
  const frame h = header(a);
  const std::size_t room = frame::capacity - h.size();
  std::vector<frame> out;
  std::string_view rest = a.text;
  do {
    const std::size_t n = fitting(rest, room);
    out.push_back(with_text(h, rest.substr(0, n)));
    rest.remove_prefix(n);
  } while (!rest.empty());
  return out;
}

boost::system::error_code decode_new_alert(bytes_view in, new_alert& out) noexcept {
  if (in.size() < 2) return errc::malformed_value;
  new_alert a;
  a.category = static_cast<alert_category>(in[0]);
  a.count = in[1];
  std::size_t pos = 2;
  if (a.category == alert_category::huami_icon) {
    if (in.size() < 3) return errc::malformed_value;
    a.icon = in[2];
    pos = 3;
  }
  const bytes_view text = in.subspan(pos);
  // A view of the same bytes as characters: char may alias any object.
  a.text = std::string_view(reinterpret_cast<const char*>(text.data()), text.size());
  out = a;
  return {};
}

}  // namespace bandwire::miband
