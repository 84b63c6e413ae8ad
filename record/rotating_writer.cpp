#include "record/rotating_writer.hpp"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>

#include "miband/history.hpp"

namespace bandwire::record {

namespace chr = std::chrono;

namespace {

const char* ext(file_format f) { return f == file_format::csv ? "csv" : "jsonl"; }

bool digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

unsigned to_uint(std::string_view s) {
  unsigned v = 0;
  for (char c : s) v = v * 10 + static_cast<unsigned>(c - '0');
  return v;
}

constexpr std::string_view state_magic = "bandwire-record-counter 1\n";

std::optional<std::uint64_t> parse_state(std::string_view text) {
  if (text.substr(0, state_magic.size()) != state_magic) return std::nullopt;
  text.remove_prefix(state_magic.size());
  if (text.empty() || text.back() != '\n') return std::nullopt;
  text.remove_suffix(1);
  // parse_counter's CSV form reads the first column.
  return digits(text) ? parse_counter(std::string(text) + ",", file_format::csv) : std::nullopt;
}

}  // namespace

std::optional<file_name_parts> parse_file_name(std::string_view name, record_kind k, file_format f) noexcept {
  const std::string_view prefix = kind_file_name(k);
  if (name.size() < prefix.size() + 12 || name.substr(0, prefix.size()) != prefix || name[prefix.size()] != '-')
    return std::nullopt;
  name.remove_prefix(prefix.size() + 1);
  const std::string_view date = name.substr(0, 10);
  if (!digits(date.substr(0, 4)) || date[4] != '-' || !digits(date.substr(5, 2)) || date[7] != '-' ||
      !digits(date.substr(8, 2)))
    return std::nullopt;
  const chr::year_month_day ymd{chr::year(static_cast<int>(to_uint(date.substr(0, 4)))),
                                chr::month(to_uint(date.substr(5, 2))), chr::day(to_uint(date.substr(8, 2)))};
  if (!ymd.ok()) return std::nullopt;
  name.remove_prefix(10);
  const std::string e = std::string(".") + ext(f);
  file_name_parts p;
  p.day = chr::sys_days(ymd).time_since_epoch().count();
  if (name == e) return p;
  if (name.size() <= e.size() + 1 || name[0] != '.' || name.substr(name.size() - e.size()) != e) return std::nullopt;
  const std::string_view index = name.substr(1, name.size() - 1 - e.size());
  if (!digits(index) || index.size() > 6 || index[0] == '0') return std::nullopt;
  p.index = to_uint(index);
  return p;
}

std::string make_file_name(const file_name_parts& p, record_kind k, file_format f) {
  const chr::year_month_day ymd{chr::sys_days{chr::days{p.day}}};
  char date[32];
  std::snprintf(date, sizeof date, "%04d-%02u-%02u", static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month()),
                static_cast<unsigned>(ymd.day()));
  std::string name = std::string(kind_file_name(k)) + "-" + date;
  if (p.index) name += "." + std::to_string(p.index);
  return name + "." + ext(f);
}

rotating_writer::rotating_writer(file_system& fs, writer_options o) : fs_(fs), o_(std::move(o)) {}

rotating_writer::~rotating_writer() { close(); }

std::string rotating_writer::state_path() const {
  return o_.dir + "/" + kind_file_name(o_.kind) + ".next";
}

std::int64_t rotating_writer::day_of(double wall) const {
  const chr::sys_seconds t{chr::seconds{static_cast<long long>(std::floor(wall))}};
  const auto offset = o_.offset ? o_.offset(t) : miband::host_utc_offset(t);
  return chr::floor<chr::days>(t + offset).time_since_epoch().count();
}

error_code rotating_writer::open(std::string& message) {
  if (auto ec = fs_.make_dirs(o_.dir)) {
    message = "cannot create " + o_.dir + ": " + ec.message();
    return ec;
  }
  return recover(message);
}

