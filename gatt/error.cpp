#include "gatt/error.hpp"

#include <string>

namespace bandwire::gatt {
namespace {
class category final : public boost::system::error_category {
 public:
  const char* name() const noexcept override { return "bandwire.gatt"; }
  std::string message(int ev) const override {
    switch (static_cast<errc>(ev)) {
      case errc::invalid_response: return "GATT response violates the procedure (bad handles or lengths)";
      case errc::not_in_cache: return "characteristic not found in the discovered database";
      case errc::no_cccd: return "characteristic has no Client Characteristic Configuration descriptor";
      case errc::not_subscribable: return "characteristic supports neither notifications nor indications";
      case errc::value_too_long: return "attribute value longer than 512 bytes";
    }
    return "unknown GATT error";
  }
};
}  // namespace

const boost::system::error_category& errc_category() noexcept {
  static const category c;
  return c;
}

}  // namespace bandwire::gatt
