-- cutover:lock-timeout 2s
--
-- Make customers.first_name and last_name NOT NULL (0002 added them nullable, as
-- expand must; every app version since 0002's contract writes both).
-- MySQL has no NOT VALID constraint. Its safe way:
--   expand:   triggers refuse a NULL in new and updated rows from now on (the role
--             PostgreSQL's CHECK ... NOT VALID plays), instantly, with no scan;
--   backfill: replace any NULL left, in batches;
--   contract: MODIFY ... NOT NULL with ALGORITHM=INPLACE, LOCK=NONE: an online
--             rebuild (reads and writes continue) that fails, rather than
--             truncating, if a NULL is left (strict SQL mode).
-- A plain MODIFY ... NOT NULL without the assertion may pick ALGORITHM=COPY and
-- block writes for the whole copy.
DELIMITER //
CREATE TRIGGER trg_customers_names_not_null_ins BEFORE INSERT ON customers
FOR EACH ROW
BEGIN
  IF NEW.first_name IS NULL OR NEW.last_name IS NULL THEN
    SIGNAL SQLSTATE '23000' SET MESSAGE_TEXT = 'customers.first_name and last_name must not be NULL';
  END IF;
END//

CREATE TRIGGER trg_customers_names_not_null_upd BEFORE UPDATE ON customers
FOR EACH ROW
BEGIN
  IF NEW.first_name IS NULL OR NEW.last_name IS NULL THEN
    SIGNAL SQLSTATE '23000' SET MESSAGE_TEXT = 'customers.first_name and last_name must not be NULL';
  END IF;
END//
DELIMITER ;
