#include "miband/history_sink.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <vector>

#include "miband/time.hpp"

namespace bandwire::miband {

namespace chr = std::chrono;

namespace {

constexpr const char* csv_header = "time,unix,kind,category,intensity,steps,hr\n";
constexpr const char* resume_magic = "bandwire-history-resume 1";

chr::minutes offset_of(const utc_offset_fn& f, chr::sys_seconds t) { return f ? f(t) : host_utc_offset(t); }

error_code errno_code() { return error_code(errno, boost::system::system_category()); }

// A signed decimal integer filling `s` exactly.
std::optional<long long> parse_int(std::string_view s) {
  long long v = 0;
  if (s.empty()) return std::nullopt;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || p != s.data() + s.size()) return std::nullopt;
  return v;
}

// Instants a history line may hold: 1970 .. 2200 (the band's year field is
// 16 bits, but minutes past 2200 are not a real band's).
std::optional<chr::sys_seconds> plausible(std::optional<long long> v) {
  if (!v || *v < 0 || *v > 7'258'118'400LL) return std::nullopt;
  return chr::sys_seconds{chr::seconds{*v}};
}

bool write_all(int fd, std::string_view s) {
  while (!s.empty()) {
    const ssize_t n = ::write(fd, s.data(), s.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    s.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

}  // namespace

const char* history_csv_header() noexcept { return csv_header; }

bool is_history_csv_header(std::string_view line) noexcept {
  return line == std::string_view(csv_header, std::strlen(csv_header) - 1);
}

namespace {
// Writers into a fixed line buffer (a line is under 128 bytes).
struct line_buf {
  char b[160];
  char* p = b;
  void put2(unsigned v) {
    *p++ = static_cast<char>('0' + v / 10 % 10);
    *p++ = static_cast<char>('0' + v % 10);
  }
  void put_int(long long v) { p = std::to_chars(p, b + sizeof b, v).ptr; }
  void put(std::string_view s) {
    std::memcpy(p, s.data(), s.size());
    p += s.size();
  }
  void put(char c) { *p++ = c; }
};
}  // namespace

// By hand into a buffer rather than snprintf or string appends: a fetch
// formats thousands of lines per round.
void append_minute(std::string& s, const minute_record& r, history_format f, chr::minutes offset) {
  const date_time d = to_local(r.time, offset);
  const bool json = f == history_format::jsonl;
  line_buf l;
  if (json) l.put("{\"time\":\"");
  l.put_int(d.year % 10000);
  l.put('-');
  l.put2(d.month);
  l.put('-');
  l.put2(d.day);
  l.put('T');
  l.put2(d.hour);
  l.put(':');
  l.put2(d.minute);
  l.put(':');
  l.put2(d.second);
  // Real zones are within ±18 h (ISO 8601 allows two hour digits).
  const long long off = offset.count();
  const unsigned aoff = static_cast<unsigned>((off < 0 ? -off : off) % (100 * 60));
  l.put(off < 0 ? '-' : '+');
  l.put2(aoff / 60);
  l.put(':');
  l.put2(aoff % 60);
  l.put(json ? "\",\"unix\":" : ",");
  l.put_int(r.time.time_since_epoch().count());
  l.put(json ? ",\"kind\":" : ",");
  l.put_int(r.raw_kind);
  l.put(json ? ",\"category\":\"" : ",");
  l.put(to_string(r.category));
  l.put(json ? "\",\"intensity\":" : ",");
  l.put_int(r.intensity);
  l.put(json ? ",\"steps\":" : ",");
  l.put_int(r.steps);
  l.put(json ? ",\"hr\":" : ",");
  if (r.heart_rate) l.put_int(*r.heart_rate);
  else if (json) l.put("null");
  l.put(json ? "}\n" : "\n");
  s.append(l.b, l.p);
}

std::string format_minute(const minute_record& r, history_format f, chr::minutes offset) {
  std::string s;
  s.reserve(112);
  append_minute(s, r, f, offset);
  return s;
}

std::optional<chr::sys_seconds> parse_minute_line(std::string_view line) {
  if (!line.empty() && line.front() == '{') {
    constexpr std::string_view key = "\"unix\":";
    const auto at = line.find(key);
    if (at == std::string_view::npos || line.back() != '}') return std::nullopt;
    std::string_view rest = line.substr(at + key.size());
    const auto end = rest.find(',');
    if (end == std::string_view::npos) return std::nullopt;
    return plausible(parse_int(rest.substr(0, end)));
  }
  // CSV: time,unix,kind,category,intensity,steps,hr — seven fields.
  std::string_view fields[7];
  std::size_t n = 0;
  for (std::size_t start = 0;;) {
    const auto comma = line.find(',', start);
    if (n == 7) return std::nullopt;
    fields[n++] = line.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start);
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  if (n != 7 || fields[0].size() < 16 || fields[0][4] != '-') return std::nullopt;
  return plausible(parse_int(fields[1]));
}

std::string format_resume_point(chr::sys_seconds next) {
  return std::string(resume_magic) + "\n" + std::to_string(next.time_since_epoch().count()) + "\n";
}

std::optional<chr::sys_seconds> parse_resume_point(std::string_view text) {
  const std::string_view magic(resume_magic);
  if (text.size() < magic.size() + 1 || text.substr(0, magic.size()) != magic || text[magic.size()] != '\n')
    return std::nullopt;
  std::string_view v = text.substr(magic.size() + 1);
  if (v.empty() || v.back() != '\n') return std::nullopt;
  v.remove_suffix(1);
  return plausible(parse_int(v));
}

namespace {
// n decimal digits at text[at..at+n), or -1.
int digits(std::string_view text, std::size_t at, std::size_t n) {
  if (at + n > text.size()) return -1;
  int v = 0;
  for (std::size_t i = at; i < at + n; ++i) {
    if (text[i] < '0' || text[i] > '9') return -1;
    v = v * 10 + (text[i] - '0');
  }
  return v;
}
}  // namespace

std::optional<chr::sys_seconds> parse_since(std::string_view text, chr::sys_seconds now, const utc_offset_fn& offset) {
  if (text.size() >= 3 && text[0] == '-') {
    const char unit = text.back();
    auto n = parse_int(text.substr(1, text.size() - 2));
    if (!n || *n < 0 || *n > 100'000) return std::nullopt;
    const long long per = unit == 'd' ? 86400 : unit == 'h' ? 3600 : unit == 'm' ? 60 : 0;
    if (!per) return std::nullopt;
    return now - chr::seconds{*n * per};
  }
  // YYYY-MM-DD[THH:MM[:SS]][Z|±HH:MM]
  const int y = digits(text, 0, 4), mo = digits(text, 5, 2), d = digits(text, 8, 2);
  if (y < 1970 || mo < 1 || mo > 12 || d < 1 || text.size() < 10 || text[4] != '-' || text[7] != '-') return std::nullopt;
  const chr::year_month_day ymd{chr::year{y}, chr::month{static_cast<unsigned>(mo)}, chr::day{static_cast<unsigned>(d)}};
  if (!ymd.ok()) return std::nullopt;
  int h = 0, mi = 0, sec = 0;
  std::size_t at = 10;
  if (at < text.size() && (text[at] == 'T' || text[at] == ' ')) {
    h = digits(text, at + 1, 2), mi = digits(text, at + 4, 2);
    if (h < 0 || h > 23 || mi < 0 || mi > 59 || text.size() < at + 6 || text[at + 3] != ':') return std::nullopt;
    at += 6;
    if (at < text.size() && text[at] == ':') {
      sec = digits(text, at + 1, 2);
      if (sec < 0 || sec > 59) return std::nullopt;
      at += 3;
    }
  }
  const chr::sys_seconds wall = chr::sys_days{ymd} + chr::hours{h} + chr::minutes{mi} + chr::seconds{sec};
  const std::string_view zone = text.substr(at);
  if (zone == "Z") return wall;
  if (zone.size() == 6 && (zone[0] == '+' || zone[0] == '-') && zone[3] == ':') {
    const int zh = digits(zone, 1, 2), zm = digits(zone, 4, 2);
    if (zh < 0 || zh > 18 || zm < 0 || zm > 59) return std::nullopt;
    const chr::minutes off{(zone[0] == '-' ? -1 : 1) * (zh * 60 + zm)};
    return wall - off;
  }
  if (!zone.empty()) return std::nullopt;
  // Local time: the offset at the instant itself (twice, so a DST change
  // between the wall reading and the instant is followed).
  const auto first = wall - offset_of(offset, wall);
  return wall - offset_of(offset, first);
}

// ---- file sink ----

history_file_sink::~history_file_sink() {
  if (fd_ >= 0) ::close(fd_);
}

error_code history_file_sink::open(const std::string& path, std::string& message) {
  auto fail = [&](const std::string& why, error_code ec) {
    message = path + ": " + why;
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
    return ec;
  };
  fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd_ < 0) return fail(std::strerror(errno), errno_code());
  struct stat st {};
  if (::fstat(fd_, &st) != 0) return fail(std::strerror(errno), errno_code());
  if (!S_ISREG(st.st_mode))
    return fail("not a regular file (it cannot be fsync'ed)", make_error_code(boost::system::errc::invalid_argument));
  // The tail: the last complete line and anything after it. A line is
  // under 200 bytes, so 4 KiB holds at least one whole line.
  const off_t size = st.st_size;
  const off_t from = size > 4096 ? size - 4096 : 0;
  std::vector<char> tail(static_cast<std::size_t>(size - from));
  std::size_t got = 0;
  while (got < tail.size()) {
    const ssize_t n = ::pread(fd_, tail.data() + got, tail.size() - got, from + static_cast<off_t>(got));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return fail("cannot read its end", n < 0 ? errno_code() : make_error_code(boost::system::errc::io_error));
    got += static_cast<std::size_t>(n);
  }
  const std::string_view t(tail.data(), tail.size());
  const auto last_nl = t.rfind('\n');
  std::size_t keep = last_nl == std::string_view::npos ? 0 : last_nl + 1;  // in `t`
  if (last_nl == std::string_view::npos && from > 0)
    return fail("not a bandwire activity file (no line in its last 4 KiB)",
                make_error_code(boost::system::errc::invalid_argument));
  if (keep < t.size()) {
    // A torn last line: the run that wrote it died before its fsync, so
    // the resume point does not cover it. Cut it (and make the cut durable
    // before anything is appended after it).
    cut_ = t.size() - keep;
    if (::ftruncate(fd_, from + static_cast<off_t>(keep)) != 0 || ::fsync(fd_) != 0)
      return fail(std::string("cannot cut its torn last line: ") + std::strerror(errno), errno_code());
  }
  if (keep == 0 && from == 0) {
    if (format_ == history_format::csv && !write_all(fd_, csv_header))
      return fail(std::strerror(errno), errno_code());
    return {};
  }
  const std::string_view body = t.substr(0, keep - 1);  // without the last '\n'
  const auto prev_nl = body.rfind('\n');
  const std::string_view line = prev_nl == std::string_view::npos ? body : body.substr(prev_nl + 1);
  const bool is_header = is_history_csv_header(line);
  const bool is_json = !line.empty() && line.front() == '{';
  const auto minute = parse_minute_line(line);
  const bool matches = format_ == history_format::csv ? (is_header || (minute && !is_json)) : (minute && is_json);
  if (!matches)
    return fail(std::string("does not end with bandwire activity ") + (format_ == history_format::csv ? "CSV" : "JSONL") +
                    " (another format, or another file?)",
                make_error_code(boost::system::errc::invalid_argument));
  last_ = minute;
  return {};
}

error_code history_file_sink::write(std::span<const minute_record> records) {
  if (fd_ < 0) return make_error_code(boost::system::errc::bad_file_descriptor);
  std::string buf;
  buf.reserve(records.size() * 100);
  for (const auto& r : records) append_minute(buf, r, format_, offset_of(offset_, r.time));
  if (!write_all(fd_, buf)) return errno_code();
  if (!records.empty()) last_ = records.back().time;
  return {};
}

error_code history_file_sink::durable() {
  if (fd_ < 0) return make_error_code(boost::system::errc::bad_file_descriptor);
  if (::fsync(fd_) != 0) return errno_code();
  return {};
}

// ---- stream sink ----

history_stream_sink::history_stream_sink(std::FILE* out, history_format f, utc_offset_fn offset)
    : out_(out), format_(f), offset_(std::move(offset)), header_due_(f == history_format::csv) {}

error_code history_stream_sink::write(std::span<const minute_record> records) {
  if (header_due_) {
    if (std::fputs(csv_header, out_) < 0 || std::fflush(out_) != 0) return errno_code();
    header_due_ = false;
  }
  for (const auto& r : records) {
    // Flushed per record, as `stream` does: a reader of the pipe sees each
    // minute as soon as its round is complete.
    const std::string line = format_minute(r, format_, offset_of(offset_, r.time));
    if (std::fputs(line.c_str(), out_) < 0 || std::fflush(out_) != 0) return errno_code();
  }
  return {};
}

error_code history_stream_sink::durable() { return std::fflush(out_) == 0 ? error_code{} : errno_code(); }

}  // namespace bandwire::miband
