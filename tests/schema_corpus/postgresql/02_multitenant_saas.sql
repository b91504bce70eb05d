-- A multi-tenant project-management SaaS isolating tenants with row-level security.
-- patterns: ENABLE and FORCE ROW LEVEL SECURITY; policies PERMISSIVE and RESTRICTIVE, FOR
--   ALL / SELECT / INSERT / UPDATE / DELETE, TO PUBLIC, USING and WITH CHECK with
--   current_setting(); COMMENT ON POLICY; domains with named CHECKs, DEFAULT and NOT NULL;
--   uuid primary keys with gen_random_uuid(); a STABLE SQL function used in policies;
--   keywords as names (key, value, status, type, action, user_id, references); a
--   deferrable UNIQUE; a composite FOREIGN KEY including the tenant; views on views
--   (security_barrier, WITH CASCADED CHECK OPTION).
CREATE DOMAIN email AS text CONSTRAINT email_has_at CHECK (VALUE ~ '^[^@\s]+@[^@\s]+$');
CREATE DOMAIN slug AS varchar(64) NOT NULL CONSTRAINT slug_chars CHECK (VALUE ~ '^[a-z0-9-]+$') CONSTRAINT slug_len CHECK (length(VALUE) >= 2);
CREATE DOMAIN money_cents AS bigint DEFAULT 0 CHECK (VALUE >= 0);

CREATE FUNCTION current_tenant() RETURNS uuid LANGUAGE sql STABLE AS $$
  SELECT nullif(current_setting('app.tenant_id', true), '')::uuid
$$;

CREATE TABLE tenants (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  slug slug UNIQUE,
  name text NOT NULL,
  plan text NOT NULL DEFAULT 'free' CHECK (plan IN ('free', 'team', 'enterprise')),
  balance money_cents,
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE members (
  tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  email email NOT NULL,
  role text NOT NULL DEFAULT 'member',
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, email)
);

CREATE TABLE projects (
  tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  key varchar(10) NOT NULL,
  name text NOT NULL,
  owner_id uuid,
  archived boolean NOT NULL DEFAULT false,
  PRIMARY KEY (tenant_id, id),
  CONSTRAINT projects_key_per_tenant UNIQUE (tenant_id, key) DEFERRABLE INITIALLY IMMEDIATE,
  CONSTRAINT projects_owner FOREIGN KEY (tenant_id, owner_id) REFERENCES members (tenant_id, id),
  CHECK (key = upper(key))
);

CREATE TABLE tasks (
  tenant_id uuid NOT NULL,
  id bigint GENERATED ALWAYS AS IDENTITY,
  project_id uuid NOT NULL,
  title text NOT NULL,
  status text NOT NULL DEFAULT 'todo',
  type text,
  estimate_minutes integer,
  "references" text[] NOT NULL DEFAULT '{}',
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, project_id) REFERENCES projects (tenant_id, id) ON DELETE CASCADE,
  CONSTRAINT tasks_status_known CHECK (status = ANY (ARRAY['todo', 'doing', 'done'])),
  CONSTRAINT tasks_estimate_positive CHECK (estimate_minutes > 0)
);
CREATE INDEX tasks_open ON tasks (tenant_id, project_id) WHERE status <> 'done';

CREATE TABLE audit_events (
  id bigserial PRIMARY KEY,
  tenant_id uuid NOT NULL,
  action text NOT NULL,
  actor email,
  value jsonb,
  at timestamptz NOT NULL DEFAULT clock_timestamp()
);

ALTER TABLE members ENABLE ROW LEVEL SECURITY;
ALTER TABLE projects ENABLE ROW LEVEL SECURITY;
ALTER TABLE tasks ENABLE ROW LEVEL SECURITY;
ALTER TABLE tasks FORCE ROW LEVEL SECURITY;
ALTER TABLE audit_events ENABLE ROW LEVEL SECURITY;

CREATE POLICY tenant_isolation ON members USING (tenant_id = current_tenant());
CREATE POLICY tenant_isolation ON projects FOR ALL TO PUBLIC
  USING (tenant_id = current_tenant()) WITH CHECK (tenant_id = current_tenant());
CREATE POLICY hide_archived ON projects AS RESTRICTIVE FOR SELECT USING (NOT archived OR current_setting('app.show_archived', true) = 'on');
CREATE POLICY tasks_read ON tasks FOR SELECT USING (tenant_id = current_tenant());
CREATE POLICY tasks_write ON tasks FOR INSERT WITH CHECK (tenant_id = current_tenant());
CREATE POLICY tasks_update ON tasks FOR UPDATE USING (tenant_id = current_tenant()) WITH CHECK (status <> 'deleted');
CREATE POLICY tasks_delete ON tasks FOR DELETE USING (tenant_id = current_tenant() AND status = 'done');
CREATE POLICY audit_append_only ON audit_events AS PERMISSIVE FOR INSERT TO PUBLIC WITH CHECK (true);
COMMENT ON POLICY tenant_isolation ON projects IS 'every query sees one tenant';

CREATE VIEW my_projects WITH (security_barrier) AS
  SELECT tenant_id, id, key, name FROM projects WHERE tenant_id = current_tenant();
CREATE VIEW my_active_projects AS SELECT * FROM my_projects WHERE key <> 'ARCH' WITH CASCADED CHECK OPTION;
CREATE VIEW my_task_counts AS
  SELECT p.key, count(t.id) AS tasks FROM my_active_projects p LEFT JOIN tasks t ON t.tenant_id = p.tenant_id AND t.project_id = p.id
  GROUP BY p.key;

INSERT INTO tenants (id, slug, name, plan, balance) VALUES
  ('00000000-0000-4000-8000-000000000001', 'acme', 'ACME «GmbH»', 'team', 12000),
  ('00000000-0000-4000-8000-000000000002', 'o-neill', 'O''Neill & Sons', 'free', DEFAULT);
INSERT INTO members (tenant_id, id, email, role) VALUES
  ('00000000-0000-4000-8000-000000000001', '10000000-0000-4000-8000-000000000001', 'ada@acme.example', 'owner'),
  ('00000000-0000-4000-8000-000000000002', '10000000-0000-4000-8000-000000000002', 'sean@oneill.example', 'member');
INSERT INTO projects (tenant_id, id, key, name, owner_id) VALUES
  ('00000000-0000-4000-8000-000000000001', '20000000-0000-4000-8000-000000000001', 'WEB', 'Website — relaunch', '10000000-0000-4000-8000-000000000001'),
  ('00000000-0000-4000-8000-000000000002', '20000000-0000-4000-8000-000000000002', 'FARM', 'Farm', NULL);
INSERT INTO tasks (tenant_id, project_id, title, status, type, estimate_minutes, "references") VALUES
  ('00000000-0000-4000-8000-000000000001', '20000000-0000-4000-8000-000000000001', 'Draft "about" page', 'doing', 'content', 90, '{WEB-1,"x y"}'),
  ('00000000-0000-4000-8000-000000000001', '20000000-0000-4000-8000-000000000001', 'Übersetzung', 'todo', NULL, NULL, '{}'),
  ('00000000-0000-4000-8000-000000000002', '20000000-0000-4000-8000-000000000002', 'Fix fence', 'done', 'chore', 240, '{}');
INSERT INTO audit_events (tenant_id, action, actor, value, at) VALUES
  ('00000000-0000-4000-8000-000000000001', 'project.create', 'ada@acme.example', '{"key": "WEB"}', '2024-01-01 00:00:00+00'),
  ('00000000-0000-4000-8000-000000000002', 'login', NULL, NULL, '2024-01-02 00:00:00+00');
