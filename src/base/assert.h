// Assertions on synod's own invariants. They stay on in release builds (TigerBeetle style) and
// must never be used to check outside input: input errors are Status values.
#pragma once

#include <cstdio>
#include <cstdlib>

namespace synod::detail {
[[noreturn]] inline void assert_failed(const char* expression, const char* file, int line) {
  std::fprintf(stderr, "synod: assertion failed: %s at %s:%d\n", expression, file, line);
  std::abort();
}
}  // namespace synod::detail

#define SYNOD_ASSERT(condition)                                       \
  do {                                                                \
    if (!(condition)) [[unlikely]]                                    \
      ::synod::detail::assert_failed(#condition, __FILE__, __LINE__); \
  } while (0)
