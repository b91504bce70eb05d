-- A self-hosted git forge: users, repositories, issues, labels, activity (Gitea-style on MariaDB).
-- patterns: `user`, `repository`, `action`, `order`, `index`, `key`, `status`, `type`,
--   `references`, `desc` as backquoted table/column names; table constraints in every
--   order (UNIQUE KEY before PRIMARY KEY, CHECK between KEYs, FOREIGN KEYs named and
--   unnamed, composite FOREIGN KEYs, ON DELETE CASCADE / SET NULL / RESTRICT, ON UPDATE
--   CASCADE); a FULLTEXT index; an index with a DESC key; bigint epoch timestamps;
--   tinyint(1) booleans; a generated column standing in for a functional index (MariaDB has
--   no functional key parts); a view on a view.
CREATE TABLE `user` (
  `id` bigint(20) NOT NULL AUTO_INCREMENT,
  `lower_name` varchar(255) NOT NULL,
  `name` varchar(255) NOT NULL,
  `email` varchar(255) NOT NULL,
  `type` int(11) DEFAULT NULL,
  `is_active` tinyint(1) DEFAULT NULL,
  `desc` text DEFAULT NULL,
  `created_unix` bigint(20) DEFAULT NULL,
  UNIQUE KEY `UQE_user_lower_name` (`lower_name`),
  UNIQUE KEY `UQE_user_name` (`name`),
  PRIMARY KEY (`id`),
  KEY `IDX_user_is_active` (`is_active`),
  CHECK (`lower_name` = lower(`lower_name`))
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci ROW_FORMAT=DYNAMIC;

CREATE TABLE `repository` (
  `id` bigint(20) NOT NULL AUTO_INCREMENT,
  `owner_id` bigint(20) DEFAULT NULL,
  `lower_name` varchar(255) NOT NULL,
  `name` varchar(255) NOT NULL,
  `description` text DEFAULT NULL,
  `is_private` tinyint(1) DEFAULT NULL,
  `num_issues` int(11) DEFAULT NULL,
  `status` int(11) NOT NULL DEFAULT 0,
  PRIMARY KEY (`id`),
  UNIQUE KEY `UQE_repository_s` (`owner_id`, `lower_name`),
  KEY `IDX_repository_is_private` (`is_private`),
  CONSTRAINT `repository_owner` FOREIGN KEY (`owner_id`) REFERENCES `user` (`id`) ON DELETE SET NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci;

CREATE TABLE `issue` (
  `id` bigint(20) NOT NULL AUTO_INCREMENT,
  `repo_id` bigint(20) NOT NULL,
  `index` bigint(20) NOT NULL,
  `poster_id` bigint(20) DEFAULT NULL,
  `name` varchar(255) NOT NULL,
  `content` longtext DEFAULT NULL,
  `is_closed` tinyint(1) NOT NULL DEFAULT 0,
  `is_pull` tinyint(1) NOT NULL DEFAULT 0,
  `created_unix` bigint(20) NOT NULL,
  `closed_unix` bigint(20) DEFAULT NULL,
  `name_lower` varchar(255) GENERATED ALWAYS AS (lower(`name`)) VIRTUAL,
  KEY `IDX_issue_poster_id` (`poster_id`),
  CONSTRAINT `issue_closed_time` CHECK (`is_closed` = 0 OR `closed_unix` IS NOT NULL),
  UNIQUE KEY `UQE_issue_repo_index` (`repo_id`, `index`),
  PRIMARY KEY (`id`),
  KEY `IDX_issue_open` (`repo_id`, `is_closed`, `created_unix` DESC),
  KEY `IDX_issue_name_lower` (`name_lower`),
  FULLTEXT KEY `FT_issue_text` (`name`, `content`),
  FOREIGN KEY (`repo_id`) REFERENCES `repository` (`id`) ON DELETE CASCADE ON UPDATE CASCADE,
  CONSTRAINT `issue_poster` FOREIGN KEY (`poster_id`) REFERENCES `user` (`id`) ON DELETE RESTRICT
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci;

CREATE TABLE `label` (
  `id` bigint(20) NOT NULL AUTO_INCREMENT,
  `repo_id` bigint(20) DEFAULT NULL,
  `name` varchar(255) DEFAULT NULL,
  `color` varchar(7) DEFAULT NULL,
  `exclusive` tinyint(1) DEFAULT NULL,
  PRIMARY KEY (`id`),
  KEY `IDX_label_repo_id` (`repo_id`),
  CONSTRAINT `label_color_hex` CHECK (`color` REGEXP '^#[0-9a-fA-F]{6}$')
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci;

CREATE TABLE `issue_label` (
  `repo_id` bigint(20) NOT NULL,
  `issue_index` bigint(20) NOT NULL,
  `label_id` bigint(20) NOT NULL,
  FOREIGN KEY (`repo_id`, `issue_index`) REFERENCES `issue` (`repo_id`, `index`) ON DELETE CASCADE,
  FOREIGN KEY (`label_id`) REFERENCES `label` (`id`),
  PRIMARY KEY (`repo_id`, `issue_index`, `label_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci;

CREATE TABLE `references` (
  `id` bigint(20) NOT NULL AUTO_INCREMENT,
  `repo_id` bigint(20) NOT NULL,
  `from_index` bigint(20) NOT NULL,
  `to_index` bigint(20) NOT NULL,
  `key` varchar(32) NOT NULL DEFAULT 'mentions',
  PRIMARY KEY (`id`),
  UNIQUE KEY `ref_unique` (`repo_id`, `from_index`, `to_index`, `key`),
  CONSTRAINT `ref_from` FOREIGN KEY (`repo_id`, `from_index`) REFERENCES `issue` (`repo_id`, `index`),
  CONSTRAINT `ref_to` FOREIGN KEY (`repo_id`, `to_index`) REFERENCES `issue` (`repo_id`, `index`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci;

CREATE TABLE `action` (
  `id` bigint(20) NOT NULL AUTO_INCREMENT,
  `user_id` bigint(20) DEFAULT NULL,
  `op_type` int(11) DEFAULT NULL,
  `act_user_id` bigint(20) DEFAULT NULL,
  `repo_id` bigint(20) DEFAULT NULL,
  `order` int(11) DEFAULT NULL,
  `is_deleted` tinyint(1) NOT NULL DEFAULT 0,
  `created_unix` bigint(20) DEFAULT NULL,
  PRIMARY KEY (`id`),
  KEY `IDX_action_c_u_d` (`created_unix`, `user_id`, `is_deleted`),
  KEY `IDX_action_r_u_d` (`repo_id`, `user_id`, `is_deleted`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci;

CREATE VIEW `open_issues` AS
  SELECT i.`repo_id`, i.`index`, i.`name`, u.`name` AS `poster` FROM `issue` i LEFT JOIN `user` u ON u.`id` = i.`poster_id` WHERE i.`is_closed` = 0;
CREATE VIEW `open_issue_counts` AS
  SELECT r.`name`, COUNT(o.`index`) AS `open` FROM `repository` r LEFT JOIN `open_issues` o ON o.`repo_id` = r.`id` GROUP BY r.`id`, r.`name`;

INSERT INTO `user` (`id`, `lower_name`, `name`, `email`, `type`, `is_active`, `desc`, `created_unix`) VALUES
  (1, 'ada', 'Ada', 'ada@example.org', 0, 1, 'First ''user''', 1700000000),
  (2, 'björn', 'Björn', 'bjorn@example.org', 0, 1, NULL, 1700000001),
  (3, 'org1', 'ORG1', 'org@example.org', 1, NULL, '"quoted" org', 1700000002);
INSERT INTO `repository` (`id`, `owner_id`, `lower_name`, `name`, `description`, `is_private`, `num_issues`) VALUES
  (1, 3, 'cutover', 'Cutover', 'Backups «verified»', 0, 2), (2, 1, 'notes', 'notes', NULL, 1, 1);
INSERT INTO `issue` (`repo_id`, `index`, `poster_id`, `name`, `content`, `is_closed`, `created_unix`, `closed_unix`) VALUES
  (1, 1, 1, 'Schema fails to read', 'UNIQUE (key, scope) + CHECK', 0, 1700000000, NULL),
  (1, 2, 2, 'Ünïcödé in titles', NULL, 1, 1700000100, 1700000200),
  (2, 1, 1, 'Tabs	and newlines
in content', 'x', 0, 1700000200, NULL);
INSERT INTO `label` (`id`, `repo_id`, `name`, `color`) VALUES (1, 1, 'bug', '#ee0701'), (2, 1, 'kind/feature', '#84B6EB');
INSERT INTO `issue_label` VALUES (1, 1, 1), (1, 2, 2);
INSERT INTO `references` (`repo_id`, `from_index`, `to_index`, `key`) VALUES (1, 2, 1, 'fixes'), (1, 1, 2, DEFAULT);
INSERT INTO `action` (`user_id`, `op_type`, `repo_id`, `order`, `created_unix`) VALUES (1, 1, 1, NULL, 1700000000), (2, 12, 1, 3, 1700000200);