// The newest file's torn line is cut; the last complete line of the newest
// file holding one gives the counter.
error_code rotating_writer::recover(std::string& message) {
  std::vector<file_name_parts> files;
  for (const auto& name : fs_.list(o_.dir))
    if (auto p = parse_file_name(name, o_.kind, o_.format)) files.push_back(*p);
  std::sort(files.begin(), files.end());
  if (auto text = fs_.read_small(state_path())) {
    auto v = parse_state(*text);
    if (!v) {
      message = state_path() + " is not a counter state file";
      return error_code(EINVAL, boost::system::system_category());
    }
    next_n_ = *v;
  }
  constexpr std::size_t tail_max = 64 * 1024;  // far more than any line of ours
  for (auto it = files.rbegin(); it != files.rend(); ++it) {
    const std::string path = o_.dir + "/" + make_file_name(*it, o_.kind, o_.format);
    std::string tail;
    std::uint64_t size = 0;
    if (auto ec = fs_.read_tail(path, tail_max, tail, size)) {
      message = "cannot read " + path + ": " + ec.message();
      return ec;
    }
    const auto last_nl = tail.rfind('\n');
    std::size_t keep = last_nl == std::string::npos ? 0 : last_nl + 1;
    if (keep < tail.size()) {
      if (keep == 0 && size > tail.size()) {
        message = path + " does not hold " + kind_file_name(o_.kind) + " records (no line end in its last 64 KiB)";
        return error_code(EINVAL, boost::system::system_category());
      }
      // A torn last line: the record never completed; cut it.
      error_code ec;
      auto f = fs_.open_append(path, ec);
      if (!ec) ec = f->truncate(size - (tail.size() - keep));
      if (!ec) ec = f->sync();
      if (ec) {
        message = "cannot cut the torn last line of " + path + ": " + ec.message();
        return ec;
      }
      cut_bytes_ += tail.size() - keep;
      size -= tail.size() - keep;
      tail.resize(keep);
    }
    if (it == files.rbegin()) newest_ = *it, newest_size_ = size;
    // The last complete line with a counter (the CSV header skipped); a
    // file whose last line is not ours is someone else's.
    const std::string_view header = csv_header(o_.kind);
    std::optional<std::uint64_t> n;
    std::string_view rest(tail);  // ends with '\n' (or is empty)
    while (!rest.empty() && !n) {
      rest.remove_suffix(1);
      const auto nl = rest.rfind('\n');
      const std::string_view line = nl == std::string_view::npos ? rest : rest.substr(nl + 1);
      rest = nl == std::string_view::npos ? std::string_view() : rest.substr(0, nl + 1);
      if (o_.format == file_format::csv && line.size() + 1 == header.size() && header.substr(0, line.size()) == line)
        continue;
      n = parse_counter(line, o_.format);
      // A CSV line of ours has the header's columns (a foreign "1,2" would parse).
      if (o_.format == file_format::csv && std::count(line.begin(), line.end(), ',') != std::count(header.begin(), header.end(), ','))
        n.reset();
      if (!n) {
        message = path + " does not hold " + kind_file_name(o_.kind) + " records: its last line is not one of ours";
        return error_code(EINVAL, boost::system::system_category());
      }
    }
    if (n) {
      next_n_ = std::max(next_n_, *n + 1);
      break;
    }
  }
  return {};
}

error_code rotating_writer::start_file(const file_name_parts& p) {
  active_path_ = o_.dir + "/" + make_file_name(p, o_.kind, o_.format);
  error_code ec;
  file_ = fs_.open_append(active_path_, ec);
  if (ec) return ec;
  active_ = p;
  if (!newest_ || *newest_ < p) newest_ = p, newest_size_ = file_->size();
  if (file_->size() == 0) {
    if ((ec = fs_.sync_dir(o_.dir))) return ec;  // the new name survives a crash
    if (o_.format == file_format::csv) {
      if ((ec = file_->append(csv_header(o_.kind)))) {
        file_->truncate(0);
        return ec;
      }
    }
  }
  return {};
}

error_code rotating_writer::close_active() {
  if (!file_) return {};
  error_code ec = file_->sync();
  if (!ec) {
    std::string state(state_magic);
    state += std::to_string(next_n_) + "\n";
    ec = fs_.replace(state_path(), state);
  }
  newest_size_ = file_->size();
  file_.reset();
  return ec;
}

error_code rotating_writer::close() { return close_active(); }

rotating_writer::result rotating_writer::write(live_record& r) {
  result res;
  if (failing_ && r.mono < retry_at_) {
    ++dropped_total_, ++dropped_run_;
    res.ec = error_code(EAGAIN, boost::system::system_category());
    return res;
  }
  r.n = next_n_;
  line_.clear();
  append_line(line_, r, o_.format);
  const std::int64_t day = day_of(r.time);
  const std::uint64_t header = o_.format == file_format::csv ? std::string_view(csv_header(o_.kind)).size() : 0;
  error_code ec;
  if (file_ && (day > active_.day || (file_->size() > header && file_->size() + line_.size() > o_.rotate_bytes))) {
    file_name_parts next{day, 0};
    if (day <= active_.day) next = {active_.day, active_.index + 1};
    ec = close_active();  // reported below if the new file cannot fix it
    ++rotations_;
    if (!ec) ec = start_file(next);
  } else if (!file_) {
    file_name_parts next{day, 0};
    if (newest_ && newest_->day >= day) {
      // Today's newest file continues when it has room (a restart), else the next one.
      next = *newest_;
      if (newest_size_ > header && newest_size_ + line_.size() > o_.rotate_bytes) ++next.index;
    }
    ec = start_file(next);
  }
  if (!ec && file_) {
    const std::uint64_t before = file_->size();
    ec = file_->append(line_);
    if (ec) file_->truncate(before);  // take back a partial line; nothing else is touched
  } else if (!ec) {
    ec = error_code(EBADF, boost::system::system_category());
  }
  if (ec) {
    if (!failing_) dropped_run_ = 0;
    failing_ = true;
    retry_at_ = r.mono + o_.retry_seconds;
    ++dropped_total_, ++dropped_run_;
    if (file_) newest_size_ = file_->size();
    file_.reset();  // reopened (and re-checked) at the retry
    res.ec = ec;
    return res;
  }
  ++next_n_, ++written_;
  res.written = true;
  if (failing_) {
    res.resumed_after = dropped_run_;
    failing_ = false;
    dropped_run_ = 0;
  }
  return res;
}

}  // namespace bandwire::record
