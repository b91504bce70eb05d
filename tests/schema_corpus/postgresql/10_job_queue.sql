-- A background job queue and scheduler living in its own schema (worker-library style).
-- patterns: a private schema with a quoted keyword name ("queue"); an UNLOGGED table;
--   fillfactor and autovacuum reloptions on a table and an index; partial indexes for
--   "runnable" rows (WHERE locked_at IS NULL AND attempts < max_attempts); an index on
--   (run_at, priority DESC, id); LISTEN/NOTIFY from a statement trigger (pg_notify); a
--   TRUNCATE trigger; triggers with WHEN (NEW.x IS DISTINCT FROM OLD.x) and UPDATE OF;
--   plpgsql with FOR UPDATE SKIP LOCKED; a STRICT IMMUTABLE PARALLEL SAFE function used in
--   an index expression and a CHECK; char(1)[], smallint, name, bytea, json columns; key,
--   "type", "order", "user", action, "default" as names; a view on a view.
CREATE SCHEMA "queue";

CREATE FUNCTION "queue".normalize_key(k text) RETURNS text
  LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$ SELECT lower(btrim(k)) $$;

CREATE TABLE "queue".task_types (
  identifier text PRIMARY KEY,
  "default" jsonb NOT NULL DEFAULT '{}',
  max_attempts smallint NOT NULL DEFAULT 25 CHECK (max_attempts BETWEEN 1 AND 1000)
);

CREATE TABLE "queue".jobs (
  id bigserial PRIMARY KEY,
  queue_name text,
  task_identifier text NOT NULL REFERENCES "queue".task_types (identifier) ON UPDATE CASCADE,
  payload json NOT NULL DEFAULT '{}'::json,
  priority smallint NOT NULL DEFAULT 0,
  run_at timestamptz NOT NULL DEFAULT now(),
  attempts smallint NOT NULL DEFAULT 0,
  max_attempts smallint NOT NULL DEFAULT 25,
  last_error text,
  key text,
  locked_at timestamptz,
  locked_by text,
  revision integer NOT NULL DEFAULT 0,
  flags char(1)[],
  CONSTRAINT jobs_key_normal CHECK (key IS NULL OR key = "queue".normalize_key(key)),
  CONSTRAINT jobs_attempts CHECK (attempts <= max_attempts),
  CONSTRAINT jobs_locked_pair CHECK ((locked_at IS NULL) = (locked_by IS NULL))
) WITH (fillfactor = 80, autovacuum_vacuum_scale_factor = 0.01);

CREATE UNIQUE INDEX jobs_key ON "queue".jobs ("queue".normalize_key(key)) WHERE key IS NOT NULL;
CREATE INDEX jobs_runnable ON "queue".jobs (priority DESC, run_at, id)
  WITH (fillfactor = 70) WHERE locked_at IS NULL AND attempts < max_attempts;
CREATE INDEX jobs_queue_name ON "queue".jobs (queue_name) WHERE queue_name IS NOT NULL;

CREATE TABLE "queue".job_queues (
  queue_name text PRIMARY KEY,
  job_count integer NOT NULL DEFAULT 0,
  locked_at timestamptz,
  locked_by text
);

