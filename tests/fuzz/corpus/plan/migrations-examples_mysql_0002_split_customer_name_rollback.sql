
-- cutover:lock-timeout 2s
DROP TRIGGER IF EXISTS trg_customers_split_name_ins;
DROP TRIGGER IF EXISTS trg_customers_split_name_upd;
ALTER TABLE customers DROP COLUMN first_name, DROP COLUMN last_name, ALGORITHM=INSTANT;
