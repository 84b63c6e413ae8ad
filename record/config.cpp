#include "record/config.hpp"

#include <cmath>
#include <fstream>
#include <set>
#include <sstream>

#include "miband/detail/toml.hpp"  // toml++ as settings files parse it (guards throw)

#include "miband/settings_file.hpp"

#include "miband/transport.hpp"

namespace bandwire::record {

namespace {

std::string where(const toml::node& n) {
  const auto& s = n.source().begin;
  return s.line ? "line " + std::to_string(s.line) + ": " : std::string();
}

// Reads the entries of one table; every read marks its key, so what is left
// unmarked at the end is an unknown entry.
class reader {
 public:
  reader(const toml::table& t, std::string context, std::string& error)
      : t_(t), context_(std::move(context)), error_(error) {}

  bool ok() const { return error_.empty(); }

  void fail(const toml::node* n, const std::string& what) {
    if (error_.empty()) error_ = (n ? where(*n) : std::string()) + context_ + what;
  }

  const toml::node* get(std::string_view key) {
    seen_.insert(std::string(key));
    return t_.get(key);
  }

  void string(std::string_view key, std::string& out, bool required = false) {
    const auto* n = get(key);
    if (!n) {
      if (required) fail(&t_, std::string(key) + " is required");
      return;
    }
    if (!n->is_string()) return fail(n, std::string(key) + " must be a string");
    out = n->as_string()->get();
  }

  void boolean(std::string_view key, bool& out) {
    const auto* n = get(key);
    if (!n) return;
    if (!n->is_boolean()) return fail(n, std::string(key) + " must be true or false");
    out = n->as_boolean()->get();
  }

  /// An integer or float within [lo, hi].
  std::optional<double> number(std::string_view key, double lo, double hi) {
    const auto* n = get(key);
    if (!n) return std::nullopt;
    double v = 0;
    if (n->is_integer()) v = static_cast<double>(n->as_integer()->get());
    else if (n->is_floating_point()) v = n->as_floating_point()->get();
    else return fail(n, std::string(key) + " must be a number"), std::nullopt;
    if (!std::isfinite(v) || v < lo || v > hi) {
      std::ostringstream s;
      s << key << " must be in " << lo << ".." << hi;
      return fail(n, s.str()), std::nullopt;
    }
    return v;
  }

  void minutes(std::string_view key, std::chrono::minutes& out) {
    if (auto v = number(key, 0, 366 * 24 * 60)) out = std::chrono::minutes(static_cast<long long>(*v));
  }

  /// Fails on the first entry nobody read.
  void no_unknown() {
    for (const auto& [k, v] : t_)
      if (!seen_.count(std::string(k.str()))) return fail(&v, "unknown entry " + std::string(k.str()));
  }

