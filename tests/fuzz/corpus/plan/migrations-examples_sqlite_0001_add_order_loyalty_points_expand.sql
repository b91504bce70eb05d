-- Add a column with a default. SQLite's ADD COLUMN only edits the table's definition
-- in sqlite_schema: no row is touched, whatever the table's size. A constant default
-- is required for a NOT NULL column (SQLite refuses otherwise, see lint SQ001).
-- The previous app version never names the column; its inserts get the default.
ALTER TABLE orders ADD COLUMN loyalty_points INTEGER NOT NULL DEFAULT 0;
