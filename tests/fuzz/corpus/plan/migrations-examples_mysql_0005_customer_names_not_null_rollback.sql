
-- cutover:lock-timeout 2s
DROP TRIGGER IF EXISTS trg_customers_names_not_null_ins;
DROP TRIGGER IF EXISTS trg_customers_names_not_null_upd;
