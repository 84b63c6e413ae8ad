#include "miband/history_server.hpp"

#include <algorithm>

#include "common/bounded_log.hpp"
#include "miband/reply.hpp"

namespace bandwire::miband {

namespace chr = std::chrono;

history_server::history_server(const history_server_options& o)
    : opts_(o),
      model_(o.seed, o.utc_offset),
      end_(chr::floor<chr::minutes>(o.end)),
      kept_(end_ - chr::minutes{o.minutes}) {
  if (opts_.round_limit == 0) opts_.round_limit = 1;
}

void history_server::on_disconnect() noexcept {
  pending_.reset();
  sent_end_.reset();
}

std::vector<history_server::notification> history_server::on_write(bytes_view value, double band_time) {
  std::vector<notification> out;
  fetch_request q;
  const bool ok = !decode_fetch_request(value, q);
  const std::uint8_t cmd = ok ? q.command : (value.empty() ? 0 : value[0]);
  history_event ev;
  ev.band_time = band_time;
  switch (cmd) {
    case fetch_cmd_start: {
      ev.what = history_event::kind::request;
      const auto asked = ok ? q.start.utc() : std::nullopt;
      if (!ok || q.type != fetch_type_activity || !asked) {
        ev.refused = true;
        push_bounded(log_, ev);
        out.push_back({false, make_reply(fetch_cmd_start, status_failure)});
        pending_.reset();
        return out;
      }
      // A start past the newest stored minute is answered with 0 records
      // from end(): clamping keeps an acknowledged empty round from moving
      // first_kept() past end() (found by fuzz/history.cpp).
      const chr::sys_seconds start =
          std::min(std::max<chr::sys_seconds>(chr::floor<chr::minutes>(*asked), kept_), end_);
      const long long avail = start < end_ ? chr::duration_cast<chr::minutes>(end_ - start).count() : 0;
      const auto count = static_cast<std::uint32_t>(std::min<long long>(avail, opts_.round_limit));
      ev.requested = *asked;
      ev.start = start;
      ev.records = count;
      push_bounded(log_, ev);
      pending_ = round{start, count};
      zoned_date d;
      d.local = to_local(start, opts_.utc_offset);
      d.tz_quarters = to_tz_quarters(opts_.utc_offset);
      out.push_back({false, make_fetch_start_reply(count, d)});
      return out;
    }
    case fetch_cmd_transfer: {
      if (!ok || !pending_) {
        out.push_back({false, make_reply(fetch_cmd_transfer, status_failure)});
        return out;
      }
      const round r = *pending_;
      pending_.reset();
      ev.what = history_event::kind::transfer;
      ev.start = r.start;
      std::uint8_t counter = 0;  // restarts at 0 for each transfer, wraps after 255 (§14.2)
      std::size_t index = 0;
      for (std::uint32_t sent = 0; sent < r.count; sent += history_records_per_packet, ++index) {
        history_sample s[history_records_per_packet];
        const std::size_t n = std::min<std::size_t>(history_records_per_packet, r.count - sent);
        for (std::size_t i = 0; i < n; ++i) s[i] = model_.at(r.start + chr::minutes{sent + i});
        const frame f = make_history_packet(counter++, std::span<const history_sample>(s, n));
        if (opts_.skip_packet && *opts_.skip_packet == index) {
          opts_.skip_packet.reset();
          continue;
        }
        out.push_back({true, f});
        ++ev.packets;
      }
      ev.records = r.count;
      push_bounded(log_, ev);
      sent_end_ = r.start + chr::minutes{r.count};
      out.push_back({false, make_reply(fetch_cmd_transfer, status_success)});
      return out;
    }
    case fetch_cmd_ack: {
      ev.what = history_event::kind::ack;
      if (sent_end_ && *sent_end_ > kept_) {
        ev.records = static_cast<std::uint32_t>(chr::duration_cast<chr::minutes>(*sent_end_ - kept_).count());
        kept_ = *sent_end_;
      }
      sent_end_.reset();
      push_bounded(log_, ev);
      out.push_back({false, make_reply(fetch_cmd_ack, status_success)});
      return out;
    }
    default:
      out.push_back({false, make_reply(cmd, status_failure)});
      return out;
  }
}

}  // namespace bandwire::miband
