-- Index payments by day for the finance reports.
-- SQLite has no online index build: CREATE INDEX holds the database's write lock
-- for the whole build, so writers wait (up to their busy timeout) or get
-- SQLITE_BUSY; readers continue in WAL mode. That is a plain CREATE INDEX, run when
-- the table is small or the app is quiet.
-- cutover:ignore SQ006 payments is small in this shop; a large table gets a quiet period
CREATE INDEX payments_paid_at ON payments (paid_at);
