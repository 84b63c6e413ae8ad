#include "record/mqtt_config.hpp"

namespace bandwire::record {

std::string parse_broker_url(std::string_view url, mqtt_config& c) {
  std::string_view rest;
  if (url.substr(0, 7) == "mqtt://") {
    c.tls = false, c.port = 1883, rest = url.substr(7);
  } else if (url.substr(0, 8) == "mqtts://") {
    c.tls = true, c.port = 8883, rest = url.substr(8);
  } else {
    return "url must start with mqtt:// or mqtts://";
  }
  std::string_view host, port;
  if (!rest.empty() && rest.front() == '[') {
    const auto close = rest.find(']');
    if (close == std::string_view::npos) return "url: an IPv6 address needs its closing ]";
    host = rest.substr(1, close - 1);
    rest = rest.substr(close + 1);
    if (!rest.empty() && rest.front() != ':') return "url: only :PORT may follow the host";
    if (!rest.empty()) {
      port = rest.substr(1);
      if (port.empty()) return "url: the port must be 1..65535";
    }
    for (char ch : host)
      if (!((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f') || (ch >= 'A' && ch <= 'F') || ch == ':' || ch == '.'))
        return "url: the address in [] is not an IPv6 address";
  } else {
    const auto colon = rest.find(':');
    host = rest.substr(0, colon);
    if (colon != std::string_view::npos) {
      port = rest.substr(colon + 1);
      if (port.empty()) return "url: the port must be 1..65535";
    }
    for (char ch : host)
      if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '-' || ch == '.'))
        return "url: the host must be a name or an address (no user, path or query)";
  }
  if (host.empty() || host.size() > 253) return "url: the host is missing or too long";
  if (!port.empty()) {
    unsigned v = 0;
    if (port.size() > 5) return "url: the port must be 1..65535";
    for (char ch : port) {
      if (ch < '0' || ch > '9') return "url: the port must be 1..65535";
      v = v * 10 + static_cast<unsigned>(ch - '0');
    }
    if (v == 0 || v > 65535) return "url: the port must be 1..65535";
    c.port = static_cast<std::uint16_t>(v);
  }
  c.host = std::string(host);
  c.url = std::string(url);
  return {};
}

bool valid_topic_prefix(std::string_view p) noexcept {
  if (p.empty() || p.size() > 64 || p.front() == '/' || p.back() == '/') return false;
  for (char ch : p)
    if (ch <= ' ' || ch > '~' || ch == '+' || ch == '#') return false;
  return true;
}

bool valid_client_id(std::string_view id) noexcept {
  if (id.empty() || id.size() > 64) return false;
  for (char ch : id)
    if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '-' || ch == '_' ||
          ch == '.'))
      return false;
  return true;
}

}  // namespace bandwire::record
