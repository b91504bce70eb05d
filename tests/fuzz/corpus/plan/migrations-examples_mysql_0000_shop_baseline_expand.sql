-- cutover:irreversible the baseline: the shop schema as it existed before cutover managed it
--
-- The DDL of fixtures/mysql/shop.sql without its sample rows (a test keeps the two
-- identical). It is never run on a database that already has the shop: record it
-- instead with
--   cutover apply URI --plan migrations-examples/mysql --phase expand --to 0000_shop_baseline --baseline
-- On an empty database, applying it creates the shop from scratch.

-- cutover sample schema for MySQL 8 / MariaDB 10.11: a small online shop.
-- Loaded by the demo and the tests through the driver's ExecuteScript (which
-- understands DELIMITER, comments and /*! versioned comments */, like the
-- mysql command-line client).

/*!40101 SET NAMES utf8mb4 */;

CREATE TABLE customers (
  id          int unsigned NOT NULL AUTO_INCREMENT,
  email       varchar(254) NOT NULL COMMENT 'login; unique',
  full_name   varchar(200) NOT NULL,
  country     char(2)      NOT NULL DEFAULT 'FR',
  created_at  timestamp    NOT NULL DEFAULT CURRENT_TIMESTAMP,
  updated_at  timestamp    NULL DEFAULT NULL ON UPDATE CURRENT_TIMESTAMP,
  PRIMARY KEY (id),
  UNIQUE KEY uq_customers_email (email),
  KEY ix_customers_email_prefix (email(16)),
  CONSTRAINT ck_customers_country CHECK (country REGEXP '^[A-Z]{2}$')
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COMMENT='people who can place orders';

CREATE TABLE products (
  id           int unsigned NOT NULL AUTO_INCREMENT,
  sku          varchar(40)   NOT NULL,
  name         varchar(200)  NOT NULL,
  price        decimal(10,2) NOT NULL,
  stock        int           NOT NULL DEFAULT 0,
  -- generated column, indexed: MariaDB has no functional indexes
  name_lower   varchar(200)  AS (LOWER(name)) VIRTUAL,
  PRIMARY KEY (id),
  UNIQUE KEY uq_products_sku (sku),
  KEY ix_products_name_lower (name_lower),
  CONSTRAINT ck_products_price CHECK (price >= 0),
  CONSTRAINT ck_products_stock CHECK (stock >= 0)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COMMENT='the catalogue';

CREATE TABLE orders (
  id           bigint unsigned NOT NULL AUTO_INCREMENT,
  customer_id  int unsigned    NOT NULL,
  status       enum('new','paid','shipped','cancelled') NOT NULL DEFAULT 'new',
  placed_at    datetime        NOT NULL DEFAULT CURRENT_TIMESTAMP,
  note         text,
  PRIMARY KEY (id),
  KEY ix_orders_customer_placed (customer_id, placed_at DESC),
  KEY ix_orders_status (status),
  CONSTRAINT fk_orders_customer FOREIGN KEY (customer_id) REFERENCES customers (id)
    ON DELETE RESTRICT ON UPDATE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COMMENT='one row per checkout';

CREATE TABLE order_items (
  order_id    bigint unsigned NOT NULL,
  product_id  int unsigned    NOT NULL,
  quantity    int             NOT NULL DEFAULT 1,
  unit_price  decimal(10,2)   NOT NULL,
  line_total  decimal(12,2)   AS (quantity * unit_price) STORED,
  PRIMARY KEY (order_id, product_id),
  KEY ix_order_items_product (product_id),
  CONSTRAINT fk_order_items_order FOREIGN KEY (order_id) REFERENCES orders (id) ON DELETE CASCADE,
  CONSTRAINT fk_order_items_product FOREIGN KEY (product_id) REFERENCES products (id),
  CONSTRAINT ck_order_items_quantity CHECK (quantity > 0)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE payments (
  id          bigint unsigned NOT NULL AUTO_INCREMENT,
  order_id    bigint unsigned NOT NULL,
  method      enum('card','transfer','voucher') NOT NULL,
  amount      decimal(12,2)   NOT NULL,
  paid_at     datetime(3)     NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  reference   varchar(64)     DEFAULT NULL,
  PRIMARY KEY (id),
  UNIQUE KEY uq_payments_reference (reference),
  CONSTRAINT fk_payments_order FOREIGN KEY (order_id) REFERENCES orders (id) ON DELETE RESTRICT,
  CONSTRAINT ck_payments_amount CHECK (amount > 0)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

-- What each order is worth, from its lines.
CREATE VIEW order_totals AS
  SELECT o.id AS order_id, o.customer_id, o.status,
         COALESCE(SUM(i.line_total), 0) AS total
  FROM orders o LEFT JOIN order_items i ON i.order_id = o.id
  GROUP BY o.id, o.customer_id, o.status;

-- Take the product's current price when a line is added without one.
DELIMITER //
CREATE TRIGGER trg_order_items_price BEFORE INSERT ON order_items
FOR EACH ROW
BEGIN
  IF NEW.unit_price IS NULL OR NEW.unit_price = 0 THEN
    SET NEW.unit_price = (SELECT price FROM products WHERE id = NEW.product_id);
  END IF;
END//

CREATE FUNCTION order_total(p_order_id bigint unsigned) RETURNS decimal(12,2)
  READS SQL DATA
BEGIN
  RETURN (SELECT COALESCE(SUM(line_total), 0) FROM order_items WHERE order_id = p_order_id);
END//
DELIMITER ;
