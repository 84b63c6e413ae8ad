// What the recorder's virtual-time suites share: virtual bands (in process,
// or behind a relay on a unix: socket), a recorder writing to a temporary
// directory, keys and caches in memory, and readers that tally the files.
#pragma once

#include <malloc.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include <doctest/doctest.h>

#include "common/timer.hpp"
#include "miband/state_store.hpp"
#include "miband/virtual_band.hpp"
#include "record/recorder.hpp"
#include "tests/record/fault_fs.hpp"
#include "tests/record/relay_band.hpp"
#include "tests/support/keys.hpp"

namespace bandwire::test {

using namespace std::chrono_literals;

// Keys, caches and history resume points in memory.
struct memory_store final : miband::state_store {
  memory_store() : state_store("/nonexistent-bandwire-test") {}
  std::optional<miband::auth_key> load_key(const std::string&, std::string&) const override { return key_a1(); }
  std::string save_key(const std::string&, const miband::auth_key&) const override { return {}; }
  bool load_cache(const std::string& id, gatt::discovered_database& out) const override {
    auto it = caches.find(id);
    if (it == caches.end()) return false;
    out = it->second;
    return true;
  }
  void save_cache(const std::string& id, const gatt::discovered_database& s) const override { caches[id] = s; }
  void drop_cache(const std::string& id) const override { caches.erase(id); }
  std::optional<std::chrono::sys_seconds> load_history_resume(const std::string& id, std::string&) const override {
    auto it = resume.find(id);
    if (it == resume.end()) return std::nullopt;
    return it->second;
  }
  std::string save_history_resume(const std::string& id, std::chrono::sys_seconds next) const override {
    resume[id] = next;
    return {};
  }
  mutable std::map<std::string, gatt::discovered_database> caches;
  mutable std::map<std::string, std::chrono::sys_seconds> resume;
};

/// The integer after `"name":` in a JSON line (0 when absent).
inline long long json_int(const std::string& line, const char* name) {
  const std::string key = std::string("\"") + name + "\":";
  const auto p = line.find(key);
  if (p == std::string::npos) return 0;
  return std::strtoll(line.c_str() + p + key.size(), nullptr, 10);
}
inline std::string json_text(const std::string& line, const char* name) {
  const std::string key = std::string("\"") + name + "\":\"";
  const auto p = line.find(key);
  if (p == std::string::npos) return {};
  const auto e = line.find('"', p + key.size());
  return line.substr(p + key.size(), e - p - key.size());
}

/// Every line of a band's files of one kind, in file order (day, index).
inline std::vector<std::string> kind_lines(const std::string& dir, record::record_kind k) {
  std::vector<std::pair<record::file_name_parts, std::string>> files;
  record::posix_file_system fs;
  for (const auto& name : fs.list(dir))
    if (auto p = record::parse_file_name(name, k, record::file_format::jsonl)) files.push_back({*p, name});
  std::sort(files.begin(), files.end());
  std::vector<std::string> lines;
  for (const auto& [p, name] : files) {
    std::ifstream f(dir + "/" + name);
    for (std::string l; std::getline(f, l);) lines.push_back(l);
  }
  return lines;
}

/// What a band's files hold.
struct tally {
  std::uint64_t packets = 0;        ///< sensor packets written (records with i == 0)
  std::uint64_t samples = 0, hr = 0, steps = 0, battery = 0, events = 0;
  std::uint64_t missing = 0;        ///< sum of the counter gaps' `missing`
  std::uint64_t link_gaps = 0, history_gaps = 0, stall_gaps = 0, write_gaps = 0, dropped = 0;
  std::uint64_t files = 0;
  bool n_ok = true;                 ///< every kind's n is 0, 1, 2, ... with no repeat or hole
};

inline tally count_files(const std::string& dir) {
  tally t;
  for (auto k : record::all_kinds) {
    const auto lines = kind_lines(dir, k);
    for (std::size_t i = 0; i < lines.size(); ++i) {
      const auto& l = lines[i];
      if (json_int(l, "n") != static_cast<long long>(i) || l.empty() || l.back() != '}') t.n_ok = false;
      switch (k) {
        case record::record_kind::accel:
        case record::record_kind::ppg:
          ++t.samples;
          if (json_int(l, "i") == 0) ++t.packets;
          break;
        case record::record_kind::hr: ++t.hr; break;
        case record::record_kind::steps: ++t.steps; break;
        case record::record_kind::events: ++t.events; break;
        case record::record_kind::battery: ++t.battery; break;
        case record::record_kind::gaps: {
          const auto reason = json_text(l, "reason");
          t.missing += static_cast<std::uint64_t>(json_int(l, "missing"));
          if (reason == "link") ++t.link_gaps;
          if (reason == "history") ++t.history_gaps;
          if (reason == "stall") ++t.stall_gaps;
          if (reason == "write") ++t.write_gaps, t.dropped += static_cast<std::uint64_t>(json_int(l, "dropped"));
          break;
        }
      }
    }
  }
  record::posix_file_system fs;
  t.files = fs.list(dir).size();
  return t;
}

inline std::size_t heap_in_use() { return mallinfo2().uordblks; }

// 2026-01-01T23:00:00Z: a soak of a few hours crosses midnight (UTC files).
constexpr double rig_epoch = 1'767'308'400.0;

struct rig {
  asio::io_context io;
  virtual_time vt{rig_epoch};
  scaled_clock clock{vt};
  temp_dir dir;
  std::shared_ptr<memory_store> store = std::make_shared<memory_store>();
  std::map<std::string, std::unique_ptr<miband::virtual_band>> bands;
  std::map<std::string, std::unique_ptr<relay_band>> relays;
  record::recorder_config cfg;
  record::recorder_options opts;
  fault_fs fs;
  std::unique_ptr<record::recorder> rec;

