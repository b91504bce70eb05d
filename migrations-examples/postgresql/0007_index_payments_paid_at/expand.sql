-- cutover:no-transaction
-- cutover:lock-timeout 2s
--
-- Index payments by day for the finance reports, without blocking writes.
-- A plain CREATE INDEX holds SHARE on payments for the whole build: every INSERT,
-- UPDATE and DELETE waits. CONCURRENTLY lets them continue; it cannot run inside a
-- transaction, hence no-transaction. If it fails it leaves an INVALID index:
-- rollback.sql (DROP INDEX CONCURRENTLY IF EXISTS) removes it before a retry.
CREATE INDEX CONCURRENTLY payments_paid_at ON payments (paid_at);
