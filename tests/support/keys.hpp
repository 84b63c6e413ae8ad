// Keys the tests share.
#pragma once

#include "miband/auth.hpp"
#include "tests/support/hex.hpp"

namespace bandwire::test {

/// CAP-A's real key (fact sheet §20.1, A1): the key the virtual band holds
/// in tests that replay or mirror CAP-A.
inline miband::auth_key key_a1() { return *miband::auth_key::from_bytes(hx("91c7954727b7ec7fb89c65b311bdd59f")); }

}  // namespace bandwire::test
