-- A self-hosted git forge's users, repositories, issues, labels and activity feed.
-- patterns: keywords as table names ("user", "group", "references", "action"); index,
--   default, key, status, type, desc, order as column names; named and unnamed table
--   constraints in every order (CHECK first, FOREIGN KEY before PRIMARY KEY, UNIQUE last),
--   composite FOREIGN KEYs to a composite UNIQUE; MATCH SIMPLE and DEFERRABLE INITIALLY
--   IMMEDIATE on FOREIGN KEYs; a FOREIGN KEY to a composite primary key without a column
--   list; a unique expression index on lower(); a trigger with UPDATE OF and a WHEN
--   using EXISTS; views on views.
PRAGMA foreign_keys = ON;

CREATE TABLE "user" (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  lower_name TEXT NOT NULL,
  name TEXT NOT NULL,
  email TEXT NOT NULL,
  type INTEGER NOT NULL DEFAULT 0,
  is_active INTEGER NOT NULL DEFAULT 1,
  "desc" TEXT,
  CHECK (lower_name = lower(name)),
  CONSTRAINT user_type_known CHECK (type IN (0, 1, 2, 4)),
  UNIQUE (lower_name)
);

CREATE TABLE "group" (
  id INTEGER PRIMARY KEY,
  owner_id INTEGER NOT NULL,
  name TEXT NOT NULL,
  "default" INTEGER NOT NULL DEFAULT 0,
  FOREIGN KEY (owner_id) REFERENCES "user" (id) ON DELETE CASCADE,
  UNIQUE (owner_id, name)
);

CREATE TABLE repository (
  id INTEGER PRIMARY KEY,
  owner_id INTEGER NOT NULL REFERENCES "user" (id),
  lower_name TEXT NOT NULL,
  name TEXT NOT NULL,
  is_private INTEGER NOT NULL DEFAULT 0,
  num_issues INTEGER NOT NULL DEFAULT 0,
  CONSTRAINT repo_owner_name UNIQUE (owner_id, lower_name),
  CONSTRAINT repo_lower CHECK (lower_name = lower(name))
);

CREATE TABLE issue (
  repo_id INTEGER NOT NULL,
  "index" INTEGER NOT NULL,
  poster_id INTEGER NOT NULL,
  title TEXT NOT NULL,
  content TEXT,
  status TEXT NOT NULL DEFAULT 'open',
  is_pull INTEGER NOT NULL DEFAULT 0,
  created_unix INTEGER NOT NULL,
  closed_unix INTEGER,
  CHECK (status IN ('open', 'closed')),
  CHECK ((status = 'closed') = (closed_unix IS NOT NULL)),
  FOREIGN KEY (repo_id) REFERENCES repository (id) ON DELETE CASCADE DEFERRABLE INITIALLY IMMEDIATE,
  CONSTRAINT issue_poster FOREIGN KEY (poster_id) REFERENCES "user" (id) MATCH SIMPLE,
  PRIMARY KEY (repo_id, "index")
);

