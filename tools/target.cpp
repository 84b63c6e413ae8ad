#include "tools/target.hpp"

#include <sys/socket.h>
#include <sys/un.h>

#include <cstring>


#include "tools/option_set.hpp"

namespace bandwire::tools {

void declare_target_options(option_set& o, const std::string& device_help) {
  o.value("--device", "TARGET", device_help)
      .value("--addr-type", "T", "random (default, as the Mi Band uses) or public")
      .value("--adapter", "hciN", "local adapter for a Bluetooth address")
      .value("--timeout", "S", "connect timeout in seconds (default 10)")
      .value("--security", "LEVEL", "low|medium|high|fips: BT_SECURITY before connecting");
}

target_options read_target_options(const args& a, std::string& error) {
  target_options o;
  o.device = a.get("--device").value_or("");
  // The target's form is checked here, with the other options, so a typo is
  // a usage error (exit 2) rather than a failed connection (exit 3).
  error = miband::check_device(o.device);
  if (auto t = a.get("--addr-type")) {
    if (*t != "random" && *t != "public") error = "--addr-type must be random or public";
    o.addr_type = *t;
  }
  if (auto ad = a.get("--adapter")) {
    if (ad->rfind("hci", 0) != 0 || !parse_number(ad->substr(3), 255)) error = "--adapter must look like hci0";
    o.adapter = *ad;
  }
  if (auto t = a.get("--timeout")) {
    try {
      o.connect_timeout = std::stod(*t);
    } catch (...) {
      o.connect_timeout = -1;
    }
    if (!(o.connect_timeout > 0 && o.connect_timeout <= 300)) error = "--timeout must be seconds in (0, 300]";
  }
  if (auto s = a.get("--security")) {
    if (*s == "low") o.security = 1;
    else if (*s == "medium") o.security = 2;
    else if (*s == "high") o.security = 3;
    else if (*s == "fips") o.security = 4;
    else error = "--security must be low, medium, high or fips";
  }
  return o;
}

}  // namespace bandwire::tools
