-- Split customers.full_name into first_name and last_name.
-- expand: add both columns nullable (ADD COLUMN: no row is touched) and triggers
-- that derive them from full_name, so rows the previous app version inserts or
-- renames get them too. The new app version writes all three until contract.
-- backfill.sql fills the existing rows in batches; contract.sql drops full_name.
-- SQLite triggers cannot assign NEW, so they UPDATE the row after the write.
ALTER TABLE customers ADD COLUMN first_name TEXT;
ALTER TABLE customers ADD COLUMN last_name TEXT;

-- Everything before the first space is the first name, the rest the last name
-- ('' when there is no space).
CREATE TRIGGER customers_split_name_ins AFTER INSERT ON customers
WHEN new.first_name IS NULL
BEGIN
  UPDATE customers
     SET first_name = CASE WHEN instr(new.full_name, ' ') > 0
                           THEN substr(new.full_name, 1, instr(new.full_name, ' ') - 1)
                           ELSE new.full_name END,
         last_name = CASE WHEN instr(new.full_name, ' ') > 0
                          THEN substr(new.full_name, instr(new.full_name, ' ') + 1)
                          ELSE '' END
   WHERE id = new.id;
END;

CREATE TRIGGER customers_split_name_upd AFTER UPDATE OF full_name ON customers
WHEN new.full_name IS NOT old.full_name
 AND new.first_name IS old.first_name AND new.last_name IS old.last_name
BEGIN
  UPDATE customers
     SET first_name = CASE WHEN instr(new.full_name, ' ') > 0
                           THEN substr(new.full_name, 1, instr(new.full_name, ' ') - 1)
                           ELSE new.full_name END,
         last_name = CASE WHEN instr(new.full_name, ' ') > 0
                          THEN substr(new.full_name, instr(new.full_name, ' ') + 1)
                          ELSE '' END
   WHERE id = new.id;
END;