  rig() {
    cfg.output = dir.path + "/out";
    cfg.status_every = 0s;
    opts.fs = &fs;
    opts.utc_offset = [](std::chrono::sys_seconds) { return std::chrono::minutes(0); };
    opts.customize = [this](const record::band_config& b, miband::session_options& so) {
      so.store = store;
      so.key = key_a1();
      if (b.device == "sim") so.sim_band = bands.at(b.alias).get();
    };
  }
  ~rig() {
    rec.reset();
    relays.clear();
    vt.run_for(io, 1s);
  }

  static miband::sim_options sim(std::uint32_t seed) {
    miband::sim_options so;
    so.key = key_a1();
    so.seed = seed;
    so.random = [](bytes_span out) {
      for (std::size_t i = 0; i < out.size(); ++i) out[i] = static_cast<std::uint8_t>(i * 7 + 1);
    };
    so.history_end = std::chrono::sys_seconds{std::chrono::seconds{static_cast<long long>(rig_epoch)}};
    so.history_minutes = 90;
    so.history_round_limit = 40;
    so.history_utc_offset = 0min;
    return so;
  }

  /// A band recording everything; `relayed`: behind a relay_band.
  record::band_config& add_band(const std::string& alias, bool relayed, std::uint32_t seed = 1) {
    bands[alias] = std::make_unique<miband::virtual_band>(io.get_executor(), clock, sim(seed));
    record::band_config b;
    b.alias = alias;
    b.device = "sim";
    if (relayed) {
      relays[alias] = std::make_unique<relay_band>(io, *bands[alias], dir.path + "/" + alias + ".sock");
      b.device = relays[alias]->device();
    }
    b.accel = b.ppg = b.heart_rate = b.steps = b.events = true;
    b.battery_every = 10min;
    b.history_every = 30min;
    cfg.bands.push_back(b);
    return cfg.bands.back();
  }

  void start() {
    rec = std::make_unique<record::recorder>(io, clock, opts);
    const auto problems = rec->apply(cfg);
    CHECK(problems.empty());
  }

  /// Stops the recorder; its handler must run exactly once.
  void stop() {
    int calls = 0;
    rec->stop([&](error_code ec) {
      ++calls;
      CHECK_FALSE(ec);
    });
    REQUIRE(vt.run_until(io, [&] { return calls > 0; }, 120s));
    vt.run_for(io, 2s);
    CHECK(calls == 1);
  }

  std::string band_dir(const std::string& alias) const { return cfg.output + "/" + alias; }
  template <class P> bool run_until(P p, std::chrono::seconds limit) { return vt.run_until(io, p, limit); }
  record::link_state state(const std::string& alias) { return rec->band_supervisor(alias)->status().state; }
};

}  // namespace bandwire::test
