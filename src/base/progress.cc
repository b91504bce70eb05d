#include "base/progress.h"

#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <iostream>

namespace cutover {
std::string HumanBytes(double bytes) {
  static const char* kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  int u = 0;
  while (bytes >= 1024 && u < 4) {
    bytes /= 1024;
    ++u;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, u == 0 ? "%.0f %s" : "%.1f %s", bytes, kUnits[u]);
  return buf;
}

std::string HumanCount(double n) {
  char buf[32];
  if (n >= 1e9) {
    std::snprintf(buf, sizeof buf, "%.1fG", n / 1e9);
  } else if (n >= 1e6) {
    std::snprintf(buf, sizeof buf, "%.1fM", n / 1e6);
  } else if (n >= 1e4) {
    std::snprintf(buf, sizeof buf, "%.1fk", n / 1e3);
  } else {
    std::snprintf(buf, sizeof buf, "%.0f", n);
  }
  return buf;
}

Progress::Mode Progress::ModeFor(bool no_progress, bool quiet, bool json) {
  if (no_progress || quiet) return Mode::kOff;
  if (::isatty(STDERR_FILENO) && !json) return Mode::kBar;
  return Mode::kPlain;
}

Progress::Progress(Mode mode, std::string what, std::int64_t total_tables, std::int64_t total_bytes)
    : mode_(mode), what_(std::move(what)), total_tables_(total_tables), total_bytes_(total_bytes) {
  if (mode_ != Mode::kOff) reporter_ = std::thread([this] { Run(); });
}

Progress::~Progress() {
  if (!reporter_.joinable()) return;
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  reporter_.join();
  if (mode_ == Mode::kBar) std::cerr << "\r" << Line(true) << "\x1b[K\n" << std::flush;
}

std::string Progress::Line(bool final) const {
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  double bytes = static_cast<double>(bytes_.load());
  double rate = secs > 0 ? bytes / secs : 0;
  std::string line = what_ + ": ";
  if (mode_ == Mode::kBar && total_bytes_ > 0) {
    double frac = std::min(1.0, bytes / static_cast<double>(total_bytes_));
    int filled = static_cast<int>(frac * 20);
    line += "[" + std::string(static_cast<size_t>(filled), '#') +
            std::string(static_cast<size_t>(20 - filled), '.') + "] ";
  }
  line += "tables " + std::to_string(tables_.load()) + "/" + std::to_string(total_tables_) + ", " +
          HumanCount(static_cast<double>(rows_.load())) + " rows, " + HumanBytes(bytes) + ", " +
          HumanBytes(rate) + "/s";
  if (!final && total_bytes_ > 0 && rate > 0 && bytes < static_cast<double>(total_bytes_)) {
    line += ", ETA " +
            std::to_string(
                static_cast<long long>(std::ceil((static_cast<double>(total_bytes_) - bytes) / rate))) +
            " s";
  }
  if (final) line += " in " + std::to_string(static_cast<long long>(std::lround(secs))) + " s";
  return line;
}

void Progress::Run() {
  const auto interval =
      mode_ == Mode::kBar ? std::chrono::milliseconds(250) : std::chrono::milliseconds(10000);
  std::unique_lock<std::mutex> lock(mu_);
  while (!cv_.wait_for(lock, interval, [this] { return stop_; })) {
    if (mode_ == Mode::kBar) {
      std::cerr << "\r" << Line(false) << "\x1b[K" << std::flush;
    } else {
      std::cerr << "cutover: " << Line(false) << "\n" << std::flush;
    }
  }
}

}  // namespace cutover
