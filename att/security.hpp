// The transport seam for link security (Core 5.4 Vol 3 Part C §10.2): the
// bearer asks the link to raise its security level once when a peer answers
// Insufficient Authentication (0x05) or Insufficient Encryption (0x0f), then
// retries the identical request (shared/vectors/att-gatt/README.md,
// "Security mode"). A real L2CAP socket raises BT_SECURITY; the unix
// transport uses scripted_security, whose outcome the test chooses.
#pragma once

#include <boost/system/error_code.hpp>

namespace bandwire::att {

/// Security levels as the kernel numbers them (BT_SECURITY_LOW..FIPS).
enum class security_level : int { sdp = 0, low = 1, medium = 2, high = 3, fips = 4 };

class link_security {
 public:
  virtual ~link_security() = default;
  virtual security_level level() const noexcept = 0;
  /// Raise the level by one step; returns an error when the link refuses.
  virtual boost::system::error_code raise() = 0;
  /// True once the link is encrypted (level >= medium): signed writes are then
  /// sent as plain Write Commands (Vol 3 Part C §10.4.2... and Part G §4.9.2).
  bool encrypted() const noexcept { return level() >= security_level::medium; }
};

/// A link whose raise() succeeds or fails as configured; counts calls.
class scripted_security final : public link_security {
 public:
  explicit scripted_security(security_level start = security_level::low, bool can_raise = true)
      : level_(start), can_raise_(can_raise) {}
  security_level level() const noexcept override { return level_; }
  boost::system::error_code raise() override;
  int raise_calls() const noexcept { return calls_; }
  void set_level(security_level l) noexcept { level_ = l; }
  void set_can_raise(bool b) noexcept { can_raise_ = b; }

 private:
  security_level level_;
  bool can_raise_;
  int calls_ = 0;
};

}  // namespace bandwire::att
