#include "hci/btsnoop_recorder.hpp"

#include <chrono>

#include "hci/btsnoop.hpp"

namespace bandwire::hci {

btsnoop_recorder::~btsnoop_recorder() {
  if (f_) std::fclose(f_);
}

bool btsnoop_recorder::open(const std::string& path) {
  if (f_) return true;
  f_ = std::fopen(path.c_str(), "wb");
  if (!f_) {
    std::fprintf(stderr, "bandwire: cannot write %s; not recording\n", path.c_str());
    return false;
  }
  buf_.clear();
  write_btsnoop_header(buf_);
  std::fwrite(buf_.data(), 1, buf_.size(), f_);
  std::fflush(f_);
  return true;
}

registration btsnoop_recorder::attach(att::bearer& b) {
  if (!f_) return {};
  return b.tap([this](att::direction d, bytes_view pdu) { record(d, pdu); });
}

void btsnoop_recorder::record(att::direction d, bytes_view pdu) {
  pdu_.assign(pdu.begin(), pdu.end());
  if (mask) mask(pdu_, d == att::direction::sent);
  buf_.clear();
  const auto now =
      std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  write_att_pdu(buf_, d == att::direction::sent ? direction::host_to_controller : direction::controller_to_host,
                     now, pdu_);
  std::fwrite(buf_.data(), 1, buf_.size(), f_);
  std::fflush(f_);  // a killed process keeps what it recorded
}

}  // namespace bandwire::hci
