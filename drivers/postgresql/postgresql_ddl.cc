// PostgreSQL schema dumps: DumpSchemaScript() runs pg_dump (launched with
// posix_spawn, its stdout and stderr read through one poll() loop so neither
// pipe can fill up and block it, the password handed over in the child's
// environment only: argv is visible to every user in ps) on the snapshot,
// and appends the sequence positions schema-only dumps leave out.
#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <future>
#include <optional>
#include <string>
#include <vector>

#include "base/strings.h"
#include "base/uri.h"
#include "postgresql_internal.h"

extern char** environ;

namespace cutover::postgresql {
namespace {

bool IsExecutable(const std::string& path) {
  struct stat sb {};
  return ::stat(path.c_str(), &sb) == 0 && S_ISREG(sb.st_mode) && ::access(path.c_str(), X_OK) == 0;
}

struct ChildOutput {
  int exit_code = -1;  // -1 when killed by a signal
  int signal = 0;
  std::string out;
  std::string err;
};

// Runs `argv` (argv[0] an absolute path) with environment `env`, stdin from
// /dev/null, collecting stdout and stderr (stderr capped at 1 MiB).
Result<ChildOutput> RunChild(const std::vector<std::string>& argv, const std::vector<std::string>& env) {
  int out_pipe[2] = {-1, -1};
  int err_pipe[2] = {-1, -1};
  // O_CLOEXEC: children spawned by other threads must not inherit these.
  if (::pipe2(out_pipe, O_CLOEXEC) != 0) return Status::Io(std::string("pipe: ") + std::strerror(errno));
  if (::pipe2(err_pipe, O_CLOEXEC) != 0) {
    int e = errno;
    ::close(out_pipe[0]);
    ::close(out_pipe[1]);
    return Status::Io(std::string("pipe: ") + std::strerror(e));
  }
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&fa, out_pipe[1], 1);
  posix_spawn_file_actions_adddup2(&fa, err_pipe[1], 2);
  std::vector<char*> av;
  for (const std::string& a : argv) av.push_back(const_cast<char*>(a.c_str()));
  av.push_back(nullptr);
  std::vector<char*> ev;
  for (const std::string& e : env) ev.push_back(const_cast<char*>(e.c_str()));
  ev.push_back(nullptr);
  pid_t pid = -1;
  const int rc = posix_spawn(&pid, argv[0].c_str(), &fa, nullptr, av.data(), ev.data());
  posix_spawn_file_actions_destroy(&fa);
  ::close(out_pipe[1]);
  ::close(err_pipe[1]);
  if (rc != 0) {
    ::close(out_pipe[0]);
    ::close(err_pipe[0]);
    return Status::Io("cannot run " + argv[0] + ": " + std::strerror(rc));
  }
  ChildOutput result;
  pollfd fds[2] = {{out_pipe[0], POLLIN, 0}, {err_pipe[0], POLLIN, 0}};
  std::string* sinks[2] = {&result.out, &result.err};
  int open_fds = 2;
  char chunk[65536];
  while (open_fds > 0) {
    int n = ::poll(fds, 2, -1);
    if (n < 0) {
      if (errno == EINTR) continue;
      break;
    }
    for (int k = 0; k < 2; ++k) {
      if (fds[k].fd < 0 || fds[k].revents == 0) continue;
      ssize_t got = ::read(fds[k].fd, chunk, sizeof chunk);
      if (got < 0 && (errno == EINTR || errno == EAGAIN)) continue;
      if (got <= 0) {
        ::close(fds[k].fd);
        fds[k].fd = -1;
        --open_fds;
        continue;
      }
      if (k == 0 || sinks[k]->size() < (1u << 20)) sinks[k]->append(chunk, static_cast<size_t>(got));
    }
  }
  for (pollfd& p : fds)
    if (p.fd >= 0) ::close(p.fd);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return Status::Io("waiting for " + argv[0] + ": " + std::strerror(errno));
  }
  if (WIFEXITED(status)) result.exit_code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) result.signal = WTERMSIG(status);
  return result;
}

