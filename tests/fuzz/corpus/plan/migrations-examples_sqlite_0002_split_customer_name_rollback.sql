DROP TRIGGER customers_split_name_ins;
DROP TRIGGER customers_split_name_upd;
ALTER TABLE customers DROP COLUMN first_name;
ALTER TABLE customers DROP COLUMN last_name;
