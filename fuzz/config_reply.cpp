// libFuzzer target for the band's side of settings and the client's reply
// matching (miband/settings.hpp, miband/virtual_settings.hpp). The first
// byte selects: 0 the 0003 reply matcher over (sent, reply), 1 a sequence of
// 0003/0008/2A39 writes to a virtual band's settings, 2 the decoders with
// round trips. Invariants: a reply is success only in the documented
// forms; what the virtual band took re-encodes to the bytes it was given.
#include <cstdint>
#include <cstdlib>

#include "common/bytes.hpp"
#include "miband/heart_rate.hpp"
#include "miband/settings.hpp"
#include "miband/virtual_settings.hpp"

using namespace bandwire;
using namespace bandwire::miband;

namespace {

void check(bool ok) {
  if (!ok) std::abort();
}

bool same(const frame& f, bytes_view in) {
  if (f.size() != in.size()) return false;
  for (std::size_t i = 0; i < in.size(); ++i)
    if (f[i] != in[i]) return false;
  return true;
}

// Input: [sent length][sent][reply].
void run_match(bytes_view in) {
  if (in.empty()) return;
  const std::size_t n = in[0] < in.size() ? in[0] : in.size() - 1;
  const bytes_view sent = in.subspan(1, n), reply = in.subspan(1 + n);
  if (match_config_reply(sent, reply)) return;
  // Success: `10 <cmd> 01`, or `10 06 id_lo id_hi 01` for the 06 family (§13.1).
  check(!sent.empty() && reply.size() >= 3 && reply[0] == 0x10 && reply[1] == sent[0]);
  if (sent[0] == 0x06)
    check(sent.size() >= 3 && reply.size() == 5 && reply[2] == sent[1] && reply[3] == sent[2] && reply[4] == 0x01);
  else
    check(reply.size() == 3 && reply[2] == 0x01);
}

// Input: chunks [kind][len][len bytes]; kind % 3 picks 0003, 0008 or 2A39.
void run_band(bytes_view in) {
  virtual_settings vs({0x05});
  std::size_t lines = 0;
  auto reg = vs.on_log([&](const std::string&) { ++lines; });
  while (in.size() >= 2) {
    const std::uint8_t kind = in[0];
    const std::size_t n = in[1] < in.size() - 2 ? in[1] : in.size() - 2;
    const bytes_view v = in.subspan(2, n);
    in = in.subspan(2 + n);
    if (kind % 3 == 0) {
      const frame reply = vs.on_config(v);
      if (!v.empty()) check(reply.size() >= 3 && reply[0] == 0x10 && reply[1] == v[0]);
    } else if (kind % 3 == 1) {
      vs.on_user_settings(v);
    } else {
      hr_command c;
      if (!decode_hr_command(v, c)) vs.on_heart_rate(c);
    }
  }
  check(lines == vs.log().size());
  check(!vs.settings().raise_to_wake.has_value());  // refused id 05 is never taken
}

void run_decoders(bytes_view in) {
  band_settings s;
  if (!decode_config_setting(in, s)) {
    const auto plan = plan_writes(s);
    check(plan.size() == 1);
    // Re-encoding gives the same bytes, except the disconnect window a band
    // ignores when the notification is off.
    if (!s.disconnect) check(same(plan[0].value, in));
  }
  // The Mi Band 3's layout (fact sheet §18): what a plan re-encodes decodes to
  // the same settings (hidden screens may come in any order on the wire).
  band_settings s3;
  if (!decode_config_setting(in, s3, display_items_layout::mi_band_3)) {
    const auto plan = plan_writes(s3, display_items_layout::mi_band_3);
    check(plan.size() == 1);
    band_settings again;
    check(!decode_config_setting(plan[0].value.bytes(), again, display_items_layout::mi_band_3) && again == s3);
  }
  user_settings_write u;
  if (!decode_user_settings(in, u)) {
    const frame f = u.user ? encode_user_info(*u.user) : u.step_goal ? encode_step_goal(*u.step_goal)
                                                                      : encode_wear_location(*u.wear);
    check(same(f, in));
  }
  alarm_write a;
  if (!decode_alarm(in, a) && a.value) check(same(encode_alarm(*a.value), in));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const bytes_view in(data + 1, size - 1);
  switch (data[0] % 3) {
    case 0: run_match(in); break;
    case 1: run_band(in); break;
    default: run_decoders(in); break;
  }
  return 0;
}