// The environment for pg_dump: ours, with PGPASSWORD replaced by the
// password the session actually used (from the URI, PGPASSWORD or
// ~/.pgpass), so pg_dump authenticates exactly as we did.
std::vector<std::string> ChildEnvironment(const char* password) {
  std::vector<std::string> env;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    if (StartsWith(*e, "PGPASSWORD=")) continue;
    env.emplace_back(*e);
  }
  if (password != nullptr && *password != '\0') env.push_back(std::string("PGPASSWORD=") + password);
  return env;
}

std::string ConninfoValue(std::string_view v) {
  std::string out = "'";
  for (char c : v) {
    if (c == '\'' || c == '\\') out += '\\';
    out += c;
  }
  return out + "'";
}

// A conninfo string for the server and database of the live session, without
// any secret: the host actually connected to (never another one of a
// multi-host URI: an exported snapshot exists on one server only) and every
// other option the session was opened with.
std::string ChildConninfo(PGconn* pg) {
  std::string out;
  auto add = [&](std::string_view key, std::string_view value) {
    out += std::string(key) + "=" + ConninfoValue(value) + " ";
  };
  const std::string host = PQhost(pg) != nullptr ? PQhost(pg) : "";
  const std::string hostaddr = PQhostaddr(pg) != nullptr ? PQhostaddr(pg) : "";
  if (!host.empty()) add("host", host);
  if (!hostaddr.empty() && !StartsWith(host, "/")) add("hostaddr", hostaddr);
  if (PQport(pg) != nullptr && *PQport(pg) != '\0') add("port", PQport(pg));
  if (PQdb(pg) != nullptr) add("dbname", PQdb(pg));
  if (PQuser(pg) != nullptr) add("user", PQuser(pg));
  if (PQconninfoOption* opts = PQconninfo(pg)) {
    for (PQconninfoOption* o = opts; o->keyword != nullptr; ++o) {
      if (o->val == nullptr || *o->val == '\0') continue;
      const std::string key = o->keyword;
      if (key == "host" || key == "hostaddr" || key == "port" || key == "dbname" || key == "user" ||
          key == "target_session_attrs" || key == "load_balance_hosts" || key == "replication" ||
          key == "fallback_application_name" || IsSecretParam(key)) {
        continue;
      }
      add(key, o->val);
    }
    PQconninfoFree(opts);
  }
  add("fallback_application_name", "cutover pg_dump");
  return out;
}

// The version a string like "15" or "9.6" names, as a version number.
std::optional<int> DirectoryVersion(const std::string& name) {
  if (name.empty() || !std::isdigit(static_cast<unsigned char>(name[0]))) return std::nullopt;
  return ParsePgDumpVersion(name);
}

struct Located {
  std::string path;
  std::string how;  // "CUTOVER_PG_DUMP", "PATH", ...
};

Result<Located> LocatePgDump(int server_version_num) {
  if (const char* env = std::getenv("CUTOVER_PG_DUMP"); env != nullptr && *env != '\0') {
    if (!IsExecutable(env)) {
      return Status::NotFound(std::string("CUTOVER_PG_DUMP names ") + env +
                              ", which is not an executable file; point it at pg_dump or unset it");
    }
    return Located{env, "CUTOVER_PG_DUMP"};
  }
  const std::string root = "/usr/lib/postgresql/";
  const std::string same = root + MajorVersionName(server_version_num) + "/bin/pg_dump";
  if (IsExecutable(same)) return Located{same, "the server's major version"};
  std::error_code ec;
  std::optional<std::pair<int, std::string>> newest;
  for (const auto& entry : std::filesystem::directory_iterator(root, ec)) {
    auto v = DirectoryVersion(entry.path().filename().string());
    const std::string candidate = entry.path().string() + "/bin/pg_dump";
    if (v && IsExecutable(candidate) && (!newest || *v > newest->first))
      newest = std::make_pair(*v, candidate);
  }
  if (newest) return Located{newest->second, "the newest under " + root};
  if (const char* path = std::getenv("PATH")) {
    for (std::string_view dir : Split(path, ':')) {
      if (dir.empty()) continue;
      const std::string candidate = std::string(dir) + "/pg_dump";
      if (IsExecutable(candidate)) return Located{candidate, "PATH"};
    }
  }
  const std::string major = MajorVersionName(server_version_num);
  return Status::NotFound("pg_dump not found (searched CUTOVER_PG_DUMP, " + same + ", " + root +
                          "*/bin/pg_dump and PATH); install the PostgreSQL " + major +
                          " client tools (Debian/Ubuntu: apt install postgresql-client-" + major +
                          ") or set CUTOVER_PG_DUMP to a pg_dump of version " + major + " or newer");
}

