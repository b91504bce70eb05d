
-- cutover:lock-timeout 2s
ALTER TABLE orders DROP COLUMN loyalty_points, ALGORITHM=INSTANT;
