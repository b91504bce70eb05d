-- A self-hosted RSS/Atom feed reader.
-- patterns: status/type enums as CHECK (... IN ...) in column and table constraints;
--   named table constraints (CONSTRAINT x UNIQUE / CHECK / FOREIGN KEY) mixed with unnamed
--   ones; FOREIGN KEYs DEFERRABLE INITIALLY DEFERRED and NOT DEFERRABLE, ON UPDATE/DELETE
--   SET NULL / CASCADE / RESTRICT; JSON text columns with json_valid() checks and a
--   json_extract() expression index; generated columns STORED and VIRTUAL; a partial unique
--   index; user, key and action as names; STRICT tables.
PRAGMA foreign_keys = ON;

CREATE TABLE users (
  id INTEGER PRIMARY KEY,
  username TEXT NOT NULL COLLATE NOCASE,
  password TEXT,
  is_admin INTEGER NOT NULL DEFAULT 0,
  theme TEXT NOT NULL DEFAULT 'light_serif',
  timezone TEXT NOT NULL DEFAULT 'UTC',
  extra TEXT NOT NULL DEFAULT '{}',
  CONSTRAINT users_username_key UNIQUE (username),
  CONSTRAINT users_extra_json CHECK (json_valid(extra))
);

CREATE TABLE categories (
  id INTEGER PRIMARY KEY,
  user_id INTEGER NOT NULL,
  title TEXT NOT NULL,
  hide_globally INTEGER NOT NULL DEFAULT 0,
  UNIQUE (user_id, title),
  CONSTRAINT categories_user_fk FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
);

CREATE TABLE feeds (
  id INTEGER PRIMARY KEY,
  user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  category_id INTEGER REFERENCES categories (id) ON DELETE SET NULL DEFERRABLE INITIALLY DEFERRED,
  title TEXT NOT NULL,
  feed_url TEXT NOT NULL,
  site_url TEXT NOT NULL,
  checked_at TEXT,
  etag_header TEXT DEFAULT '',
  parsing_error_count INTEGER NOT NULL DEFAULT 0,
  disabled INTEGER NOT NULL DEFAULT 0,
  rules TEXT CHECK (rules IS NULL OR json_valid(rules)),
  CONSTRAINT feeds_user_url UNIQUE (user_id, feed_url),
  CHECK (parsing_error_count >= 0)
);

CREATE TABLE entries (
  id INTEGER PRIMARY KEY,
  user_id INTEGER NOT NULL,
  feed_id INTEGER NOT NULL,
  hash TEXT NOT NULL,
  published_at TEXT NOT NULL,
  title TEXT NOT NULL,
  url TEXT NOT NULL,
  author TEXT,
  content TEXT,
  status TEXT NOT NULL DEFAULT 'unread' CHECK (status IN ('unread', 'read', 'removed')),
  starred INTEGER NOT NULL DEFAULT 0,
  reading_time INTEGER NOT NULL DEFAULT 0,
  tags TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(tags)),
  published_day TEXT GENERATED ALWAYS AS (substr(published_at, 1, 10)) STORED,
  is_long INTEGER GENERATED ALWAYS AS (reading_time > 10) VIRTUAL,
  UNIQUE (feed_id, hash),
  FOREIGN KEY (feed_id) REFERENCES feeds (id) ON DELETE CASCADE ON UPDATE RESTRICT NOT DEFERRABLE,
  FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
);

CREATE TABLE enclosures (
  id INTEGER PRIMARY KEY,
  entry_id INTEGER NOT NULL REFERENCES entries (id) ON DELETE CASCADE,
  url TEXT NOT NULL,
  size INTEGER DEFAULT 0,
  mime_type TEXT DEFAULT '',
  media_progression INTEGER NOT NULL DEFAULT 0
) STRICT;

CREATE TABLE api_keys (
  id INTEGER PRIMARY KEY,
  user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  token TEXT NOT NULL UNIQUE,
  description TEXT NOT NULL,
  last_used_at TEXT,
  created_at TEXT NOT NULL DEFAULT (datetime('now')),
  UNIQUE (user_id, description)
) STRICT;

CREATE TABLE sessions (
  key TEXT NOT NULL PRIMARY KEY,
  data TEXT NOT NULL,
  user_id INTEGER,
  action TEXT,
  created_at INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

CREATE INDEX entries_feed_status ON entries (feed_id, status);
CREATE INDEX entries_user_status ON entries (user_id, status, published_at DESC);
CREATE INDEX entries_day ON entries (published_day);
CREATE UNIQUE INDEX entries_starred_url ON entries (user_id, url) WHERE starred = 1;
CREATE INDEX entries_first_tag ON entries (json_extract(tags, '$[0]')) WHERE tags <> '[]';
CREATE INDEX feeds_due ON feeds (checked_at) WHERE disabled = 0 AND parsing_error_count < 3;
CREATE INDEX users_theme ON users (json_extract(extra, '$.display.theme'));

CREATE VIEW unread_entries AS
  SELECT e.id, e.user_id, e.feed_id, e.title, e.published_at FROM entries e WHERE e.status = 'unread';
CREATE VIEW unread_counts AS
  SELECT f.id AS feed_id, f.title, count(u.id) AS unread
  FROM feeds f LEFT JOIN unread_entries u ON u.feed_id = f.id GROUP BY f.id, f.title;

INSERT INTO users (id, username, password, is_admin, extra) VALUES
  (1, 'admin', '$2a$10$abcdefghijklmnopqrstuv', 1, '{"display": {"theme": "dark"}}'),
  (2, 'Zoë', NULL, 0, '{}');
INSERT INTO categories (id, user_id, title) VALUES (1, 1, 'All'), (2, 1, 'Tech «news»'), (3, 2, 'All');
INSERT INTO feeds (id, user_id, category_id, title, feed_url, site_url, rules) VALUES
  (1, 1, 2, 'LWN', 'https://lwn.net/headlines/rss', 'https://lwn.net', NULL),
  (2, 2, 3, 'Zoë''s blog', 'https://zoe.example/feed.xml', 'https://zoe.example', '[{"block": "ads"}]');
INSERT INTO entries (id, user_id, feed_id, hash, published_at, title, url, author, content, status, starred, reading_time, tags) VALUES
  (1, 1, 1, 'h1', '2024-03-01T10:00:00Z', 'Kernel 6.8', 'https://lwn.net/1', NULL, '<p>"quoted"</p>', 'unread', 0, 12, '["linux"]'),
  (2, 1, 1, 'h2', '2024-03-02T10:00:00Z', 'Rust ''n'' roll', 'https://lwn.net/2', 'corbet', NULL, 'read', 1, 3, '[]'),
  (3, 2, 2, 'h3', '2024-03-03T08:00:00Z', 'Привет', 'https://zoe.example/p', 'Zoë', 'текст', 'unread', 0, 1, '["ru", "misc"]');
INSERT INTO enclosures (entry_id, url, size, mime_type) VALUES (1, 'https://lwn.net/a.mp3', 1024, 'audio/mpeg');
INSERT INTO api_keys (user_id, token, description, created_at) VALUES (1, 'tok_123', 'cli', '2024-01-01 00:00:00');
INSERT INTO sessions VALUES ('s1', '{"csrf": "x"}', 1, 'login', 1700000000), ('s2', '{}', NULL, NULL, 1700000001);