Status PgDumpFailed(const std::string& what, const ChildOutput& out) {
  std::string err = CleanMessage(out.err);
  if (err.size() > 4000) err = err.substr(0, 4000) + "...";
  const std::string how = out.signal != 0 ? "was killed by signal " + std::to_string(out.signal)
                                          : "exited with status " + std::to_string(out.exit_code);
  if (err.find("lock timeout") != std::string::npos ||
      err.find("could not obtain lock") != std::string::npos) {
    return Status::LockTimeout(
        what + ": pg_dump could not lock a table in time (" + err +
        "); another session holds or waits for a conflicting lock: retry when it is done");
  }
  return Status::Query(what + ": pg_dump " + how + (err.empty() ? "" : ": " + err));
}

}  // namespace

Result<SchemaScript> RunPgDump(const PgDumpRequest& r) {
  const std::string what = "dumping the schema of " + r.display;
  auto located = LocatePgDump(r.server_version_num);
  if (!located.ok()) return located.status().WithContext(what);
  const std::string& path = located->path;
  std::vector<std::string> env = ChildEnvironment(PQpass(r.pg));

  auto version_run = RunChild({path, "--version"}, env);
  if (!version_run.ok()) return version_run.status().WithContext(what);
  std::string version_line(Trim(version_run->out));
  auto dump_version = ParsePgDumpVersion(version_line);
  if (version_run->exit_code != 0 || !dump_version) {
    return Status::Unsupported(what + ": " + path + " (found through " + located->how +
                               ") did not report a version (\"" + CleanMessage(version_line) +
                               "\"); point CUTOVER_PG_DUMP at a working pg_dump");
  }
  const std::string server_major = MajorVersionName(r.server_version_num);
  if (MajorVersionName(*dump_version) != server_major && *dump_version < r.server_version_num) {
    return Status::Unsupported(
        what + ": " + path + " is pg_dump " + MajorVersionName(*dump_version) + " (\"" + version_line +
        "\", found through " + located->how + "), older than the server (PostgreSQL " + r.server_version +
        "); pg_dump cannot dump a newer server. Install the PostgreSQL " + server_major +
        " client tools (Debian/Ubuntu: apt install postgresql-client-" + server_major +
        ") or set CUTOVER_PG_DUMP to a pg_dump of version " + server_major + " or newer");
  }

  std::vector<std::string> base = {
      path, "--schema-only", "--no-owner", "--no-privileges", "--no-password", "--encoding=UTF8"};
  if (!r.snapshot_id.empty()) base.push_back("--snapshot=" + r.snapshot_id);
  if (r.lock_timeout.count() > 0)
    base.push_back("--lock-wait-timeout=" + std::to_string(r.lock_timeout.count()));
  base.push_back("--dbname=" + ChildConninfo(r.pg));

  // Both sections at once: each pg_dump spends most of its time waiting for
  // catalog queries, and they share the exported snapshot.
  auto dump_section = [&](const char* section) {
    std::vector<std::string> argv = base;
    argv.insert(argv.begin() + 1, std::string("--section=") + section);
    return RunChild(argv, env);
  };
  auto post_run = std::async(std::launch::async, dump_section, "post-data");
  auto pre_run = dump_section("pre-data");
  auto post = post_run.get();
  SchemaScript script;
  for (auto* run : {&pre_run, &post}) {
    const char* section = run == &pre_run ? "pre-data" : "post-data";
    if (!run->ok()) return run->status().WithContext(what);
    if ((*run)->exit_code != 0) return PgDumpFailed(what + " (" + section + " section)", **run);
    (run == &pre_run ? script.pre_data : script.post_data) = StripRestrictLines((*run)->out);
  }
  return script;
}

