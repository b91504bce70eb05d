#include "lint/rules.h"

namespace cutover::lint {
namespace {

constexpr Severity E = Severity::kError;
constexpr Severity W = Severity::kWarning;
constexpr RuleScope ALL = RuleScope::kAll;
constexpr RuleScope PG = RuleScope::kPostgreSql;
constexpr RuleScope MY = RuleScope::kMySql;
constexpr RuleScope SQ = RuleScope::kSqlite;

constexpr Rule kRules[] = {
    // ---- Plan structure -------------------------------------------------------
    {"PLAN001", E, ALL, "migration has no rollback.sql and is not marked irreversible",
     "Without rollback.sql a failed rollout can only be undone by hand, under pressure. Every migration "
     "must say how expand.sql is reversed, or say explicitly that it cannot be.",
     "Add rollback.sql reversing expand.sql (drop what expand added), or put '-- cutover:irreversible "
     "<reason>' in the header of expand.sql."},
    {"PLAN002", E, ALL, "transaction control statement in a plan file",
     "cutover runs each file in a transaction it manages (or statement by statement with recorded progress "
     "for no-transaction files). A BEGIN/COMMIT/ROLLBACK/SAVEPOINT in the file ends or splits that "
     "transaction behind cutover's back: a failure then leaves a half-applied file that cannot be reported "
     "or resumed correctly.",
     "Remove it. To run statements outside a transaction put '-- cutover:no-transaction' in the file header; "
     "to commit parts separately, split them into separate migrations."},
    {"PLAN003", E, ALL, "backfill.sql must hold exactly one data-changing statement",
     "apply runs backfill.sql again and again until it changes no rows. That only works for one batch "
     "statement (UPDATE, INSERT, DELETE or MERGE) that makes progress on each run and can resume after a "
     "crash; schema changes or several statements there would run once per batch.",
     "Write one idempotent batch statement, e.g. UPDATE t SET c = ... WHERE id IN (SELECT id FROM t WHERE c "
     "IS NULL ORDER BY id LIMIT {{batch_size}}). Move schema changes to expand.sql or contract.sql."},
    {"PLAN004", W, ALL, "backfill statement is not bounded to a batch",
     "Without a LIMIT (or the {{batch_size}} placeholder) the first run changes every remaining row in one "
     "transaction: rows stay locked until it ends, WAL/binlog and replication lag spike, and a failure "
     "rolls everything back. That is what a backfill exists to avoid.",
     "Select one batch of keys per run: ... WHERE id IN (SELECT id FROM t WHERE <needs change> ORDER BY id "
     "LIMIT {{batch_size}})."},
    {"PLAN005", W, ALL, "ignore directive that suppresses nothing",
     "An ignore that matches no finding is stale (the statement changed, or the rule id is wrong). Left in "
     "place it silently hides a real finding once the statement changes again.",
     "Remove the directive, or correct its rule id."},
    {"PLAN006", E, ALL, "checks.sql statement that is not a query",
     "checks.sql holds acceptance assertions that run after each phase, possibly many times. A statement "
     "that writes or changes the schema there changes production every time the checks run.",
     "Keep checks.sql to SELECT queries; put changes in expand.sql, backfill.sql or contract.sql."},
    {"PLAN007", E, ALL, "schema change in compat.sql",
     "compat.sql lists the queries the previous app version runs, to prove they still succeed after "
     "expand. The old app runs no DDL, and DDL there would change the schema while checking it.",
     "Keep only the previous app version's queries (SELECT, INSERT, UPDATE, DELETE) in compat.sql."},
    {"PLAN008", W, ALL, "batch-size directive without the {{batch_size}} placeholder",
     "The batch-size directive only takes effect where the statement says {{batch_size}}. Without it the "
     "number written in the SQL is used and the directive misleads whoever tunes the backfill.",
     "Write LIMIT {{batch_size}} in the batch statement, or remove the directive."},

    // ---- Expand must be backward compatible ------------------------------------
    {"EXP001", E, ALL, "object dropped in expand",
     "expand runs while the previous app version still serves traffic. It still uses the dropped table, "
     "view, index, function or trigger, so its requests fail (or slow down, for an index) as soon as the "
     "statement commits. Expand must be additive.",
     "Make the new app version stop using the object, and drop it in contract.sql, which runs once every "
     "instance runs the new version."},
    {"EXP002", E, ALL, "column dropped in expand",
     "The running (previous) app version still selects and inserts this column: queries naming it fail "
     "with 'column does not exist' at once, and ORMs that map every column break.",
     "Make the new app version stop using the column (and drop it from ORM mappings), then drop it in "
     "contract.sql."},
    {"EXP003", E, ALL, "table or column renamed in expand",
     "A rename is a drop and an add for every running client: the previous app version still uses the old "
     "name and fails immediately.",
     "Add the new column (or table), keep both in step with a trigger, backfill, move readers and writers "
     "to the new name, and drop the old one in contract.sql."},
    {"EXP004", E, ALL, "column type changed in expand",
     "The previous app version may write values the new type rejects, or read values it cannot handle; "
     "most type changes also rewrite or copy the table under a blocking lock.",
     "Add a new column with the new type, dual-write with a trigger, backfill in batches, switch readers, "
     "and drop the old column in contract.sql."},
    {"EXP005", E, ALL, "NOT NULL without a default in expand",
     "The previous app version does not know the column and inserts rows without it; with NOT NULL and no "
     "default those inserts fail. On a table with rows, adding such a column fails outright.",
     "Add the column nullable (or with a constant DEFAULT), backfill it, and enforce NOT NULL in "
     "contract.sql once every writer sets it (PostgreSQL: through a NOT VALID CHECK constraint validated "
     "first)."},
    {"EXP006", E, ALL, "unique constraint on existing data in expand",
     "Building a unique index fails if duplicates already exist, and the previous app version, which does "
     "not know the rule, may keep inserting duplicates and get errors.",
     "Check for duplicates first (a query in checks.sql), make the app respect the rule, and build the "
     "index online (PostgreSQL: CREATE UNIQUE INDEX CONCURRENTLY). If the old app can violate it, add it "
     "in contract.sql."},
    {"EXP007", E, ALL, "data deleted in expand",
     "expand must not remove data the previous app version still reads, and rollback.sql cannot bring "
     "deleted rows back.",
     "Delete data in contract.sql, after a verified snapshot, or outside the migration."},
    {"EXP008", W, ALL, "UPDATE of an existing table in expand",
     "One UPDATE over an existing table runs as one transaction: every touched row stays locked until it "
     "ends, the table bloats, replicas lag, and locks taken earlier in the file are held meanwhile.",
     "Move data changes to backfill.sql, which runs in small, resumable batches."},

    // ---- Contract -------------------------------------------------------------
    {"CON001", W, ALL, "contract destroys data or schema",
     "contract removes data or schema for good. It is safe only once every app instance runs the new "
     "version, and only a snapshot can bring the data back (rollback.sql reverses expand, not contract).",
     "Run contract only after the new version is fully deployed, and take and verify a snapshot first."},

    // ---- PostgreSQL -----------------------------------------------------------
    {"PG001", E, PG, "CREATE INDEX without CONCURRENTLY on an existing table",
     "CREATE INDEX takes a SHARE lock on the table for the whole build: every INSERT, UPDATE and DELETE "
     "waits until the index is built (minutes to hours on a large table). Reads continue.",
     "CREATE INDEX CONCURRENTLY, in a file marked '-- cutover:no-transaction'. It allows writes during the "
     "build; if it fails it leaves an INVALID index to drop (DROP INDEX CONCURRENTLY) before retrying."},
    {"PG002", E, PG, "statement that cannot run inside a transaction, in a transactional file",
     "CREATE/DROP INDEX CONCURRENTLY, REINDEX CONCURRENTLY, DETACH PARTITION CONCURRENTLY, VACUUM, "
     "CREATE/DROP DATABASE, CREATE/DROP TABLESPACE and ALTER SYSTEM refuse to run inside a transaction "
     "block. cutover runs each file in one transaction unless the file says otherwise, so it would fail.",
     "Put '-- cutover:no-transaction' in the file header, ideally in a file holding only such statements "
     "(cutover then records progress statement by statement)."},
    {"PG003", E, PG, "foreign key added without NOT VALID",
     "Adding a foreign key checks every existing row while holding SHARE ROW EXCLUSIVE locks on both "
     "tables: writes to both wait for the whole scan.",
     "ADD CONSTRAINT ... FOREIGN KEY ... NOT VALID (instant, new rows are checked), then VALIDATE "
     "CONSTRAINT in a later transaction (SHARE UPDATE EXCLUSIVE: reads and writes continue)."},
    {"PG004", E, PG, "CHECK constraint added without NOT VALID",
     "Adding a CHECK constraint scans the whole table to validate it while holding ACCESS EXCLUSIVE: every "
     "read and write of the table waits.",
     "ADD CONSTRAINT ... CHECK (...) NOT VALID, then VALIDATE CONSTRAINT in a later transaction (it does not "
     "block reads or writes)."},
    {"PG005", E, PG, "SET NOT NULL on an existing table",
     "SET NOT NULL scans the whole table under ACCESS EXCLUSIVE to prove there is no NULL: every read and "
     "write waits for the scan.",
     "ADD CONSTRAINT c CHECK (col IS NOT NULL) NOT VALID; VALIDATE CONSTRAINT c (later transaction); then "
     "SET NOT NULL, which PostgreSQL 12+ proves from the valid constraint without a scan; then DROP "
     "CONSTRAINT c."},
    {"PG006", E, PG, "ADD COLUMN that rewrites the table",
     "A volatile default (random(), gen_random_uuid(), clock_timestamp(), nextval()), a serial or identity "
     "column, or a STORED generated column is computed row by row: PostgreSQL rewrites the table and all "
     "its indexes under ACCESS EXCLUSIVE, blocking every read and write. A constant or stable default "
     "(such as now()) does not rewrite since PostgreSQL 11.",
     "Add the column without a default or with a constant one, then ALTER COLUMN ... SET DEFAULT for new "
     "rows, and fill existing rows in backfill.sql."},
    {"PG007", E, PG, "column type change that rewrites the table",
     "ALTER COLUMN ... TYPE rewrites the table and rebuilds its indexes under ACCESS EXCLUSIVE unless the "
     "change is binary compatible: every read and write waits. A USING clause always rewrites.",
     "Add a new column of the new type, keep it in step with a trigger, backfill in batches, switch the "
     "app, and drop the old column in contract.sql. (Changing to text, varchar or unconstrained numeric "
     "is usually binary compatible and is not flagged.)"},
    {"PG008", E, PG, "UNIQUE, PRIMARY KEY or EXCLUDE constraint built under ACCESS EXCLUSIVE",
     "ADD CONSTRAINT ... UNIQUE / PRIMARY KEY / EXCLUDE builds its index while holding ACCESS EXCLUSIVE: "
     "every read and write of the table waits for the whole build.",
     "CREATE UNIQUE INDEX CONCURRENTLY (no-transaction file), then ALTER TABLE ... ADD CONSTRAINT ... "
     "UNIQUE USING INDEX (or PRIMARY KEY USING INDEX, with the columns already NOT NULL), which holds the "
     "lock only briefly."},
    {"PG009", E, PG, "REINDEX, VACUUM FULL or CLUSTER",
     "VACUUM FULL and CLUSTER rewrite the table under ACCESS EXCLUSIVE (no reads, no writes) and need disk "
     "for a full copy; REINDEX without CONCURRENTLY blocks writes, and reads through the index, for the "
     "whole rebuild.",
     "REINDEX ... CONCURRENTLY in a no-transaction file; for bloat use pg_repack or plain VACUUM outside "
     "the migration."},
    {"PG010", W, PG, "lock-taking statement without a low lock timeout",
     "A statement that needs ACCESS EXCLUSIVE (or another write-blocking lock) waits behind every running "
     "query on the table, and while it waits every new query on the table queues behind it: a blocked "
     "migration becomes an outage. A lock timeout turns that into a quick, retryable failure. cutover "
     "apply sets a 2 s default; this rule protects the file when it runs any other way.",
     "'-- cutover:lock-timeout 2s' in the file header (or just before the statement), or SET lock_timeout "
     "= '2s' earlier in the file. Up to 10s counts as low."},
    {"PG011", W, PG, "statement runs while an earlier statement's strong lock is held",
     "Locks are held until the transaction commits. Every statement after one that took ACCESS EXCLUSIVE "
     "(or another write-blocking lock) on an existing table keeps that table blocked longer, especially "
     "slow ones such as VALIDATE CONSTRAINT or an UPDATE.",
     "Put the lock-taking statement last, or alone in its own file or migration, or mark the file "
     "'-- cutover:no-transaction' so each statement commits on its own."},
    {"PG012", E, PG, "ALTER TABLE that rewrites the table",
     "SET TABLESPACE, SET LOGGED / UNLOGGED and SET ACCESS METHOD rewrite (or copy) the whole table under "
     "ACCESS EXCLUSIVE: no reads or writes until done.",
     "Avoid on live tables: create a new table and move the data in batches, or use a maintenance window."},
    {"PG013", W, PG, "DROP INDEX without CONCURRENTLY",
     "DROP INDEX takes ACCESS EXCLUSIVE on the index's table. It is quick once granted, but waits for every "
     "running query on the table and blocks all new ones while it waits.",
     "DROP INDEX CONCURRENTLY, in a file marked '-- cutover:no-transaction'."},
    {"PG014", W, PG, "REFRESH MATERIALIZED VIEW without CONCURRENTLY",
     "A plain refresh holds ACCESS EXCLUSIVE on the materialized view: every read of it waits for the "
     "whole refresh.",
     "REFRESH MATERIALIZED VIEW CONCURRENTLY (needs a unique index on the view), in a no-transaction file."},
    {"PG015", W, PG, "explicit LOCK TABLE that blocks writes",
     "LOCK TABLE in SHARE mode or stronger blocks writes (ACCESS EXCLUSIVE: also reads) until the "
     "transaction ends, on top of the locks the statements take themselves.",
     "Remove it and rely on the statements' own locks, with a lock timeout."},

    // ---- MySQL / MariaDB ---------------------------------------------------------
    {"MY001", E, MY, "column redefined with MODIFY/CHANGE: table copy",
     "Changing a column's type or definition makes InnoDB copy the table (ALGORITHM=COPY): writes are "
     "blocked for the whole copy, disk use doubles and replicas lag by the copy time. Only a few changes "
     "(renames, VARCHAR growth within the same length-byte class) are done in place.",
     "Rename with RENAME COLUMN. For a real type change add a new column, backfill it in batches and "
     "switch. If the change is in place, say ALGORITHM=INPLACE, LOCK=NONE (or ALGORITHM=INSTANT): the "
     "server then refuses instead of copying."},
    {"MY002", E, MY, "ENUM or SET definition changed",
     "Appending members at the end of an ENUM/SET is instant; reordering, removing or inserting members, "
     "or growing past 255 members (8 for SET) copies the table with writes blocked.",
     "Only append new members at the end, and state ALGORITHM=INSTANT so the server refuses anything "
     "else."},
    {"MY003", E, MY, "STORED generated column added",
     "A STORED (PERSISTENT) generated column is computed for every existing row: the table is copied and "
     "writes are blocked.",
     "Add a VIRTUAL generated column (instant; it can be indexed), or a plain column filled by backfill."},
    {"MY004", E, MY, "CONVERT TO CHARACTER SET",
     "Converting the table's character set rewrites every text column: a full table copy with writes "
     "blocked, and indexes may exceed their length limits.",
     "Convert column by column into new columns with a backfill, or use an online schema change tool "
     "(gh-ost, pt-online-schema-change)."},
    {"MY005", E, MY, "foreign key added with foreign_key_checks on",
     "With foreign_key_checks=1, adding a foreign key uses ALGORITHM=COPY: the table is copied and writes "
     "are blocked. Only with foreign_key_checks=0 is it done in place (without validating existing rows).",
     "SET foreign_key_checks = 0 before the ALTER (with ALGORITHM=INPLACE, LOCK=NONE), SET "
     "foreign_key_checks = 1 after it, and look for orphan rows with a query in checks.sql."},
    {"MY006", W, MY, "schema change without a low lock_wait_timeout",
     "Every ALTER needs an exclusive metadata lock at its start and end. It waits behind any open "
     "transaction on the table, and while it waits every new query on the table queues behind it. "
     "lock_wait_timeout defaults to one year.",
     "SET SESSION lock_wait_timeout = 2 first, or '-- cutover:lock-timeout 2s', or MariaDB's ALTER TABLE "
     "t WAIT 2 (or NOWAIT). Up to 10 seconds counts as low."},
    {"MY007", E, MY, "table copy or rebuild forced",
     "ALGORITHM=COPY, FORCE, ENGINE=..., ROW_FORMAT=..., OPTIMIZE TABLE and adding or dropping the PRIMARY "
     "KEY rebuild the whole table; a copy (and dropping a primary key) also blocks writes for the "
     "duration. Disk use doubles and replicas lag.",
     "Avoid on live tables; use an online schema change tool, or ALGORITHM=INPLACE, LOCK=NONE so that the "
     "server refuses a blocking copy."},
    {"MY008", E, MY, "AUTO_INCREMENT column added",
     "Adding an AUTO_INCREMENT column rebuilds the table and does not allow concurrent writes.",
     "Add a plain column and fill it in batches, or keep the existing key."},
    {"MY009", E, MY, "FULLTEXT or SPATIAL index on an existing table",
     "Building a FULLTEXT or SPATIAL index does not allow concurrent writes (LOCK=SHARED), and the first "
     "FULLTEXT index of a table rebuilds it.",
     "Build it with an online schema change tool, or in a maintenance window."},
    {"MY010", E, MY, "CHECK constraint added to an existing table",
     "Adding a CHECK constraint validates every existing row through a table copy (ALGORITHM=COPY): writes "
     "are blocked for the whole copy.",
     "Enforce the rule in the app (or a trigger) first; add the constraint with an online schema change "
     "tool or in a maintenance window."},

    // MySQL / MariaDB with --scratch: the server's own answer.
    {"MY011", E, MY, "the server copies the table or blocks writes (asked the server)",
     "On a scratch copy of the schema the server was asked to run the statement with ALGORITHM=INSTANT, "
     "then with ALGORITHM=INPLACE, LOCK=NONE, and refused both: on the real table it copies the table "
     "(ALGORITHM=COPY) or holds a lock that blocks writes (LOCK=SHARED or EXCLUSIVE) for the whole "
     "operation. Disk use doubles for a copy and replicas lag by its duration. The finding quotes the "
     "server's reasons.",
     "Follow the server's reason: for a type change add a new column and backfill it; for a character set "
     "conversion use new columns; for a foreign key SET foreign_key_checks = 0 around the ALTER; otherwise "
     "use an online schema change tool (gh-ost, pt-online-schema-change) or a maintenance window."},
    {"MY012", W, MY,
     "changed in place with writes allowed, at a cost that grows with the table (asked the server)",
     "The server refused ALGORITHM=INSTANT but accepted ALGORITHM=INPLACE, LOCK=NONE: reads and writes "
     "continue, but the work (an index build or a rebuild of the table) takes time and I/O in proportion to "
     "the table, the writes made meanwhile must fit innodb_online_alter_log_max_size, and replicas apply the "
     "statement only after the primary finished it, so they lag by its duration. The exclusive metadata "
     "lock is still taken briefly at the start and the end (see MY006).",
     "Run it when the table is quiet, with a low lock_wait_timeout, and write ALGORITHM=INPLACE, LOCK=NONE "
     "into the statement so that the server refuses it rather than block writes if production differs "
     "from the copy."},
    {"MY013", E, MY, "statement fails on a scratch copy (asked the server)",
     "The statement ran on a scratch database holding the schema it will meet (the target's schema, or the "
     "plan's earlier migrations) and the server rejected it: apply would fail the same way and leave the "
     "migration half applied. This includes an ALGORITHM or LOCK clause that the server refuses for this "
     "change: then the change is not online.",
     "Fix the statement as the server's message (quoted in the finding) says. When an asserted "
     "ALGORITHM=INSTANT or LOCK=NONE is refused, rework the change (see MY011); when an earlier statement "
     "failed, fix that one first."},
    {"MY014", W, MY, "statement not run on the scratch copy",
     "lint --scratch only runs statements that stay inside the scratch database. It skips USE, statements "
     "naming another database of the scratch server, and database- or server-level statements (CREATE or "
     "DROP DATABASE, GRANT, SET GLOBAL, FLUSH, LOAD DATA, SELECT ... INTO OUTFILE, ...). The server was not "
     "asked about this statement, and later statements meet a schema without its effect.",
     "Keep migrations inside their own database: unqualified table names, no USE, and no server-level "
     "changes (make those outside the plan)."},

    {"MY015", E, MY, "explicit LOCK=EXCLUSIVE or LOCK=SHARED",
     "LOCK=EXCLUSIVE blocks every read and write of the table for the whole statement, LOCK=SHARED every "
     "write, even for an operation the server could do online: the clause asks for the blocking.",
     "Use LOCK=NONE (the server refuses the statement if it cannot run it without blocking), or leave LOCK "
     "out and rehearse to see what the server does."},

    // ---- SQLite ---------------------------------------------------------------
    {"SQ001", E, SQ, "ADD COLUMN that SQLite refuses",
     "SQLite's ADD COLUMN cannot add a PRIMARY KEY or UNIQUE column, a NOT NULL column without a non-NULL "
     "default, a column whose default is not constant (CURRENT_TIMESTAMP, an expression in parentheses) or "
     "a STORED generated column: the statement fails, and the only way is a full table rebuild.",
     "Add the column nullable or with a constant default (or VIRTUAL when generated), add uniqueness with "
     "CREATE UNIQUE INDEX, and set computed values in backfill.sql."},
    {"SQ002", W, SQ, "table rebuilt (copied, dropped and renamed)",
     "The rebuild copies every row in one write transaction: every other writer gets SQLITE_BUSY for the "
     "whole copy. Indexes, triggers and views on the table must be recreated, and with foreign keys on, "
     "dropping the old table may cascade or fail.",
     "Prefer ADD COLUMN, RENAME COLUMN or DROP COLUMN where they suffice. Otherwise follow SQLite's "
     "12-step procedure exactly (recreate indexes, triggers and views; PRAGMA foreign_key_check), in a "
     "quiet period for large tables."},
    {"SQ003", W, SQ, "DROP COLUMN rewrites the table",
     "ALTER TABLE ... DROP COLUMN rewrites the whole table while holding the write lock, and fails if the "
     "column is indexed, part of a key or constraint, or used by a view or trigger.",
     "Drop indexes and constraints that use the column first, and do it in contract.sql."},
    {"SQ004", E, SQ, "ALTER TABLE form that SQLite does not support",
     "SQLite's ALTER TABLE only does RENAME TO, RENAME COLUMN, ADD COLUMN and DROP COLUMN; ALTER COLUMN, "
     "ADD/DROP CONSTRAINT, MODIFY and the rest fail with a syntax error.",
     "Rebuild the table (create the new table, copy the rows, drop the old table, rename the new one; see "
     "SQ002)."},
    {"SQ005", E, SQ, "PRAGMA foreign_keys inside a transaction",
     "PRAGMA foreign_keys does nothing inside a transaction, and the file runs in one: foreign keys stay "
     "as they were, so a rebuild that relies on them being off may cascade deletes or fail.",
     "Mark the file '-- cutover:no-transaction' so the pragma takes effect (each statement then commits "
     "on its own), or keep foreign keys on and avoid dropping referenced tables."},
    {"SQ006", W, SQ, "CREATE INDEX on an existing table",
     "Building an index holds SQLite's write lock for the whole build: every writer gets SQLITE_BUSY (or "
     "waits up to its busy timeout) until it finishes.",
     "Fine for small tables; for large ones run it in a quiet period and keep the app's busy timeout above "
     "the build time."},
    {"SQ007", E, SQ, "VACUUM in a migration",
     "VACUUM rewrites the entire database file, needs up to twice its size in free disk, holds an "
     "exclusive lock throughout, and cannot run inside a transaction.",
     "Run VACUUM (or VACUUM INTO for a compacted copy) as maintenance, outside migrations."},
    {"SQ008", E, SQ, "table rebuild in expand loses columns",
     "The copy that replaces the table lacks columns the table had: after the rename, the running "
     "application's queries that read or write them fail with 'no such column'. Checked when the plan holds "
     "the CREATE TABLE of both the table and its copy.",
     "Keep every column in the copy during expand; rebuild again (or DROP COLUMN) in contract.sql, once no "
     "running release reads them."},
};

}  // namespace

std::string_view SeverityName(Severity severity) {
  return severity == Severity::kError ? "error" : "warning";
}

std::span<const Rule> AllRules() {
  return kRules;
}

const Rule* FindRule(std::string_view id) {
  for (const Rule& r : kRules) {
    if (r.id == id) return &r;
  }
  return nullptr;
}

bool RuleApplies(const Rule& rule, plan::Engine engine) {
  switch (rule.scope) {
    case RuleScope::kAll: return true;
    case RuleScope::kPostgreSql: return engine == plan::Engine::kPostgreSql;
    case RuleScope::kMySql: return engine == plan::Engine::kMySql;
    case RuleScope::kSqlite: return engine == plan::Engine::kSqlite;
  }
  return false;
}

}  // namespace cutover::lint
