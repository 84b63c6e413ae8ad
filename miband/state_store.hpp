// Where bandwire keeps what must survive a run: keys and the GATT cache,
// under $XDG_STATE_HOME/bandwire (default ~/.local/state/bandwire) or
// --state-dir. Nothing is kept anywhere else.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "common/asio.hpp"
#include "gatt/types.hpp"
#include "miband/auth.hpp"

namespace bandwire::miband {

/// The key store and GATT cache store a session uses. The file-based
/// implementation below is the default; a program may override the virtual
/// functions to keep keys and caches elsewhere (memory, a keyring).
class state_store {
 public:
  /// `dir` empty: $XDG_STATE_HOME/bandwire, else ~/.local/state/bandwire.
  explicit state_store(std::string dir = {});
  virtual ~state_store() = default;
  const std::string& dir() const noexcept { return dir_; }

  /// A file-name-safe id for a device: "FA8EE312B4A9", "sim", "unix-tmp-band.sock".
  static std::string device_id(const std::string& target);

  /// The stored key, if any; `error` is set when a file exists but is bad,
  /// or when group or others may access it (key_file_mode_problem()).
  virtual std::optional<auth_key> load_key(const std::string& id, std::string& error) const;
  /// Why the stored key must not be used, or "": by default
  /// key_file_mode_problem(key_path(id)). A store that keeps keys elsewhere
  /// overrides it (or inherits "" for a file that does not exist).
  virtual std::string key_mode_problem(const std::string& id) const;
  /// Writes the key with mode 0600 (directory 0700). Returns "" or an error.
  virtual std::string save_key(const std::string& id, const auth_key& key) const;
  std::string key_path(const std::string& id) const;

  /// The cached database (README "Keys and the GATT cache"): a version 2
  /// file, or a version 1 file (a full discovery) as bandwire wrote them
  /// before discovery by needs.
  virtual bool load_cache(const std::string& id, gatt::discovered_database& out) const;
  virtual void save_cache(const std::string& id, const gatt::discovered_database& db) const;
  virtual void drop_cache(const std::string& id) const;
  std::string cache_path(const std::string& id) const;

  /// The activity history's resume point (the first minute not yet durably
  /// written, miband/history_sink.hpp), under history/<id>.resume. Empty
  /// when none is stored; `error` is set when the file exists but is bad.
  virtual std::optional<std::chrono::sys_seconds> load_history_resume(const std::string& id,
                                                                      std::string& error) const;
  /// Stores it atomically and durably (temporary file, fsync, rename, fsync
  /// of the directory), so a crash leaves the old or the new point. Returns
  /// "" or an error.
  virtual std::string save_history_resume(const std::string& id, std::chrono::sys_seconds next) const;
  std::string history_resume_path(const std::string& id) const;

 private:
  std::string dir_;
};

/// Reads a key given as a file (32 hex digits) or as the BANDWIRE_KEY
/// environment variable. Empty optional and empty error when neither is set.
/// A key file that group or others may access is refused (`error` says so,
/// with the chmod that fixes it).
std::optional<auth_key> key_from_user(const std::string& key_file, std::string& error);

/// A key is all it takes to act as this host towards the band (fact sheet
/// §4: whoever holds it passes auth), so a key file must be the owner's
/// alone, as ssh requires of private keys. "" when `path` has no group or
/// other permission bits (or cannot be stat'ed: reading it reports that);
/// otherwise one line naming the file and its mode and ending with the
/// command that fixes it, `chmod 600 PATH` (PATH quoted for a shell when it
/// needs to be).
std::string key_file_mode_problem(const std::string& path);

/// Text form of a discovered database (one line per entity), for the
/// cache: version 2, which records partial discovery and absent services.
std::string serialize_database(const gatt::discovered_database& db);
/// Reads version 2, or version 1 (always a full discovery); false on
/// anything else or a malformed line.
bool parse_database(const std::string& text, gatt::discovered_database& out);

}  // namespace bandwire::miband
