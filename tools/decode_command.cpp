// `bandwire decode FILE`: every ATT PDU of a btsnoop capture (Android's
// btsnoop_hci.log, btmon -w, or bandwire --btsnoop), with what it means on a
// Mi Band where the layout is known.
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <optional>
#include <string>

#include "common/append.hpp"
#include "hci/btsnoop.hpp"
#include "hci/btsnoop_file.hpp"
#include "miband/session_decoder.hpp"
#include "tools/commands.hpp"
#include "tools/option_set.hpp"
#include "tools/output.hpp"

namespace bandwire::tools {

namespace {

// Lines are built in one buffer and written in large blocks: decode runs at
// disk speed, not at one write per line (a killed decode loses at most the
// block in progress; nothing waits on its output record by record).
class line_buffer {
 public:
  line_buffer() { buf_.reserve(1 << 17); }
  ~line_buffer() { flush(); }
  std::string& line() { return buf_; }
  void end_line() {
    buf_ += '\n';
    if (buf_.size() >= (1 << 16)) flush();
  }
  void flush() {
    if (!buf_.empty()) std::fwrite(buf_.data(), 1, buf_.size(), stdout);
    std::fflush(stdout);
    buf_.clear();
  }

 private:
  std::string buf_;
};

// A string that needs no escape (opcode and characteristic names, hex):
// the same bytes json_string makes of it.
void append_json_plain(std::string& o, std::string_view s) {
  o += '"';
  o += s;
  o += '"';
}

// One PDU as a JSON object, field for field what json_object wrote.
void json_line(std::string& o, const hci::att_view& r, const miband::pdu_description& d, double rel) {
  const bool from_host = r.dir == hci::direction::host_to_controller;
  o += "{\"frame\":";
  append_decimal(o, static_cast<long long>(r.frame));
  o += ",\"time\":";
  append_fixed(o, static_cast<double>(r.timestamp_us) / 1e6, 6);
  o += ",\"rel\":";
  append_fixed(o, rel, 6);
  o += from_host ? ",\"dir\":\"host->device\",\"opcode\":" : ",\"dir\":\"device->host\",\"opcode\":";
  append_decimal(o, r.pdu.empty() ? -1 : int{r.pdu[0]});
  o += ",\"op\":";
  append_json_plain(o, d.opcode_name);
  if (d.handle) o += ",\"handle\":", append_decimal(o, static_cast<long long>(*d.handle));
  if (!d.characteristic.empty()) o += ",\"characteristic\":", append_json_plain(o, d.characteristic);
  o += ",\"value\":";
  append_json_plain(o, d.value_hex);
  if (!d.meaning.empty()) o += ",\"meaning\":", append_json_string(o, d.meaning);
  o += '}';
}

// "%10.3f  %s  %-34s" then handle, characteristic, value and meaning.
void text_line(std::string& o, const hci::att_view& r, const miband::pdu_description& d, double rel) {
  append_fixed(o, rel, 3, 10);
  o += r.dir == hci::direction::host_to_controller ? "  >  " : "  <  ";
  append_padded(o, d.opcode_name, 34);
  if (d.handle) append_hex_number(o, *d.handle, 4), o += ' ';
  if (!d.characteristic.empty()) o += d.characteristic, o += ' ';
  o += d.value_hex;
  if (!d.meaning.empty()) o += "  | ", o += d.meaning;
}

// --index N; nullopt (and false) when not a controller number.
bool read_index(const args& a, std::optional<std::uint16_t>& index) {
  if (auto i = a.get("--index")) {
    auto v = parse_number(*i, 0xffff);
    if (!v) return false;
    index = static_cast<std::uint16_t>(*v);
  }
  return true;
}

// A file descriptor to read twice: the file itself, or (a pipe) a copy of
// it in an unlinked temporary file, so memory never holds the capture.
int open_capture(const std::string& path, std::FILE*& spool) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0 || ::lseek(fd, 0, SEEK_CUR) >= 0) return fd;
  spool = std::tmpfile();
  char buf[65536];
  for (ssize_t n; spool && (n = ::read(fd, buf, sizeof buf)) > 0;)
    if (std::fwrite(buf, 1, static_cast<std::size_t>(n), spool) != static_cast<std::size_t>(n)) break;
  ::close(fd);
  if (!spool || std::fflush(spool) != 0) return -1;
  return ::dup(fileno(spool));
}

