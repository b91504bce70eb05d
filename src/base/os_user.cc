#include "base/os_user.h"

#include <pwd.h>
#include <unistd.h>

#include <cstdlib>

namespace cutover {

std::string OsUserAtHost() {
  std::string user;
  if (const passwd* pw = getpwuid(geteuid()); pw != nullptr && pw->pw_name != nullptr) user = pw->pw_name;
  if (user.empty()) {
    const char* env = std::getenv("USER");
    user = env != nullptr ? env : "uid" + std::to_string(geteuid());
  }
  char host[256] = {};
  if (gethostname(host, sizeof host - 1) != 0) host[0] = '\0';
  return user + "@" + (host[0] != '\0' ? host : "unknown-host");
}

}  // namespace cutover
