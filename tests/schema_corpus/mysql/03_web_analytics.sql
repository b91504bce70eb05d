-- A web analytics platform's log and archive tables (Matomo-style).
-- patterns: PARTITION BY RANGE (TO_DAYS(...)) with MAXVALUE, PARTITION BY LIST COLUMNS,
--   PARTITION BY HASH and PARTITION BY KEY with PARTITIONS n; primary keys that include the
--   partition column; binary(8)/varbinary ids; mediumint unsigned and tinyint unsigned;
--   ROW_FORMAT=DYNAMIC; table and column COMMENTs; `date`, `period`, `name`, `value`, `ts`
--   as names; a composite index with DESC keys; an Aria table for sessions; a view on a view.
-- snapshot-options: --lock-nontransactional
--   (the Aria table cannot be read consistently without a read lock: cutover refuses
--   unless told to take it, by design)
CREATE TABLE `log_visit` (
  `idvisit` bigint(10) unsigned NOT NULL AUTO_INCREMENT,
  `idsite` int(10) unsigned NOT NULL,
  `idvisitor` binary(8) NOT NULL,
  `visit_last_action_time` datetime NOT NULL,
  `visit_first_action_time` datetime NOT NULL,
  `visit_total_actions` mediumint(5) unsigned DEFAULT NULL,
  `visitor_returning` tinyint(1) DEFAULT NULL,
  `location_country` char(3) DEFAULT NULL,
  `referer_url` varchar(1500) DEFAULT NULL,
  `config_browser_name` varchar(40) DEFAULT NULL,
  PRIMARY KEY (`idvisit`, `visit_last_action_time`),
  KEY `index_idsite_config_datetime` (`idsite`, `visit_last_action_time`),
  KEY `index_idsite_datetime` (`idsite`, `visit_last_action_time` DESC),
  KEY `index_idsite_idvisitor` (`idsite`, `idvisitor`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci ROW_FORMAT=DYNAMIC COMMENT='one row per visit'
PARTITION BY RANGE (TO_DAYS(`visit_last_action_time`)) (
  PARTITION p2023 VALUES LESS THAN (TO_DAYS('2024-01-01')),
  PARTITION p2024h1 VALUES LESS THAN (TO_DAYS('2024-07-01')),
  PARTITION pmax VALUES LESS THAN MAXVALUE
);

CREATE TABLE `log_action` (
  `idaction` int(10) unsigned NOT NULL AUTO_INCREMENT,
  `name` varchar(4096) DEFAULT NULL,
  `hash` int(10) unsigned NOT NULL,
  `type` tinyint(3) unsigned DEFAULT NULL COMMENT '1 url, 4 title, 10 event category',
  `url_prefix` tinyint(2) DEFAULT NULL,
  PRIMARY KEY (`idaction`),
  KEY `index_type_hash` (`type`, `hash`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci;

CREATE TABLE `archive_numeric` (
  `idarchive` int(10) unsigned NOT NULL,
  `name` varchar(190) NOT NULL,
  `idsite` int(10) unsigned DEFAULT NULL,
  `date1` date DEFAULT NULL,
  `date2` date DEFAULT NULL,
  `period` tinyint(3) unsigned DEFAULT NULL,
  `ts_archived` datetime DEFAULT NULL,
  `value` double DEFAULT NULL,
  PRIMARY KEY (`idarchive`, `name`),
  KEY `index_idsite_dates_period` (`idsite`, `date1`, `date2`, `period`, `name`(6)),
  KEY `index_period_archived` (`period`, `ts_archived`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci
PARTITION BY HASH (`idarchive`) PARTITIONS 4;

CREATE TABLE `site` (
  `idsite` int(10) unsigned NOT NULL AUTO_INCREMENT,
  `name` varchar(90) NOT NULL,
  `main_url` varchar(255) NOT NULL,
  `ts_created` timestamp NULL DEFAULT NULL,
  `ecommerce` tinyint(4) DEFAULT 0,
  `timezone` varchar(50) NOT NULL,
  `currency` char(3) NOT NULL,
  `type` varchar(255) NOT NULL,
  `region` varchar(8) NOT NULL DEFAULT 'eu',
  PRIMARY KEY (`idsite`, `region`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci
PARTITION BY LIST COLUMNS (`region`) (
  PARTITION p_eu VALUES IN ('eu', 'uk'),
  PARTITION p_us VALUES IN ('us'),
  PARTITION p_other VALUES IN ('apac', 'other')
);

CREATE TABLE `session` (
  `id` varchar(191) NOT NULL,
  `modified` int(11) DEFAULT NULL,
  `lifetime` int(11) DEFAULT NULL,
  `data` mediumtext DEFAULT NULL,
  PRIMARY KEY (`id`)
) ENGINE=Aria DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci;

CREATE TABLE `option` (
  `option_name` varchar(191) NOT NULL,
  `option_value` longtext NOT NULL,
  `autoload` tinyint(4) NOT NULL DEFAULT 1,
  PRIMARY KEY (`option_name`),
  KEY `autoload` (`autoload`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci
PARTITION BY KEY (`option_name`) PARTITIONS 2;

CREATE VIEW `visits_per_day` AS
  SELECT `idsite`, CAST(`visit_last_action_time` AS date) AS `day`, COUNT(*) AS `visits`, SUM(`visit_total_actions`) AS `actions`
  FROM `log_visit` GROUP BY `idsite`, CAST(`visit_last_action_time` AS date);
CREATE VIEW `busy_days` AS SELECT v.`day`, s.`name`, v.`visits` FROM `visits_per_day` v JOIN `site` s ON s.`idsite` = v.`idsite` WHERE v.`visits` > 1;

INSERT INTO `site` (`idsite`, `name`, `main_url`, `ts_created`, `timezone`, `currency`, `type`, `region`) VALUES
  (1, 'Beispiel GmbH', 'https://beispiel.example', '2023-01-01 00:00:00', 'Europe/Berlin', 'EUR', 'website', 'eu'),
  (2, 'Shop "US"', 'https://shop.example', NULL, 'America/New_York', 'USD', 'website', 'us');
INSERT INTO `log_visit` (`idsite`, `idvisitor`, `visit_last_action_time`, `visit_first_action_time`, `visit_total_actions`, `visitor_returning`, `location_country`, `referer_url`, `config_browser_name`) VALUES
  (1, UNHEX('00112233AABBCCDD'), '2023-12-31 23:00:00', '2023-12-31 22:55:00', 3, 0, 'deu', NULL, 'FF'),
  (1, UNHEX('0011223344556677'), '2024-03-01 10:00:00', '2024-03-01 09:00:00', 10, 1, 'aut', 'https://www.google.com/?q=''x''', 'CH'),
  (1, UNHEX('0011223344556677'), '2024-03-01 12:00:00', '2024-03-01 11:59:00', 1, 1, NULL, NULL, NULL),
  (2, UNHEX('FFFFFFFFFFFFFFFF'), '2024-08-15 08:00:00', '2024-08-15 08:00:00', NULL, NULL, 'usa', 'https://news.example/ü', 'SF');
INSERT INTO `log_action` (`name`, `hash`, `type`, `url_prefix`) VALUES ('beispiel.example/', 12345, 1, 2), ('Startseite – Willkommen', 99, 4, NULL);
INSERT INTO `archive_numeric` VALUES (1, 'nb_visits', 1, '2024-03-01', '2024-03-01', 1, '2024-03-02 00:00:00', 2), (2, 'bounce_rate', 1, '2024-03-01', '2024-03-31', 3, NULL, 0.5);
INSERT INTO `session` VALUES ('sess1', 1700000000, 1440, 'a:0:{}'), ('sess2', NULL, NULL, NULL);
INSERT INTO `option` VALUES ('version_core', '5.0.0', 1), ('UpdateCheck_LastTimeChecked', '1700000000', 0);
