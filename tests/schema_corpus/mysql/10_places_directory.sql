-- A local business directory with maps and search (places, reviews, check-ins).
-- patterns: POINT NOT NULL with a SPATIAL index; FULLTEXT indexes over several columns;
--   MariaDB INET6 and UUID column types; legacy charsets and case-insensitive collations
--   side by side (latin1_swedish_ci table, utf8mb3_general_ci column,
--   utf8mb4_unicode_520_ci column); CHECKs with JSON_LENGTH() and ST_X()/ST_Y() ranges;
--   views with ALGORITHM=MERGE, SQL SECURITY INVOKER and WITH CASCADED / LOCAL CHECK
--   OPTION, a view on a view; `key`, `value`, `rank`, `position`, `type` as names;
--   indexes created by CREATE [UNIQUE] INDEX statements after the table.
CREATE TABLE `places` (
  `id` uuid NOT NULL,
  `name` varchar(200) NOT NULL,
  `type` varchar(40) NOT NULL,
  `description` text DEFAULT NULL,
  `location` point NOT NULL,
  `address` varchar(300) CHARACTER SET utf8mb3 COLLATE utf8mb3_general_ci DEFAULT NULL,
  `tags` json DEFAULT NULL,
  `rank` float NOT NULL DEFAULT 0,
  PRIMARY KEY (`id`),
  SPATIAL KEY `places_location` (`location`),
  FULLTEXT KEY `places_search` (`name`, `description`),
  CONSTRAINT `places_on_earth` CHECK (ST_X(`location`) BETWEEN -180 AND 180 AND ST_Y(`location`) BETWEEN -90 AND 90),
  CONSTRAINT `places_tags_short` CHECK (`tags` IS NULL OR JSON_LENGTH(`tags`) <= 20)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
CREATE INDEX `places_type_rank` ON `places` (`type`, `rank` DESC);

CREATE TABLE `reviews` (
  `id` int unsigned NOT NULL AUTO_INCREMENT,
  `place_id` uuid NOT NULL,
  `author` varchar(100) NOT NULL,
  `stars` tinyint unsigned NOT NULL,
  `title` varchar(200) DEFAULT NULL,
  `body` text NOT NULL,
  `client_ip` inet6 DEFAULT NULL,
  `created_at` datetime NOT NULL,
  PRIMARY KEY (`id`),
  FULLTEXT KEY `reviews_text` (`title`, `body`),
  CONSTRAINT `reviews_place` FOREIGN KEY (`place_id`) REFERENCES `places` (`id`) ON DELETE CASCADE,
  CONSTRAINT `reviews_stars` CHECK (`stars` BETWEEN 1 AND 5)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
CREATE UNIQUE INDEX `reviews_one_per_author` ON `reviews` (`place_id`, `author`);

CREATE TABLE `checkins` (
  `place_id` uuid NOT NULL,
  `user_key` varchar(64) COLLATE utf8mb4_unicode_520_ci NOT NULL,
  `at` datetime NOT NULL,
  `position` point DEFAULT NULL,
  PRIMARY KEY (`place_id`, `user_key`, `at`),
  CONSTRAINT `checkins_place` FOREIGN KEY (`place_id`) REFERENCES `places` (`id`) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE `legacy_categories` (
  `key` varchar(32) NOT NULL,
  `value` varchar(100) NOT NULL,
  `parent_key` varchar(32) DEFAULT NULL,
  PRIMARY KEY (`key`),
  KEY `legacy_categories_parent` (`parent_key`)
) ENGINE=InnoDB DEFAULT CHARSET=latin1 COLLATE=latin1_swedish_ci;

CREATE ALGORITHM=MERGE SQL SECURITY INVOKER VIEW `good_places` AS
  SELECT `id`, `name`, `type`, `rank` FROM `places` WHERE `rank` >= 3 WITH CASCADED CHECK OPTION;
CREATE VIEW `good_restaurants` AS SELECT `id`, `name`, `rank` FROM `good_places` WHERE `type` = 'restaurant' WITH LOCAL CHECK OPTION;
CREATE VIEW `place_ratings` AS
  SELECT g.`name`, COUNT(r.`id`) AS `reviews`, AVG(r.`stars`) AS `stars` FROM `good_restaurants` g LEFT JOIN `reviews` r ON r.`place_id` = g.`id` GROUP BY g.`id`, g.`name`;

INSERT INTO `places` VALUES
  ('123e4567-e89b-12d3-a456-426614174000', 'Café «Zur Linde»', 'restaurant', 'Kaffee & Kuchen seit 1890', ST_GeomFromText('POINT(13.4050 52.5200)'), 'Unter den Linden 1, Berlin', '["cafe", "wifi"]', 4.5),
  ('123e4567-e89b-12d3-a456-426614174001', 'O''Malley''s Pub', 'restaurant', NULL, ST_GeomFromText('POINT(-6.2603 53.3498)'), NULL, NULL, 3.9),
  ('123e4567-e89b-12d3-a456-426614174002', '東京タワー', 'sight', 'Tower "333 m"', ST_GeomFromText('POINT(139.7454 35.6586)'), NULL, '[]', 4.8);
INSERT INTO `reviews` (`place_id`, `author`, `stars`, `title`, `body`, `client_ip`, `created_at`) VALUES
  ('123e4567-e89b-12d3-a456-426614174000', 'ada', 5, 'Lecker!', 'Bester Kuchen 🍰', '2001:db8::1', '2024-01-05 15:00:00'),
  ('123e4567-e89b-12d3-a456-426614174000', 'bob', 4, NULL, 'Good coffee, slow "service"', '::ffff:192.0.2.33', '2024-01-06 09:00:00'),
  ('123e4567-e89b-12d3-a456-426614174001', 'ada', 4, 'Craic', 'it''s grand', NULL, '2024-02-01 21:00:00');
INSERT INTO `checkins` VALUES ('123e4567-e89b-12d3-a456-426614174002', 'u1', '2024-03-01 10:00:00', ST_GeomFromText('POINT(139.7455 35.6587)')), ('123e4567-e89b-12d3-a456-426614174000', 'u2', '2024-03-02 08:00:00', NULL);
INSERT INTO `legacy_categories` VALUES ('food', 'Essen und Trinken', NULL), ('cafe', 'Café', 'food');
