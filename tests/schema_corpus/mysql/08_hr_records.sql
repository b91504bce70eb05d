-- An HR system keeping the history of salaries and positions (temporal tables on MariaDB).
-- patterns: WITH SYSTEM VERSIONING (implicit row_start/row_end) and a column WITHOUT SYSTEM
--   VERSIONING; an INVISIBLE column; PARTITION BY HASH on an expression; an indexed
--   PERSISTENT generated column; named CHECKs at table level and unnamed at column level; COMMENTs on table, column and index; `desc`, `level`, `role`, `current`,
--   `day`, `week` names; year, bit(8), time(3), double types; ON DELETE CASCADE chains;
--   self-referencing FOREIGN KEY; a view on a view.
CREATE TABLE `departments` (
  `id` smallint unsigned NOT NULL AUTO_INCREMENT,
  `code` char(4) NOT NULL,
  `name` varchar(100) NOT NULL,
  `parent_id` smallint unsigned DEFAULT NULL,
  `desc` text DEFAULT NULL COMMENT 'free text shown on the org chart',
  `created_by` varchar(64) INVISIBLE DEFAULT 'system',
  PRIMARY KEY (`id`),
  UNIQUE KEY `departments_code` (`code`) COMMENT 'codes are printed on badges',
  CONSTRAINT `departments_parent` FOREIGN KEY (`parent_id`) REFERENCES `departments` (`id`) ON DELETE SET NULL,
  CONSTRAINT `departments_code_upper` CHECK (`code` = upper(`code`))
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci COMMENT='the org chart';

CREATE TABLE `employees` (
  `id` int unsigned NOT NULL AUTO_INCREMENT,
  `department_id` smallint unsigned NOT NULL,
  `first_name` varchar(100) NOT NULL,
  `last_name` varchar(100) NOT NULL,
  `birth_year` year DEFAULT NULL,
  `role` varchar(100) NOT NULL,
  `level` tinyint unsigned NOT NULL DEFAULT 1 CHECK (`level` BETWEEN 1 AND 10),
  `salary` decimal(10,2) NOT NULL,
  `notes` text WITHOUT SYSTEM VERSIONING DEFAULT NULL,
  PRIMARY KEY (`id`),
  KEY `employees_department` (`department_id`),
  KEY `employees_name` (`last_name`, `first_name`),
  CONSTRAINT `employees_department` FOREIGN KEY (`department_id`) REFERENCES `departments` (`id`),
  CONSTRAINT `employees_salary_positive` CHECK (`salary` > 0)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci WITH SYSTEM VERSIONING;

CREATE TABLE `leave_requests` (
  `id` int unsigned NOT NULL AUTO_INCREMENT,
  `employee_id` int unsigned NOT NULL,
  `starts_on` date NOT NULL,
  `ends_on` date NOT NULL,
  `half_days` bit(8) NOT NULL DEFAULT b'0',
  `status` enum('requested','approved','rejected') NOT NULL DEFAULT 'requested',
  `approved_by` int unsigned DEFAULT NULL,
  `current` tinyint(1) AS (`status` <> 'rejected') VIRTUAL,
  PRIMARY KEY (`id`),
  KEY `leave_requests_employee` (`employee_id`, `starts_on`),
  KEY `leave_requests_current` (`current`, `starts_on`),
  CONSTRAINT `leave_requests_employee` FOREIGN KEY (`employee_id`) REFERENCES `employees` (`id`) ON DELETE CASCADE,
  CONSTRAINT `leave_requests_approver` FOREIGN KEY (`approved_by`) REFERENCES `employees` (`id`),
  CONSTRAINT `leave_requests_dates` CHECK (`ends_on` >= `starts_on`),
  CONSTRAINT `leave_requests_not_self` CHECK (`approved_by` IS NULL OR `approved_by` <> `employee_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE `time_entries` (
  `employee_id` int unsigned NOT NULL,
  `day` date NOT NULL,
  `worked` time(3) NOT NULL,
  `overtime_factor` double NOT NULL DEFAULT 1,
  `week` tinyint unsigned AS (week(`day`, 3)) PERSISTENT,
  PRIMARY KEY (`employee_id`, `day`),
  KEY `time_entries_week` (`week`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci
PARTITION BY HASH (`employee_id` MOD 7) PARTITIONS 4;

CREATE VIEW `headcount` AS
  SELECT d.`code`, d.`name`, COUNT(e.`id`) AS `employees`, AVG(e.`salary`) AS `avg_salary`
  FROM `departments` d LEFT JOIN `employees` e ON e.`department_id` = d.`id` GROUP BY d.`id`, d.`code`, d.`name`;
CREATE VIEW `large_departments` AS SELECT `code`, `employees` FROM `headcount` WHERE `employees` >= 2;

INSERT INTO `departments` (`id`, `code`, `name`, `parent_id`, `desc`) VALUES
  (1, 'HQ', 'Zentrale', NULL, 'Hauptsitz «Berlin»'), (2, 'ENG', 'Engineering', 1, NULL), (3, 'OPS', 'Operations & Support', 1, 'it''s "ops"');
INSERT INTO `employees` (`department_id`, `first_name`, `last_name`, `birth_year`, `role`, `level`, `salary`, `notes`) VALUES
  (2, 'Ada', 'Lovelace', 1985, 'Engineer', 7, 98000.00, NULL),
  (2, 'Jürgen', 'Groß', NULL, 'Engineer', 3, 61000.50, 'Teilzeit'),
  (3, 'Siobhán', 'O''Connor', 1990, 'Support lead', 5, 72000.00, '🙂');
UPDATE `employees` SET `salary` = 101000.00, `level` = 8 WHERE `last_name` = 'Lovelace';
INSERT INTO `leave_requests` (`employee_id`, `starts_on`, `ends_on`, `half_days`, `status`, `approved_by`) VALUES
  (2, '2024-07-01', '2024-07-14', b'00000001', 'approved', 1), (3, '2024-08-01', '2024-08-02', b'0', 'requested', NULL);
INSERT INTO `time_entries` (`employee_id`, `day`, `worked`, `overtime_factor`) VALUES (1, '2024-03-01', '08:15:00.500', 1), (2, '2024-03-01', '04:00:00', 1.25), (3, '2024-03-02', '10:00:00', 1.5);
