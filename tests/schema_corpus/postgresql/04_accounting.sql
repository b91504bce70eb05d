-- A double-entry bookkeeping and invoicing application.
-- patterns: FOREIGN KEYs DEFERRABLE INITIALLY DEFERRED (entries balanced at commit by a
--   constraint trigger), MATCH FULL, ON DELETE SET NULL (column) (PostgreSQL 15); an
--   EXCLUDE constraint with btree_gist over tstzrange; CHECK with functions (round,
--   num_nonnulls, char_length, ~); generated STORED columns (numeric arithmetic, extract() on
--   a date); numeric(p,s) and money-like domains; a CONSTRAINT TRIGGER DEFERRABLE; a NOT
--   VALID CHECK; "order", "desc", "asc" as column names; a materialized view with an
--   index; views on views.
CREATE EXTENSION IF NOT EXISTS btree_gist;

CREATE DOMAIN amount AS numeric(14, 2) CHECK (VALUE = round(VALUE, 2));
CREATE DOMAIN currency_code AS char(3) CHECK (VALUE ~ '^[A-Z]{3}$');

CREATE TABLE accounts (
  id serial PRIMARY KEY,
  code varchar(10) NOT NULL UNIQUE,
  name text NOT NULL,
  kind text NOT NULL CHECK (kind IN ('asset', 'liability', 'equity', 'income', 'expense')),
  parent_id integer REFERENCES accounts (id) DEFERRABLE INITIALLY DEFERRED,
  currency currency_code NOT NULL DEFAULT 'EUR',
  "order" smallint,
  CONSTRAINT accounts_code_digits CHECK (code ~ '^[0-9]+$' AND char_length(code) >= 3)
);

CREATE TABLE fiscal_periods (
  id serial PRIMARY KEY,
  label text NOT NULL,
  during tstzrange NOT NULL,
  closed boolean NOT NULL DEFAULT false,
  EXCLUDE USING gist (during WITH &&)
);

CREATE TABLE journal (
  id bigserial PRIMARY KEY,
  period_id integer NOT NULL REFERENCES fiscal_periods (id),
  booked_on date NOT NULL,
  "desc" text NOT NULL DEFAULT '',
  reversal_of bigint REFERENCES journal (id) DEFERRABLE,
  booked_month integer GENERATED ALWAYS AS ((EXTRACT(year FROM booked_on) * 100 + EXTRACT(month FROM booked_on))::integer) STORED,
  UNIQUE (id, period_id)
);

CREATE TABLE entries (
  journal_id bigint NOT NULL,
  line smallint NOT NULL,
  account_id integer NOT NULL,
  debit amount,
  credit amount,
  net numeric(14, 2) GENERATED ALWAYS AS (coalesce(debit, 0) - coalesce(credit, 0)) STORED,
  PRIMARY KEY (journal_id, line),
  CONSTRAINT entries_journal FOREIGN KEY (journal_id) REFERENCES journal (id) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED,
  CONSTRAINT entries_account FOREIGN KEY (account_id) REFERENCES accounts (id) DEFERRABLE INITIALLY IMMEDIATE,
  CONSTRAINT entries_one_side CHECK (num_nonnulls(debit, credit) = 1)
);

CREATE TABLE customers (
  id serial PRIMARY KEY,
  name text NOT NULL,
  country char(2),
  vat_id text,
  UNIQUE (country, vat_id)
);

CREATE TABLE invoices (
  id serial PRIMARY KEY,
  number text NOT NULL UNIQUE,
  customer_id integer,
  country char(2),
  vat_id text,
  issued_on date NOT NULL,
  due_on date NOT NULL,
  journal_id bigint,
  period_id integer,
  total amount NOT NULL DEFAULT 0,
  "asc" boolean NOT NULL DEFAULT true,
  CONSTRAINT invoices_dates CHECK (due_on >= issued_on),
  CONSTRAINT invoices_vat FOREIGN KEY (country, vat_id) REFERENCES customers (country, vat_id) MATCH FULL ON UPDATE CASCADE,
  CONSTRAINT invoices_customer FOREIGN KEY (customer_id) REFERENCES customers (id) ON DELETE SET NULL,
  CONSTRAINT invoices_journal FOREIGN KEY (journal_id, period_id) REFERENCES journal (id, period_id) ON DELETE SET NULL (journal_id)
);
ALTER TABLE invoices ADD CONSTRAINT invoices_total_positive CHECK (total >= 0) NOT VALID;

CREATE FUNCTION journal_balanced() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  diff numeric;
BEGIN
  SELECT coalesce(sum(net), 0) INTO diff FROM entries WHERE journal_id = NEW.journal_id;
  IF diff <> 0 THEN
    RAISE EXCEPTION 'journal % is off by %', NEW.journal_id, diff;
  END IF;
  RETURN NULL;
END;
$$;
CREATE CONSTRAINT TRIGGER entries_balanced AFTER INSERT OR UPDATE ON entries
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION journal_balanced();

CREATE MATERIALIZED VIEW account_balances AS
  SELECT a.id, a.code, a.name, coalesce(sum(e.net), 0) AS balance
  FROM accounts a LEFT JOIN entries e ON e.account_id = a.id GROUP BY a.id, a.code, a.name;
CREATE UNIQUE INDEX account_balances_id ON account_balances (id);

CREATE VIEW trial_balance AS SELECT code, name, balance FROM account_balances WHERE balance <> 0;
CREATE VIEW trial_balance_total AS SELECT sum(balance) AS total, count(*) AS accounts FROM trial_balance;

INSERT INTO accounts (code, name, kind, parent_id, "order") VALUES
  ('1000', 'Assets', 'asset', NULL, 1), ('1200', 'Bank — Girokonto', 'asset', 1, 2),
  ('4000', 'Revenue', 'income', NULL, 3), ('1400', 'Receivables «AR»', 'asset', 1, NULL);
INSERT INTO fiscal_periods (label, during) VALUES
  ('2024', '[2024-01-01 00:00+00, 2025-01-01 00:00+00)'), ('2025', '[2025-01-01 00:00+00, 2026-01-01 00:00+00)');
BEGIN;
INSERT INTO journal (period_id, booked_on, "desc") VALUES (1, '2024-03-05', 'Invoice 2024-001 (O''Hara)');
INSERT INTO entries (journal_id, line, account_id, debit, credit) VALUES (1, 1, 4, 119.00, NULL), (1, 2, 3, NULL, 119.00);
COMMIT;
INSERT INTO customers (name, country, vat_id) VALUES ('O''Hara Ltd', 'IE', 'IE1234567T'), ('Müller AG', 'DE', NULL);
INSERT INTO invoices (number, customer_id, country, vat_id, issued_on, due_on, journal_id, period_id, total) VALUES
  ('2024-001', 1, 'IE', 'IE1234567T', '2024-03-05', '2024-04-04', 1, 1, 119.00),
  ('2024-002', 2, NULL, NULL, '2024-03-06', '2024-03-20', NULL, NULL, 0);
REFRESH MATERIALIZED VIEW account_balances;
