-- cutover:lock-timeout 2s
--
-- Index payments by day for the finance reports, without blocking writes.
-- InnoDB builds secondary indexes online; ALGORITHM=INPLACE, LOCK=NONE makes that
-- an assertion: the server refuses the statement rather than fall back to a copy
-- or a write-blocking lock. The metadata lock is still needed for an instant at the
-- start and the end, hence the lock timeout.
ALTER TABLE payments ADD INDEX ix_payments_paid_at (paid_at), ALGORITHM=INPLACE, LOCK=NONE;
