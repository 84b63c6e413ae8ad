#include "miband/virtual_strap.hpp"

#include <algorithm>
#include <cmath>

#include "miband/heart_rate.hpp"
#include "miband/uuids.hpp"

namespace bandwire::miband {

namespace {

using namespace std::chrono_literals;
constexpr std::uint8_t R = gatt::prop::read, W = gatt::prop::write, N = gatt::prop::notify,
                       I = gatt::prop::indicate;

std::vector<std::uint8_t> ascii(const std::string& s) { return {s.begin(), s.end()}; }

// HRS 1.0 §3.1.1.3: a sensor that sends Energy Expended should include it
// "in every 10th measurement" at a 1 Hz rate.
constexpr std::uint32_t energy_every = 10;
// At most 8 RR intervals fit a 20-byte notification beside flags, a u8 value
// and energy (HRS 1.0 §3.1.1.4 asks to drop the oldest when they do not fit).
constexpr std::size_t max_rr = 8;
// Choice: ~0.12 kJ per second at rest, rising with the heart rate (a resting
// adult spends ~420 kJ an hour).
double kj_per_second(double bpm) { return 0.12 * bpm / 68.0; }

}  // namespace

virtual_strap::virtual_strap(asio::any_io_executor ex, const scaled_clock& clock, strap_options options)
    : ex_(ex), clock_(clock), opts_(std::move(options)), signals_(opts_.seed), tick_timer_(ex, clock) {
  build_database();
}

virtual_strap::~virtual_strap() {
  *alive_ = false;
  ++generation_;
  on_disconnect_ = nullptr;
  session_.reset();
}

void virtual_strap::build_database() {
  using namespace uuids;
  auto chr = [&](att::uuid type, std::uint8_t props, std::vector<std::uint8_t> value = {},
                 gatt::attribute::write_hook w = {}) {
    gatt::database::characteristic_params p;
    p.type = type;
    p.properties = props;
    p.permissions = static_cast<std::uint16_t>(((props & R) ? gatt::perm::read : 0) | ((props & W) ? gatt::perm::write : 0));
    p.value = std::move(value);
    p.on_write = std::move(w);
    return db_.add_characteristic(std::move(p));
  };
  db_.add_primary_service(gap_service());
  chr(device_name(), R, ascii(opts_.name));
  chr(appearance(), R, {0x41, 0x03});  // 0x0341 "Heart Rate Sensor: Heart Rate Belt" (Assigned Numbers §2.6)
  db_.add_primary_service(gatt_service());
  chr(service_changed(), R | I);
  db_.add_cccd();
  db_.add_primary_service(device_information_service());
  chr(serial_number(), R, ascii(opts_.serial));
  chr(hardware_revision(), R, ascii("1.0"));
  chr(software_revision(), R, ascii("1.0.0"));
  {
    std::vector<std::uint8_t> mac;
    if (!from_hex(opts_.address, mac) || mac.size() != 6) mac = {0xc0, 0xff, 0xee, 0x00, 0x0d, 0x18};
    chr(system_id(), R, {mac[0], mac[1], mac[2], 0xff, 0xfe, mac[3], mac[4], mac[5]});
  }
  // PnP ID: vendor id source 2 (USB-IF), vendor 0xffff "reserved/test" (choice).
  chr(pnp_id(), R, {0x02, 0xff, 0xff, 0x01, 0x00, 0x01, 0x00});
  db_.add_primary_service(heart_rate_service());
  hr_handle_ = chr(uuids::heart_rate_measurement(), N);
  db_.add_cccd();
  chr(att::uuid::from16(0x2a38), R, {0x01});  // Body Sensor Location: chest (HRS 1.0 §3.2)
  cp_handle_ = chr(heart_rate_control_point(), W, {}, [this](bytes_view v) -> gatt::att_status {
    stats_.control_writes.emplace_back(v.begin(), v.end());
    // HRS 1.0 §3.3.1: `01` resets Energy Expended; nothing else is defined.
    if (v.size() != 1 || v[0] != 0x01) return control_point_not_supported;
    ++stats_.energy_resets;
    energy_kj_ = 0;
    return 0;
  });
  db_.add_primary_service(att::uuid::from16(0x180f));  // Battery service
  chr(att::uuid::from16(0x2a19), R | N, {opts_.battery_percent});
  db_.add_cccd();
}

bool virtual_strap::serve(seqpacket_socket socket) {
  if (session_) {
    error_code ignored;
    socket.close(ignored);
    return false;
  }
  ++generation_;
  ++stats_.connections;
  att::bearer::options bo;
  bo.clock = &clock_;
  session_ = std::make_unique<gatt::server_session>(std::move(socket), db_, bo);
  const auto gen = generation_;
  close_reg_ = session_->bearer().on_close([this, gen](error_code) {
    if (gen == generation_) end_connection();
  });
  last_beat_ = -1;
  session_->server().on_subscription = [this](const gatt::server::subscription& s) {
    if (s.value_handle != hr_handle_) return;
    if (!s.notify) return tick_timer_.cancel();
    // A strap measures all the time; notifications start within a second.
    const double now = clock_.seconds();
    if (last_beat_ < 0) next_beat_ = now + 60.0 / signals_.heart_rate(now), last_beat_ = now;
    last_tick_ = now;
    tick_timer_.expires_after(1s);
    tick_timer_.async_wait([this, alive = alive_, g = generation_](error_code ec) {
      if (!ec && *alive && g == generation_) tick();
    });
  };
  session_->start();
  return true;
}

// One notification: the beats completed since the last one, each interval
// following the model's heart rate at that beat.
void virtual_strap::tick() {
  if (!session_) return;
  const double now = clock_.seconds();
  std::vector<std::uint16_t> rr;
  while (next_beat_ <= now) {
    const double interval = next_beat_ - last_beat_;
    rr.push_back(static_cast<std::uint16_t>(std::lround(interval * 1024.0)));
    last_beat_ = next_beat_;
    // Next interval: the model's rate now, on the 1/1024 s grid the strap counts in.
    next_beat_ = last_beat_ + std::round(1024.0 * 60.0 / signals_.heart_rate(last_beat_)) / 1024.0;
  }
  if (rr.size() > max_rr) rr.erase(rr.begin(), rr.end() - static_cast<std::ptrdiff_t>(max_rr));
  const double bpm = signals_.heart_rate(now);
  energy_kj_ += kj_per_second(bpm) * (now - last_tick_);
  last_tick_ = now;

  std::vector<std::uint8_t> rr_bytes(2 * rr.size());
  for (std::size_t i = 0; i < rr.size(); ++i) put_le16(&rr_bytes[2 * i], rr[i]);
  heart_rate_measurement m;
  m.bpm = static_cast<std::uint16_t>(std::lround(bpm));
  m.contact = sensor_contact::detected;
  if (ticks_++ % energy_every == 0) m.energy_expended_kj = static_cast<std::uint16_t>(std::min(65535.0, energy_kj_));
  m.rr_present = !rr.empty();
  m.rr_raw = bytes_view(rr_bytes.data(), rr_bytes.size());
  std::uint8_t out[20];
  const std::size_t n = encode_heart_rate_measurement(m, out);
  if (n && session_->notify(hr_handle_, bytes_view(out, n))) {
    ++stats_.notifications;
    stats_.rr_sent.insert(stats_.rr_sent.end(), rr.begin(), rr.end());
  }
  tick_timer_.expires_after(1s);
  tick_timer_.async_wait([this, alive = alive_, g = generation_](error_code ec) {
    if (!ec && *alive && g == generation_) tick();
  });
}

void virtual_strap::drop_link() {
  if (session_) session_->bearer().close();
}

void virtual_strap::end_connection() {
  ++generation_;
  tick_timer_.cancel();
  auto dead = std::shared_ptr<gatt::server_session>(std::move(session_));
  asio::post(ex_, [dead] {});
  if (on_disconnect_) on_disconnect_();
}

}  // namespace bandwire::miband
