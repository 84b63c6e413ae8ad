#include "att/security.hpp"

#include "att/error.hpp"

namespace bandwire::att {

boost::system::error_code scripted_security::raise() {
  ++calls_;
  if (!can_raise_ || level_ >= security_level::fips) return make_error_code(errc::security_failed);
  level_ = static_cast<security_level>(static_cast<int>(level_) + 1);
  return {};
}

}  // namespace bandwire::att
