#include "record/mqtt_link.hpp"

#include <mosquitto.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>

#include "record/mqtt_outbox.hpp"
#include "record/mqtt_spool.hpp"

namespace bandwire::record {

std::string mosquitto_version() {
  int major = 0, minor = 0, rev = 0;
  mosquitto_lib_version(&major, &minor, &rev);
  return std::to_string(major) + "." + std::to_string(minor) + "." + std::to_string(rev);
}

namespace {

std::string mosq_error(int rc) {
  if (rc == MOSQ_ERR_ERRNO) return std::strerror(errno);
  if (rc == MOSQ_ERR_TLS)
    return std::string(mosquitto_strerror(rc)) +
           " (check ca_file, cert_file and key_file, and that the broker's certificate names the url's host)";
  return mosquitto_strerror(rc);
}

}  // namespace

struct mqtt_link::impl {
  asio::io_context& io;
  mqtt_config c;
  mqtt_spool spool;
  mqtt_outbox outbox;
  mqtt_link& owner;
  std::string password;
  struct mosquitto* mosq = nullptr;
  asio::posix::stream_descriptor sd{io};
  asio::steady_timer misc{io}, retry{io};
  unsigned generation = 0;  // of the client: handlers of a destroyed one do nothing
  bool reading = false, writing = false, stopped = false, connected = false, refused = false;
  double backoff = 1;
  std::chrono::steady_clock::time_point retry_at, attempt_at;
  std::string last_error;

  impl(asio::io_context& i, mqtt_config cc, file_system& fs, std::string path, mqtt_link& o)
      : io(i), c(std::move(cc)), spool(fs, std::move(path), c.spool_bytes),
        outbox(spool, c, [this](const mqtt_message& m) { return publish(m); }), owner(o) {
    mosquitto_lib_init();
  }
  ~impl() {
    teardown();
    mosquitto_lib_cleanup();
  }

  void changed() {
    if (owner.on_change) owner.on_change();
  }

  std::optional<int> publish(const mqtt_message& m) {
    if (!mosq || !connected) return std::nullopt;
    int mid = 0;
    const int rc = mosquitto_publish(mosq, &mid, m.topic.c_str(), static_cast<int>(m.payload.size()), m.payload.data(),
                                     1, m.retain);
    if (rc != MOSQ_ERR_SUCCESS) {
      // The outbox now waits for a new connection: make sure one comes.
      asio::post(io, [this, g = generation, why = "publishing: " + mosq_error(rc)] {
        if (g == generation && mosq) lost(why);
      });
      return std::nullopt;
    }
    arm_write();
    return mid;
  }

  // libmosquitto's callbacks (from loop_read / loop_write, on this thread).
  static void on_connect(struct mosquitto*, void* self, int rc) {
    auto* p = static_cast<impl*>(self);
    if (rc != 0) {
      // Wrong credentials and the like: the broker closes the link; the
      // records keep spooling and the next attempt comes after the back-off.
      p->refused = true;
      p->last_error = std::string("the broker refused the connection: ") + mosquitto_connack_string(rc) +
                      (rc == 4 || rc == 5 ? " (check username and password_file)" : "");
      return;
    }
    p->connected = true;
    p->backoff = 1;
    p->last_error.clear();
    p->outbox.connected();
    p->changed();
  }
  static void on_publish(struct mosquitto*, void* self, int mid) { static_cast<impl*>(self)->outbox.acked(mid); }

  void connect() {
    teardown();
    ++generation;
    attempt_at = std::chrono::steady_clock::now();
    mosq = mosquitto_new(c.client_id.c_str(), true, this);
    if (!mosq) return lost("cannot make an MQTT client: " + std::string(std::strerror(errno)));
    mosquitto_threaded_set(mosq, false);
    mosquitto_int_option(mosq, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V311);
    mosquitto_connect_callback_set(mosq, &impl::on_connect);
    mosquitto_publish_callback_set(mosq, &impl::on_publish);
    const std::string will = status_topic(c);
    mosquitto_will_set(mosq, will.c_str(), 7, "offline", 1, true);
    if (!c.username.empty())
      mosquitto_username_pw_set(mosq, c.username.c_str(), c.password_file.empty() ? nullptr : password.c_str());
    if (c.tls) {
      const int rc = mosquitto_tls_set(mosq, c.ca_file.empty() ? nullptr : c.ca_file.c_str(),
                                       c.ca_file.empty() ? "/etc/ssl/certs" : nullptr,
                                       c.cert_file.empty() ? nullptr : c.cert_file.c_str(),
                                       c.key_file.empty() ? nullptr : c.key_file.c_str(), nullptr);
      if (rc != MOSQ_ERR_SUCCESS) return lost("TLS setup: " + mosq_error(rc));
    }
    // Blocks only for the DNS lookup of a host name (see the header).
    const int rc = mosquitto_connect_async(mosq, c.host.c_str(), c.port, static_cast<int>(c.keepalive.count()));
    if (rc != MOSQ_ERR_SUCCESS) return lost("connecting: " + mosq_error(rc));
    const int fd = mosquitto_socket(mosq);
    if (fd < 0) return lost("connecting: no socket");
    sd.assign(fd);
    arm_read();
    arm_write();
    arm_misc();
    changed();
  }