Result<SchemaScript> PgConnection::DumpSchemaScript() {
  CUTOVER_RETURN_IF_ERROR(CheckUsable());
  CUTOVER_RETURN_IF_ERROR(CheckNotAborted("DumpSchemaScript()"));
  PgDumpRequest req;
  req.pg = raw_->pg;
  req.server_version_num = info_.version_number;
  req.server_version = info_.version;
  req.snapshot_id = snapshot_ ? snapshot_id_ : "";
  req.lock_timeout = snapshot_ ? snapshot_lock_timeout_ : std::chrono::milliseconds{0};
  req.display = display_;
  auto script = RunPgDump(req);
  if (!script.ok()) return script.status();
  auto positions = SequencePositions();
  if (!positions.ok()) return positions.status();
  if (!positions->empty()) {
    script->post_data +=
        "\n--\n-- Sequence positions as of the snapshot (schema-only dumps leave them out), added by "
        "cutover\n--\n\n" +
        *positions;
  }
  return script;
}

Result<std::string> PgConnection::SequencePositions() {
  const std::string what = "reading the sequence positions of " + display_;
  const bool savepoint = in_tx_;
  return Guarded(
      what,
      [&]() -> Result<std::string> {
        if (savepoint) nt_->exec("SAVEPOINT cutover_sequences");
        std::vector<std::string> names;
        pqxx::result r = nt_->exec(
            "SELECT n.nspname, c.relname FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid "
            "= "
            "c.relnamespace WHERE c.relkind = 'S' AND n.nspname <> 'information_schema' AND n.nspname NOT "
            "LIKE "
            "'pg\\_%' AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d WHERE d.classid = "
            "'pg_catalog.pg_class'::pg_catalog.regclass AND d.objid = c.oid AND d.deptype = 'e') "
            "ORDER BY n.nspname COLLATE \"C\", c.relname COLLATE \"C\"");
        for (const auto& row : r) names.push_back(QualifiedName(row[0].c_str(), row[1].c_str()));
        std::string out;
        constexpr size_t kPerQuery = 200;
        for (size_t i = 0; i < names.size(); i += kPerQuery) {
          std::string sql;
          const size_t end = std::min(names.size(), i + kPerQuery);
          for (size_t j = i; j < end; ++j) {
            if (!sql.empty()) sql += " UNION ALL ";
            sql += "SELECT " + std::to_string(j) + ", last_value, is_called FROM " + names[j];
          }
          pqxx::result v = nt_->exec(sql + " ORDER BY 1");
          for (const auto& row : v) {
            const size_t k = static_cast<size_t>(std::atoll(row[0].c_str()));
            out += "SELECT pg_catalog.setval(" + QuoteLit(names.at(k)) + ", " + row[1].c_str() + ", " +
                   (std::string_view(row[2].c_str()) == "t" ? "true" : "false") + ");\n";
          }
        }
        if (savepoint) nt_->exec("RELEASE SAVEPOINT cutover_sequences");
        return out;
      },
      GuardOptions{}.KeepingTransaction().Undoing([&] {
        if (savepoint)
          QuietExec("ROLLBACK TO SAVEPOINT cutover_sequences; RELEASE SAVEPOINT cutover_sequences");
      }));
}

}  // namespace cutover::postgresql
