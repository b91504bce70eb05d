-- An application's settings, feature flags and translations (issue 14's shape on MariaDB).
-- patterns: `key`, `value`, `default`, `order`, `group`, `desc`, `index`, `references` as
--   backquoted column names; a table-level UNIQUE KEY (`key`, `scope`) followed by a CHECK;
--   named and unnamed CHECKs (column and table level) with json_valid(), char_length() and
--   REGEXP; JSON columns; ENUM and SET types; a case-insensitive utf8mb4_general_ci table with
--   a utf8mb4_bin column; ON UPDATE CURRENT_TIMESTAMP; COMMENT on table, column and index;
--   a view on a view.
CREATE TABLE `scopes` (
  `name` varchar(64) NOT NULL,
  `order` smallint NOT NULL DEFAULT 0,
  `desc` varchar(255) DEFAULT NULL COMMENT 'what the scope covers',
  PRIMARY KEY (`name`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci COMMENT='where a setting applies';

CREATE TABLE `settings` (
  `id` int unsigned NOT NULL AUTO_INCREMENT,
  `key` varchar(190) NOT NULL,
  `scope` varchar(64) NOT NULL DEFAULT 'global',
  `value` json DEFAULT NULL,
  `type` enum('string','int','bool','json') NOT NULL DEFAULT 'string',
  `default` text DEFAULT NULL,
  `group` varchar(64) DEFAULT NULL,
  `updated_at` timestamp NOT NULL DEFAULT current_timestamp() ON UPDATE current_timestamp(),
  PRIMARY KEY (`id`),
  UNIQUE KEY `settings_key_scope` (`key`, `scope`),
  CONSTRAINT `settings_key_format` CHECK (`key` REGEXP '^[a-z][a-z0-9_.]*$'),
  CHECK (char_length(`key`) BETWEEN 1 AND 190),
  KEY `settings_group` (`group`, `key`) COMMENT 'settings pages list by group',
  CONSTRAINT `settings_scope_fk` FOREIGN KEY (`scope`) REFERENCES `scopes` (`name`) ON DELETE CASCADE ON UPDATE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci;

CREATE TABLE `feature_flags` (
  `name` varchar(100) COLLATE utf8mb4_bin NOT NULL,
  `enabled` tinyint(1) NOT NULL DEFAULT 0,
  `rollout` decimal(5,2) NOT NULL DEFAULT 0.00 CHECK (`rollout` BETWEEN 0 AND 100),
  `environments` set('dev','staging','prod') NOT NULL DEFAULT 'dev',
  `rules` longtext CHARACTER SET utf8mb4 COLLATE utf8mb4_bin DEFAULT NULL CHECK (json_valid(`rules`)),
  `index` int DEFAULT NULL,
  PRIMARY KEY (`name`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci;

CREATE TABLE `translations` (
  `locale` char(5) CHARACTER SET ascii NOT NULL,
  `key` varchar(190) NOT NULL,
  `value` text NOT NULL,
  `references` varchar(255) DEFAULT NULL,
  PRIMARY KEY (`locale`, `key`),
  KEY `translations_key` (`key`),
  CONSTRAINT CHECK (`locale` REGEXP '^[a-z]{2}(_[A-Z]{2})?$')
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE `setting_audit` (
  `id` bigint unsigned NOT NULL AUTO_INCREMENT,
  `setting_id` int unsigned DEFAULT NULL,
  `old_value` json DEFAULT NULL,
  `new_value` json DEFAULT NULL,
  `changed_at` datetime(6) NOT NULL DEFAULT current_timestamp(6),
  PRIMARY KEY (`id`),
  KEY `setting_audit_setting` (`setting_id`, `changed_at`),
  FOREIGN KEY (`setting_id`) REFERENCES `settings` (`id`) ON DELETE SET NULL
) ENGINE=InnoDB AUTO_INCREMENT=1000 DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci;

CREATE VIEW `effective_settings` AS
  SELECT s.`key`, s.`scope`, COALESCE(s.`value`, s.`default`) AS `value`, s.`type`
  FROM `settings` s JOIN `scopes` sc ON sc.`name` = s.`scope`;
CREATE VIEW `global_settings` AS SELECT `key`, `value` FROM `effective_settings` WHERE `scope` = 'global';

INSERT INTO `scopes` (`name`, `order`, `desc`) VALUES ('global', 0, 'Everything'), ('editor', 1, 'The editor''s own'), ('sync', 2, NULL);
INSERT INTO `settings` (`key`, `scope`, `value`, `type`, `default`, `group`, `updated_at`) VALUES
  ('theme', 'global', '"dark"', 'string', '"light"', 'appearance', '2024-01-01 00:00:00'),
  ('font.size', 'editor', '14', 'int', '12', 'appearance', '2024-01-01 00:00:00'),
  ('spellcheck', 'editor', NULL, 'bool', 'true', NULL, '2024-01-01 00:00:00'),
  ('greeting', 'global', '"Grüß Gott — «ok» 🚀"', 'string', NULL, NULL, '2024-01-01 00:00:00'),
  ('sync.endpoints', 'sync', '{"url": "https://example.invalid/a?b=''c''", "path": "C:\\\\temp"}', 'json', '{}', 'sync', '2024-01-01 00:00:00');
INSERT INTO `feature_flags` VALUES ('new-editor', 1, 12.50, 'dev,staging', '{"users": [1, 2]}', 1), ('New-Editor', 0, 0, 'prod', NULL, NULL);
INSERT INTO `translations` VALUES ('de_DE', 'greeting', 'Hallo „Welt“', NULL), ('ja', 'greeting', 'こんにちは', 'greeting'), ('fr', 'quote', 'l''été', NULL);
INSERT INTO `setting_audit` (`setting_id`, `old_value`, `new_value`, `changed_at`) VALUES (2, '12', '14', '2024-01-01 00:00:00.123456'), (NULL, NULL, '"x"', '2024-01-02 00:00:00');
