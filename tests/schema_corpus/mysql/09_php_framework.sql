-- The tables a PHP web framework's migrations generate (Laravel-style DDL on MariaDB).
-- patterns: `id` bigint unsigned not null auto_increment primary key in the column list;
--   lower-case DDL; constraints and indexes added by later ALTER TABLE statements
--   (add constraint ..._foreign foreign key, add unique ..._unique, add index ..._index);
--   timestamp null columns; the framework's migrations, jobs, failed_jobs, cache (`key`,
--   `value`, `expiration`), sessions and password reset tables; a morphs pair index;
--   longtext payloads; a uuid char(36) unique; `queue`, `key`, `value`, `order` names;
--   a view on a view.
create table `migrations` (`id` int unsigned not null auto_increment primary key, `migration` varchar(255) not null, `batch` int not null) default character set utf8mb4 collate 'utf8mb4_unicode_ci';
create table `users` (`id` bigint unsigned not null auto_increment primary key, `name` varchar(255) not null, `email` varchar(255) not null, `email_verified_at` timestamp null, `password` varchar(255) not null, `remember_token` varchar(100) null, `created_at` timestamp null, `updated_at` timestamp null) default character set utf8mb4 collate 'utf8mb4_unicode_ci';
alter table `users` add unique `users_email_unique`(`email`);
create table `password_reset_tokens` (`email` varchar(255) not null, `token` varchar(255) not null, `created_at` timestamp null, primary key (`email`)) default character set utf8mb4 collate 'utf8mb4_unicode_ci';
create table `sessions` (`id` varchar(255) not null, `user_id` bigint unsigned null, `ip_address` varchar(45) null, `user_agent` text null, `payload` longtext not null, `last_activity` int not null, primary key (`id`)) default character set utf8mb4 collate 'utf8mb4_unicode_ci';
alter table `sessions` add index `sessions_user_id_index`(`user_id`);
alter table `sessions` add index `sessions_last_activity_index`(`last_activity`);
create table `cache` (`key` varchar(255) not null, `value` mediumtext not null, `expiration` int not null, primary key (`key`)) default character set utf8mb4 collate 'utf8mb4_unicode_ci';
create table `cache_locks` (`key` varchar(255) not null, `owner` varchar(255) not null, `expiration` int not null, primary key (`key`)) default character set utf8mb4 collate 'utf8mb4_unicode_ci';
create table `jobs` (`id` bigint unsigned not null auto_increment primary key, `queue` varchar(255) not null, `payload` longtext not null, `attempts` tinyint unsigned not null, `reserved_at` int unsigned null, `available_at` int unsigned not null, `created_at` int unsigned not null) default character set utf8mb4 collate 'utf8mb4_unicode_ci';
alter table `jobs` add index `jobs_queue_index`(`queue`);
create table `failed_jobs` (`id` bigint unsigned not null auto_increment primary key, `uuid` varchar(255) not null, `connection` text not null, `queue` text not null, `payload` longtext not null, `exception` longtext not null, `failed_at` timestamp not null default CURRENT_TIMESTAMP) default character set utf8mb4 collate 'utf8mb4_unicode_ci';
alter table `failed_jobs` add unique `failed_jobs_uuid_unique`(`uuid`);
create table `teams` (`id` bigint unsigned not null auto_increment primary key, `user_id` bigint unsigned not null, `name` varchar(255) not null, `personal_team` tinyint(1) not null, `created_at` timestamp null, `updated_at` timestamp null) default character set utf8mb4 collate 'utf8mb4_unicode_ci';
alter table `teams` add index `teams_user_id_index`(`user_id`);
create table `team_user` (`id` bigint unsigned not null auto_increment primary key, `team_id` bigint unsigned not null, `user_id` bigint unsigned not null, `role` varchar(255) null, `order` int null, `created_at` timestamp null, `updated_at` timestamp null) default character set utf8mb4 collate 'utf8mb4_unicode_ci';
alter table `team_user` add constraint `team_user_team_id_foreign` foreign key (`team_id`) references `teams` (`id`) on delete cascade;
alter table `team_user` add constraint `team_user_user_id_foreign` foreign key (`user_id`) references `users` (`id`) on delete cascade;
alter table `team_user` add unique `team_user_team_id_user_id_unique`(`team_id`, `user_id`);
create table `personal_access_tokens` (`id` bigint unsigned not null auto_increment primary key, `tokenable_type` varchar(255) not null, `tokenable_id` bigint unsigned not null, `name` varchar(255) not null, `token` varchar(64) not null, `abilities` text null, `last_used_at` timestamp null, `expires_at` timestamp null, `created_at` timestamp null, `updated_at` timestamp null) default character set utf8mb4 collate 'utf8mb4_unicode_ci';
alter table `personal_access_tokens` add index `personal_access_tokens_tokenable_type_tokenable_id_index`(`tokenable_type`, `tokenable_id`);
alter table `personal_access_tokens` add unique `personal_access_tokens_token_unique`(`token`);
create view `team_sizes` as select `t`.`id` as `team_id`, `t`.`name` as `name`, count(`tu`.`user_id`) as `members` from `teams` `t` left join `team_user` `tu` on `tu`.`team_id` = `t`.`id` group by `t`.`id`, `t`.`name`;
create view `big_teams` as select `name`, `members` from `team_sizes` where `members` > 1;

insert into `migrations` (`migration`, `batch`) values ('0001_01_01_000000_create_users_table', 1), ('0001_01_01_000001_create_cache_table', 1), ('2024_03_01_120000_create_teams_table', 2);
insert into `users` (`name`, `email`, `email_verified_at`, `password`, `created_at`, `updated_at`) values
  ('Taylor', 'taylor@example.org', '2024-01-01 00:00:00', '$2y$12$abcdefghijklmnopqrstuv', '2024-01-01 00:00:00', '2024-01-01 00:00:00'),
  ('Zoë O''Neil', 'zoe@example.org', null, '$2y$12$zyxwvutsrqponmlkjihgfe', '2024-01-02 00:00:00', null);
insert into `sessions` values ('sess_abc', 1, '127.0.0.1', 'Mozilla/5.0 ("test")', 'YTowOnt9', 1700000000), ('sess_def', null, '::1', null, '', 1700000001);
insert into `cache` values ('laravel_cache:config', 's:5:"value";', 1900000000), ('laravel_cache:ünï', 'N;', 0);
insert into `jobs` (`queue`, `payload`, `attempts`, `reserved_at`, `available_at`, `created_at`) values ('default', '{"displayName":"App\\\\Jobs\\\\SendMail"}', 0, null, 1700000000, 1700000000);
insert into `failed_jobs` (`uuid`, `connection`, `queue`, `payload`, `exception`, `failed_at`) values ('8f14e45f-ceea-467f-a8ea-000000000001', 'database', 'default', '{}', 'RuntimeException: «boom»', '2024-01-03 00:00:00');
insert into `teams` (`user_id`, `name`, `personal_team`) values (1, 'Taylor''s Team', 1), (2, 'Équipe', 0);
insert into `team_user` (`team_id`, `user_id`, `role`, `order`) values (2, 1, 'admin', 1), (2, 2, 'editor', null);
insert into `personal_access_tokens` (`tokenable_type`, `tokenable_id`, `name`, `token`, `abilities`) values ('App\\Models\\User', 1, 'cli', 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855', '["*"]');
