// Discovery by needs: what a program will use, against what discovery knows.
//
// Pure functions over gatt::discovered_database (gatt/types.hpp); the
// procedure that fills the gaps is client::discover (gatt/needs.cpp).
#pragma once

#include <vector>

#include "gatt/types.hpp"

namespace bandwire::gatt {

/// True when the database answers everything `need` asks: the service is
/// known to be absent, or it is present and each needed characteristic is
/// found (with its descriptors when it needs a CCCD) or known not to exist
/// (its service's characteristics are complete).
bool satisfied(const discovered_database& db, const service_need& need);

/// The needs (whole service entries) the database does not answer yet.
discovery_needs unmet(const discovered_database& db, const discovery_needs& needs);

/// The needed characteristics the database knows not to exist: in an
/// absent service, or not in their service's complete list.
std::vector<uuid> missing_characteristics(const discovered_database& db, const discovery_needs& needs);

/// The characteristic of this type inside `s`, or null.
const characteristic* find_in(const service& s, const uuid& type) noexcept;

/// Both lists together: services of `more` added to `base`, and for a
/// service in both, characteristics `more` names that `base` lacks.
discovery_needs merge(discovery_needs base, const discovery_needs& more);

}  // namespace bandwire::gatt
