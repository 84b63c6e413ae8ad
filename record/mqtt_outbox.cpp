#include "record/mqtt_outbox.hpp"

#include <algorithm>

namespace bandwire::record {

mqtt_outbox::mqtt_outbox(mqtt_spool& spool, mqtt_config c, publish_fn publish, std::size_t window)
    : spool_(spool), c_(std::move(c)), publish_(std::move(publish)), window_(window ? window : 1) {}

bool mqtt_outbox::send(const mqtt_message& m, std::optional<int>* mid) {
  auto id = publish_(m);
  if (mid) *mid = id;
  if (!id) connected_ = false;  // the shell reports the lost connection
  return id.has_value();
}

void mqtt_outbox::set_bands(const std::vector<band_config>& bands) {
  const auto old = std::move(bands_);
  bands_ = bands;
  if (!c_.discovery) return;
  // What a reload took away is removed from Home Assistant, now or at the
  // next connection (a band gone from the config would stay on the
  // dashboard forever, its retained config and availability with it).
  for (const auto& o : old) {
    auto it = std::find_if(bands_.begin(), bands_.end(), [&](const band_config& b) { return b.alias == o.alias; });
    for (auto& m : discovery_removals(c_, o, it == bands_.end() ? nullptr : &*it)) removals_.push_back(std::move(m));
    if (it == bands_.end()) online_.erase(o.alias);
  }
  if (!connected_) return;
  if (!send_removals()) return;
  for (const auto& b : bands_) {
    auto it = std::find_if(old.begin(), old.end(), [&](const band_config& o) { return o.alias == b.alias; });
    if (it != old.end() && *it == b) continue;
    for (const auto& m : discovery_messages(c_, b))
      if (!send(m)) return;
  }
}

bool mqtt_outbox::send_removals() {
  while (!removals_.empty()) {
    if (!send(removals_.front())) return false;
    removals_.erase(removals_.begin());
  }
  return true;
}

void mqtt_outbox::stage(const std::string& alias, const live_record& r) {
  staged_ = spool_.push(record_topic(c_, alias, r.kind), record_payload(r));
}

void mqtt_outbox::settle(bool written) {
  if (!staged_) return;
  if (!written) spool_.remove(*staged_);
  staged_.reset();
  if (written) pump();
}

void mqtt_outbox::writer_opened(const std::string& alias, record_kind k, std::uint64_t next_n) {
  spool_.withdraw(record_topic(c_, alias, k), next_n);
}

void mqtt_outbox::band_online(const std::string& alias, bool online) {
  auto [it, added] = online_.emplace(alias, online);
  if (!added && it->second == online) return;
  it->second = online;
  if (connected_) send({availability_topic(c_, alias), online ? "online" : "offline", true});
}

void mqtt_outbox::connected() {
  connected_ = true;
  in_flight_.clear();
  dropped_mid_.reset();
  sent_upto_ = 0;
  if (!send({status_topic(c_), "online", true})) return;
  if (!send_removals()) return;
  if (c_.discovery)
    for (const auto& b : bands_)
      for (const auto& m : discovery_messages(c_, b))
        if (!send(m)) return;
  for (const auto& [alias, on] : online_)
    if (!send({availability_topic(c_, alias), on ? "online" : "offline", true})) return;
  pump();
}

void mqtt_outbox::disconnected() {
  connected_ = false;
  in_flight_.clear();
  dropped_mid_.reset();
  sent_upto_ = 0;
}

std::vector<mqtt_message> mqtt_outbox::farewell() const {
  std::vector<mqtt_message> out;
  for (const auto& [alias, on] : online_) out.push_back({availability_topic(c_, alias), "offline", true});
  out.push_back({status_topic(c_), "offline", true});
  return out;
}

void mqtt_outbox::acked(int mid) {
  if (dropped_mid_ && *dropped_mid_ == mid) {
    dropped_mid_.reset();
    spool_.dropped_reported(dropped_sent_);
  } else if (auto it = in_flight_.find(mid); it != in_flight_.end()) {
    if (spool_.remove(it->second)) ++published_;  // false: dropped by an overflow meanwhile
    in_flight_.erase(it);
  }
  pump();
}

void mqtt_outbox::pump() {
  if (!connected_) return;
  // The count of records given up goes first: it is about those before the oldest left.
  if (spool_.pending_dropped() && !dropped_mid_) {
    dropped_sent_ = spool_.pending_dropped();
    std::optional<int> mid;
    if (!send({dropped_topic(c_), dropped_payload(dropped_sent_), false}, &mid)) return;
    dropped_mid_ = mid;
  }
  const auto& q = spool_.entries();
  auto it = std::upper_bound(q.begin(), q.end(), sent_upto_,
                             [](std::uint64_t s, const spool_entry& e) { return s < e.seq; });
  for (; it != q.end() && in_flight_.size() < window_; ++it) {
    std::optional<int> mid;
    const std::uint64_t seq = it->seq;
    if (!send({it->topic, it->payload, false}, &mid)) return;
    in_flight_[*mid] = seq;
    sent_upto_ = seq;
  }
}

}  // namespace bandwire::record
