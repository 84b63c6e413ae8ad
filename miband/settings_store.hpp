// What bandwire last applied to each band, under the state directory
// (miband/state_store.hpp): settings/<device>.toml (the settings file
// format, everything applied so far merged) and alarms/<device>.toml (the
// alarms set; the Mi Band 2 has no command to read its alarms back, fact
// sheet §13.3: `0d` is documented only for newer bands). Both are replaced
// atomically and durably (temporary file, fsync, rename, fsync of the
// directory).
#pragma once

#include <string>

#include "miband/settings.hpp"

namespace bandwire::miband {

class settings_store {
 public:
  /// `state_dir`: state_store::dir().
  explicit settings_store(std::string state_dir) : dir_(std::move(state_dir)) {}

  std::string settings_path(const std::string& id) const { return dir_ + "/settings/" + id + ".toml"; }
  std::string alarms_path(const std::string& id) const { return dir_ + "/alarms/" + id + ".toml"; }

  /// Empty settings when none were stored; `error` set when the file exists
  /// but cannot be read or parsed.
  band_settings load_settings(const std::string& id, std::string& error) const;
  /// Returns "" or an error.
  std::string save_settings(const std::string& id, const band_settings& s) const;

  alarm_table load_alarms(const std::string& id, std::string& error) const;
  std::string save_alarms(const std::string& id, const alarm_table& a) const;

 private:
  std::string dir_;
};

}  // namespace bandwire::miband
