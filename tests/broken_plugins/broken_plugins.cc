// Deliberately broken driver plugins, built once per BROKEN_KIND, to prove
// the loader's error messages (src/driver/loader_test.cc).
#include "driver/driver.h"

#if defined(BROKEN_WRONG_VERSION)
extern "C" __attribute__((visibility("default"))) const CutoverDriverEntry* cutover_driver_entry_v1() {
  static const CutoverDriverEntry entry{999, "wrongversion", nullptr};
  return &entry;
}
#elif defined(BROKEN_WRONG_NAME)
extern "C" __attribute__((visibility("default"))) const CutoverDriverEntry* cutover_driver_entry_v1() {
  static const CutoverDriverEntry entry{cutover::kDriverApiVersion, "somebodyelse", nullptr};
  return &entry;
}
#elif defined(BROKEN_NO_ENTRY)
extern "C" __attribute__((visibility("default"))) int cutover_driver_entry_v0() {
  return 0;
}
#elif defined(BROKEN_UNRESOLVED)
extern "C" int cutover_symbol_that_does_not_exist(int);
extern "C" __attribute__((visibility("default"))) const CutoverDriverEntry* cutover_driver_entry_v1() {
  static const CutoverDriverEntry entry{static_cast<std::uint32_t>(cutover_symbol_that_does_not_exist(1)),
                                        "unresolved", nullptr};
  return &entry;
}
#else
#error "define one BROKEN_* kind"
#endif
