-- An online shop's catalogue and orders with computed columns (e-commerce on MariaDB 10.11).
-- patterns: generated columns VIRTUAL, STORED and PERSISTENT, indexed in place of functional
--   key parts (MariaDB 10.11 has none): lower(email), JSON_VALUE(attributes, '$.brand'),
--   price * (1 + tax), date(created_at); CHECKs with json_valid(), char_length(), REGEXP,
--   IN lists and functions of several columns; JSON columns; decimal(12,4); SET and ENUM;
--   ON UPDATE CURRENT_TIMESTAMP; a UNIQUE key over a generated column; unsigned and
--   zerofill columns; `order`, `status`, `value`, `key`, `group` as names; views on views.
CREATE TABLE `customers` (
  `id` int unsigned NOT NULL AUTO_INCREMENT,
  `email` varchar(254) NOT NULL,
  `email_lower` varchar(254) AS (lower(`email`)) PERSISTENT,
  `name` varchar(200) NOT NULL,
  `group` enum('retail','wholesale','staff') NOT NULL DEFAULT 'retail',
  `created_at` datetime NOT NULL DEFAULT current_timestamp(),
  `updated_at` datetime DEFAULT NULL ON UPDATE current_timestamp(),
  PRIMARY KEY (`id`),
  UNIQUE KEY `customers_email_lower` (`email_lower`),
  CONSTRAINT `customers_email_at` CHECK (`email` LIKE '%_@_%')
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE `products` (
  `id` int unsigned NOT NULL AUTO_INCREMENT,
  `sku` varchar(32) CHARACTER SET ascii COLLATE ascii_general_ci NOT NULL,
  `name` varchar(200) NOT NULL,
  `price` decimal(12,4) NOT NULL,
  `tax_rate` decimal(5,4) NOT NULL DEFAULT 0.1900,
  `gross_price` decimal(12,2) GENERATED ALWAYS AS (round(`price` * (1 + `tax_rate`), 2)) STORED,
  `attributes` json NOT NULL DEFAULT '{}',
  `brand` varchar(100) GENERATED ALWAYS AS (json_value(`attributes`, '$.brand')) VIRTUAL,
  `flags` set('new','sale','bulky','fragile') NOT NULL DEFAULT '',
  `stock` int unsigned NOT NULL DEFAULT 0,
  `article_no` int(8) unsigned zerofill DEFAULT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `products_sku` (`sku`),
  KEY `products_brand` (`brand`),
  KEY `products_gross` (`gross_price` DESC, `id`),
  CONSTRAINT `products_price_positive` CHECK (`price` >= 0 AND `tax_rate` BETWEEN 0 AND 1),
  CONSTRAINT `products_sku_format` CHECK (`sku` REGEXP '^[A-Z]{2,4}-[0-9]+$' AND char_length(`sku`) <= 32)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE `orders` (
  `id` bigint unsigned NOT NULL AUTO_INCREMENT,
  `customer_id` int unsigned NOT NULL,
  `status` enum('cart','placed','paid','shipped','cancelled') NOT NULL DEFAULT 'cart',
  `placed_at` datetime DEFAULT NULL,
  `placed_day` date AS (cast(`placed_at` as date)) VIRTUAL,
  `total` decimal(12,2) NOT NULL DEFAULT 0.00,
  `meta` longtext CHARACTER SET utf8mb4 COLLATE utf8mb4_bin DEFAULT NULL,
  PRIMARY KEY (`id`),
  KEY `orders_customer_status` (`customer_id`, `status`),
  KEY `orders_day` (`placed_day`),
  CONSTRAINT `orders_customer` FOREIGN KEY (`customer_id`) REFERENCES `customers` (`id`),
  CONSTRAINT `orders_placed` CHECK (`status` = 'cart' OR `placed_at` IS NOT NULL),
  CONSTRAINT `orders_meta_json` CHECK (`meta` IS NULL OR json_valid(`meta`))
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE `order_lines` (
  `order_id` bigint unsigned NOT NULL,
  `line` smallint unsigned NOT NULL,
  `product_id` int unsigned NOT NULL,
  `quantity` int unsigned NOT NULL CHECK (`quantity` > 0),
  `unit_price` decimal(12,4) NOT NULL,
  `line_total` decimal(14,4) AS (`quantity` * `unit_price`) STORED,
  PRIMARY KEY (`order_id`, `line`),
  KEY `order_lines_product` (`product_id`),
  CONSTRAINT `order_lines_order` FOREIGN KEY (`order_id`) REFERENCES `orders` (`id`) ON DELETE CASCADE,
  CONSTRAINT `order_lines_product` FOREIGN KEY (`product_id`) REFERENCES `products` (`id`) ON UPDATE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE `coupons` (
  `key` varchar(40) NOT NULL,
  `value` decimal(6,2) NOT NULL,
  `kind` enum('percent','fixed') NOT NULL,
  `valid_from` date NOT NULL,
  `valid_to` date DEFAULT NULL,
  `order` tinyint DEFAULT NULL,
  PRIMARY KEY (`key`),
  CONSTRAINT `coupons_range` CHECK (`valid_to` IS NULL OR `valid_to` >= `valid_from`),
  CONSTRAINT `coupons_percent` CHECK (`kind` <> 'percent' OR `value` <= 100)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE VIEW `order_totals` AS
  SELECT o.`id`, o.`status`, SUM(l.`line_total`) AS `computed` FROM `orders` o JOIN `order_lines` l ON l.`order_id` = o.`id` GROUP BY o.`id`, o.`status`;
CREATE VIEW `revenue_by_status` AS
  SELECT `status`, SUM(`computed`) AS `revenue`, COUNT(*) AS `orders` FROM `order_totals` WHERE `status` IN ('paid', 'shipped') GROUP BY `status`;

INSERT INTO `customers` (`email`, `name`, `group`, `created_at`) VALUES
  ('Ada@Example.org', 'Ada Lovelace', 'retail', '2024-01-01 00:00:00'),
  ('francois@example.org', 'François D''Arc', 'wholesale', '2024-01-02 00:00:00');
INSERT INTO `products` (`sku`, `name`, `price`, `tax_rate`, `attributes`, `flags`, `stock`, `article_no`) VALUES
  ('TEA-1', 'Sencha «Asahi»', 10.5042, 0.0700, '{"brand": "Asahi", "origin": "静岡"}', 'new,sale', 40, 123),
  ('MUG-22', 'Mug "XL"', 8.4000, 0.1900, '{}', '', 0, NULL),
  ('BAG-3', 'Tote bag', 4.2017, DEFAULT, '{"brand": null}', 'bulky', 7, 4567);
INSERT INTO `orders` (`customer_id`, `status`, `placed_at`, `total`, `meta`) VALUES
  (1, 'paid', '2024-03-01 10:00:00', 29.74, '{"gift": true}'), (2, 'cart', NULL, 0, NULL);
INSERT INTO `order_lines` (`order_id`, `line`, `product_id`, `quantity`, `unit_price`) VALUES (1, 1, 1, 2, 10.5042), (1, 2, 2, 1, 8.4000), (2, 1, 3, 3, 4.2017);
INSERT INTO `coupons` VALUES ('WELCOME10', 10, 'percent', '2024-01-01', NULL, 1), ('FIVE€', 5, 'fixed', '2024-01-01', '2024-12-31', NULL);
