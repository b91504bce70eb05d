--liquibase formatted sql

--changeset alice:create-accounts
CREATE TABLE accounts (id INTEGER PRIMARY KEY, email VARCHAR(100) NOT NULL);
--rollback DROP TABLE accounts;

--changeset alice:add-plan
--comment: a nullable column: the running application does not see it
ALTER TABLE accounts ADD COLUMN plan VARCHAR(20);
--rollback ALTER TABLE accounts DROP COLUMN plan;

--changeset bob:audit-log runInTransaction:false endDelimiter:GO
CREATE TABLE audit_log (id INTEGER PRIMARY KEY, account_id INTEGER, happened VARCHAR(40))
GO
CREATE INDEX audit_log_account ON audit_log (account_id)
GO
/* liquibase rollback
DROP TABLE audit_log;
*/
