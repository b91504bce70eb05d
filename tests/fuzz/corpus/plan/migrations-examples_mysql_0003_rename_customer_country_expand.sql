-- cutover:lock-timeout 2s
--
-- Rename customers.country to country_code without breaking the running app.
-- RENAME COLUMN is instant, but every running instance of the previous app version
-- still says "country" and would fail at once. So:
--   expand:   add country_code, keep both columns in step with triggers;
--   backfill: copy country into country_code for existing rows, in batches;
--   deploy:   the new app version reads and writes country_code;
--   contract: drop the triggers and country, make country_code NOT NULL DEFAULT 'FR'.
-- The CHECK on country is not recreated on country_code: adding a CHECK constraint
-- to a table with rows copies it (ALGORITHM=COPY, writes blocked). Valid codes are
-- enforced by 0006's foreign key to countries instead.
ALTER TABLE customers ADD COLUMN country_code char(2) NULL AFTER country, ALGORITHM=INSTANT;

-- Dual write: whichever column the writer changed wins and is copied to the other.
-- An INSERT from the previous app version leaves country_code NULL: copy country.
-- An INSERT from the new version sets country_code: copy it to country.
DELIMITER //
CREATE TRIGGER trg_customers_sync_country_ins BEFORE INSERT ON customers
FOR EACH ROW
BEGIN
  IF NEW.country_code IS NULL THEN
    SET NEW.country_code = NEW.country;
  ELSE
    SET NEW.country = NEW.country_code;
  END IF;
END//

CREATE TRIGGER trg_customers_sync_country_upd BEFORE UPDATE ON customers
FOR EACH ROW
BEGIN
  IF NOT (NEW.country <=> OLD.country) THEN
    SET NEW.country_code = NEW.country;
  ELSEIF NOT (NEW.country_code <=> OLD.country_code) THEN
    SET NEW.country = NEW.country_code;
  ELSEIF NEW.country_code IS NULL THEN
    SET NEW.country_code = NEW.country;  -- any update of a row the backfill has not reached
  END IF;
END//
DELIMITER ;
