-- cutover:lock-timeout 2s
--
-- Add a column with a default. Since PostgreSQL 11 a constant default is stored in the
-- catalog, not written into every row: this is a metadata change, no table rewrite.
-- It still needs ACCESS EXCLUSIVE for an instant, so a short lock timeout keeps it
-- from queueing every query on orders behind a long transaction.
-- The previous app version never names the column; its inserts get the default.
ALTER TABLE orders ADD COLUMN loyalty_points integer NOT NULL DEFAULT 0;

COMMENT ON COLUMN orders.loyalty_points IS 'loyalty points the order earned';
