#include "miband/history_sync.hpp"

#include "gatt/error.hpp"
#include "miband/error.hpp"
#include "miband/session.hpp"
#include "miband/uuids.hpp"

namespace bandwire::miband {

namespace chr = std::chrono;
using namespace std::chrono_literals;

struct history_sync::state {
  std::shared_ptr<op<history_sync_result>> o;
  history_sink* sink = nullptr;
  progress_fn progress;
  std::optional<history_fetch> fetch;
  history_sync_result result;
  std::uint16_t control = 0, data = 0;
  std::unique_ptr<timer> deadline;
  registration control_reg, data_reg, close_reg;
  std::string device;
  std::shared_ptr<state_store> store;
  const scaled_clock* clock = nullptr;
  std::optional<chr::sys_seconds> first;  // round 1's returned start
};

history_sync::history_sync(session& s) : session_(s), ex_(s.get_executor()) {}

history_sync::~history_sync() {
  ops_.abort_all();
  run_.reset();
}

void history_sync::cancel() {
  auto r = std::move(run_);
  ops_.abort_all();
}

void history_sync::run(const history_sync_options& options, history_sink& sink, progress_fn progress, done_fn done) {
  auto o = ops_.make<history_sync_result>(ex_, std::move(done));
  if (run_ || !session_.band() || !session_.connected())
    return o->complete(make_error_code(errc::invalid_argument), {});
  auto& client = *session_.client();
  const auto* control = client.find_characteristic(uuids::activity_control());
  const auto* data = client.find_characteristic(uuids::activity_data());
  if (!control || !data) {
    const auto missing = missing_service_error(session_.band()->capabilities(), uuids::activity_control());
    return o->complete(missing ? missing : gatt::make_error_code(gatt::errc::not_in_cache), {});
  }

  auto st = std::make_shared<state>();
  st->o = o;
  st->sink = &sink;
  st->progress = std::move(progress);
  st->control = control->value_handle;
  st->data = data->value_handle;
  st->device = session_.device_id();
  st->store = session_.options().store;
  st->clock = &session_.band()->clock();
  st->deadline = std::make_unique<timer>(ex_, *st->clock);

  // Where to start: --since, else the resume point, else the first-run span;
  // never at or before a minute the output already holds.
  const auto now = chr::sys_seconds{chr::seconds{static_cast<long long>(st->clock->wall())}};
  chr::sys_seconds since = now - options.first_run;
  if (options.since) {
    since = *options.since;
  } else if (st->store) {
    std::string err;
    auto r = st->store->load_history_resume(st->device, err);
    if (!err.empty()) {
      history_sync_result res;
      res.message = err;
      return o->complete(make_error_code(errc::state_error), std::move(res));
    }
    if (r) since = *r;
  }
  if (auto last = sink.last_minute(); last && since <= *last) since = *last + 1min;
  since = chr::floor<chr::minutes>(since);

  auto fo = options.fetch;
  fo.acknowledge = !options.keep && sink.persistent();
  st->result.since = since;
  st->result.next = since;
  st->result.acknowledging = fo.acknowledge;
  st->fetch.emplace(since, std::move(fo));
  run_ = st;

  std::weak_ptr<state> weak = st;
  st->close_reg = session_.bearer()->on_close([this, weak](error_code reason) {
    auto s = weak.lock();
    if (!s || s != run_) return;
    finish(reason ? reason : make_error_code(errc::invalid_argument));
  });
  st->control_reg = client.listen(st->control, [this, weak](std::uint16_t, bytes_view v, bool) {
    auto s = weak.lock();
    if (!s || s != run_) return;
    act(s->fetch->on_control(v));
  });
  st->data_reg = client.listen(st->data, [this, weak](std::uint16_t, bytes_view v, bool) {
    auto s = weak.lock();
    if (!s || s != run_) return;
    auto a = s->fetch->on_data(v);
    if (a.what == history_action::kind::wait && s->fetch->state() == history_state::transferring) {
      life::guard alive(life_);
      report(false);
      if (alive.dead() || s != run_) return;
    }
    act(std::move(a));
  });
  // Both CCCDs before `01` (GB-FETCH enables both; §14.1).
  client.subscribe(st->control, [this, weak](error_code ec) {
    auto s = weak.lock();
    if (!s || s != run_) return;
    if (ec) return finish(ec);
    session_.client()->subscribe(s->data, [this, weak](error_code ec2) {
      auto s2 = weak.lock();
      if (!s2 || s2 != run_) return;
      if (ec2) return finish(ec2);
      act(s2->fetch->start());
    });
  });
}

void history_sync::report(bool committed) {
  auto s = run_;
  if (!s || !s->progress) return;
  history_progress p;
  p.round = s->fetch->round();
  p.committed = s->fetch->records_committed();
  p.round_received = s->fetch->round_received();
  p.round_announced = s->fetch->round_announced();
  p.since = s->result.since;
  const bool transferring = s->fetch->state() == history_state::transferring;
  if (!s->first && transferring) s->first = s->fetch->round_start();
  p.first = s->first.value_or(s->result.since);
  p.reached = transferring ? s->fetch->round_start() + chr::minutes{static_cast<long long>(p.round_received)}
                           : s->fetch->next_start();
  p.now = chr::sys_seconds{chr::seconds{static_cast<long long>(s->clock->wall())}};
  p.round_committed = committed;
  s->progress(p);
}

void history_sync::act(history_action a) {
  for (;;) {
    auto s = run_;
    if (!s || s->o->done()) return;
    switch (a.what) {
      case history_action::kind::none: return;
      case history_action::kind::write:
      case history_action::kind::wait: {
        if (a.what == history_action::kind::write) {
          if (a.value.size() == 1 && a.value[0] == fetch_cmd_ack) ++s->result.acks;
          if (error_code ec = session_.client()->write_without_response(s->control, a.value.bytes()))
            return finish(ec);
        }
        s->deadline->expires_after(a.timeout);
        s->deadline->async_wait([this, weak = std::weak_ptr<state>(s)](error_code ec) {
          auto st = weak.lock();
          if (ec || !st || st != run_) return;
          act(st->fetch->on_timeout());
        });
        return;
      }
      case history_action::kind::commit: {
        s->deadline->cancel();
        // The durability order of the header comment: write, fsync, resume
        // point, and only then may the fetch acknowledge.
        error_code ec = s->sink->write(a.records);
        if (!ec) ec = s->sink->durable();
        if (!ec && s->sink->persistent() && s->store) {
          const auto next = a.records.back().time + 1min;
          if (auto err = s->store->save_history_resume(s->device, next); !err.empty()) {
            s->result.message = err;
            ec = make_error_code(errc::state_error);
          }
        }
        if (ec) {
          s->result.commit_error = ec;
          a = s->fetch->commit_failed(ec);
          continue;
        }
        a = s->fetch->committed();
        {
          life::guard alive(life_);
          report(true);
          if (alive.dead() || run_ != s) return;
        }
        continue;
      }
      case history_action::kind::done: return finish(a.ec);
    }
  }
}

void history_sync::finish(error_code ec) {
  auto s = std::move(run_);
  if (!s) return;
  s->deadline->cancel();
  s->control_reg.reset();
  s->data_reg.reset();
  s->close_reg.reset();
  auto& r = s->result;
  const auto& f = *s->fetch;
  r.next = f.next_start();
  r.rounds = f.rounds_committed();
  r.records = f.records_committed();
  r.faults = f.faults();
  r.warnings = f.warnings();
  r.final_fault = f.final_fault();
  s->o->complete(ec, std::move(r));
}

}  // namespace bandwire::miband