// Pass 1: the whole capture is checked before anything is printed (a cut
// or corrupt file prints its error and no PDU, as before), and the lowest
// controller index is found when the PDUs must be filtered by it. An exit
// code, or -1 to go on.
int check_capture(hci::btsnoop_file_reader& r, const std::string& path, bool want_index,
                  std::optional<std::uint16_t>& lowest) {
  hci::att_extractor ex(r.header().link);
  hci::btsnoop_record rec;
  // An H4 capture holds one controller (index 0): no need to look.
  const bool look = want_index && !r.error() && r.header().link == hci::datalink::monitor;
  while (r.next(rec)) {
    if (!look) continue;
    if (auto v = ex.feed_view(rec)) lowest = std::min(lowest.value_or(0xffff), v->controller_index);
  }
  if (r.read_failed()) {
    std::fprintf(stderr, "bandwire decode: cannot read %s\n", path.c_str());
    return exit_usage;
  }
  if (r.error()) {
    std::fprintf(stderr, "bandwire decode: %s: %s\n", path.c_str(), r.error().message().c_str());
    return exit_failed;
  }
  return -1;
}

// Pass 2: one line per PDU of the chosen controller. The exit code.
int print_capture(hci::btsnoop_file_reader& r, const std::string& path, std::optional<std::uint16_t> index,
                  bool json, bool show_secrets) {
  hci::att_extractor ex(r.header().link);
  miband::session_decoder dec(show_secrets);
  miband::pdu_description d;
  line_buffer out;
  std::optional<std::int64_t> t0;
  std::size_t pdus = 0, malformed = 0;
  hci::btsnoop_record rec;
  while (r.next(rec)) {
    const auto v = ex.feed_view(rec);
    if (!v || (index && v->controller_index != *index)) continue;
    if (!t0) t0 = v->timestamp_us;
    dec.describe(v->dir == hci::direction::host_to_controller, v->pdu, d);
    malformed += d.malformed;
    ++pdus;
    // Unsigned difference: a corrupt timestamp wraps instead of overflowing.
    const auto diff = static_cast<std::int64_t>(static_cast<std::uint64_t>(v->timestamp_us) -
                                                static_cast<std::uint64_t>(*t0));
    const double rel = static_cast<double>(diff) / 1e6;
    if (json) json_line(out.line(), *v, d, rel);
    else text_line(out.line(), *v, d, rel);
    out.end_line();
  }
  out.flush();
  if (r.error()) {  // the file changed under us between the passes
    std::fprintf(stderr, "bandwire decode: %s: %s\n", path.c_str(),
                 r.read_failed() ? "read failed" : r.error().message().c_str());
    return exit_failed;
  }
  std::fprintf(stderr, "bandwire decode: %zu ATT PDUs (%zu malformed) in %zu records\n", pdus, malformed,
               ex.stats().records);
  return exit_ok;
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
  std::FILE* spool = nullptr;
  const int fd = open_capture(path, spool);
  if (fd < 0) {
    if (spool) std::fclose(spool);
    std::fprintf(stderr, "bandwire decode: cannot read %s\n", path.c_str());
    return exit_usage;
  }
  // One controller's view only: otherwise a capture of two local
  // controllers shows every PDU twice, once in each direction. --index
  // picks one, else the lowest index.
  std::optional<std::uint16_t> index;
  const bool index_ok = read_index(a, index);
  hci::btsnoop_file_reader reader(fd);
  int rc = check_capture(reader, path, index_ok && !index, index);
  if (rc < 0 && !index_ok) {
    std::fprintf(stderr, "bandwire decode: --index takes a controller number\n");
    rc = exit_usage;
  }
  if (rc < 0 && !reader.rewind()) {
    std::fprintf(stderr, "bandwire decode: cannot read %s\n", path.c_str());
    rc = exit_usage;
  }
  if (rc < 0) rc = print_capture(reader, path, index, a.has("--json"), a.has("--show-secrets"));
  ::close(fd);
  if (spool) std::fclose(spool);
  return rc;
}

}  // namespace bandwire::tools
