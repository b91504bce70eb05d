-- DROP COLUMN rewrites the table (it is small, and this is the rollback path).
ALTER TABLE orders DROP COLUMN loyalty_points;