  // After a libmosquitto call: a closed socket or a refusal ends this client.
  bool check(int rc, const char* what) {
    if (refused) {
      lost(last_error);
      return false;
    }
    if (rc != MOSQ_ERR_SUCCESS || mosquitto_socket(mosq) < 0) {
      lost(std::string(what) + ": " + (rc == MOSQ_ERR_SUCCESS ? "connection closed" : mosq_error(rc)));
      return false;
    }
    return true;
  }

  void arm_read() {
    if (reading || !mosq) return;
    reading = true;
    sd.async_wait(asio::posix::descriptor_base::wait_read, [this, g = generation](error_code ec) {
      if (g != generation) return;
      reading = false;
      if (ec) return;
      if (!check(mosquitto_loop_read(mosq, 1), connected ? "connection lost" : "connecting")) return;
      arm_read();
      arm_write();
    });
  }

  void arm_write() {
    if (writing || !mosq || !mosquitto_want_write(mosq)) return;
    writing = true;
    sd.async_wait(asio::posix::descriptor_base::wait_write, [this, g = generation](error_code ec) {
      if (g != generation) return;
      writing = false;
      if (ec) return;
      if (!check(mosquitto_loop_write(mosq, 1), connected ? "connection lost" : "connecting")) return;
      arm_write();
    });
  }

  void arm_misc() {
    misc.expires_after(std::chrono::seconds(1));
    misc.async_wait([this, g = generation](error_code ec) {
      if (ec || g != generation || !mosq) return;
      if (!connected && std::chrono::steady_clock::now() - attempt_at > std::chrono::seconds(10))
        return lost("connecting: no answer from the broker in 10 s");
      const int rc = mosquitto_loop_misc(mosq);
      if (!check(rc == MOSQ_ERR_NO_CONN ? MOSQ_ERR_SUCCESS : rc, "keep-alive")) return;
      arm_write();
      arm_misc();
    });
  }

  void teardown() {
    ++generation;
    reading = writing = false;
    misc.cancel();
    if (sd.is_open()) sd.release();  // libmosquitto owns the socket
    if (mosq) mosquitto_destroy(mosq);
    mosq = nullptr;
    connected = refused = false;
  }

  void lost(const std::string& why) {
    if (!refused || last_error.empty()) last_error = why;
    teardown();
    outbox.disconnected();
    if (stopped) return;
    retry_at = std::chrono::steady_clock::now() + std::chrono::milliseconds(static_cast<long long>(backoff * 1000));
    retry.expires_at(retry_at);
    retry.async_wait([this](error_code ec) {
      if (!ec && !stopped) connect();
    });
    backoff = std::min(backoff * 2, 30.0);
    changed();
  }
};

mqtt_link::mqtt_link(asio::io_context& io, mqtt_config c, file_system& fs, std::string spool_path)
    : p_(std::make_unique<impl>(io, std::move(c), fs, std::move(spool_path), *this)) {}

mqtt_link::~mqtt_link() = default;

std::string mqtt_link::start() {
  std::string message;
  if (p_->spool.open(message)) return "mqtt spool: " + message;
  if (!p_->c.password_file.empty()) {
    std::ifstream f(p_->c.password_file);
    if (!f || !std::getline(f, p_->password)) return "mqtt: cannot read password_file " + p_->c.password_file;
    if (!p_->password.empty() && p_->password.back() == '\r') p_->password.pop_back();
  }
  p_->connect();
  return {};
}

void mqtt_link::stop() {
  p_->stopped = true;
  p_->retry.cancel();
  if (p_->mosq && p_->connected) {
    // Said, not left to the last will: the broker drops the will on a clean DISCONNECT.
    for (const auto& m : p_->outbox.farewell())
      mosquitto_publish(p_->mosq, nullptr, m.topic.c_str(), static_cast<int>(m.payload.size()), m.payload.data(), 1,
                        m.retain);
    mosquitto_disconnect(p_->mosq);
    for (int i = 0; i < 10 && mosquitto_want_write(p_->mosq); ++i) mosquitto_loop_write(p_->mosq, 1);
  }
  p_->teardown();
  p_->outbox.disconnected();
}

void mqtt_link::set_bands(const std::vector<band_config>& bands) { p_->outbox.set_bands(bands); }
void mqtt_link::before_write(const std::string& alias, const live_record& r) { p_->outbox.stage(alias, r); }
void mqtt_link::after_write(const std::string&, const live_record&, bool written) { p_->outbox.settle(written); }
void mqtt_link::writer_opened(const std::string& alias, record_kind k, std::uint64_t next_n) {
  p_->outbox.writer_opened(alias, k, next_n);
}
void mqtt_link::band_online(const std::string& alias, bool online) { p_->outbox.band_online(alias, online); }

mqtt_status mqtt_link::status() const {
  mqtt_status s;
  if (p_->stopped) {
    s.state = "stopped";
  } else if (p_->connected) {
    s.state = "connected";
  } else if (p_->mosq) {
    s.state = "connecting";
  } else {
    const double in = std::chrono::duration<double>(p_->retry_at - std::chrono::steady_clock::now()).count();
    char b[48];
    std::snprintf(b, sizeof b, "reconnecting in %.1f s", in > 0 ? in : 0.0);
    s.state = b;
  }
  s.spooled = p_->spool.entries().size();
  s.published = p_->outbox.published();
  s.dropped = p_->spool.dropped_total();
  s.last_error = !p_->spool.error().empty() ? "spool: " + p_->spool.error() : p_->last_error;
  return s;
}

}  // namespace bandwire::record
