#include "record/mqtt_spool.hpp"

#include "record/records.hpp"

#include <algorithm>
#include <cerrno>
#include <system_error>

namespace bandwire::record {

namespace {

constexpr std::string_view header = "bandwire-mqtt-spool 1\n";

// A topic of ours: no space, no control character (the line's separators).
bool plain(std::string_view s) noexcept {
  for (char c : s)
    if (static_cast<unsigned char>(c) <= ' ') return false;
  return !s.empty();
}

auto find_seq(std::deque<spool_entry>& d, std::uint64_t seq) {
  return std::lower_bound(d.begin(), d.end(), seq, [](const spool_entry& e, std::uint64_t s) { return e.seq < s; });
}

// One complete line (without '\n'); false when it is not of the grammar.
bool apply_line(std::string_view line, spool_contents& c) {
  if (line.empty()) return false;
  const char op = line.front();
  const std::string_view rest = line.substr(1);
  if (op == '+') {
    const auto sp1 = rest.find(' ');
    if (sp1 == std::string_view::npos) return false;
    const auto sp2 = rest.find(' ', sp1 + 1);
    if (sp2 == std::string_view::npos) return false;
    const auto seq = parse_decimal_u64(rest.substr(0, sp1));
    const auto topic = rest.substr(sp1 + 1, sp2 - sp1 - 1);
    const auto payload = rest.substr(sp2 + 1);
    if (!seq || *seq < c.next_seq || *seq == UINT64_MAX || !plain(topic)) return false;
    for (char ch : payload)
      if (ch == '\n' || ch == '\0') return false;
    c.entries.push_back({*seq, std::string(topic), std::string(payload)});
    c.next_seq = *seq + 1;
    return true;
  }
  const auto v = parse_decimal_u64(rest);
  if (!v) return false;
  if (op == '-') {
    auto it = find_seq(c.entries, *v);
    if (it == c.entries.end() || it->seq != *v) return false;
    c.entries.erase(it);
    return true;
  }
  if (op == '!') {
    if (*v > UINT64_MAX - c.pending_dropped) return false;
    c.pending_dropped += *v;
    return true;
  }
  if (op == '=') {
    if (*v > c.pending_dropped) return false;
    c.pending_dropped -= *v;
    return true;
  }
  return false;
}

}  // namespace

std::optional<spool_contents> parse_spool(std::string_view text) {
  if (text.substr(0, header.size()) != header) return std::nullopt;
  spool_contents c;
  std::size_t pos = header.size();
  c.valid_bytes = pos;
  while (pos < text.size()) {
    const auto end = text.find('\n', pos);
    if (end == std::string_view::npos) break;  // a torn last line
    if (!apply_line(text.substr(pos, end - pos), c)) ++c.bad_lines;
    pos = end + 1;
    c.valid_bytes = pos;
  }
  return c;
}

std::string spool_line(const spool_entry& e) {
  return "+" + std::to_string(e.seq) + " " + e.topic + " " + e.payload + "\n";
}

mqtt_spool::mqtt_spool(file_system& fs, std::string path, std::uint64_t limit_bytes)
    : fs_(fs), path_(std::move(path)), limit_(limit_bytes) {}

mqtt_spool::~mqtt_spool() = default;

error_code mqtt_spool::open(std::string& message) {
  const auto slash = path_.rfind('/');
  if (slash != std::string::npos && slash > 0)
    if (auto ec = fs_.make_dirs(path_.substr(0, slash))) {
      message = "cannot create " + path_.substr(0, slash) + ": " + ec.message();
      return ec;
    }
  std::string text;
  std::uint64_t size = 0;
  // At most the limit's worth of live lines and as much again of dead ones;
  // a larger file was not written by this spool.
  const std::uint64_t max = limit_ * 4 + (1u << 20);
  auto ec = fs_.read_tail(path_, static_cast<std::size_t>(std::min<std::uint64_t>(max, SIZE_MAX / 2)), text, size);
  if (ec && ec.value() != ENOENT) {
    message = "cannot read " + path_ + ": " + ec.message();
    return ec;
  }
  if (!ec && size > text.size()) {
    message = path_ + " is larger than the spool can be (" + std::to_string(size) + " bytes): not a spool";
    return error_code(static_cast<int>(std::errc::file_too_large), boost::system::generic_category());
  }
  if (!ec) {
    auto c = parse_spool(text);
    if (!c) {
      message = path_ + " is not an MQTT spool (no bandwire-mqtt-spool header); move it away";
      return error_code(static_cast<int>(std::errc::invalid_argument), boost::system::generic_category());
    }
    entries_ = std::move(c->entries);
    next_seq_ = c->next_seq;
    pending_dropped_ = c->pending_dropped;
    cut_bytes_ = size - c->valid_bytes;
    for (const auto& e : entries_) live_bytes_ += spool_line(e).size();
  }
  std::uint64_t dropped = 0;
  while (live_bytes_ > limit_ && !entries_.empty()) {  // a smaller limit than the last run's
    live_bytes_ -= spool_line(entries_.front()).size();
    entries_.pop_front();
    ++dropped;
  }
  pending_dropped_ += dropped, dropped_total_ += dropped;
  // The torn tail and the dead lines go: the file is written afresh.
  if (!rewrite()) {
    message = error_;
    return error_code(static_cast<int>(std::errc::io_error), boost::system::generic_category());
  }
  return {};
}

bool mqtt_spool::rewrite() {
  std::string content(header);
  if (pending_dropped_) content += "!" + std::to_string(pending_dropped_) + "\n";
  for (const auto& e : entries_) content += spool_line(e);
  file_.reset();
  if (auto ec = fs_.replace(path_, content)) {
    error_ = "writing " + path_ + ": " + ec.message();
    dirty_ = true;
    return false;
  }
  error_code ec;
  file_ = fs_.open_append(path_, ec);
  if (!file_) {
    error_ = "opening " + path_ + ": " + ec.message();
    dirty_ = true;
    return false;
  }
  ++rewrites_;
  dirty_ = false;
  error_.clear();
  return true;
}

void mqtt_spool::write(const std::string& lines) {
  if (dirty_ || !file_) {
    rewrite();  // the memory is ahead of the file: all of it, or nothing
    return;
  }
  const auto before = file_->size();
  if (auto ec = file_->append(lines)) {
    file_->truncate(before);  // no torn line stays behind
    error_ = "writing " + path_ + ": " + ec.message();
    dirty_ = true;
    return;
  }
  // Mostly dead lines: start afresh (atomically).
  if (file_->size() > 2 * live_bytes_ + (256u << 10)) rewrite();
}

std::uint64_t mqtt_spool::push(std::string topic, std::string payload) {
  spool_entry e{next_seq_++, std::move(topic), std::move(payload)};
  std::string lines = spool_line(e);
  live_bytes_ += lines.size();
  entries_.push_back(std::move(e));
  std::uint64_t dropped = 0;
  while (live_bytes_ > limit_ && entries_.size() > 1) {
    const auto& old = entries_.front();
    lines += "-" + std::to_string(old.seq) + "\n";
    live_bytes_ -= spool_line(old).size();
    entries_.pop_front();
    ++dropped;
  }
  if (dropped) {
    lines += "!" + std::to_string(dropped) + "\n";
    pending_dropped_ += dropped, dropped_total_ += dropped;
  }
  write(lines);
  return entries_.back().seq;
}

bool mqtt_spool::remove(std::uint64_t seq) {
  auto it = find_seq(entries_, seq);
  if (it == entries_.end() || it->seq != seq) return false;
  live_bytes_ -= spool_line(*it).size();
  entries_.erase(it);
  write("-" + std::to_string(seq) + "\n");
  return true;
}

std::size_t mqtt_spool::withdraw(const std::string& topic, std::uint64_t from_n) {
  std::string lines;
  std::size_t n = 0;
  for (auto it = entries_.begin(); it != entries_.end();) {
    const auto counter = parse_counter(it->payload, file_format::jsonl);
    if (it->topic == topic && counter && *counter >= from_n) {
      lines += "-" + std::to_string(it->seq) + "\n";
      live_bytes_ -= spool_line(*it).size();
      it = entries_.erase(it);
      ++n;
    } else {
      ++it;
    }
  }
  if (n) write(lines);
  return n;
}

void mqtt_spool::dropped_reported(std::uint64_t n) {
  n = std::min(n, pending_dropped_);
  if (!n) return;
  pending_dropped_ -= n;
  write("=" + std::to_string(n) + "\n");
}

}  // namespace bandwire::record