 private:
  const toml::table& t_;
  std::string context_;
  std::string& error_;
  std::set<std::string> seen_;
};

bool valid_alias(const std::string& a) {
  if (a.empty() || a.size() > 32) return false;
  for (char c : a)
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_'))
      return false;
  return true;
}

void read_band(const toml::table& t, std::size_t index, band_config& b, std::string& error) {
  reader r(t, "band " + std::to_string(index + 1) + ": ", error);
  if (t.get("key")) return r.fail(t.get("key"), "a key is never written in the config: give key_file");
  r.string("alias", b.alias, true);
  if (r.ok() && !valid_alias(b.alias)) return r.fail(t.get("alias"), "alias must be 1..32 of A-Z a-z 0-9 - _");
  r.string("device", b.device, true);
  if (r.ok())
    if (auto e = miband::check_device(b.device); !e.empty() || b.device == "demo")
      return r.fail(t.get("device"), e.empty() ? "device demo is no band" : e);
  r.string("key_file", b.key_file);
  r.string("adapter", b.adapter);
  r.string("address_type", b.address_type);
  if (r.ok() && b.address_type != "random" && b.address_type != "public")
    return r.fail(t.get("address_type"), "address_type must be random or public");
  r.boolean("accel", b.accel);
  r.boolean("ppg", b.ppg);
  r.boolean("heart_rate", b.heart_rate);
  r.boolean("steps", b.steps);
  r.boolean("events", b.events);
  r.boolean("set_time", b.set_time);
  if (auto v = r.number("rate", 1, 100)) b.rate_hz = static_cast<std::uint8_t>(*v);
  if (auto v = r.number("counts_per_g", 1, 100000)) b.counts_per_g = *v;
  r.minutes("battery_minutes", b.battery_every);
  r.minutes("history_minutes", b.history_every);
  r.no_unknown();
}

void read_mqtt(const toml::table& t, mqtt_config& m, std::string& error) {
  reader r(t, "mqtt: ", error);
  if (t.get("password")) return r.fail(t.get("password"), "a password is never written in the config: give password_file");
  std::string url;
  r.string("url", url, true);
  if (!r.ok()) return;
  if (auto e = parse_broker_url(url, m); !e.empty()) return r.fail(t.get("url"), e);
  r.string("client_id", m.client_id);
  if (r.ok() && !valid_client_id(m.client_id)) return r.fail(t.get("client_id"), "client_id must be 1..64 of A-Z a-z 0-9 - _ .");
  r.string("topic_prefix", m.topic_prefix);
  if (r.ok() && !valid_topic_prefix(m.topic_prefix))
    return r.fail(t.get("topic_prefix"), "topic_prefix must be 1..64 printable characters without spaces, + and #, "
                                         "not starting or ending with /");
  r.string("discovery_prefix", m.discovery_prefix);
  if (r.ok() && !valid_topic_prefix(m.discovery_prefix))
    return r.fail(t.get("discovery_prefix"), "discovery_prefix must be 1..64 printable characters without spaces, + "
                                             "and #, not starting or ending with /");
  r.boolean("discovery", m.discovery);
  r.string("username", m.username);
  r.string("password_file", m.password_file);
  r.string("ca_file", m.ca_file);
  r.string("cert_file", m.cert_file);
  r.string("key_file", m.key_file);
  if (!r.ok()) return;
  if (!m.password_file.empty() && m.username.empty())
    return r.fail(t.get("password_file"), "password_file needs a username");
  if (!m.tls && (!m.ca_file.empty() || !m.cert_file.empty() || !m.key_file.empty()))
    return r.fail(&t, "ca_file, cert_file and key_file need an mqtts:// url");
  if (m.cert_file.empty() != m.key_file.empty()) return r.fail(&t, "cert_file and key_file go together");
  if (auto v = r.number("keepalive_seconds", 5, 3600)) m.keepalive = std::chrono::seconds(static_cast<long long>(*v));
  if (auto v = r.number("spool_mb", 0.001, 4096)) m.spool_bytes = static_cast<std::uint64_t>(*v * (1 << 20));
  r.no_unknown();
}

void read_top(const toml::table& t, recorder_config& c, std::string& error) {
  reader r(t, "", error);
  r.string("output", c.output, true);
  std::string format = "jsonl";
  r.string("format", format);
  if (r.ok() && format != "jsonl" && format != "csv") return r.fail(t.get("format"), "format must be jsonl or csv");
  c.format = format == "csv" ? file_format::csv : file_format::jsonl;
  if (auto v = r.number("rotate_mb", 0.001, 1 << 20)) c.rotate_bytes = static_cast<std::uint64_t>(*v * (1 << 20));
  if (auto v = r.number("status_seconds", 0, 86400)) c.status_every = std::chrono::seconds(static_cast<long long>(*v));
  r.string("state_dir", c.state_dir);
  if (const auto* m = r.get("mqtt")) {
    if (!m->is_table()) return r.fail(m, "mqtt must be a table ([mqtt])");
    read_mqtt(*m->as_table(), c.mqtt.emplace(), error);
    if (!error.empty()) return;
  }
  const auto* bands = r.get("band");
  if (!r.ok()) return;
  if (!bands || !bands->is_array_of_tables()) return r.fail(bands, "at least one [[band]] table is required");
  std::set<std::string> aliases;
  std::size_t i = 0;
  for (const auto& n : *bands->as_array()) {
    band_config b;
    read_band(*n.as_table(), i++, b, error);
    if (!error.empty()) return;
    if (!aliases.insert(b.alias).second) return r.fail(&n, "two bands are called " + b.alias);
    c.bands.push_back(std::move(b));
  }
  if (c.bands.empty()) return r.fail(bands, "at least one [[band]] table is required");
  r.no_unknown();
}

}  // namespace

std::optional<recorder_config> parse_config(std::string_view text, std::string& error) {
  error.clear();
  recorder_config c;
  if (auto p = miband::check_toml_guards(text)) {
    error = "line " + std::to_string(p->line) + ": " + p->message;
    return std::nullopt;
  }
  try {
    const toml::table t = toml::parse(text);
    read_top(t, c, error);
  } catch (const toml::parse_error& e) {
    error = "line " + std::to_string(e.source().begin.line) + ": " + std::string(e.description());
  } catch (const miband::detail::toml_check_failed&) {
    error = "TOML syntax: the file cannot be parsed";
  }
  if (!error.empty()) return std::nullopt;
  return c;
}

std::optional<recorder_config> load_config(const std::string& path, std::string& error) {
  std::ifstream f(path, std::ios::binary);
  if (!f) {
    error = "cannot read " + path;
    return std::nullopt;
  }
  std::string text(1 << 20, '\0');
  f.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<std::size_t>(f.gcount()));
  if (f.peek() != std::char_traits<char>::eof()) {
    error = path + " is larger than 1 MiB";
    return std::nullopt;
  }
  auto c = parse_config(text, error);
  if (!c) error = path + ": " + error;
  return c;
}

const char* format_name(file_format f) noexcept { return f == file_format::csv ? "csv" : "jsonl"; }

}  // namespace bandwire::record
