-- cutover:lock-timeout 2s
--
-- Widen orders.loyalty_points from integer to bigint.
-- Not ALTER COLUMN ... TYPE bigint: that rewrites the table and every index on it
-- under ACCESS EXCLUSIVE (no reads, no writes) for as long as the copy takes.
-- Instead:
--   expand:   a new bigint column kept equal to the old one by a trigger;
--   backfill: copy the existing rows in batches;
--   contract: swap the columns in one short transaction.
-- The app keeps using the name loyalty_points throughout and never sees the new
-- column's temporary name.
ALTER TABLE orders ADD COLUMN loyalty_points_big bigint;

-- Lets contract.sql set NOT NULL without a scan. New and updated rows satisfy it
-- already (the trigger sets the column on every write); NOT VALID skips the old ones.
ALTER TABLE orders ADD CONSTRAINT orders_loyalty_points_big_not_null
  CHECK (loyalty_points_big IS NOT NULL) NOT VALID;

CREATE FUNCTION orders_sync_loyalty_points() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.loyalty_points_big := NEW.loyalty_points;
  RETURN NEW;
END;
$$;

CREATE TRIGGER orders_sync_loyalty_points BEFORE INSERT OR UPDATE ON orders
  FOR EACH ROW EXECUTE FUNCTION orders_sync_loyalty_points();
