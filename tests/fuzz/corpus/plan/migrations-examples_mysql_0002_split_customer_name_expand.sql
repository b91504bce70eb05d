-- cutover:lock-timeout 2s
--
-- Split customers.full_name into first_name and last_name.
-- expand: add both columns nullable (INSTANT: no copy) and triggers that derive them
-- from full_name, so rows the previous app version inserts or renames get them
-- too. The new app version writes all three until contract.
-- backfill.sql fills the existing rows in batches; contract.sql drops full_name.
ALTER TABLE customers
  ADD COLUMN first_name varchar(200) NULL,
  ADD COLUMN last_name varchar(200) NULL,
  ALGORITHM=INSTANT;

-- Everything before the first space is the first name, the rest the last name
-- ('' when there is no space).
DELIMITER //
CREATE TRIGGER trg_customers_split_name_ins BEFORE INSERT ON customers
FOR EACH ROW
BEGIN
  IF NEW.first_name IS NULL THEN
    SET NEW.first_name = SUBSTRING_INDEX(NEW.full_name, ' ', 1),
        NEW.last_name = IF(LOCATE(' ', NEW.full_name) > 0,
                           SUBSTRING(NEW.full_name, LOCATE(' ', NEW.full_name) + 1), '');
  END IF;
END//

CREATE TRIGGER trg_customers_split_name_upd BEFORE UPDATE ON customers
FOR EACH ROW
BEGIN
  IF NEW.first_name IS NULL
     OR (NOT (NEW.full_name <=> OLD.full_name)
         AND NEW.first_name <=> OLD.first_name AND NEW.last_name <=> OLD.last_name) THEN
    SET NEW.first_name = SUBSTRING_INDEX(NEW.full_name, ' ', 1),
        NEW.last_name = IF(LOCATE(' ', NEW.full_name) > 0,
                           SUBSTRING(NEW.full_name, LOCATE(' ', NEW.full_name) + 1), '');
  END IF;
END//
DELIMITER ;
