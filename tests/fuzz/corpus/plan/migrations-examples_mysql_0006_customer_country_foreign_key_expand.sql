-- cutover:lock-timeout 2s
--
-- customers.country_code must name a known country: a countries table and a foreign
-- key to it.
-- The honest MySQL trade-off: with foreign_key_checks on, ADD FOREIGN KEY copies
-- the table (ALGORITHM=COPY, writes blocked for the whole copy). With it off, InnoDB
-- adds the key in place (ALGORITHM=INPLACE, LOCK=NONE: reads and writes continue)
-- but does NOT check the existing rows, and MySQL has no VALIDATE CONSTRAINT to do
-- it later. New and updated rows are checked from the moment it commits; the
-- existing ones are proven by checks.sql (after backfill.sql added any missing
-- country) instead of by the server.
CREATE TABLE countries (
  code  char(2)      NOT NULL,
  name  varchar(100) NULL,
  PRIMARY KEY (code)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COMMENT='ISO 3166-1 alpha-2 codes customers may use';

INSERT INTO countries (code, name) VALUES
  ('AT', 'Austria'), ('BE', 'Belgium'), ('CH', 'Switzerland'), ('DE', 'Germany'),
  ('ES', 'Spain'), ('FR', 'France'), ('GB', 'United Kingdom'), ('IE', 'Ireland'),
  ('IT', 'Italy'), ('NL', 'Netherlands'), ('PT', 'Portugal'), ('US', 'United States');
-- Every code already in use, so the previous app version's rows stay valid.
INSERT IGNORE INTO countries (code) SELECT DISTINCT country_code FROM customers;

SET foreign_key_checks = 0;
ALTER TABLE customers
  ADD CONSTRAINT fk_customers_country FOREIGN KEY (country_code) REFERENCES countries (code),
  ALGORITHM=INPLACE, LOCK=NONE;
SET foreign_key_checks = 1;
