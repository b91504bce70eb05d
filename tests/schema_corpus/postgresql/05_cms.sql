-- A publishing platform / headless CMS (posts, tags, authors, newsletters, members).
-- patterns: varchar(24) object-id keys; jsonb columns with a GIN jsonb_path_ops index and
--   expression indexes on ->> and on a cast; a tsvector GENERATED STORED column with
--   setweight()/to_tsvector('english'::regconfig, ...) and a GIN index; a statement-level
--   trigger with a transition table (REFERENCING NEW TABLE); a BEFORE UPDATE row trigger
--   WHEN (OLD.x IS DISTINCT FROM NEW.x OR ...); COMMENT ON FUNCTION / TRIGGER / COLUMN; status,
--   type, visibility, key, value, "order", "default" as names; a self-referencing FK;
--   ON UPDATE CASCADE; NULLS NOT DISTINCT unique (PostgreSQL 15); views on views.
CREATE TABLE users (
  id varchar(24) PRIMARY KEY,
  name varchar(191) NOT NULL,
  slug varchar(191) NOT NULL UNIQUE,
  email varchar(191) NOT NULL,
  status varchar(50) NOT NULL DEFAULT 'active',
  meta jsonb,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz
);
CREATE UNIQUE INDEX users_email_lower ON users (lower(email));

CREATE TABLE posts (
  id varchar(24) PRIMARY KEY,
  uuid uuid NOT NULL,
  title varchar(2000) NOT NULL,
  slug varchar(191) NOT NULL,
  mobiledoc text,
  plaintext text,
  type varchar(50) NOT NULL DEFAULT 'post',
  status varchar(50) NOT NULL DEFAULT 'draft',
  visibility varchar(50) NOT NULL DEFAULT 'public',
  featured boolean NOT NULL DEFAULT false,
  published_at timestamptz,
  published_by varchar(24) REFERENCES users (id) ON UPDATE CASCADE,
  canonical_post_id varchar(24) REFERENCES posts (id),
  settings jsonb NOT NULL DEFAULT '{}'::jsonb,
  search tsvector GENERATED ALWAYS AS (
    setweight(to_tsvector('english'::regconfig, coalesce(title, '')), 'A') ||
    setweight(to_tsvector('english'::regconfig, coalesce(plaintext, '')), 'B')
  ) STORED,
  updated_at timestamptz,
  CONSTRAINT posts_slug_type UNIQUE (slug, type),
  CONSTRAINT posts_status_valid CHECK (status IN ('draft', 'scheduled', 'published', 'sent')),
  CONSTRAINT posts_visibility_valid CHECK (visibility IN ('public', 'members', 'paid', 'tiers'))
);
CREATE INDEX posts_search ON posts USING gin (search);
CREATE INDEX posts_settings ON posts USING gin (settings jsonb_path_ops);
CREATE INDEX posts_template ON posts ((settings ->> 'template')) WHERE settings ? 'template';
CREATE INDEX posts_reading_minutes ON posts (((settings ->> 'reading_minutes')::integer));
CREATE INDEX posts_published ON posts (published_at DESC) WHERE status = 'published';

CREATE TABLE tags (
  id varchar(24) PRIMARY KEY,
  name varchar(191) NOT NULL,
  slug varchar(191) NOT NULL,
  parent_id varchar(24),
  visibility varchar(50) NOT NULL DEFAULT 'public',
  accent_color varchar(50),
  CONSTRAINT tags_slug_parent UNIQUE NULLS NOT DISTINCT (slug, parent_id),
  CONSTRAINT tags_parent FOREIGN KEY (parent_id) REFERENCES tags (id) ON DELETE CASCADE
);

CREATE TABLE posts_tags (
  id varchar(24) PRIMARY KEY,
  post_id varchar(24) NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
  tag_id varchar(24) NOT NULL REFERENCES tags (id) ON DELETE CASCADE,
  sort_order integer NOT NULL DEFAULT 0,
  UNIQUE (post_id, tag_id)
);

