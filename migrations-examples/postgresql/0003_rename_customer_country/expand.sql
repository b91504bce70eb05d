-- cutover:lock-timeout 2s
--
-- Rename customers.country to country_code without breaking the running app.
-- ALTER TABLE ... RENAME COLUMN is instant, but every running instance of the
-- previous app version still says "country" and would fail at once. So:
--   expand:   add country_code, keep both columns in step with a trigger;
--   backfill: copy country into country_code for existing rows, in batches;
--   deploy:   the new app version reads and writes country_code;
--   contract: enforce NOT NULL / DEFAULT on country_code, drop the trigger and country.
ALTER TABLE customers ADD COLUMN country_code char(2);

-- The old column's rule, on the new column. NOT VALID: checked for new and updated
-- rows from now on, without scanning the table under ACCESS EXCLUSIVE;
-- contract.sql validates it.
ALTER TABLE customers ADD CONSTRAINT customers_country_code_check
  CHECK (country_code ~ '^[A-Z]{2}$') NOT VALID;
-- Temporary: lets contract.sql set NOT NULL without a scan under ACCESS EXCLUSIVE.
-- Every new or updated row satisfies it already (the trigger below fills the column).
ALTER TABLE customers ADD CONSTRAINT customers_country_code_not_null
  CHECK (country_code IS NOT NULL) NOT VALID;

-- Dual write: whichever column the writer changed wins and is copied to the other.
-- An INSERT from the previous app version leaves country_code NULL: copy country.
-- An INSERT from the new version sets country_code: copy it to country.
CREATE FUNCTION customers_sync_country() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    IF NEW.country_code IS NULL THEN
      NEW.country_code := NEW.country;
    ELSE
      NEW.country := NEW.country_code;
    END IF;
  ELSIF NEW.country IS DISTINCT FROM OLD.country THEN
    NEW.country_code := NEW.country;
  ELSIF NEW.country_code IS DISTINCT FROM OLD.country_code THEN
    NEW.country := NEW.country_code;
  ELSIF NEW.country_code IS NULL THEN
    NEW.country_code := NEW.country;  -- any update of a row the backfill has not reached
  END IF;
  RETURN NEW;
END;
$$;

CREATE TRIGGER customers_sync_country BEFORE INSERT OR UPDATE ON customers
  FOR EACH ROW EXECUTE FUNCTION customers_sync_country();
