// VerifySnapshot: `cutover verify SNAPSHOT [--deep]`, the integrity check
// that needs no database.
//
// Default: the manifest's own checksum, its internal consistency (a table's
// rows and digest are the sums of its chunks'), and the size and SHA-256 of
// every file it names; files in data/ or schema/ that it does not name are
// problems too (an extra chunk). --deep also decompresses every chunk and
// recomputes its hash, row count and content digest. For an image snapshot
// (manifest.h, Layout::kImage) --deep writes the decompressed image into an
// unnamed private temporary file (O_TMPFILE in $TMPDIR: it needs the
// database's size in free space and vanishes with the process, also after
// kill -9) and has the engine's driver, from `drivers`, recount and
// re-digest every table in it.
//
// Every problem names the table (or "schema") and the file. The result lists
// all problems found rather than stopping at the first, so one run tells the
// whole damage. Reading is parallel (`jobs` threads), one chunk in memory
// per thread.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "base/progress.h"
#include "base/status.h"
#include "driver/loader.h"
#include "snapshot/repository.h"

namespace cutover::snapshot {

struct VerifyReport {
  std::string snapshot_id;
  bool deep = false;
  std::int64_t files_checked = 0;
  std::int64_t bytes_read = 0;
  std::int64_t rows_counted = 0;  // --deep only
  std::vector<std::string> problems;
  double seconds = 0;
  bool ok() const { return problems.empty(); }
};

// kCheckFailed problems are collected in the report; a returned error means
// the check could not run at all (unreadable manifest counts as a problem,
// not an error, so it is reported like any other).
Result<VerifyReport> VerifySnapshot(const Repository& repo, const std::string& id, bool deep, int jobs,
                                    Progress::Mode progress, DriverLoader* drivers);

}  // namespace cutover::snapshot