CREATE TABLE settings (
  id varchar(24) PRIMARY KEY,
  "group" varchar(50) NOT NULL DEFAULT 'core',
  key varchar(50) NOT NULL UNIQUE,
  value text,
  type varchar(50) NOT NULL,
  flags varchar(50),
  "default" text,
  "order" integer
);

CREATE TABLE post_revisions (
  id bigserial PRIMARY KEY,
  post_id varchar(24) NOT NULL,
  title varchar(2000),
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE FUNCTION touch_updated_at() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.updated_at := now();
  RETURN NEW;
END;
$$;
COMMENT ON FUNCTION touch_updated_at() IS 'keeps updated_at honest';

CREATE FUNCTION record_revisions() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO post_revisions (post_id, title) SELECT id, title FROM changed;
  RETURN NULL;
END;
$$;

CREATE TRIGGER posts_touch BEFORE UPDATE ON posts FOR EACH ROW
  WHEN (OLD.title IS DISTINCT FROM NEW.title OR OLD.status IS DISTINCT FROM NEW.status) EXECUTE FUNCTION touch_updated_at();
CREATE TRIGGER users_touch BEFORE UPDATE OF name, email, status ON users FOR EACH ROW EXECUTE FUNCTION touch_updated_at();
CREATE TRIGGER posts_revisions AFTER UPDATE ON posts REFERENCING NEW TABLE AS changed
  FOR EACH STATEMENT EXECUTE FUNCTION record_revisions();
COMMENT ON TRIGGER posts_revisions ON posts IS 'one revision per changed post per statement';
COMMENT ON COLUMN posts.mobiledoc IS 'legacy editor format';

CREATE VIEW published_posts AS
  SELECT p.id, p.title, p.slug, p.published_at, u.name AS author
  FROM posts p LEFT JOIN users u ON u.id = p.published_by WHERE p.status = 'published' AND p.type = 'post';
CREATE VIEW public_posts AS
  SELECT pp.* FROM published_posts pp JOIN posts p USING (id) WHERE p.visibility = 'public';

INSERT INTO users (id, name, slug, email, meta, created_at) VALUES
  ('5951f5fca366002ebd5dbef7', 'Ghostly Writer', 'ghost', 'ghost@example.org', '{"twitter": "@g"}', '2024-01-01'),
  ('5951f5fca366002ebd5dbef8', 'Zoë D''Souza', 'zoe', 'Zoe@Example.org', NULL, '2024-01-02');
INSERT INTO posts (id, uuid, title, slug, plaintext, status, visibility, published_at, published_by, settings) VALUES
  ('65a0000000000000000000a1', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', 'Hello "world"', 'hello', 'The first post. Ünïcödé ✓', 'published', 'public', '2024-01-03', '5951f5fca366002ebd5dbef7', '{"template": "wide", "reading_minutes": "3"}'),
  ('65a0000000000000000000a2', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a12', 'Members only', 'members', NULL, 'published', 'members', '2024-01-04', '5951f5fca366002ebd5dbef8', '{}'),
  ('65a0000000000000000000a3', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a13', 'About', 'about', 'it''s a page', 'draft', 'public', NULL, NULL, '{"reading_minutes": "1"}');
UPDATE posts SET type = 'page' WHERE slug = 'about';
INSERT INTO tags (id, name, slug, parent_id) VALUES ('t1', 'News', 'news', NULL), ('t2', 'Release «1.0»', 'release', 't1');
INSERT INTO posts_tags VALUES ('pt1', '65a0000000000000000000a1', 't1', 0), ('pt2', '65a0000000000000000000a1', 't2', 1);
INSERT INTO settings (id, "group", key, value, type, "default", "order") VALUES
  ('s1', 'site', 'title', 'My «Blog»', 'string', 'Ghost', 1), ('s2', 'site', 'locale', NULL, 'string', 'en', 2),
  ('s3', 'members', 'signup', 'true', 'boolean', 'false', NULL);
