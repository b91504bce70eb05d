-- A job scheduler and housekeeping inside the database (events, routines, sequences).
-- patterns: CREATE EVENT (EVERY n HOUR/DAY with STARTS/ENDS, AT a fixed time with ON
--   COMPLETION PRESERVE, DISABLE, COMMENT, a BEGIN ... END body calling a procedure);
--   MariaDB sequences (CREATE SEQUENCE with START/INCREMENT/MINVALUE/MAXVALUE/CACHE/CYCLE)
--   used as a column DEFAULT NEXT VALUE FOR; stored procedures with IN/OUT parameters,
--   DECLARE ... HANDLER, cursors-free loops, SQL SECURITY INVOKER, COMMENT; a stored
--   function READS SQL DATA; `key`, `status`, `action`, `interval`, `schedule` names;
--   a view on a view.
CREATE SEQUENCE `job_number_seq` START WITH 1000 INCREMENT BY 1 MINVALUE 1000 MAXVALUE 9999999 CACHE 10 CYCLE;
CREATE SEQUENCE `batch_seq` INCREMENT BY 5 NOCACHE;

CREATE TABLE `jobs` (
  `id` bigint unsigned NOT NULL AUTO_INCREMENT,
  `job_number` bigint NOT NULL DEFAULT NEXT VALUE FOR `job_number_seq`,
  `queue` varchar(64) NOT NULL DEFAULT 'default',
  `key` varchar(191) DEFAULT NULL,
  `payload` json NOT NULL,
  `status` enum('pending','running','done','failed') NOT NULL DEFAULT 'pending',
  `attempts` tinyint unsigned NOT NULL DEFAULT 0,
  `run_at` datetime NOT NULL DEFAULT current_timestamp(),
  `finished_at` datetime DEFAULT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `jobs_key` (`key`),
  UNIQUE KEY `jobs_number` (`job_number`),
  KEY `jobs_runnable` (`status`, `queue`, `run_at`),
  CONSTRAINT `jobs_attempts_max` CHECK (`attempts` <= 25)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE `schedules` (
  `name` varchar(100) NOT NULL,
  `action` varchar(100) NOT NULL,
  `interval` int unsigned NOT NULL COMMENT 'seconds',
  `schedule` varchar(100) DEFAULT NULL COMMENT 'cron expression, if any',
  `enabled` tinyint(1) NOT NULL DEFAULT 1,
  `last_run` datetime DEFAULT NULL,
  PRIMARY KEY (`name`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE `job_log` (
  `id` bigint unsigned NOT NULL AUTO_INCREMENT,
  `batch` bigint NOT NULL DEFAULT NEXT VALUE FOR `batch_seq`,
  `job_id` bigint unsigned DEFAULT NULL,
  `message` varchar(1000) NOT NULL,
  `logged_at` timestamp(3) NOT NULL DEFAULT current_timestamp(3),
  PRIMARY KEY (`id`),
  KEY `job_log_job` (`job_id`),
  CONSTRAINT `job_log_job` FOREIGN KEY (`job_id`) REFERENCES `jobs` (`id`) ON DELETE SET NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

DELIMITER //
CREATE PROCEDURE `purge_done_jobs`(IN older_than_days int, OUT purged int)
  SQL SECURITY INVOKER
  COMMENT 'deletes finished jobs older than N days'
BEGIN
  DECLARE EXIT HANDLER FOR SQLEXCEPTION
  BEGIN
    ROLLBACK;
    RESIGNAL;
  END;
  START TRANSACTION;
  DELETE FROM `jobs` WHERE `status` = 'done' AND `finished_at` < NOW() - INTERVAL older_than_days DAY;
  SET purged = ROW_COUNT();
  INSERT INTO `job_log` (`message`) VALUES (CONCAT('purged ', purged, ' job(s)'));
  COMMIT;
END//

CREATE FUNCTION `pending_count`(q varchar(64)) RETURNS int
  READS SQL DATA
BEGIN
  DECLARE n int DEFAULT 0;
  SELECT COUNT(*) INTO n FROM `jobs` WHERE `queue` = q COLLATE utf8mb4_unicode_ci AND `status` = 'pending';
  RETURN n;
END//

CREATE EVENT `purge_jobs_daily`
  ON SCHEDULE EVERY 1 DAY STARTS '2024-01-01 03:00:00' ENDS '2030-01-01 00:00:00'
  ON COMPLETION PRESERVE
  COMMENT 'nightly clean-up'
  DO BEGIN
    CALL `purge_done_jobs`(30, @purged);
  END//

CREATE EVENT `requeue_stuck`
  ON SCHEDULE EVERY 15 MINUTE
  DO UPDATE `jobs` SET `status` = 'pending', `attempts` = `attempts` + 1
     WHERE `status` = 'running' AND `run_at` < NOW() - INTERVAL 1 HOUR//

CREATE EVENT `migrate_once`
  ON SCHEDULE AT '2035-06-01 00:00:00'
  ON COMPLETION PRESERVE
  DISABLE
  COMMENT 'one-off backfill, enabled by hand'
  DO INSERT INTO `job_log` (`message`) VALUES ('backfill «v2» started')//
DELIMITER ;

CREATE VIEW `queue_depth` AS SELECT `queue`, `status`, COUNT(*) AS `jobs` FROM `jobs` GROUP BY `queue`, `status`;
CREATE VIEW `busy_queues` AS SELECT `queue`, `jobs` FROM `queue_depth` WHERE `status` = 'pending' AND `jobs` > 1;

INSERT INTO `jobs` (`queue`, `key`, `payload`, `status`, `run_at`, `finished_at`) VALUES
  ('mail', 'welcome:zoë', '{"to": "zoë@example.org", "subject": "Willkommen «neu»"}', 'pending', '2024-01-01 00:00:00', NULL),
  ('mail', NULL, '{"to": "o''brien@example.org"}', 'pending', '2024-01-01 00:05:00', NULL),
  ('images', 'resize:42', '{"path": "C:\\\\img\\\\a.png"}', 'done', '2024-01-01 00:00:00', '2024-01-01 00:01:00');
INSERT INTO `schedules` VALUES ('digest', 'send_digest', 86400, '0 7 * * 1-5', 1, NULL), ('vacuum', 'purge', 3600, NULL, 0, '2024-01-01 00:00:00');
INSERT INTO `job_log` (`job_id`, `message`, `logged_at`) VALUES (3, 'resized in 12 ms', '2024-01-01 00:01:00.123'), (NULL, 'startup', '2024-01-01 00:00:00');
