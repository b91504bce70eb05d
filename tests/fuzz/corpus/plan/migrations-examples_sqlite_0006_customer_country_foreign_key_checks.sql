-- SQLite's own foreign key check over the rebuilt table and over orders, which
-- references it (PRAGMA foreign_key_check as a table-valued function: a query).
SELECT * FROM pragma_foreign_key_check('customers');
SELECT * FROM pragma_foreign_key_check('orders');
