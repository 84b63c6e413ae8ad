// libFuzzer target for the activity history fetch (fact sheet §14): its
// codec, the client's fetch state machine fed arbitrary notification
// sequences, and the band-side history server fed arbitrary writes.
// Besides "never crash", it checks the fetch's invariants: `03` is written
// only right after committed() and never with acknowledge off; a commit
// holds consecutive minutes; every action before done keeps the machine
// unfinished.
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "common/bytes.hpp"
#include "miband/history.hpp"
#include "miband/history_fetch.hpp"
#include "miband/history_server.hpp"

using namespace bandwire;
using namespace bandwire::miband;
namespace chr = std::chrono;

namespace {

void check(bool ok) {
  if (!ok) std::abort();
}

bool is_ack(const history_action& a) {
  return a.what == history_action::kind::write && a.value.size() == 1 && a.value[0] == fetch_cmd_ack;
}

// Input: one options byte, then steps [op][len][len bytes]; op & 7:
// 0 control, 1 data, 2 timeout, 3 committed, 4 commit failed, else data.
void run_fetch(bytes_view in) {
  if (in.empty()) return;
  history_fetch_options o;
  o.acknowledge = in[0] & 1;
  o.max_attempts = 1 + (in[0] >> 1 & 3);
  o.max_round_records = 64;
  const int tz = static_cast<std::int8_t>(in[0]) * 7;
  o.utc_offset = [tz](chr::sys_seconds) { return chr::minutes{tz}; };
  history_fetch f(chr::sys_days{chr::year{2018} / 3 / 20}, o);
  history_action act = f.start();
  check(act.what == history_action::kind::write);
  std::size_t pos = 1;
  while (pos + 1 < in.size()) {
    const std::uint8_t op = in[pos] & 7;
    const std::size_t len = std::min<std::size_t>(in[pos + 1], in.size() - pos - 2);
    const bytes_view v = in.subspan(pos + 2, len);
    pos += 2 + len;
    const bool was_awaiting_commit = f.state() == history_state::awaiting_commit;
    switch (op) {
      case 0: act = f.on_control(v); break;
      case 2: act = f.on_timeout(); break;
      case 3: act = f.committed(); break;
      case 4: act = f.commit_failed(make_error_code(history_errc::commit_failed)); break;
      default: act = f.on_data(v); break;
    }
    if (is_ack(act)) check(op == 3 && was_awaiting_commit && o.acknowledge);
    if (act.what == history_action::kind::commit) {
      check(!act.records.empty() && act.records.size() <= o.max_round_records);
      for (std::size_t i = 1; i < act.records.size(); ++i)
        check(act.records[i].time == act.records[i - 1].time + chr::minutes{1});
      check(f.state() == history_state::awaiting_commit);
    }
    if (act.what == history_action::kind::done && !act.ec) check(f.state() == history_state::finished);
    if (act.what != history_action::kind::done) check(!f.finished() || act.what == history_action::kind::none);
    if (f.state() == history_state::failed) check(static_cast<bool>(f.error()));
    for (const auto& x : f.faults()) (void)x.text();
  }
  for (const auto& x : f.warnings()) (void)x.text();
}

// Arbitrary writes to the band side; everything it sends must decode.
void run_server(bytes_view in) {
  history_server_options o;
  o.end = chr::sys_days{chr::year{2018} / 3 / 20};
  o.minutes = 600;
  o.round_limit = in.empty() ? 1 : in[0];
  history_server s(o);
  std::size_t pos = 1;
  while (pos < in.size()) {
    const std::size_t len = std::min<std::size_t>(in[pos], in.size() - pos - 1);
    const auto out = s.on_write(in.subspan(pos + 1, len), 0);
    pos += 1 + len;
    for (const auto& n : out) {
      if (n.data) {
        history_packet p;
        check(!decode_history_packet(n.value.bytes(), p));
        check(n.value.size() <= 1 + 4 * history_records_per_packet);
      } else {
        check(n.value.size() >= 3 && n.value[0] == 0x10);
      }
    }
    check(s.first_kept() <= s.end());
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const bytes_view in(data + 1, size - 1);
  switch (data[0] % 4) {
    case 0: {
      fetch_start_reply r;
      if (!decode_fetch_start_reply(in, r)) {
        const frame f = make_fetch_start_reply(r.count, r.start);
        for (std::size_t i = 0; i < f.size(); ++i) check(f[i] == in[i]);
        (void)r.start.utc();
      }
      fetch_request q;
      if (!decode_fetch_request(in, q) && q.command == fetch_cmd_start) {
        const frame f = make_fetch_request(q.type, q.start);
        check(f.size() == in.size());
        for (std::size_t i = 0; i < f.size(); ++i) check(f[i] == in[i]);
      }
      history_packet p;
      if (!decode_history_packet(in, p)) {
        check(1 + 4 * p.count() == in.size());
        for (std::size_t i = 0; i < p.count(); ++i) {
          const auto m = make_minute_record({}, 0, p.sample(i));
          check(m.raw_kind == in[1 + 4 * i]);
          check(m.heart_rate.has_value() == (in[4 + 4 * i] != 0xff));
          (void)to_string(m.category);
        }
      }
      break;
    }
    case 1: {
      packet_counter c(in.empty() ? 0 : in[0]);
      for (std::uint8_t b : in) (void)c.check(b);
      check(c.accepted() <= in.size());
      break;
    }
    case 2: run_fetch(in); break;
    default: run_server(in); break;
  }
  return 0;
}
