#include "miband/band_config.hpp"

#include "att/error.hpp"
#include "common/timer.hpp"
#include "gatt/error.hpp"
#include "miband/error.hpp"
#include "miband/uuids.hpp"

namespace bandwire::miband {

struct band_config::run_state {
  std::vector<setting_write> writes;
  std::size_t i = 0;
  std::vector<write_outcome> outcomes;
  std::shared_ptr<op<std::vector<write_outcome>>> o;
  registration listener;
  timer deadline;
  std::uint16_t config_handle = 0, hr_handle = 0;
  bool config_on = false, hr_on = false;  // CCCDs this run turned on
  bool awaiting = false;                  // a 0003 reply is due
  bool finishing = false;
  error_code first_refusal, final_ec;
  run_state(asio::any_io_executor ex, const scaled_clock& c) : deadline(ex, c) {}
};

namespace {

std::uint16_t value_handle(const gatt::client& c, const att::uuid& type) {
  const auto* ch = c.find_characteristic(type);
  return ch ? ch->value_handle : 0;
}

// A refusal by the band ends one write, not the run; anything else (no
// answer, a closed link, a local failure) ends the run.
bool is_refusal(const error_code& ec) {
  return att::is_peer_error(ec) || ec == errc::command_failed || ec == errc::unexpected_reply ||
         ec == errc::malformed_reply;
}

}  // namespace

std::string describe_failure(const write_outcome& o) {
  const std::string sent = hex_bytes(o.write.value.bytes());
  const std::string& key = o.write.key;
  if (!o.reply.empty())
    return key + ": the band refused " + sent + ": it answered " + hex_bytes(o.reply) + " (" + o.ec.message() + ")";
  if (att::is_peer_error(o.ec))
    return key + ": the band refused " + sent + ": ATT error " +
           att::describe_peer_error(static_cast<std::uint8_t>(o.ec.value()));
  if (o.ec == errc::no_answer) return key + ": the band did not answer " + sent + " in time";
  return key + ": writing " + sent + " failed: " + o.ec.message();
}

band_config::band_config(gatt::client& client, const scaled_clock& clock)
    : client_(client), clock_(clock), ex_(client.get_executor()) {}

band_config::~band_config() {
  run_.reset();
  ops_.abort_all();
}

void band_config::cancel() {
  run_.reset();
  ops_.abort_all();
}

void band_config::set_alarm(const band_alarm& a, result_fn done) {
  if (a.slot >= alarm_slots || a.time.hour > 23 || a.time.minute > 59 || a.days > alarm_day::every_day) {
    auto o = ops_.make<std::vector<write_outcome>>(ex_, std::move(done));
    return o->complete(make_error_code(errc::invalid_argument), {});
  }
  run({plan_alarm(a)}, std::move(done));
}

void band_config::clear_alarm(std::uint8_t slot, result_fn done) {
  if (slot >= alarm_slots) {
    auto o = ops_.make<std::vector<write_outcome>>(ex_, std::move(done));
    return o->complete(make_error_code(errc::invalid_argument), {});
  }
  run({plan_alarm_clear(slot)}, std::move(done));
}

void band_config::run(std::vector<setting_write> writes, result_fn done) {
  auto o = ops_.make<std::vector<write_outcome>>(ex_, std::move(done));
  if (run_) return o->complete(make_error_code(errc::invalid_argument), {});
  if (const auto missing = caps_ ? check_support(writes, *caps_) : std::vector<unsupported_setting>{};
      !missing.empty()) {
    for (const auto& w : writes)
      if (w.key == missing.front().key) return o->complete(missing.front().ec, {write_outcome{w, missing.front().ec, {}}});
  }
  auto r = std::make_shared<run_state>(ex_, clock_);
  r->writes = std::move(writes);
  r->o = o;
  run_ = r;  // the object holds the run: it dies with the object
  next(r);
}

void band_config::record(const std::shared_ptr<run_state>& r, error_code ec, bytes_view reply) {
  r->outcomes.push_back(write_outcome{r->writes[r->i], ec, std::vector<std::uint8_t>(reply.begin(), reply.end())});
  if (ec && !r->first_refusal) r->first_refusal = ec;
}

void band_config::next(const std::shared_ptr<run_state>& r) {
  if (r->o->done()) return;
  if (r->i == r->writes.size()) return finish(r, r->first_refusal);
  const setting_write& w = r->writes[r->i];
  std::weak_ptr<run_state> weak = r;
  // Callbacks lock `weak` before touching `this`: the run dies with the object.
  auto then_next = [this, weak](bool& on) {
    return [this, weak, &on](error_code ec) {
      auto r = weak.lock();
      if (!r || r->o->done()) return;
      if (ec) return finish(r, ec);
      on = true;
      next(r);
    };
  };
  if (w.channel == setting_channel::config) {
    if (r->config_on) return send_config(r);
    // §13.1: turn the replies on (Mi Fit does it around every command).
    r->config_handle = value_handle(client_, uuids::configuration());
    if (!r->config_handle) return finish(r, gatt::make_error_code(gatt::errc::not_in_cache));
    r->listener = client_.listen(r->config_handle, [this, weak](std::uint16_t, bytes_view v, bool) {
      if (auto r = weak.lock()) on_reply(r, v);
    });
    return client_.subscribe(r->config_handle, then_next(r->config_on));
  }
  if (w.channel == setting_channel::heart_rate && !r->hr_on) {
    // Every client turns 2A37's notifications on before writing 2A39 (§5.3); Mi Fit, around these settings too.
    r->hr_handle = value_handle(client_, uuids::heart_rate_measurement());
    if (!r->hr_handle) return finish(r, gatt::make_error_code(gatt::errc::not_in_cache));
    return client_.subscribe(r->hr_handle, then_next(r->hr_on));
  }
  const auto h = value_handle(client_, w.channel == setting_channel::heart_rate ? uuids::heart_rate_control_point()
                                                                                 : uuids::user_settings());
  if (!h) return finish(r, gatt::make_error_code(gatt::errc::not_in_cache));
  // 0008 and 2A39 take a Write Request: the Write Response is the band's whole answer.
  client_.write(h, w.value.bytes(), [this, weak](error_code ec) {
    auto r = weak.lock();
    if (!r || r->o->done()) return;
    record(r, ec, {});
    if (ec && !is_refusal(ec)) return finish(r, ec);
    ++r->i;
    next(r);
  });
}

void band_config::send_config(const std::shared_ptr<run_state>& r) {
  const setting_write& w = r->writes[r->i];
  r->awaiting = true;
  if (error_code ec = client_.write_without_response(r->config_handle, w.value.bytes())) {
    r->awaiting = false;
    record(r, ec, {});
    return finish(r, ec);
  }
  std::weak_ptr<run_state> weak = r;
  r->deadline.expires_after(reply_timeout);
  r->deadline.async_wait([this, weak](error_code ec) {
    auto r = weak.lock();
    if (ec || !r || r->o->done() || !r->awaiting) return;
    r->awaiting = false;
    record(r, make_error_code(errc::no_answer), {});
    finish(r, make_error_code(errc::no_answer));
  });
}

void band_config::on_reply(const std::shared_ptr<run_state>& r, bytes_view v) {
  if (!r->awaiting || r->o->done()) return;  // nothing asked: a stray notification is ignored
  r->awaiting = false;
  r->deadline.cancel();
  record(r, match_config_reply(r->writes[r->i].value.bytes(), v), v);
  ++r->i;
  next(r);
}

void band_config::finish(const std::shared_ptr<run_state>& r, error_code ec) {
  if (r->finishing) return;
  r->finishing = true;
  r->final_ec = ec;
  r->awaiting = false;
  r->deadline.cancel();
  r->listener.reset();
  unwind(r);
}

// Turns off what the run turned on (as Mi Fit does, Appendix A), one CCCD
// after the other; failures there change nothing of the result.
void band_config::unwind(const std::shared_ptr<run_state>& r) {
  if (r->o->done()) return;
  bool* on = r->config_on ? &r->config_on : r->hr_on ? &r->hr_on : nullptr;
  if (!on) {
    r->o->complete(r->final_ec, std::move(r->outcomes));
    if (run_ == r) run_.reset();
    return;
  }
  *on = false;
  const std::uint16_t h = on == &r->config_on ? r->config_handle : r->hr_handle;
  client_.unsubscribe(h, [this, weak = std::weak_ptr<run_state>(r)](error_code) {
    if (auto r = weak.lock()) unwind(r);
  });
}

}  // namespace bandwire::miband
