-- cutover:lock-timeout 2s
--
-- Split customers.full_name into first_name and last_name.
-- expand: add both columns nullable (metadata only, no rewrite) and a trigger that
-- derives them from full_name, so rows the previous app version inserts or renames
-- get them too. The new app version writes all three until contract.
-- backfill.sql fills the existing rows in batches; contract.sql drops full_name.
ALTER TABLE customers ADD COLUMN first_name text, ADD COLUMN last_name text;

-- Everything before the first space is the first name, the rest the last name
-- ('' when there is no space).
CREATE FUNCTION customers_split_full_name() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.full_name IS NOT NULL
     AND (NEW.first_name IS NULL
          OR (TG_OP = 'UPDATE' AND NEW.full_name IS DISTINCT FROM OLD.full_name
              AND NEW.first_name IS NOT DISTINCT FROM OLD.first_name
              AND NEW.last_name IS NOT DISTINCT FROM OLD.last_name)) THEN
    NEW.first_name := split_part(NEW.full_name, ' ', 1);
    NEW.last_name := CASE WHEN position(' ' IN NEW.full_name) > 0
                          THEN substr(NEW.full_name, position(' ' IN NEW.full_name) + 1)
                          ELSE '' END;
  END IF;
  RETURN NEW;
END;
$$;

CREATE TRIGGER customers_split_full_name BEFORE INSERT OR UPDATE ON customers
  FOR EACH ROW EXECUTE FUNCTION customers_split_full_name();
