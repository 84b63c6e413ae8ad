// The virtual devices of each family bandwire supports (`--device sim:MODEL`,
// `bandwire sim --model MODEL`), built as differences from the faithful
// virtual Mi Band 2 (fact sheet §18):
//   mb2  the Mi Band 2 itself (CAP-A's database, identity and behaviour)
//   mb3  Mi Band 3: named "Mi Band 3"; auth as the Mi Band 2; the Mi Band 3's
//        display-items command (`0a mask_lo mask_hi 00 p1…p8`, §18)
//   mb4  Mi Band 4: named "Mi Smart Band 4", a public address, crypt-flag
//        auth (`82 00 02 01 00`, plain `02 00` also accepted), no key bind;
//        display items like the Mi Band 3 (§18)
//   hrx  Mi Band HRX: named "Mi Band HRX", no Heart Rate service, no PPG
//   hrs  a standard BLE heart-rate strap (miband/virtual_strap.hpp)
// What the fact sheet does not tell (handles of the siblings, their revision
// strings) keeps the Mi Band 2's values or is a marked choice.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "miband/virtual_band.hpp"

namespace bandwire::miband {

enum class sim_model { mb2, mb3, mb4, hrx, hrs };

/// "mb2", "mb3", "mb4", "hrx", "hrs".
const char* to_string(sim_model m) noexcept;
/// The family the model stands for, as the user reads it ("Mi Band 4", "heart-rate strap").
const char* describe(sim_model m) noexcept;
/// Parses a model name; nullopt when unknown.
std::optional<sim_model> parse_sim_model(std::string_view name) noexcept;
/// "mb2, mb3, mb4, hrx, hrs": for help and error messages.
const char* sim_model_names() noexcept;

/// The model a `--device` value selects: `sim` → mb2, `sim:MODEL` → MODEL;
/// nullopt when the device is not a virtual one or the model is unknown.
std::optional<sim_model> sim_model_of_device(std::string_view device) noexcept;
/// `sim` or `sim:…` (whether or not the model is known).
bool is_sim_device(std::string_view device) noexcept;

/// Applies the model's differences to `o` (which otherwise stays as given:
/// key, seed, timings, fault injection).
void apply_model(sim_model m, sim_options& o);

}  // namespace bandwire::miband
