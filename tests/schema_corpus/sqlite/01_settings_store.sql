-- A desktop application's settings and preferences store (issue 14's shape).
-- patterns: a column named key in a table-level UNIQUE (key, scope) followed by a CHECK;
--   value, type, scope, default, order as column names; ON CONFLICT REPLACE on a table
--   UNIQUE and IGNORE on a column PRIMARY KEY; COLLATE NOCASE columns and index keys;
--   CHECK with typeof(), length() and IN lists; a view on a view; an AFTER UPDATE trigger
--   with WHEN; data with NULLs, quotes and unicode.
PRAGMA foreign_keys = ON;

CREATE TABLE scopes (
  name TEXT NOT NULL PRIMARY KEY ON CONFLICT IGNORE,
  "order" INTEGER NOT NULL DEFAULT 0,
  description TEXT
);

CREATE TABLE settings (
  id INTEGER PRIMARY KEY,
  key TEXT NOT NULL COLLATE NOCASE,
  scope TEXT NOT NULL DEFAULT 'global' REFERENCES scopes (name) ON DELETE CASCADE,
  value TEXT,
  type TEXT NOT NULL DEFAULT 'string',
  "default" TEXT,
  updated_at INTEGER NOT NULL DEFAULT (strftime('%s', 'now')),
  UNIQUE (key, scope) ON CONFLICT REPLACE,
  CHECK (type IN ('string', 'int', 'bool', 'json')),
  CHECK (length(key) BETWEEN 1 AND 200)
);

CREATE TABLE setting_history (
  setting_id INTEGER NOT NULL,
  changed_at INTEGER NOT NULL,
  old_value TEXT,
  new_value TEXT,
  PRIMARY KEY (setting_id, changed_at),
  FOREIGN KEY (setting_id) REFERENCES settings (id) ON DELETE CASCADE
);

CREATE TABLE secrets (
  key TEXT PRIMARY KEY,
  value BLOB NOT NULL CHECK (typeof(value) = 'blob'),
  expires_at INTEGER
) WITHOUT ROWID;

CREATE TABLE profiles (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  name TEXT NOT NULL UNIQUE COLLATE NOCASE,
  is_default INTEGER NOT NULL DEFAULT 0 CHECK (is_default IN (0, 1))
);

CREATE INDEX settings_scope_key ON settings (scope, key COLLATE NOCASE);
CREATE INDEX settings_by_type ON settings (type DESC, updated_at);

CREATE TRIGGER settings_history AFTER UPDATE OF value ON settings
WHEN old.value IS NOT new.value
BEGIN
  INSERT INTO setting_history (setting_id, changed_at, old_value, new_value)
  VALUES (new.id, new.updated_at, old.value, new.value);
END;

CREATE VIEW effective_settings AS
  SELECT s.key, s.scope, coalesce(s.value, s."default") AS value, s.type
  FROM settings AS s JOIN scopes AS sc ON sc.name = s.scope;

CREATE VIEW global_settings AS
  SELECT key, value FROM effective_settings WHERE scope = 'global' ORDER BY key;

INSERT INTO scopes (name, "order", description) VALUES
  ('global', 0, 'Everything'), ('editor', 1, 'The editor''s own'), ('sync', 2, NULL);
INSERT INTO settings (key, scope, value, type, "default", updated_at) VALUES
  ('theme', 'global', 'dark', 'string', 'light', 1700000000),
  ('Font.Size', 'editor', '14', 'int', '12', 1700000001),
  ('spellcheck', 'editor', NULL, 'bool', 'true', 1700000002),
  ('greeting', 'global', 'Grüß Gott — «ok» 🚀', 'string', NULL, 1700000003),
  ('endpoints', 'sync', '{"url": "https://example.invalid/a?b=''c''"}', 'json', '{}', 1700000004);
UPDATE settings SET value = '16', updated_at = 1700000100 WHERE key = 'font.size';
INSERT INTO secrets (key, value, expires_at) VALUES ('token', x'00ff10', NULL), ('refresh', x'cafe', 1800000000);
INSERT INTO profiles (name, is_default) VALUES ('Default', 1), ('Work', 0), ('Ünïcode', 0);
