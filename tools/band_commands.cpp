// The Mi Band commands: pair, info, battery, time, steps, heart, alert,
// vibrate, events. Each is a short coroutine over miband::band.
#include <csignal>
#include <cstdio>
#include <ctime>

#include "miband/error.hpp"
#include "tools/await.hpp"
#include "tools/band_session.hpp"
#include "tools/commands.hpp"
#include "tools/output.hpp"

namespace bandwire::tools {

using namespace std::chrono_literals;

namespace {

struct command_spec {
  const char* name;
  const char* usage;
  std::set<std::string> values;
  std::set<std::string> flags;
};

std::string date_text(const miband::date_time& d) {
  char b[32];
  std::snprintf(b, sizeof b, "%04u-%02u-%02u %02u:%02u:%02u", d.year, d.month, d.day, d.hour, d.minute, d.second);
  return b;
}

std::string tz_text(std::int8_t q) {
  char b[16];
  const int m = q * 15;
  std::snprintf(b, sizeof b, "%c%02d:%02d", m < 0 ? '-' : '+', std::abs(m) / 60, std::abs(m) % 60);
  return b;
}

double now_wall() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

std::chrono::minutes local_utc_offset() {
  std::time_t t = std::time(nullptr);
  std::tm local{};
  ::localtime_r(&t, &local);
  return std::chrono::duration_cast<std::chrono::minutes>(std::chrono::seconds(local.tm_gmtoff));
}

// Waits for Ctrl-C, SIGTERM, --duration, or the link going away. Returns
// false when the link went away.
asio::awaitable<bool> wait_until_stopped(band_session& s, double duration) {
  asio::signal_set signals(s.io, SIGINT, SIGTERM);
  asio::steady_timer timer(s.io);
  timer.expires_at(duration > 0 ? std::chrono::steady_clock::now() +
                                      std::chrono::microseconds(static_cast<long long>(duration * 1e6))
                                : asio::steady_timer::time_point::max());
  signals.async_wait([&](error_code ec, int) {
    if (!ec) timer.cancel();
  });
  auto closed = s.bearer().on_close([&](error_code) { timer.cancel(); });
  error_code ec;
  co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  signals.cancel();
  co_return s.bearer().is_open();
}

std::optional<double> duration_option(const args& a, const char* cmd, int& rc) {
  if (auto d = a.get("--duration")) {
    double v = -1;
    try {
      v = std::stod(*d);
    } catch (...) {
    }
    if (!(v > 0)) {
      std::fprintf(stderr, "bandwire %s: --duration must be a positive number of seconds\n", cmd);
      rc = exit_usage;
      return std::nullopt;
    }
    return v;
  }
  return 0.0;
}

int run_band_command(const std::string& cmd, const std::vector<std::string>& argv) {
  auto values = band_value_options();
  auto flags = band_flags();
  std::string usage;
  if (cmd == "pair") {
    flags.insert("--force");
    usage = "usage: bandwire pair --device TARGET [--force] [options]\n\n"
            "Binds a new random key to the band: the band vibrates and you tap it to\n"
            "confirm. The key is stored (mode 0600) for later commands and never printed.\n"
            "--force replaces a key already stored for this device.\n";
  } else if (cmd == "info") {
    usage = "usage: bandwire info --device TARGET [options]\n\n"
            "Device information (serial, hardware and software revision, system and PnP\n"
            "id), battery and the band's clock.\n";
  } else if (cmd == "battery") {
    usage = "usage: bandwire battery --device TARGET [options]\n\nBattery level, charging state and the last charge dates.\n";
  } else if (cmd == "time") {
    flags.insert("--set");
    usage = "usage: bandwire time --device TARGET [--set] [options]\n\n"
            "Reads the band's clock; --set writes this host's clock and time zone\n"
            "(including DST) to it first.\n";
  } else if (cmd == "steps") {
    flags.insert("--follow");
    values.insert("--duration");
    usage = "usage: bandwire steps --device TARGET [--follow [--duration S]] [options]\n\n"
            "Steps, distance (m) and calories (kcal) today; --follow prints every update\n"
            "until Ctrl-C or S seconds.\n";
  } else if (cmd == "heart") {
    flags.insert("--continuous");
    values.insert({"--duration", "--measure-timeout"});
    usage = "usage: bandwire heart --device TARGET [--continuous [--duration S]] [options]\n\n"
            "One heart-rate measurement (the band needs ~6 s; a failed measurement exits 1),\n"
            "or with --continuous one value about every 1.25 s until Ctrl-C or S seconds,\n"
            "keeping the band measuring with a keep-alive every 12 s and reporting when\n"
            "values stop. --measure-timeout S bounds the one-shot wait (default 15).\n";
  } else if (cmd == "alert" || cmd == "vibrate") {
    values.insert({"--level", "--text", "--category"});
    usage = cmd == "vibrate"
                ? "usage: bandwire vibrate --device TARGET [options]\n\nVibrates the band (find device: alert level 3).\n"
                : "usage: bandwire alert --device TARGET [--level message|call|vibrate|stop]\n"
                  "                      [--text TEXT [--category sms|call|email|...]] [options]\n\n"
                  "Immediate Alert (default level message), or with --text a New Alert that\n"
                  "shows the text (SMS and incoming call only on the Mi Band 2).\n";
  } else if (cmd == "events") {
    values.insert("--duration");
    usage = "usage: bandwire events --device TARGET [--duration S] [options]\n\n"
            "Prints the band's events (button presses...) until Ctrl-C or S seconds.\n";
  }
  args a(argv, values, flags);
  if (a.has("--help")) {
    std::fputs(usage.c_str(), stdout);
    std::fputs("\n", stdout);
    std::fputs(band_common_help, stdout);
    return exit_ok;
  }
  band_session s(a);
  if (int rc = s.configure(cmd.c_str()); rc >= 0) return rc;
  if (!a.positional().empty()) {
    std::fprintf(stderr, "bandwire %s: unexpected argument '%s'\n", cmd.c_str(), a.positional()[0].c_str());
    return exit_usage;
  }
  int rc = -1;
  const auto duration = duration_option(a, cmd.c_str(), rc);
  if (!duration) return rc;

  return s.run([&]() -> asio::awaitable<int> {
    if (cmd == "pair") {
      if (int c = co_await s.connect(false); c >= 0) co_return c;
      co_return co_await s.pair(a.has("--force"));
    }
    if (int c = co_await s.connect(true); c >= 0) co_return c;
    auto& b = s.band();

    if (cmd == "info" || cmd == "battery") {
      if (cmd == "info") {
        auto [ec, info] = co_await await_value<miband::device_information>(
            [&](auto d) { b.read_device_information(std::move(d)); });
        if (ec) co_return s.fail("reading device information", ec);
        if (s.json) {
          json_object o;
          o.add("kind", "info").add("serial", info.serial).add("hardware", info.hardware).add("software", info.software);
          o.add("system_id", to_hex(info.system_id));
          if (info.pnp)
            o.add("vendor_id", info.pnp->vendor_id).add("product_id", info.pnp->product_id).add("product_version", info.pnp->product_version);
          emit(o.str());
        } else {
          emit("serial:    " + info.serial);
          emit("hardware:  " + info.hardware);
          emit("software:  " + info.software);
          emit("system id: " + to_hex(info.system_id));
          if (info.pnp) {
            char buf[64];
            std::snprintf(buf, sizeof buf, "pnp id:    vendor 0x%04x product 0x%04x version 0x%04x", info.pnp->vendor_id,
                          info.pnp->product_id, info.pnp->product_version);
            emit(buf);
          }
        }
      }
      auto [ec, bat] = co_await await_value<miband::battery_info>([&](auto d) { b.read_battery(std::move(d)); });
      if (ec) co_return s.fail("reading the battery", ec);
      if (s.json) {
        json_object o;
        o.add("kind", "battery").add("level", bat.level_percent).add("charging", bat.charging());
        if (bat.date_a) o.add("date_a", date_text(bat.date_a->local));
        if (bat.date_b) o.add("date_b", date_text(bat.date_b->local));
        if (bat.level_at_date_b) o.add("level_at_date_b", *bat.level_at_date_b);
        emit(o.str());
      } else {
        emit("battery:   " + std::to_string(bat.level_percent) + " %" + (bat.charging() ? " (charging)" : ""));
        if (bat.date_a) emit("charge A:  " + date_text(bat.date_a->local));
        if (bat.date_b)
          emit("charge B:  " + date_text(bat.date_b->local) +
               (bat.level_at_date_b ? " (" + std::to_string(*bat.level_at_date_b) + " %)" : ""));
      }
      if (cmd == "battery") co_return exit_ok;
    }
    if (cmd == "time" || cmd == "info") {
      if (cmd == "time" && a.has("--set")) {
        const auto t = miband::make_current_time(std::chrono::system_clock::now(), local_utc_offset());
        error_code ec = co_await await_done([&](auto d) { b.write_time(t, std::move(d)); });
        if (ec) co_return s.fail("setting the time", ec);
      }
      auto [ec, t] = co_await await_value<miband::current_time>([&](auto d) { b.read_time(std::move(d)); });
      if (ec) co_return s.fail("reading the time", ec);
      const std::string tz = t.tz_quarters ? tz_text(*t.tz_quarters) : "";
      if (s.json)
        emit(json_object().add("kind", "time").add("time", date_text(t.local)).add("tz", tz).add("day_of_week", t.day_of_week).str());
      else
        emit("time:      " + date_text(t.local) + (tz.empty() ? "" : " " + tz));
      co_return exit_ok;
    }
    if (cmd == "steps") {
      auto print = [&](const miband::realtime_steps& st) {
        if (s.json) {
          json_object o;
          o.add("kind", "steps").add("time", now_wall()).add("steps", st.steps);
          if (st.distance_m) o.add("distance_m", *st.distance_m);
          if (st.calories_kcal) o.add("calories_kcal", *st.calories_kcal);
          emit(o.str());
        } else {
          std::string line = "steps " + std::to_string(st.steps);
          if (st.distance_m) line += ", " + std::to_string(*st.distance_m) + " m";
          if (st.calories_kcal) line += ", " + std::to_string(*st.calories_kcal) + " kcal";
          emit(line);
        }
      };
      auto [ec, st] = co_await await_value<miband::realtime_steps>([&](auto d) { b.read_steps(std::move(d)); });
      if (ec) co_return s.fail("reading steps", ec);
      print(st);
      if (!a.has("--follow")) co_return exit_ok;
      ec = co_await await_done([&](auto d) { b.follow_steps(print, std::move(d)); });
      if (ec) co_return s.fail("subscribing to steps", ec);
      if (!co_await wait_until_stopped(s, *duration)) co_return s.fail("following steps", s.bearer().close_reason());
      co_return exit_ok;
    }
    if (cmd == "heart") {
      if (!a.has("--continuous")) {
        double limit = 15;
        if (auto m = a.get("--measure-timeout")) {
          try {
            limit = std::stod(*m);
          } catch (...) {
            limit = -1;
          }
          if (!(limit > 0)) {
            std::fprintf(stderr, "bandwire heart: --measure-timeout must be positive seconds\n");
            co_return exit_usage;
          }
        }
        auto [ec, bpm] = co_await await_value<std::uint16_t>([&](auto d) {
          b.heart_rate_once(std::chrono::milliseconds(static_cast<long long>(limit * 1000)), std::move(d));
        });
        if (ec == miband::errc::measurement_failed) {
          std::fprintf(stderr, "bandwire: the band could not measure (reading 0): wear it snugly and try again\n");
          if (s.json) emit(json_object().add("kind", "hr").add("time", now_wall()).add("bpm", 0).add("failed", true).str());
          co_return exit_failed;
        }
        if (ec) co_return s.fail("heart rate measurement", ec);
        if (s.json)
          emit(json_object().add("kind", "hr").add("time", now_wall()).add("bpm", bpm).str());
        else
          emit("heart rate " + std::to_string(bpm) + " bpm");
        co_return exit_ok;
      }
      error_code ec = co_await await_done([&](auto d) {
        b.start_heart_rate(
            [&](const miband::stream_event& ev) {
              if (ev.what == miband::stream_event::kind::stall) {
                const double silent = ev.stall_seconds;
                if (s.json)
                  emit(json_object().add("kind", "gap").add("time", now_wall()).add("missing", 0).add("seconds", silent).str());
                else
                  std::fprintf(stderr, "bandwire: no heart rate for %.1f s\n", silent);
                return;
              }
              if (ev.what != miband::stream_event::kind::heart_rate) return;
              const auto& m = *ev.hr;
              if (s.json) {
                json_object o;
                o.add("kind", "hr").add("time", now_wall()).add("bpm", m.bpm);
                if (m.rr_count()) {
                  std::string rr = "[";
                  for (std::size_t i = 0; i < m.rr_count(); ++i) {
                    char buf[24];
                    std::snprintf(buf, sizeof buf, "%s%.4f", i ? "," : "", m.rr_seconds(i));
                    rr += buf;
                  }
                  o.add_raw("rr", rr + "]");
                }
                emit(o.str());
              } else {
                emit("heart rate " + std::to_string(m.bpm) + " bpm");
              }
            },
            std::move(d));
      });
      if (ec) co_return s.fail("starting heart rate", ec);
      const bool link_ok = co_await wait_until_stopped(s, *duration);
      if (!link_ok) co_return s.fail("continuous heart rate", s.bearer().close_reason());
      ec = co_await await_done([&](auto d) { b.stop(std::move(d)); });
      if (ec) co_return s.fail("stopping heart rate", ec);
      co_return exit_ok;
    }
    if (cmd == "alert" || cmd == "vibrate") {
      if (auto text = a.get("--text")) {
        miband::new_alert na;
        na.text = *text;
        const std::string c = a.get("--category").value_or("sms");
        static const std::pair<const char*, miband::alert_category> cats[] = {
            {"simple", miband::alert_category::simple}, {"email", miband::alert_category::email},
            {"call", miband::alert_category::incoming_call}, {"missed-call", miband::alert_category::missed_call},
            {"sms", miband::alert_category::sms}, {"im", miband::alert_category::instant_message}};
        bool found = false;
        for (auto& [n, v] : cats)
          if (c == n) na.category = v, found = true;
        if (!found) {
          std::fprintf(stderr, "bandwire alert: --category must be simple, email, call, missed-call, sms or im\n");
          co_return exit_usage;
        }
        error_code ec = co_await await_done([&](auto d) { b.send_new_alert(na, std::move(d)); });
        if (ec) co_return s.fail("alert", ec);
        co_return exit_ok;
      }
      miband::alert_level level = cmd == "vibrate" ? miband::alert_level::vibrate_only : miband::alert_level::message;
      if (auto l = a.get("--level")) {
        if (*l == "message") level = miband::alert_level::message;
        else if (*l == "call") level = miband::alert_level::phone_call;
        else if (*l == "vibrate") level = miband::alert_level::vibrate_only;
        else if (*l == "stop") level = miband::alert_level::none;
        else {
          std::fprintf(stderr, "bandwire alert: --level must be message, call, vibrate or stop\n");
          co_return exit_usage;
        }
      }
      error_code ec = co_await await_done([&](auto d) { b.alert(miband::make_alert(level), std::move(d)); });
      if (ec) co_return s.fail("alert", ec);
      co_return exit_ok;
    }
    if (cmd == "events") {
      error_code ec = co_await await_done([&](auto d) {
        b.follow_events(
            [&](const miband::device_event& e) {
              if (s.json)
                emit(json_object()
                         .add("kind", "event")
                         .add("time", now_wall())
                         .add("code", static_cast<int>(e.code))
                         .add("event", miband::to_string(e.code))
                         .add("params", to_hex(e.params))
                         .str());
              else
                emit(std::string("event ") + miband::to_string(e.code) + (e.params.empty() ? "" : " " + to_hex(e.params)));
            },
            std::move(d));
      });
      if (ec) co_return s.fail("subscribing to events", ec);
      if (s.sim() && s.clock.speed() > 0) {
        // The in-process band has a button only the simulation can press:
        // press it every 5 s of band time so `events --device sim` shows one.
        auto t = std::make_shared<timer>(s.io.get_executor(), s.clock);
        auto press = std::make_shared<std::function<void()>>();
        *press = [&s, t, press] {
          t->expires_after(5s);
          t->async_wait([&s, press](error_code e) {
            if (e || !s.sim()) return;
            s.sim()->press_button();
            (*press)();
          });
        };
        (*press)();
        const bool ok = co_await wait_until_stopped(s, *duration);
        t->cancel();
        *press = nullptr;
        if (!ok) co_return s.fail("events", s.bearer().close_reason());
        co_return exit_ok;
      }
      if (!co_await wait_until_stopped(s, *duration)) co_return s.fail("events", s.bearer().close_reason());
      co_return exit_ok;
    }
    co_return exit_usage;
  });
}

}  // namespace

int run_band(const std::string& command, const std::vector<std::string>& argv) {
  return run_band_command(command, argv);
}

}  // namespace bandwire::tools
