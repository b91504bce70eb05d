-- A blogging platform's core tables as its installer creates them (WordPress-style).
-- patterns: bigint(20) unsigned AUTO_INCREMENT keys; prefix indexes (meta_key(191));
--   per-column CHARACTER SET ascii COLLATE ascii_bin next to utf8mb4_unicode_ci tables;
--   KEY / UNIQUE KEY / PRIMARY KEY in the table body in mixed order (KEY before PRIMARY
--   KEY); enum columns; datetime defaults; ENGINE/CHARSET/COLLATE table options;
--   longtext/mediumtext/tinytext; `key`-like names (option_name, meta_key, meta_value,
--   `order`, `status`, `type`, `value`); a view on a view.
CREATE TABLE `wp_options` (
  `option_id` bigint(20) unsigned NOT NULL AUTO_INCREMENT,
  `option_name` varchar(191) CHARACTER SET ascii COLLATE ascii_bin NOT NULL DEFAULT '',
  `option_value` longtext NOT NULL,
  `autoload` enum('yes','no','on','off','auto') CHARACTER SET ascii COLLATE ascii_bin NOT NULL DEFAULT 'yes',
  PRIMARY KEY (`option_id`),
  UNIQUE KEY `option_name` (`option_name`),
  KEY `autoload` (`autoload`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE `wp_users` (
  `ID` bigint(20) unsigned NOT NULL AUTO_INCREMENT,
  `user_login` varchar(60) NOT NULL DEFAULT '',
  `user_pass` varchar(255) NOT NULL DEFAULT '',
  `user_nicename` varchar(50) NOT NULL DEFAULT '',
  `user_email` varchar(100) NOT NULL DEFAULT '',
  `user_registered` datetime NOT NULL DEFAULT '1970-01-01 00:00:00',
  `user_status` int(11) NOT NULL DEFAULT 0,
  `display_name` varchar(250) NOT NULL DEFAULT '',
  KEY `user_login_key` (`user_login`),
  PRIMARY KEY (`ID`),
  KEY `user_nicename` (`user_nicename`),
  KEY `user_email` (`user_email`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE `wp_usermeta` (
  `umeta_id` bigint(20) unsigned NOT NULL AUTO_INCREMENT,
  `user_id` bigint(20) unsigned NOT NULL DEFAULT 0,
  `meta_key` varchar(255) DEFAULT NULL,
  `meta_value` longtext,
  PRIMARY KEY (`umeta_id`),
  KEY `user_id` (`user_id`),
  KEY `meta_key` (`meta_key`(191))
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE `wp_posts` (
  `ID` bigint(20) unsigned NOT NULL AUTO_INCREMENT,
  `post_author` bigint(20) unsigned NOT NULL DEFAULT 0,
  `post_date` datetime NOT NULL DEFAULT '1970-01-01 00:00:00',
  `post_content` longtext NOT NULL,
  `post_title` text NOT NULL,
  `post_excerpt` text NOT NULL,
  `post_status` varchar(20) NOT NULL DEFAULT 'publish',
  `comment_status` varchar(20) NOT NULL DEFAULT 'open',
  `post_name` varchar(200) NOT NULL DEFAULT '',
  `post_modified` datetime NOT NULL DEFAULT '1970-01-01 00:00:00',
  `post_parent` bigint(20) unsigned NOT NULL DEFAULT 0,
  `guid` varchar(255) NOT NULL DEFAULT '',
  `menu_order` int(11) NOT NULL DEFAULT 0,
  `post_type` varchar(20) NOT NULL DEFAULT 'post',
  `post_mime_type` varchar(100) NOT NULL DEFAULT '',
  `comment_count` bigint(20) NOT NULL DEFAULT 0,
  PRIMARY KEY (`ID`),
  KEY `post_name` (`post_name`(191)),
  KEY `type_status_date` (`post_type`,`post_status`,`post_date`,`ID`),
  KEY `post_parent` (`post_parent`),
  KEY `post_author` (`post_author`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE `wp_terms` (
  `term_id` bigint(20) unsigned NOT NULL AUTO_INCREMENT,
  `name` varchar(200) NOT NULL DEFAULT '',
  `slug` varchar(200) NOT NULL DEFAULT '',
  `term_group` bigint(10) NOT NULL DEFAULT 0,
  PRIMARY KEY (`term_id`),
  KEY `slug` (`slug`(191)),
  KEY `name` (`name`(191))
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE `wp_term_relationships` (
  `object_id` bigint(20) unsigned NOT NULL DEFAULT 0,
  `term_taxonomy_id` bigint(20) unsigned NOT NULL DEFAULT 0,
  `term_order` int(11) NOT NULL DEFAULT 0,
  PRIMARY KEY (`object_id`,`term_taxonomy_id`),
  KEY `term_taxonomy_id` (`term_taxonomy_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE `wp_comments` (
  `comment_ID` bigint(20) unsigned NOT NULL AUTO_INCREMENT,
  `comment_post_ID` bigint(20) unsigned NOT NULL DEFAULT 0,
  `comment_author` tinytext NOT NULL,
  `comment_author_IP` varchar(100) NOT NULL DEFAULT '',
  `comment_date_gmt` datetime NOT NULL DEFAULT '1970-01-01 00:00:00',
  `comment_content` mediumtext NOT NULL,
  `comment_approved` varchar(20) NOT NULL DEFAULT '1',
  `comment_type` varchar(20) NOT NULL DEFAULT 'comment',
  `comment_parent` bigint(20) unsigned NOT NULL DEFAULT 0,
  PRIMARY KEY (`comment_ID`),
  KEY `comment_post_ID` (`comment_post_ID`),
  KEY `comment_approved_date_gmt` (`comment_approved`,`comment_date_gmt`),
  KEY `comment_date_gmt` (`comment_date_gmt`),
  KEY `comment_parent` (`comment_parent`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE VIEW `published_posts` AS
  SELECT `ID`, `post_title`, `post_name`, `post_date`, `post_author` FROM `wp_posts`
  WHERE `post_status` = 'publish' AND `post_type` = 'post';
CREATE VIEW `author_post_counts` AS
  SELECT u.`display_name`, COUNT(p.`ID`) AS `posts`
  FROM `wp_users` u LEFT JOIN `published_posts` p ON p.`post_author` = u.`ID` GROUP BY u.`ID`, u.`display_name`;

INSERT INTO `wp_options` (`option_name`, `option_value`, `autoload`) VALUES
  ('siteurl', 'https://blog.example', 'yes'), ('blogname', 'Mein «Blog»', 'yes'),
  ('widget_text', 'a:1:{s:4:"text";s:11:"it''s fine";}', 'no'), ('cron', '', 'auto');
INSERT INTO `wp_users` (`user_login`, `user_pass`, `user_nicename`, `user_email`, `user_registered`, `display_name`) VALUES
  ('admin', '$P$Bxyz', 'admin', 'admin@blog.example', '2024-01-01 00:00:00', 'Admin'),
  ('zoë', '$P$Babc', 'zoe', 'zoe@blog.example', '2024-01-02 00:00:00', 'Zoë O''Neil');
INSERT INTO `wp_usermeta` (`user_id`, `meta_key`, `meta_value`) VALUES (1, 'nickname', 'admin'), (2, 'description', NULL), (2, 'locale', 'de_DE');
INSERT INTO `wp_posts` (`post_author`, `post_date`, `post_content`, `post_title`, `post_excerpt`, `post_name`, `post_modified`, `guid`) VALUES
  (1, '2024-01-03 10:00:00', '<!-- wp:paragraph --><p>Hallo Welt! 😀</p>', 'Hallo Welt', '', 'hallo-welt', '2024-01-03 10:00:00', 'https://blog.example/?p=1'),
  (2, '2024-01-04 11:00:00', 'Backslash \\ and "quotes"', 'Zweiter Beitrag', 'kurz', 'zweiter', '2024-01-04 11:00:00', 'https://blog.example/?p=2');
INSERT INTO `wp_terms` (`name`, `slug`) VALUES ('Allgemein', 'allgemein'), ('Ünïcödé', 'unicode');
INSERT INTO `wp_term_relationships` VALUES (1, 1, 0), (2, 2, 1);
INSERT INTO `wp_comments` (`comment_post_ID`, `comment_author`, `comment_author_IP`, `comment_date_gmt`, `comment_content`) VALUES
  (1, 'A WordPress Commenter', '127.0.0.1', '2024-01-03 12:00:00', 'Hi, this is a comment.'), (1, 'Jürgen', '::1', '2024-01-05 08:00:00', 'Schön!');
