-- cutover:lock-timeout 2s
--
-- Add a column with a default. InnoDB adds it without touching the rows
-- (ALGORITHM=INSTANT: MySQL 8.0.12+, MariaDB 10.3+); saying so makes the server
-- refuse with an error instead of silently copying the table if it ever cannot.
-- The lock timeout bounds the wait for the metadata lock, behind which every new
-- query on orders would otherwise queue.
-- The previous app version never names the column; its inserts get the default.
ALTER TABLE orders
  ADD COLUMN loyalty_points int NOT NULL DEFAULT 0 COMMENT 'loyalty points the order earned',
  ALGORITHM=INSTANT;
