// Who runs this process, for the records that name an actor (the history
// table's applied_by, the audit log): "user@host". Never a secret.
//
// The user is the effective uid's name (getpwuid), else $USER, else
// "uid<N>"; the host is gethostname(), else "unknown-host". Never fails.
#pragma once

#include <string>

namespace cutover {

std::string OsUserAtHost();

}  // namespace cutover
