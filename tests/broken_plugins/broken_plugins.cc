// Deliberately broken driver plugins, built once per BROKEN_<KIND>
// (tests/CMakeLists.txt), to prove the loader's error messages
// (src/driver/loader_test.cc). Each is a real shared module the loader finds
// as cutover_driver_<kind>.so.
#include "driver/driver.h"

#if defined(BROKEN_WRONGVERSION)
// The right entry symbol, an interface version this cutover does not speak.
extern "C" __attribute__((visibility("default"))) const CutoverDriverEntry* cutover_driver_entry() {
  static const CutoverDriverEntry entry{999, "wrongversion", nullptr};
  return &entry;
}
#elif defined(BROKEN_WRONGNAME)
// Loads fine but claims to be another driver than its file name says.
extern "C" __attribute__((visibility("default"))) const CutoverDriverEntry* cutover_driver_entry() {
  static const CutoverDriverEntry entry{cutover::kDriverApiVersion, "somebodyelse", nullptr};
  return &entry;
}
#elif defined(BROKEN_NOENTRY)
// A shared object that is not a cutover plugin at all.
extern "C" __attribute__((visibility("default"))) int some_other_library_function() {
  return 0;
}
#elif defined(BROKEN_LEGACYENTRY)
// A plugin built before the entry symbol lost its version suffix.
extern "C" __attribute__((visibility("default"))) const CutoverDriverEntry* cutover_driver_entry_v1() {
  static const CutoverDriverEntry entry{cutover::kDriverApiVersion, "legacyentry", nullptr};
  return &entry;
}
#elif defined(BROKEN_UNRESOLVED)
// Links against a symbol nothing provides: dlopen(RTLD_NOW) must fail.
extern "C" int cutover_symbol_that_does_not_exist(int);
extern "C" __attribute__((visibility("default"))) const CutoverDriverEntry* cutover_driver_entry() {
  static const CutoverDriverEntry entry{static_cast<std::uint32_t>(cutover_symbol_that_does_not_exist(1)),
                                        "unresolved", nullptr};
  return &entry;
}
#else
#error "define one BROKEN_<KIND>"
#endif
