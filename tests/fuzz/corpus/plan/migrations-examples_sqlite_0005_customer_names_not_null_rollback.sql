DROP TRIGGER customers_names_not_null_ins;
DROP TRIGGER customers_names_not_null_upd;
