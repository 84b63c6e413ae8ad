// Local GATT-layer failures (category "bandwire.gatt"). Peer ATT errors stay
// in att::error; bearer failures stay in att::errc.
#pragma once

#include <type_traits>

#include <boost/system/error_code.hpp>

namespace bandwire::gatt {

enum class errc {
  invalid_response = 1,  ///< a response that breaks a GATT procedure rule (e.g. handles going backwards)
  not_in_cache,          ///< no such characteristic in the discovery cache
  no_cccd,               ///< the characteristic has no Client Characteristic Configuration descriptor
  not_subscribable,      ///< the characteristic supports neither notify nor indicate
  value_too_long,        ///< more than 512 bytes (Vol 3 Part F §3.2.9)
};

const boost::system::error_category& errc_category() noexcept;
inline boost::system::error_code make_error_code(errc e) noexcept { return {static_cast<int>(e), errc_category()}; }

}  // namespace bandwire::gatt

namespace boost::system {
template <> struct is_error_code_enum<bandwire::gatt::errc> : std::true_type {};
}  // namespace boost::system