CREATE UNLOGGED TABLE "queue".heartbeats (
  worker text PRIMARY KEY,
  "user" name NOT NULL DEFAULT current_user,
  pid integer,
  beat_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE "queue".schedules (
  id serial PRIMARY KEY,
  identifier text NOT NULL,
  cron text NOT NULL,
  "type" text NOT NULL DEFAULT 'cron',
  "order" integer,
  action text,
  last_run timestamptz,
  UNIQUE (identifier, cron)
);

CREATE TABLE "queue".failures (
  job_id bigint NOT NULL,
  failed_at timestamptz NOT NULL DEFAULT now(),
  error bytea,
  PRIMARY KEY (job_id, failed_at)
);

CREATE FUNCTION "queue".get_job(worker_id text) RETURNS "queue".jobs LANGUAGE plpgsql AS $$
DECLARE
  v_row "queue".jobs;
BEGIN
  SELECT * INTO v_row FROM "queue".jobs
  WHERE locked_at IS NULL AND attempts < max_attempts AND run_at <= now()
  ORDER BY priority DESC, run_at, id
  LIMIT 1 FOR UPDATE SKIP LOCKED;
  IF v_row.id IS NULL THEN
    RETURN NULL;
  END IF;
  UPDATE "queue".jobs SET attempts = attempts + 1, locked_by = worker_id, locked_at = now()
  WHERE id = v_row.id RETURNING * INTO v_row;
  RETURN v_row;
END;
$$;

CREATE FUNCTION "queue".tg_jobs_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('jobs:insert', '');
  RETURN NULL;
END;
$$;
CREATE FUNCTION "queue".tg_jobs_count() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'TRUNCATE' THEN
    UPDATE "queue".job_queues SET job_count = 0;
    RETURN NULL;
  END IF;
  IF NEW.queue_name IS NOT NULL THEN
    INSERT INTO "queue".job_queues (queue_name, job_count) VALUES (NEW.queue_name, 1)
    ON CONFLICT (queue_name) DO UPDATE SET job_count = "queue".job_queues.job_count + 1;
  END IF;
  RETURN NEW;
END;
$$;
CREATE FUNCTION "queue".tg_bump_revision() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.revision := OLD.revision + 1;
  RETURN NEW;
END;
$$;

CREATE TRIGGER _500_notify AFTER INSERT ON "queue".jobs FOR EACH STATEMENT EXECUTE FUNCTION "queue".tg_jobs_notify();
CREATE TRIGGER _100_count AFTER INSERT ON "queue".jobs FOR EACH ROW EXECUTE FUNCTION "queue".tg_jobs_count();
CREATE TRIGGER _900_truncate AFTER TRUNCATE ON "queue".jobs FOR EACH STATEMENT EXECUTE FUNCTION "queue".tg_jobs_count();
CREATE TRIGGER _200_revision BEFORE UPDATE OF payload, run_at ON "queue".jobs FOR EACH ROW
  WHEN (NEW.payload::text IS DISTINCT FROM OLD.payload::text OR NEW.run_at IS DISTINCT FROM OLD.run_at)
  EXECUTE FUNCTION "queue".tg_bump_revision();
ALTER TABLE "queue".jobs DISABLE TRIGGER _500_notify;

CREATE VIEW "queue".runnable AS
  SELECT id, task_identifier, priority, run_at FROM "queue".jobs WHERE locked_at IS NULL AND attempts < max_attempts;
CREATE VIEW "queue".runnable_by_task AS
  SELECT task_identifier, count(*) AS n, min(run_at) AS oldest FROM "queue".runnable GROUP BY task_identifier;

INSERT INTO "queue".task_types (identifier, "default", max_attempts) VALUES ('send_email', '{"from": "noreply@example.org"}', 5), ('resize_image', DEFAULT, DEFAULT);
INSERT INTO "queue".jobs (queue_name, task_identifier, payload, priority, run_at, key, flags) VALUES
  ('mail', 'send_email', '{"to": "zoë@example.org", "subject": "Willkommen «neu»"}', 10, '2024-01-01 00:00+00', 'welcome:zoë', '{a,b}'),
  (NULL, 'resize_image', '{"path": "/img/it''s.png"}', 0, '2024-01-01 00:05+00', NULL, NULL),
  ('mail', 'send_email', '{}', -5, '2024-01-02 00:00+00', 'digest:2024-01-02', NULL);
UPDATE "queue".jobs SET run_at = '2024-01-03 00:00+00' WHERE key = 'digest:2024-01-02';
INSERT INTO "queue".heartbeats (worker, pid, beat_at) VALUES ('worker-1', 4242, '2024-01-01 00:00+00');
INSERT INTO "queue".schedules (identifier, cron, "order", action) VALUES ('send_email', '0 7 * * 1-5', 1, 'digest'), ('resize_image', '*/15 * * * *', NULL, NULL);
INSERT INTO "queue".failures VALUES (2, '2024-01-01 00:06+00', '\x4572726f72'), (2, '2024-01-01 00:07+00', NULL);