CREATE TABLE label (
  id INTEGER PRIMARY KEY,
  repo_id INTEGER NOT NULL REFERENCES repository (id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  color TEXT NOT NULL CHECK (color GLOB '#[0-9a-fA-F][0-9a-fA-F][0-9a-fA-F][0-9a-fA-F][0-9a-fA-F][0-9a-fA-F]'),
  exclusive INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE issue_label (
  repo_id INTEGER NOT NULL,
  issue_index INTEGER NOT NULL,
  label_id INTEGER NOT NULL REFERENCES label (id) ON DELETE CASCADE,
  FOREIGN KEY (repo_id, issue_index) REFERENCES issue (repo_id, "index") ON DELETE CASCADE,
  PRIMARY KEY (repo_id, issue_index, label_id)
) WITHOUT ROWID;

CREATE TABLE "references" (
  id INTEGER PRIMARY KEY,
  repo_id INTEGER NOT NULL,
  from_index INTEGER NOT NULL,
  to_index INTEGER NOT NULL,
  key TEXT NOT NULL,
  CONSTRAINT ref_from FOREIGN KEY (repo_id, from_index) REFERENCES issue (repo_id, "index"),
  FOREIGN KEY (repo_id, to_index) REFERENCES issue,
  UNIQUE (repo_id, from_index, to_index, key)
);

CREATE TABLE "action" (
  id INTEGER PRIMARY KEY,
  user_id INTEGER NOT NULL,
  op_type INTEGER NOT NULL,
  act_user_id INTEGER,
  repo_id INTEGER,
  "order" INTEGER,
  is_deleted INTEGER NOT NULL DEFAULT 0,
  created_unix INTEGER NOT NULL
);

CREATE UNIQUE INDEX user_email_lower ON "user" (lower(email));
CREATE INDEX issue_open ON issue (repo_id, created_unix DESC) WHERE status = 'open' AND is_pull = 0;
CREATE INDEX label_repo_name ON label (repo_id, name COLLATE NOCASE);
CREATE INDEX action_feed ON "action" (user_id, is_deleted, created_unix DESC);
CREATE INDEX action_order ON "action" ("order") WHERE "order" IS NOT NULL;

CREATE TRIGGER issue_counter AFTER INSERT ON issue
WHEN EXISTS (SELECT 1 FROM repository r WHERE r.id = new.repo_id)
BEGIN
  UPDATE repository SET num_issues = num_issues + 1 WHERE id = new.repo_id;
END;
CREATE TRIGGER issue_closed AFTER UPDATE OF status, closed_unix ON issue
WHEN new.status <> old.status
BEGIN
  INSERT INTO "action" (user_id, op_type, repo_id, created_unix)
  VALUES (new.poster_id, CASE new.status WHEN 'closed' THEN 12 ELSE 13 END, new.repo_id, coalesce(new.closed_unix, 0));
END;

CREATE VIEW open_issues AS
  SELECT i.repo_id, i."index", i.title, u.name AS poster FROM issue i JOIN "user" u ON u.id = i.poster_id
  WHERE i.status = 'open';
CREATE VIEW open_issue_counts AS
  SELECT r.name, count(o."index") AS open FROM repository r LEFT JOIN open_issues o ON o.repo_id = r.id GROUP BY r.name;

INSERT INTO "user" (id, lower_name, name, email, type, "desc") VALUES
  (1, 'ada', 'Ada', 'ada@example.org', 0, 'First ''user'''),
  (2, 'björn', 'Björn', 'bjorn@example.org', 0, NULL),
  (3, 'org1', 'ORG1', 'org@example.org', 1, '"quoted" org');
INSERT INTO "group" (owner_id, name, "default") VALUES (3, 'owners', 1), (3, 'readers', 0);
INSERT INTO repository (id, owner_id, lower_name, name) VALUES (1, 3, 'cutover', 'Cutover'), (2, 1, 'notes', 'notes');
INSERT INTO issue (repo_id, "index", poster_id, title, content, status, created_unix) VALUES
  (1, 1, 1, 'Schema fails to read', 'UNIQUE (key, scope) + CHECK', 'open', 1700000000),
  (1, 2, 2, 'Ünïcödé in titles', NULL, 'open', 1700000100),
  (2, 1, 1, 'Tabs	and newlines
in content', 'x', 'open', 1700000200);
UPDATE issue SET status = 'closed', closed_unix = 1700000300 WHERE repo_id = 1 AND "index" = 2;
INSERT INTO label (id, repo_id, name, color) VALUES (1, 1, 'bug', '#ee0701'), (2, 1, 'kind/feature', '#84B6EB');
INSERT INTO issue_label VALUES (1, 1, 1), (1, 2, 2);
INSERT INTO "references" (repo_id, from_index, to_index, key) VALUES (1, 2, 1, 'fixes'), (1, 1, 2, 'see also');
