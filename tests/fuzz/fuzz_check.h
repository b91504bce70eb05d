// FUZZ_CHECK: an invariant a fuzz target asserts about what it parsed
// (a round trip that must reproduce its input, a line number inside the
// script). A failed check aborts with the condition and the place, which
// libFuzzer reports as a crash and saves as a reproducer, and which the
// corpus replay (fuzz_main.cc) turns into a failed test.
#pragma once

#include <cstdio>
#include <cstdlib>

#define FUZZ_CHECK(cond)                                                                     \
  do {                                                                                       \
    if (!(cond)) {                                                                           \
      std::fprintf(stderr, "%s:%d: fuzz invariant failed: %s\n", __FILE__, __LINE__, #cond); \
      std::abort();                                                                          \
    }                                                                                        \
  } while (0)
