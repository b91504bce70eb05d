-- Repeatable: re-run by Flyway whenever this file changes.
CREATE VIEW account_emails AS SELECT id, email FROM accounts;
