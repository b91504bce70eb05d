-- A team chat server's channels, posts and reactions with counters kept by triggers.
-- patterns: triggers written with DELIMITER $$ and BEGIN ... END bodies (BEFORE INSERT
--   setting NEW columns, AFTER INSERT/DELETE keeping counters, BEFORE UPDATE with IF and
--   SIGNAL SQLSTATE), two triggers on the same table, timing and event (FOLLOWS); a
--   utf8mb4_bin column (case-sensitive names) in a utf8mb4_unicode_ci table; char(26) ids;
--   bigint epoch milliseconds; `type`, `key`, `value`, `desc`, `header`, `order` names;
--   a view on a view on a view; a stored function used by a view.
CREATE TABLE `channels` (
  `id` char(26) NOT NULL,
  `team_id` char(26) NOT NULL,
  `type` enum('O','P','D','G') NOT NULL DEFAULT 'O',
  `name` varchar(64) COLLATE utf8mb4_bin NOT NULL,
  `display_name` varchar(64) NOT NULL,
  `header` varchar(1024) DEFAULT NULL,
  `desc` varchar(250) DEFAULT NULL,
  `total_msg_count` bigint NOT NULL DEFAULT 0,
  `last_post_at` bigint DEFAULT NULL,
  `delete_at` bigint NOT NULL DEFAULT 0,
  PRIMARY KEY (`id`),
  UNIQUE KEY `channels_name_team` (`name`, `team_id`),
  KEY `channels_team_type` (`team_id`, `type`),
  KEY `channels_display` (`display_name`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE `posts` (
  `id` char(26) NOT NULL,
  `channel_id` char(26) NOT NULL,
  `user_id` char(26) NOT NULL,
  `root_id` char(26) DEFAULT NULL,
  `message` text NOT NULL,
  `type` varchar(26) NOT NULL DEFAULT '',
  `props` json DEFAULT NULL,
  `create_at` bigint NOT NULL,
  `update_at` bigint NOT NULL DEFAULT 0,
  `delete_at` bigint NOT NULL DEFAULT 0,
  `edit_count` int NOT NULL DEFAULT 0,
  PRIMARY KEY (`id`),
  KEY `posts_channel_create` (`channel_id`, `create_at`),
  KEY `posts_root` (`root_id`, `delete_at`),
  FULLTEXT KEY `posts_message` (`message`),
  CONSTRAINT `posts_channel` FOREIGN KEY (`channel_id`) REFERENCES `channels` (`id`) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE `reactions` (
  `user_id` char(26) NOT NULL,
  `post_id` char(26) NOT NULL,
  `emoji_name` varchar(64) COLLATE utf8mb4_bin NOT NULL,
  `create_at` bigint NOT NULL,
  PRIMARY KEY (`post_id`, `user_id`, `emoji_name`),
  CONSTRAINT `reactions_post` FOREIGN KEY (`post_id`) REFERENCES `posts` (`id`) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE `threads` (
  `post_id` char(26) NOT NULL,
  `reply_count` int NOT NULL DEFAULT 0,
  `last_reply_at` bigint DEFAULT NULL,
  PRIMARY KEY (`post_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE `preferences` (
  `user_id` char(26) NOT NULL,
  `category` varchar(32) NOT NULL,
  `key` varchar(32) NOT NULL,
  `value` text DEFAULT NULL,
  `order` int DEFAULT NULL,
  PRIMARY KEY (`user_id`, `category`, `key`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

DELIMITER $$
CREATE FUNCTION `epoch_ms_to_datetime`(ms bigint) RETURNS datetime(3)
DETERMINISTIC NO SQL
BEGIN
  RETURN FROM_UNIXTIME(ms / 1000);
END$$

CREATE TRIGGER `posts_before_insert` BEFORE INSERT ON `posts` FOR EACH ROW
BEGIN
  IF NEW.`update_at` = 0 THEN
    SET NEW.`update_at` = NEW.`create_at`;
  END IF;
END$$

CREATE TRIGGER `posts_after_insert` AFTER INSERT ON `posts` FOR EACH ROW
BEGIN
  UPDATE `channels` SET `total_msg_count` = `total_msg_count` + 1, `last_post_at` = GREATEST(COALESCE(`last_post_at`, 0), NEW.`create_at`)
  WHERE `id` = NEW.`channel_id`;
END$$

CREATE TRIGGER `posts_after_insert_root` AFTER INSERT ON `posts` FOR EACH ROW FOLLOWS `posts_after_insert`
BEGIN
  IF NEW.`root_id` IS NOT NULL THEN
    INSERT INTO `threads` (`post_id`, `reply_count`, `last_reply_at`) VALUES (NEW.`root_id`, 1, NEW.`create_at`)
    ON DUPLICATE KEY UPDATE `reply_count` = `reply_count` + 1, `last_reply_at` = NEW.`create_at`;
  END IF;
END$$

CREATE TRIGGER `posts_before_update` BEFORE UPDATE ON `posts` FOR EACH ROW
BEGIN
  IF OLD.`delete_at` > 0 AND NEW.`delete_at` = 0 THEN
    SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'a deleted post stays deleted';
  END IF;
  IF NEW.`message` <> OLD.`message` THEN
    SET NEW.`edit_count` = OLD.`edit_count` + 1;
  END IF;
END$$

CREATE TRIGGER `posts_after_delete` AFTER DELETE ON `posts` FOR EACH ROW
  UPDATE `channels` SET `total_msg_count` = `total_msg_count` - 1 WHERE `id` = OLD.`channel_id`$$
DELIMITER ;

CREATE VIEW `live_posts` AS SELECT `id`, `channel_id`, `user_id`, `message`, `create_at` FROM `posts` WHERE `delete_at` = 0;
CREATE VIEW `channel_activity` AS
  SELECT c.`name`, COUNT(p.`id`) AS `posts`, MAX(p.`create_at`) AS `last_post` FROM `channels` c LEFT JOIN `live_posts` p ON p.`channel_id` = c.`id` GROUP BY c.`id`, c.`name`;
CREATE VIEW `active_channels` AS
  SELECT `name`, `posts`, epoch_ms_to_datetime(`last_post`) AS `last_post_time` FROM `channel_activity` WHERE `posts` > 0;

INSERT INTO `channels` (`id`, `team_id`, `type`, `name`, `display_name`, `header`, `desc`) VALUES
  ('c0000000000000000000000001', 't0000000000000000000000001', 'O', 'town-square', 'Town Square', '', 'Everyone'),
  ('c0000000000000000000000002', 't0000000000000000000000001', 'O', 'Town-Square', 'Town Square (legacy)', NULL, 'it''s "random"');
INSERT INTO `posts` (`id`, `channel_id`, `user_id`, `root_id`, `message`, `props`, `create_at`) VALUES
  ('p0000000000000000000000001', 'c0000000000000000000000001', 'u1', NULL, 'Hello team 👋', '{"from_bot": "true"}', 1700000100000),
  ('p0000000000000000000000002', 'c0000000000000000000000001', 'u2', 'p0000000000000000000000001', 'Grüße aus Zürich', NULL, 1700000500000),
  ('p0000000000000000000000003', 'c0000000000000000000000002', 'u2', NULL, 'temp', NULL, 1700000600000);
UPDATE `posts` SET `message` = 'Grüezi aus Zürich' WHERE `id` = 'p0000000000000000000000002';
DELETE FROM `posts` WHERE `id` = 'p0000000000000000000000003';
INSERT INTO `reactions` VALUES ('u2', 'p0000000000000000000000001', '+1', 1700000200000), ('u1', 'p0000000000000000000000001', 'Smile', 1700000300000);
INSERT INTO `preferences` VALUES ('u1', 'display_settings', 'use_military_time', 'true', 1), ('u2', 'theme', '', '{"sidebarBg": "#145dbf"}', NULL);
