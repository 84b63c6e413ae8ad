#include "miband/virtual_models.hpp"

namespace bandwire::miband {

namespace {
struct model_row {
  sim_model model;
  const char* name;
  const char* description;
};
constexpr model_row rows[] = {
    {sim_model::mb2, "mb2", "Mi Band 2"},   {sim_model::mb3, "mb3", "Mi Band 3"},
    {sim_model::mb4, "mb4", "Mi Band 4"},   {sim_model::hrx, "hrx", "Mi Band HRX"},
    {sim_model::hrs, "hrs", "heart-rate strap"},
};
}  // namespace

const char* to_string(sim_model m) noexcept {
  for (const auto& r : rows)
    if (r.model == m) return r.name;
  return "?";
}

const char* describe(sim_model m) noexcept {
  for (const auto& r : rows)
    if (r.model == m) return r.description;
  return "?";
}

std::optional<sim_model> parse_sim_model(std::string_view name) noexcept {
  for (const auto& r : rows)
    if (name == r.name) return r.model;
  return std::nullopt;
}

const char* sim_model_names() noexcept { return "mb2, mb3, mb4, hrx, hrs"; }

bool is_sim_device(std::string_view device) noexcept { return device == "sim" || device.rfind("sim:", 0) == 0; }

std::optional<sim_model> sim_model_of_device(std::string_view device) noexcept {
  if (device == "sim") return sim_model::mb2;
  if (device.rfind("sim:", 0) != 0) return std::nullopt;
  return parse_sim_model(device.substr(4));
}

void apply_model(sim_model m, sim_options& o) {
  switch (m) {
    case sim_model::mb2: break;  // the defaults are CAP-A's band
    case sim_model::mb3:
      // §18: advertised/2A00 name; the revisions are choices (none captured).
      o.device_name = "Mi Band 3";
      o.hardware = "V0.25.3.4";
      o.software = "V2.3.0.2";
      o.serial = "c80f10a3b2e1";
      o.display_items = display_items_layout::mi_band_3;  // §18: `0a mask_lo mask_hi order…`, MB3 ids
      break;
    case sim_model::mb4:
      o.device_name = "Mi Smart Band 4";
      o.hardware = "V0.44.17.3";
      o.software = "V1.0.9.66";
      o.serial = "e4aaec5d2f10";
      // §18: a public address (SAT connects with ADDR_TYPE_PUBLIC): the
      // first octet's top bits 01 are no static random address.
      o.address = "5C:A1:B2:C3:D4:E5";
      o.can_bind = false;  // the key is made by the vendor app (§18)
      o.display_items = display_items_layout::mi_band_3;  // §18: "like MB3"
      break;
    case sim_model::hrx:
      // §18: "authentication is same as MiBand2", raw accelerometer over
      // 0001/0002, and no heart-rate sensor.
      o.device_name = "Mi Band HRX";
      o.hardware = "V0.1.1.7";
      o.software = "V1.0.0.19";
      o.heart_rate_service = false;
      o.ppg = false;
      break;
    case sim_model::hrs:
      o.strap = true;
      o.device_name = "bandwire HR strap";
      break;
  }
}

}  // namespace bandwire::miband
