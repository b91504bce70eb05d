-- cutover:irreversible the baseline: the shop schema as it existed before cutover managed it
--
-- The DDL of fixtures/sqlite/shop.sql without its sample rows (a test keeps the two
-- identical). It is never run on a database that already has the shop: record it
-- instead with
--   cutover apply URI --plan migrations-examples/sqlite --phase expand --to 0000_shop_baseline --baseline
-- On an empty database, applying it creates the shop from scratch.

-- cutover sample schema for SQLite: a small online shop.
--
-- Runs through the SQLite driver's ExecuteScript (cutover's embedded default
-- engine). SQLite has no object comments, so the schema is documented here.
-- Foreign keys are enforced by the driver (PRAGMA foreign_keys = ON).

-- People who buy. Emails are unique whatever their case.
CREATE TABLE customers (
  id          INTEGER PRIMARY KEY,                  -- rowid alias
  email       TEXT    NOT NULL COLLATE NOCASE UNIQUE,
  full_name   TEXT    NOT NULL,
  country     TEXT    NOT NULL DEFAULT 'FR' CHECK (length(country) = 2),
  created_at  TEXT    NOT NULL DEFAULT CURRENT_TIMESTAMP,
  deleted_at  TEXT                                  -- soft delete
);

-- What is sold. Prices are integer cents.
CREATE TABLE products (
  id           INTEGER PRIMARY KEY AUTOINCREMENT,   -- ids are never reused
  sku          TEXT    NOT NULL UNIQUE,
  name         TEXT    NOT NULL,
  price_cents  INTEGER NOT NULL CHECK (price_cents >= 0),
  stock        INTEGER NOT NULL DEFAULT 0 CHECK (stock >= 0),
  active       INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1))
);

-- One row per checkout. status is the order's state machine (the "enum").
CREATE TABLE orders (
  id           INTEGER PRIMARY KEY,
  customer_id  INTEGER NOT NULL REFERENCES customers (id) ON DELETE RESTRICT ON UPDATE CASCADE,
  status       TEXT    NOT NULL DEFAULT 'pending'
               CONSTRAINT orders_status_check CHECK (status IN ('pending', 'paid', 'shipped', 'cancelled', 'refunded')),
  placed_at    TEXT    NOT NULL DEFAULT CURRENT_TIMESTAMP,
  total_cents  INTEGER NOT NULL DEFAULT 0 CHECK (total_cents >= 0)
);

-- Lines of an order: one product at most once per order.
CREATE TABLE order_items (
  order_id          INTEGER NOT NULL,
  product_id        INTEGER NOT NULL,
  quantity          INTEGER NOT NULL CHECK (quantity > 0),
  unit_price_cents  INTEGER NOT NULL CHECK (unit_price_cents >= 0),
  line_total_cents  INTEGER GENERATED ALWAYS AS (quantity * unit_price_cents) STORED,
  PRIMARY KEY (order_id, product_id),
  FOREIGN KEY (order_id)   REFERENCES orders (id)   ON DELETE CASCADE,
  FOREIGN KEY (product_id) REFERENCES products (id) ON DELETE RESTRICT
) WITHOUT ROWID;

-- Money received (or refunded) for an order.
CREATE TABLE payments (
  id            INTEGER PRIMARY KEY,
  order_id      INTEGER NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
  method        TEXT    NOT NULL CHECK (method IN ('card', 'paypal', 'transfer')),
  amount_cents  INTEGER NOT NULL,
  paid_at       TEXT    NOT NULL DEFAULT CURRENT_TIMESTAMP,
  reference     TEXT
);

-- Lookups by email ignore case (expression index); order lists per customer;
-- only open orders are scanned by the fulfilment job (partial index).
CREATE INDEX customers_email_lower ON customers (lower(email));
CREATE INDEX orders_customer_placed ON orders (customer_id, placed_at DESC);
CREATE INDEX orders_open ON orders (placed_at) WHERE status IN ('pending', 'paid');
CREATE INDEX order_items_product ON order_items (product_id);
CREATE UNIQUE INDEX payments_reference ON payments (reference) WHERE reference IS NOT NULL;

-- Revenue per paid order, as the finance dashboard reads it.
CREATE VIEW order_totals AS
  SELECT o.id          AS order_id,
         o.customer_id AS customer_id,
         o.status      AS status,
         count(i.product_id)              AS lines,
         coalesce(sum(i.line_total_cents), 0) AS items_cents
    FROM orders o
    LEFT JOIN order_items i ON i.order_id = o.id
   GROUP BY o.id;

-- Keep orders.total_cents in step with its lines.
CREATE TRIGGER order_items_total_ins AFTER INSERT ON order_items
BEGIN
  UPDATE orders
     SET total_cents = (SELECT coalesce(sum(line_total_cents), 0) FROM order_items WHERE order_id = new.order_id)
   WHERE id = new.order_id;
END;

-- Stock cannot go below zero: refuse the line instead of failing later.
CREATE TRIGGER order_items_stock BEFORE INSERT ON order_items
WHEN (SELECT stock FROM products WHERE id = new.product_id) < new.quantity
BEGIN
  SELECT RAISE(ABORT, 'not enough stock');
END;
