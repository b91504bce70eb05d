#include "support/chromium.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <cctype>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "support/process.h"
#include "support/test_env.h"

namespace cutover::testing {
namespace fs = std::filesystem;

namespace {

std::string Slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// Runs chromium with `args` after the common flags; stdout is returned, a
// failure recorded when it does not exit 0 within `limit`.
std::string RunChromium(const std::vector<std::string>& args, std::chrono::seconds limit, bool* ok) {
  *ok = false;
  const std::string binary = ChromiumBinary();
  if (binary.empty()) return "";
  const fs::path dir = fs::temp_directory_path() / UniqueName("cutover-chromium-");
  fs::create_directories(dir / "profile");
  std::vector<std::string> argv{binary,
                                "--headless",
                                "--no-sandbox",
                                "--disable-gpu",
                                "--disable-dev-shm-usage",
                                "--no-first-run",
                                "--no-default-browser-check",
                                "--disable-extensions",
                                "--disable-background-networking",
                                "--user-data-dir=" + (dir / "profile").string()};
  argv.insert(argv.end(), args.begin(), args.end());
  std::string out;
  {
    ChildProcess child(argv, ProcessOptions().Env({"HOME=" + dir.string()}), dir / "stdout", dir / "stderr");
    if (child.started()) {
      if (!child.WaitFor(std::chrono::duration_cast<std::chrono::milliseconds>(limit))) {
        child.Stop(SIGKILL);
        ADD_FAILURE() << "chromium did not finish within " << limit.count()
                      << " s: " << Slurp(dir / "stderr");
      } else {
        const RunResult r = child.Result();
        if (r.exit_code != 0) {
          ADD_FAILURE() << "chromium exited " << r.exit_code << ": " << Slurp(dir / "stderr");
        } else {
          *ok = true;
        }
        out = Slurp(dir / "stdout");
      }
    }
  }
  std::error_code ec;
  fs::remove_all(dir, ec);
  return out;
}

std::string DecodeEntities(const std::string& s) {
  static const std::map<std::string, std::string> kNamed = {
      {"amp", "&"}, {"lt", "<"}, {"gt", ">"}, {"quot", "\""}, {"apos", "'"}, {"nbsp", "\xC2\xA0"}};
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const std::size_t semi = s[i] == '&' ? s.find(';', i) : std::string::npos;
    if (semi == std::string::npos || semi - i > 10) {
      out += s[i];
      continue;
    }
    const std::string name = s.substr(i + 1, semi - i - 1);
    if (auto it = kNamed.find(name); it != kNamed.end()) {
      out += it->second;
    } else if (name.size() > 1 && name[0] == '#') {
      const long code = name[1] == 'x' ? std::strtol(name.c_str() + 2, nullptr, 16)
                                       : std::strtol(name.c_str() + 1, nullptr, 10);
      if (code < 0x80) {
        out += static_cast<char>(code);
      } else {
        out += "?";  // tests compare ASCII
      }
    } else {
      out += s.substr(i, semi - i + 1);
    }
    i = semi;
  }
  return out;
}

// The attributes of the start tag beginning at html[i] (just after "<tag").
std::map<std::string, std::string> Attributes(const std::string& html, std::size_t& i) {
  std::map<std::string, std::string> attrs;
  while (i < html.size() && html[i] != '>') {
    if (std::isspace(static_cast<unsigned char>(html[i])) || html[i] == '/') {
      ++i;
      continue;
    }
    const std::size_t name_start = i;
    while (i < html.size() && html[i] != '=' && html[i] != '>' &&
           !std::isspace(static_cast<unsigned char>(html[i])))
      ++i;
    const std::string name = html.substr(name_start, i - name_start);
    std::string value;
    if (i < html.size() && html[i] == '=') {
      ++i;
      const char quote = html[i];
      if (quote == '"' || quote == '\'') {
        const std::size_t end = html.find(quote, i + 1);
        value = html.substr(i + 1, end - i - 1);
        i = end == std::string::npos ? html.size() : end + 1;
      } else {
        const std::size_t start = i;
        while (i < html.size() && html[i] != '>' && !std::isspace(static_cast<unsigned char>(html[i]))) ++i;
        value = html.substr(start, i - start);
      }
    }
    attrs[name] = DecodeEntities(value);
  }
  return attrs;
}

}  // namespace

std::string ChromiumBinary() {
  for (const char* candidate : {"/usr/bin/chromium", "/usr/bin/chromium-browser"}) {
    if (::access(candidate, X_OK) == 0) return candidate;
  }
  if (const char* path = std::getenv("PATH"); path != nullptr) {
    std::stringstream dirs(path);
    std::string dir;
    while (std::getline(dirs, dir, ':')) {
      const std::string candidate = dir + "/chromium";
      if (!dir.empty() && ::access(candidate.c_str(), X_OK) == 0) return candidate;
    }
  }
  ADD_FAILURE() << "chromium is not installed (Debian package `chromium`; scripts/setup.sh installs it)";
  return "";
}

std::string ChromiumDumpDom(const fs::path& page, std::chrono::seconds limit) {
  bool ok = false;
  std::string dom = RunChromium({"--dump-dom", "file://" + fs::absolute(page).string()}, limit, &ok);
  return ok ? dom : "";
}

bool IsPng(const fs::path& path) {
  const std::string data = Slurp(path);
  static const std::string kSignature("\x89PNG\r\n\x1a\n", 8);
  return data.size() > kSignature.size() + 100 && data.compare(0, kSignature.size(), kSignature) == 0;
}

bool ChromiumScreenshot(const fs::path& page, const fs::path& png, int width, int height,
                        std::chrono::seconds limit) {
  std::error_code ec;
  fs::remove(png, ec);
  bool ok = false;
  RunChromium({"--hide-scrollbars", "--screenshot=" + fs::absolute(png).string(),
               "--window-size=" + std::to_string(width) + "," + std::to_string(height),
               "file://" + fs::absolute(page).string()},
              limit, &ok);
  if (!ok) return false;
  if (!IsPng(png)) {
    ADD_FAILURE() << "chromium wrote no PNG at " << png;
    return false;
  }
  return true;
}

std::vector<std::map<std::string, std::string>> ElementsWithClass(const std::string& html,
                                                                  const std::string& tag,
                                                                  const std::string& cls) {
  std::vector<std::map<std::string, std::string>> out;
  const std::string open = "<" + tag;
  for (std::size_t i = html.find(open); i != std::string::npos; i = html.find(open, i)) {
    i += open.size();
    if (i >= html.size() || !(std::isspace(static_cast<unsigned char>(html[i])) || html[i] == '>')) continue;
    std::map<std::string, std::string> attrs = Attributes(html, i);
    std::stringstream words(attrs["class"]);
    std::string word;
    while (words >> word) {
      if (word == cls) {
        out.push_back(attrs);
        break;
      }
    }
  }
  return out;
}

fs::path ArtifactsDir() {
#ifdef CUTOVER_ARTIFACTS_DIR
  const fs::path dir = CUTOVER_ARTIFACTS_DIR;
#else
  const fs::path dir = fs::temp_directory_path() / "cutover-artifacts";
#endif
  std::error_code ec;
  fs::create_directories(dir, ec);
  return dir;
}

}  // namespace cutover::testing
