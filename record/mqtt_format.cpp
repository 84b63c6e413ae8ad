#include "record/mqtt_format.hpp"

#include <cstdio>

namespace bandwire::record {

std::string record_topic(const mqtt_config& c, std::string_view alias, record_kind k) {
  return c.topic_prefix + "/" + std::string(alias) + "/" + kind_name(k);
}

std::string record_payload(const live_record& r) {
  std::string line;
  append_line(line, r, file_format::jsonl);
  if (!line.empty() && line.back() == '\n') line.pop_back();
  return line;
}

std::string status_topic(const mqtt_config& c) { return c.topic_prefix + "/status"; }

std::string availability_topic(const mqtt_config& c, std::string_view alias) {
  return c.topic_prefix + "/" + std::string(alias) + "/availability";
}

std::string dropped_topic(const mqtt_config& c) { return c.topic_prefix + "/dropped"; }

std::string dropped_payload(std::uint64_t count) { return "{\"dropped\":" + std::to_string(count) + "}"; }

std::string json_escape(std::string_view s) {
  std::string out;
  for (char ch : s) {
    if (ch == '"' || ch == '\\') {
      out += '\\';
      out += ch;
    } else if (static_cast<unsigned char>(ch) < 0x20) {
      char b[8];
      std::snprintf(b, sizeof b, "\\u%04x", static_cast<unsigned>(static_cast<unsigned char>(ch)));
      out += b;
    } else {
      out += ch;
    }
  }
  return out;
}

namespace {

// Home Assistant's node and object ids are [A-Za-z0-9_-]; a client id may hold '.'.
std::string node_id(const mqtt_config& c, std::string_view alias) {
  std::string id = "bandwire_" + c.client_id + "_" + std::string(alias);
  for (char& ch : id)
    if (ch == '.') ch = '_';
  return id;
}

struct sensor {
  record_kind kind;
  const char* object;   // the object id and the entity's name
  const char* name;
  const char* value;    // the record's member
  const char* unit;
  const char* extra;    // device_class / state_class / icon members, each starting with ','
};

constexpr sensor sensors[] = {
    {record_kind::hr, "heart_rate", "Heart rate", "bpm", "bpm", ",\"state_class\":\"measurement\",\"icon\":\"mdi:heart-pulse\""},
    {record_kind::battery, "battery", "Battery", "level", "%", ",\"device_class\":\"battery\",\"state_class\":\"measurement\""},
    {record_kind::steps, "steps", "Steps", "steps", "steps", ",\"state_class\":\"total_increasing\",\"icon\":\"mdi:walk\""},
};

bool publishes(const sensor& s, const band_config& b) {
  return s.kind == record_kind::hr ? b.heart_rate : s.kind == record_kind::steps ? b.steps : b.battery_every.count() > 0;
}

std::string discovery_topic(const mqtt_config& c, const std::string& node, const sensor& s) {
  return c.discovery_prefix + "/sensor/" + node + "/" + s.object + "/config";
}

}  // namespace

std::vector<mqtt_message> discovery_removals(const mqtt_config& c, const band_config& before,
                                             const band_config* after) {
  std::vector<mqtt_message> out;
  const std::string node = node_id(c, before.alias);
  for (const auto& s : sensors)
    if (publishes(s, before) && !(after && publishes(s, *after))) out.push_back({discovery_topic(c, node, s), "", true});
  if (!after) out.push_back({availability_topic(c, before.alias), "", true});
  return out;
}

std::vector<mqtt_message> discovery_messages(const mqtt_config& c, const band_config& b) {
  std::vector<mqtt_message> out;
  const std::string node = node_id(c, b.alias);
  for (const auto& s : sensors) {
    if (!publishes(s, b)) continue;
    mqtt_message m;
    m.retain = true;
    m.topic = discovery_topic(c, node, s);
    m.payload = std::string("{\"name\":\"") + s.name + "\",\"unique_id\":\"" + node + "_" + s.object +
                "\",\"state_topic\":\"" + json_escape(record_topic(c, b.alias, s.kind)) +
                "\",\"value_template\":\"{{ value_json." + s.value + " }}\",\"unit_of_measurement\":\"" + s.unit +
                "\"" + s.extra + ",\"availability_mode\":\"all\",\"availability\":[{\"topic\":\"" +
                json_escape(status_topic(c)) + "\"},{\"topic\":\"" + json_escape(availability_topic(c, b.alias)) +
                "\"}],\"device\":{\"identifiers\":[\"" + node + "\"],\"name\":\"Mi Band 2 " + b.alias +
                "\",\"manufacturer\":\"Xiaomi\",\"model\":\"Mi Band 2\"}}";
    out.push_back(std::move(m));
  }
  return out;
}

}  // namespace bandwire::record

namespace bandwire::record {

std::string format_mqtt_status(const mqtt_config& c, const mqtt_status& s) {
  const bool v6 = c.host.find(':') != std::string::npos;
  std::string line = "mqtt " + (v6 ? "[" + c.host + "]" : c.host) + ":" + std::to_string(c.port) + ": " + s.state +
                     ", spooled " + std::to_string(s.spooled) + ", " + std::to_string(s.published) + " published";
  if (s.dropped) line += ", " + std::to_string(s.dropped) + " dropped";
  line += ", last error: " + (s.last_error.empty() ? std::string("none") : s.last_error);
  return line;
}

}  // namespace bandwire::record
