-- cutover:lock-timeout 2s
--
-- The columns' own NOT NULL replaces the triggers: online rebuild, see expand.sql.
ALTER TABLE customers
  MODIFY first_name varchar(200) NOT NULL,
  MODIFY last_name varchar(200) NOT NULL,
  ALGORITHM=INPLACE, LOCK=NONE;
DROP TRIGGER trg_customers_names_not_null_ins;
DROP TRIGGER trg_customers_names_not_null_upd;
