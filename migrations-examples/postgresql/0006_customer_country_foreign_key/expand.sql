-- cutover:lock-timeout 2s
--
-- customers.country_code must name a known country: a countries table and a foreign
-- key to it.
-- A plain ADD FOREIGN KEY checks every existing row while holding SHARE ROW EXCLUSIVE
-- on both tables: writes to customers wait for the whole scan.
-- Instead: NOT VALID (instant; checks new and updated rows from now on), then
-- VALIDATE CONSTRAINT in contract.sql, which scans under SHARE UPDATE EXCLUSIVE
-- (reads and writes continue).
CREATE TABLE countries (
  code  char(2) PRIMARY KEY CHECK (code ~ '^[A-Z]{2}$'),
  name  text
);
COMMENT ON TABLE countries IS 'ISO 3166-1 alpha-2 codes customers may use';

INSERT INTO countries (code, name) VALUES
  ('AT', 'Austria'), ('BE', 'Belgium'), ('CH', 'Switzerland'), ('DE', 'Germany'),
  ('ES', 'Spain'), ('FR', 'France'), ('GB', 'United Kingdom'), ('IE', 'Ireland'),
  ('IT', 'Italy'), ('NL', 'Netherlands'), ('PT', 'Portugal'), ('US', 'United States');
-- Every code already in use, so the previous app version's rows stay valid.
INSERT INTO countries (code)
SELECT DISTINCT country_code FROM customers
 WHERE country_code IS NOT NULL
ON CONFLICT (code) DO NOTHING;

-- Last, so its lock is held for an instant only.
ALTER TABLE customers ADD CONSTRAINT customers_country_code_fk
  FOREIGN KEY (country_code) REFERENCES countries (code) NOT VALID;
