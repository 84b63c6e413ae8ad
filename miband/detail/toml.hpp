// toml++ as bandwire includes it, in every file that parses TOML (settings
// files, the record config): one definition of its inline functions for
// all of them. Not installed (miband/detail/): the library's users need no
// toml++.
#pragma once

// toml++ is used header-only, whatever its pkg-config file says (Debian's
// names a shared library, which a static executable cannot link).
//
// toml++ 3.3.0 (Debian 12) guards its parser's internal preconditions with
// assert(), and some malformed documents break them: fuzzing found `[!]` and
// `x = [[[}` (upstream marzer/tomlplusplus#301 fixes the first). assert()
// would abort the process, and with NDEBUG the guards become optimizer
// assumptions (undefined behaviour). So here every such guard throws, and
// the file is reported as not parseable: NDEBUG is lifted for toml++'s
// headers only, and toml++ is built with exceptions (its parse errors are
// thrown too; each parser catches both).
namespace bandwire::miband::detail {
struct toml_check_failed {};
}  // namespace bandwire::miband::detail
// A guard inside a noexcept function of toml++ still ends the process, as
// assert() would have: the compilers say so for each, which is known here.
#if defined(__clang__)
#pragma clang diagnostic ignored "-Wexceptions"
#elif defined(__GNUC__)
#pragma GCC diagnostic ignored "-Wterminate"
#endif
#pragma push_macro("NDEBUG")
#undef NDEBUG
#define TOML_ASSERT(expr) ((expr) ? static_cast<void>(0) : throw ::bandwire::miband::detail::toml_check_failed{})
#define TOML_HEADER_ONLY 1
#define TOML_EXCEPTIONS 1
#define TOML_ENABLE_FORMATTERS 0
#include <toml++/toml.h>
#pragma pop_macro("NDEBUG")
