// `bandwire decode FILE`: every ATT PDU of a btsnoop capture (Android's
// btsnoop_hci.log, btmon -w, or bandwire --btsnoop), with what it means on a
// Mi Band where the layout is known.
#include <cstdio>

#include "hci/btsnoop.hpp"
#include "miband/session_decoder.hpp"
#include "tools/commands.hpp"
#include "tools/option_set.hpp"
#include "tools/output.hpp"

namespace bandwire::tools {

namespace {

// Reads the whole file; false when it cannot be read.
bool read_file(const std::string& path, std::vector<std::uint8_t>& file) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) return false;
  std::uint8_t buf[65536];
  for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, f)) > 0;) file.insert(file.end(), buf, buf + n);
  const bool ok = !std::ferror(f);  // a directory opens, then fails to read (EISDIR)
  std::fclose(f);
  return ok;
}

// One controller's view only: otherwise a capture of two local controllers
// shows every PDU twice, once in each direction. --index picks one, else
// the lowest index. False on a bad --index.
bool keep_one_controller(const args& a, std::vector<hci::att_record>& pdus) {
  std::optional<std::uint16_t> index;
  if (auto i = a.get("--index")) {
    auto v = parse_number(*i, 0xffff);
    if (!v) return false;
    index = static_cast<std::uint16_t>(*v);
  } else if (!pdus.empty()) {
    index = pdus.front().controller_index;
    for (const auto& r : pdus) index = std::min(*index, r.controller_index);
  }
  std::erase_if(pdus, [&](const hci::att_record& r) { return index && r.controller_index != *index; });
  return true;
}

void print_pdu(const hci::att_record& r, const miband::pdu_description& d, double rel, bool json) {
  const bool from_host = r.dir == hci::direction::host_to_controller;
  if (json) {
    json_object o;
    o.add("frame", static_cast<long long>(r.frame))
        .add("time", static_cast<double>(r.timestamp_us) / 1e6)
        .add("rel", rel)
        .add("dir", from_host ? "host->device" : "device->host")
        .add("opcode", r.pdu.empty() ? -1 : r.pdu[0])
        .add("op", d.opcode_name);
    if (d.handle) o.add("handle", *d.handle);
    if (!d.characteristic.empty()) o.add("characteristic", d.characteristic);
    o.add("value", d.value_hex);
    if (!d.meaning.empty()) o.add("meaning", d.meaning);
    return emit(o.str());
  }
  char head[96];
  std::snprintf(head, sizeof head, "%10.3f  %s  %-34s", rel, from_host ? ">" : "<", d.opcode_name.c_str());
  std::string line = head;
  if (d.handle) line += hex16(*d.handle) + " ";
  if (!d.characteristic.empty()) line += d.characteristic + " ";
  if (!d.value_hex.empty()) line += d.value_hex;
  if (!d.meaning.empty()) line += "  | " + d.meaning;
  emit(line);
}

}  // namespace

void declare_decode(option_set& o) {
  o.usage("decode FILE [--json] [--show-secrets]")
      .description(
          "Prints every ATT PDU in a btsnoop capture (H4 as Android's \"Bluetooth HCI snoop\n"
          "log\" writes it, or btmon's monitor format): time since the first PDU, direction,\n"
          "opcode, handle, characteristic, value (hex) and, where the Mi Band GATT layout is\n"
          "known, its meaning (auth steps, heart rate, raw sensor samples, configuration...).\n"
          "The layout is learned from the capture's own discovery. The key of a bind write is\n"
          "masked unless --show-secrets. --json prints one object per PDU.\n"
          "\n"
          "A btmon capture of several local controllers (two virtual ones, say) holds each\n"
          "link's PDUs once per controller; the lowest controller index is decoded unless\n"
          "--index N picks another.")
      .positionals()
      .flag("--json", "one JSON object per PDU")
      .flag("--show-secrets", "do not mask the key of a bind write")
      .value("--index", "N", "decode this controller's PDUs (default: the lowest index)");
}

int run_decode(const args& a) {
  if (a.positional().size() != 1) {
    std::fprintf(stderr, "bandwire decode: give exactly one FILE (see bandwire decode --help)\n");
    return exit_usage;
  }
  const std::string path = a.positional()[0];
  std::vector<std::uint8_t> file;
  if (!read_file(path, file)) {
    std::fprintf(stderr, "bandwire decode: cannot read %s\n", path.c_str());
    return exit_usage;
  }
  std::vector<hci::att_record> pdus;
  hci::att_extract_stats stats;
  if (boost::system::error_code ec = hci::extract_att(file, pdus, &stats)) {
    std::fprintf(stderr, "bandwire decode: %s: %s\n", path.c_str(), ec.message().c_str());
    return exit_failed;
  }
  if (!keep_one_controller(a, pdus)) {
    std::fprintf(stderr, "bandwire decode: --index takes a controller number\n");
    return exit_usage;
  }
  miband::session_decoder dec(a.has("--show-secrets"));
  const std::int64_t t0 = pdus.empty() ? 0 : pdus.front().timestamp_us;
  std::size_t malformed = 0;
  for (const auto& r : pdus) {
    const auto d = dec.describe(r.dir == hci::direction::host_to_controller, r.pdu);
    malformed += d.malformed;
    print_pdu(r, d, static_cast<double>(r.timestamp_us - t0) / 1e6, a.has("--json"));
  }
  std::fprintf(stderr, "bandwire decode: %zu ATT PDUs (%zu malformed) in %zu records\n", pdus.size(), malformed,
               stats.records);
  return exit_ok;
}

}  // namespace bandwire::tools
