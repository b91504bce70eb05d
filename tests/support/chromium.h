// Headless Chromium for tests of the HTML pages cutover writes (Debian
// package `chromium`, installed by scripts/setup.sh).
//
// What it is for: load a page the way a browser does, then look at the DOM
// Chromium built from it (--dump-dom) and take a screenshot (--screenshot),
// so a test proves the page renders, not only that a string contains tags.
//
// How it runs: /usr/bin/chromium (or `chromium` on PATH) with --headless
// --no-sandbox --disable-gpu --disable-dev-shm-usage and a fresh temporary
// --user-data-dir (containers have no user namespaces and a small
// /dev/shm), as a ChildProcess killed after `limit` (default 60 s).
//
// Failure: a missing chromium, a run that times out or exits non-zero, or a
// screenshot that is not a PNG is a gtest failure (ADD_FAILURE), never a
// skip: CI installs chromium. Results are empty then.
#pragma once

#include <chrono>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace cutover::testing {

// The chromium executable, or "" after recording a failure.
std::string ChromiumBinary();

// The DOM Chromium built from `page` (a file), serialized.
std::string ChromiumDumpDom(const std::filesystem::path& page,
                            std::chrono::seconds limit = std::chrono::seconds(60));

// A screenshot of `page` at width x height into `png`; true when a PNG of
// nonzero size was written (checked by its signature).
bool ChromiumScreenshot(const std::filesystem::path& page, const std::filesystem::path& png, int width = 1400,
                        int height = 2000, std::chrono::seconds limit = std::chrono::seconds(60));

// Whether `path` starts with the PNG signature and holds more than it.
bool IsPng(const std::filesystem::path& path);

// The start tags <tag ...> of serialized HTML whose class attribute has the
// word `cls`, each as its attributes (values with entities decoded).
std::vector<std::map<std::string, std::string>> ElementsWithClass(const std::string& html,
                                                                  const std::string& tag,
                                                                  const std::string& cls);

// Where tests put files CI keeps (CUTOVER_ARTIFACTS_DIR, created on demand).
std::filesystem::path ArtifactsDir();

}  // namespace cutover::testing
