-- Rename customers.country to country_code without breaking the running app.
-- ALTER TABLE ... RENAME COLUMN is instant in SQLite, but the previous app version
-- still says "country" and would fail at once. So:
--   expand:   add country_code, keep both columns in step with triggers;
--   backfill: copy country into country_code for existing rows, in batches;
--   deploy:   the new app version reads and writes country_code;
--   contract: drop the triggers and country.
-- ADD COLUMN cannot add NOT NULL without a default, nor change a default later
-- (both need a table rebuild), so country_code stays nullable with its CHECK.
ALTER TABLE customers ADD COLUMN country_code TEXT CHECK (length(country_code) = 2);

-- Dual write: whichever column the writer changed wins and is copied to the other.
-- An INSERT from the previous app version leaves country_code NULL: copy country.
-- An INSERT from the new version sets country_code: copy it to country.
CREATE TRIGGER customers_sync_country_ins_old AFTER INSERT ON customers
WHEN new.country_code IS NULL
BEGIN
  UPDATE customers SET country_code = new.country WHERE id = new.id;
END;

CREATE TRIGGER customers_sync_country_ins_new AFTER INSERT ON customers
WHEN new.country_code IS NOT NULL AND new.country IS NOT new.country_code
BEGIN
  UPDATE customers SET country = new.country_code WHERE id = new.id;
END;

CREATE TRIGGER customers_sync_country_upd_old AFTER UPDATE OF country ON customers
WHEN new.country IS NOT old.country
BEGIN
  UPDATE customers SET country_code = new.country WHERE id = new.id;
END;

CREATE TRIGGER customers_sync_country_upd_new AFTER UPDATE OF country_code ON customers
WHEN new.country_code IS NOT old.country_code AND new.country IS old.country
 AND new.country_code IS NOT NULL
BEGIN
  UPDATE customers SET country = new.country_code WHERE id = new.id;
END;
