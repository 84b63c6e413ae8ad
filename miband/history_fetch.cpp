#include "miband/history_fetch.hpp"

#include <cstdio>

#include "miband/reply.hpp"

namespace bandwire::miband {

namespace chr = std::chrono;
using namespace std::chrono_literals;

const char* to_string(history_state s) noexcept {
  switch (s) {
    case history_state::idle: return "idle";
    case history_state::awaiting_start: return "awaiting_start";
    case history_state::transferring: return "transferring";
    case history_state::draining: return "draining";
    case history_state::awaiting_commit: return "awaiting_commit";
    case history_state::awaiting_ack: return "awaiting_ack";
    case history_state::finished: return "finished";
    case history_state::failed: return "failed";
  }
  return "?";
}

std::string history_fault::text() const {
  std::string s = "round " + std::to_string(round) + " try " + std::to_string(attempt);
  char buf[96];
  if (packet) {
    std::snprintf(buf, sizeof buf, ": packet %zu (", *packet);
    s += buf;
    if (counter) {
      std::snprintf(buf, sizeof buf, "counter 0x%02x, ", *counter);
      s += buf;
    }
    if (expected) {
      std::snprintf(buf, sizeof buf, "expected 0x%02x, ", *expected);
      s += buf;
    }
    s += std::to_string(length) + " bytes)";
  }
  if (minute) {
    const date_time d = to_local(*minute, chr::minutes{0});
    std::snprintf(buf, sizeof buf, " at %04u-%02u-%02uT%02u:%02uZ", d.year, d.month, d.day, d.hour, d.minute);
    s += buf;
  }
  if (ec == history_errc::count_mismatch)
    s += ": announced " + std::to_string(announced) + " records, received " + std::to_string(received);
  return s + ": " + ec.message();
}

history_fetch::history_fetch(chr::sys_seconds since, history_fetch_options options)
    : options_(std::move(options)), next_start_(chr::floor<chr::minutes>(since)) {
  if (options_.max_attempts == 0) options_.max_attempts = 1;
}

chr::minutes history_fetch::offset_at(chr::sys_seconds t) const {
  return options_.utc_offset ? options_.utc_offset(t) : host_utc_offset(t);
}

history_fault history_fetch::here(boost::system::error_code ec) const {
  history_fault f;
  f.ec = ec;
  f.round = round_;
  f.attempt = attempt_;
  if (state_ == history_state::transferring)
    f.minute = round_start_ + chr::minutes{static_cast<long long>(records_.size())};
  return f;
}

history_action history_fetch::start() {
  if (state_ != history_state::idle) {
    history_action a;
    a.what = history_action::kind::done;
    a.ec = history_errc::invalid_argument;
    return a;
  }
  return request();
}

history_action history_fetch::request() {
  ++attempt_;
  last_request_ = next_start_;
  state_ = history_state::awaiting_start;
  records_.clear();
  history_action a;
  a.what = history_action::kind::write;
  a.value = make_fetch_request(options_.type, make_fetch_start(next_start_, offset_at(next_start_)));
  a.timeout = options_.reply_timeout;
  return a;
}

history_action history_fetch::fail(boost::system::error_code ec, std::optional<history_fault> f) {
  state_ = history_state::failed;
  error_ = ec;
  final_fault_ = std::move(f);
  records_.clear();
  history_action a;
  a.what = history_action::kind::done;
  a.ec = ec;
  return a;
}

history_action history_fetch::fault(history_fault f) {
  faults_.push_back(f);
  pending_fault_ = std::move(f);
  records_.clear();
  if (state_ == history_state::transferring) {
    // Let the broken transfer run out before asking again, so its late
    // packets cannot be mistaken for the next transfer's.
    state_ = history_state::draining;
    history_action a;
    a.what = history_action::kind::wait;
    a.timeout = options_.data_timeout;
    return a;
  }
  return retry();
}

history_action history_fetch::retry() {
  history_fault f = pending_fault_ ? *pending_fault_ : here(history_errc::no_answer);
  pending_fault_.reset();
  if (attempt_ >= options_.max_attempts) return fail(history_errc::retries_exhausted, f);
  history_action a = request();
  a.retry = std::move(f);
  return a;
}

history_action history_fetch::next_round() {
  ++round_;
  attempt_ = 0;
  if (next_start_ <= last_request_) return fail(history_errc::no_progress, here(history_errc::no_progress));
  return request();
}

history_action history_fetch::on_control(bytes_view value) {
  reply r;
  const bool is_reply = !decode_reply(value, r);
  switch (state_) {
    case history_state::awaiting_start: {
      if (is_reply && r.command != fetch_cmd_start) break;  // stale `10 02`/`10 03` of an earlier transfer
      fetch_start_reply s;
      if (auto ec = decode_fetch_start_reply(value, s)) {
        if (ec == history_errc::fetch_refused) return fail(ec, here(ec));
        return fault(here(ec));
      }
      if (s.count == 0) {
        // Nothing more. No `03`: there is nothing to acknowledge (choice;
        // GB sends one here, HMK just stops).
        state_ = history_state::finished;
        history_action a;
        a.what = history_action::kind::done;
        return a;
      }
      const auto utc = s.start.utc();
      if (!utc) return fault(here(history_errc::bad_start_date));
      announced_ = s;
      round_start_ = *utc;
      counter_ = packet_counter(0);
      packets_ = 0;
      records_.clear();
      state_ = history_state::transferring;
      history_action a;
      a.what = history_action::kind::write;
      a.value = make_fetch_transfer();
      a.timeout = options_.data_timeout;
      return a;
    }
    case history_state::transferring: {
      if (!is_reply) return fault(here(history_errc::malformed_reply));
      if (r.command != fetch_cmd_transfer) break;
      if (!r.ok()) return fail(history_errc::transfer_failed, here(history_errc::transfer_failed));
      if (records_.empty()) return fault(here(history_errc::no_progress));
      if (records_.size() != announced_.count) {
        history_fault w = here(history_errc::count_mismatch);
        w.minute.reset();
        w.announced = announced_.count;
        w.received = static_cast<std::uint32_t>(records_.size());
        warnings_.push_back(w);
      }
      const chr::sys_seconds next = records_.back().time + 1min;
      if (next <= last_request_) return fail(history_errc::no_progress, here(history_errc::no_progress));
      pending_next_ = next;
      state_ = history_state::awaiting_commit;
      stray_warned_ = false;
      history_action a;
      a.what = history_action::kind::commit;
      a.records = std::move(records_);
      records_.clear();
      committing_ = a.records.size();
      return a;
    }
    case history_state::draining:
      if (is_reply && r.command == fetch_cmd_transfer) return retry();
      break;
    case history_state::awaiting_ack:
      if (!is_reply || r.command != fetch_cmd_ack) break;
      if (!r.ok()) warnings_.push_back(here(history_errc::ack_refused));
      return next_round();
    default: break;
  }
  ++ignored_;
  return {};
}

history_action history_fetch::on_data(bytes_view value) {
  switch (state_) {
    case history_state::transferring: {
      history_packet p;
      auto ec = decode_history_packet(value, p);
      if (!ec) ec = counter_.check(p.counter);
      if (!ec && records_.size() + p.count() > options_.max_round_records) ec = history_errc::count_mismatch;
      if (ec) {
        history_fault f = here(ec);
        f.packet = packets_;
        if (!value.empty()) f.counter = value[0];
        f.expected = counter_.expected();
        f.length = value.size();
        return fault(std::move(f));
      }
      ++packets_;
      for (std::size_t i = 0; i < p.count(); ++i) {
        const auto t = round_start_ + chr::minutes{static_cast<long long>(records_.size())};
        records_.push_back(make_minute_record(t, announced_.start.tz_quarters, p.sample(i)));
      }
      history_action a;
      a.what = history_action::kind::wait;
      a.timeout = options_.data_timeout;
      return a;
    }
    case history_state::draining: {
      ++ignored_;
      history_action a;
      a.what = history_action::kind::wait;
      a.timeout = options_.data_timeout;
      return a;
    }
    case history_state::awaiting_commit:
    case history_state::awaiting_ack:
      // Data after `10 02 01`: the round is already complete. Not kept;
      // reported once per round.
      if (!stray_warned_) warnings_.push_back(here(history_errc::unexpected_data));
      stray_warned_ = true;
      break;
    case history_state::idle:
      // Nothing was asked for yet.
      if (!stray_warned_) warnings_.push_back(here(history_errc::unexpected_data));
      stray_warned_ = true;
      break;
    default: break;  // awaiting_start: late packets of an abandoned transfer
  }
  ++ignored_;
  return {};
}

history_action history_fetch::on_timeout() {
  switch (state_) {
    case history_state::awaiting_start: return fault(here(history_errc::no_answer));
    case history_state::transferring: {
      // The band went silent: nothing left to drain.
      history_fault f = here(history_errc::no_answer);
      f.packet = packets_;
      faults_.push_back(f);
      pending_fault_ = std::move(f);
      records_.clear();
      return retry();
    }
    case history_state::draining: return retry();
    case history_state::awaiting_ack:
      warnings_.push_back(here(history_errc::no_answer));
      return next_round();
    default: return {};
  }
}

history_action history_fetch::committed() {
  if (state_ != history_state::awaiting_commit) {
    history_action a;
    a.what = history_action::kind::done;
    a.ec = history_errc::invalid_argument;
    return a;
  }
  ++rounds_committed_;
  records_committed_ += committing_;
  next_start_ = pending_next_;
  if (!options_.acknowledge) return next_round();
  state_ = history_state::awaiting_ack;
  history_action a;
  a.what = history_action::kind::write;
  a.value = make_fetch_ack();
  a.timeout = options_.ack_timeout;
  return a;
}

history_action history_fetch::commit_failed(boost::system::error_code cause) {
  if (state_ != history_state::awaiting_commit) {
    history_action a;
    a.what = history_action::kind::done;
    a.ec = history_errc::invalid_argument;
    return a;
  }
  commit_error_ = cause;
  return fail(history_errc::commit_failed, here(history_errc::commit_failed));
}

}  // namespace bandwire::miband
