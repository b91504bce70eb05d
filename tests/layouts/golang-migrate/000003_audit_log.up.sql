-- Two statements: golang-migrate runs the file as one Exec, one implicit transaction.
CREATE TABLE audit_log (id INTEGER PRIMARY KEY, account_id INTEGER, happened VARCHAR(40));
CREATE INDEX audit_log_account ON audit_log (account_id);
