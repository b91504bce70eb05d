-- An end-to-end encrypted messenger's local store.
-- patterns: desc, asc, key, index, default as quoted column names; PRIMARY KEY with
--   ON CONFLICT REPLACE, UNIQUE ... ON CONFLICT IGNORE (column and table level), NOT NULL
--   ON CONFLICT FAIL; CHECK with glob(), typeof(), length() and CASE; triggers with WHEN,
--   UPDATE OF several columns, BEFORE triggers with RAISE(IGNORE); an index with
--   COLLATE NOCASE and DESC keys; covering and partial indexes; views on views.
CREATE TABLE recipients (
  _id INTEGER PRIMARY KEY AUTOINCREMENT,
  uuid TEXT UNIQUE ON CONFLICT IGNORE,
  e164 TEXT UNIQUE,
  group_id TEXT DEFAULT NULL,
  profile_given_name TEXT,
  profile_family_name TEXT,
  blocked INTEGER DEFAULT 0,
  registered INTEGER DEFAULT 0 CHECK (registered IN (0, 1, 2)),
  "default" INTEGER NOT NULL DEFAULT 0,
  CHECK (uuid IS NULL OR uuid GLOB '[0-9a-f]*-*'),
  CHECK (e164 IS NULL OR (substr(e164, 1, 1) = '+' AND length(e164) BETWEEN 8 AND 16))
);

CREATE TABLE threads (
  _id INTEGER PRIMARY KEY AUTOINCREMENT,
  date INTEGER DEFAULT 0,
  recipient_id INTEGER UNIQUE REFERENCES recipients (_id),
  snippet TEXT,
  read INTEGER DEFAULT 1,
  archived INTEGER DEFAULT 0,
  pinned INTEGER DEFAULT 0,
  unread_count INTEGER DEFAULT 0 NOT NULL ON CONFLICT FAIL
);

CREATE TABLE messages (
  _id INTEGER PRIMARY KEY AUTOINCREMENT,
  date_sent INTEGER NOT NULL,
  date_received INTEGER NOT NULL,
  thread_id INTEGER NOT NULL REFERENCES threads (_id) ON DELETE CASCADE,
  from_recipient_id INTEGER NOT NULL REFERENCES recipients (_id),
  type INTEGER NOT NULL,
  body TEXT,
  read INTEGER DEFAULT 0,
  expires_in INTEGER DEFAULT 0,
  quote_id INTEGER DEFAULT 0,
  "index" INTEGER,
  UNIQUE (date_sent, from_recipient_id, thread_id) ON CONFLICT IGNORE,
  CHECK (CASE WHEN type & 31 = 20 THEN body IS NOT NULL ELSE 1 END)
);

CREATE TABLE reactions (
  _id INTEGER PRIMARY KEY,
  message_id INTEGER NOT NULL REFERENCES messages (_id) ON DELETE CASCADE,
  author_id INTEGER NOT NULL REFERENCES recipients (_id) ON DELETE CASCADE,
  emoji TEXT NOT NULL CHECK (length(emoji) <= 8),
  date_sent INTEGER NOT NULL,
  UNIQUE (author_id, message_id) ON CONFLICT REPLACE
);

CREATE TABLE identity_keys (
  address TEXT NOT NULL,
  key BLOB NOT NULL CHECK (typeof(key) = 'blob' AND length(key) = 33),
  verified INTEGER DEFAULT 0,
  first_use INTEGER DEFAULT 0,
  timestamp INTEGER DEFAULT 0,
  PRIMARY KEY (address) ON CONFLICT REPLACE
);

CREATE TABLE sort_orders (
  name TEXT NOT NULL PRIMARY KEY,
  "asc" TEXT NOT NULL,
  "desc" TEXT NOT NULL,
  UNIQUE ("asc", "desc")
);

CREATE INDEX messages_thread_date ON messages (thread_id, date_received DESC);
CREATE INDEX messages_unread ON messages (thread_id, read) WHERE read = 0;
CREATE INDEX messages_quote ON messages (quote_id, from_recipient_id) WHERE quote_id > 0;
CREATE INDEX recipients_name ON recipients (profile_given_name COLLATE NOCASE, profile_family_name COLLATE NOCASE);
CREATE INDEX threads_pinned ON threads (pinned DESC, date DESC) WHERE archived = 0;
CREATE INDEX sort_orders_desc ON sort_orders ("desc" DESC, "asc" ASC);

CREATE TRIGGER messages_thread_update AFTER INSERT ON messages
BEGIN
  UPDATE threads
  SET date = new.date_received, snippet = new.body, unread_count = unread_count + (new.read = 0)
  WHERE _id = new.thread_id;
END;

CREATE TRIGGER messages_read AFTER UPDATE OF read, thread_id ON messages
WHEN new.read = 1 AND old.read = 0
BEGIN
  UPDATE threads SET unread_count = max(unread_count - 1, 0) WHERE _id = new.thread_id;
END;

CREATE TRIGGER reactions_on_expired BEFORE INSERT ON reactions
WHEN (SELECT expires_in FROM messages WHERE _id = new.message_id) < 0
BEGIN
  SELECT RAISE(IGNORE);
END;

CREATE VIEW conversation_list AS
  SELECT t._id, t.date, t.snippet, t.unread_count, r.profile_given_name AS name
  FROM threads t JOIN recipients r ON r._id = t.recipient_id WHERE t.archived = 0;
CREATE VIEW pinned_conversations AS
  SELECT * FROM conversation_list WHERE _id IN (SELECT _id FROM threads WHERE pinned > 0);

INSERT INTO recipients (uuid, e164, profile_given_name, profile_family_name, registered) VALUES
  ('0f1e2d3c-aaaa-bbbb-cccc-000000000001', '+4915112345678', 'Jürgen', 'Groß', 1),
  ('0f1e2d3c-aaaa-bbbb-cccc-000000000002', NULL, 'Aoife', 'O''Brien', 1),
  (NULL, '+12025550123', NULL, NULL, 2);
INSERT INTO threads (recipient_id, read, pinned) VALUES (1, 1, 1), (2, 1, 0);
INSERT INTO messages (date_sent, date_received, thread_id, from_recipient_id, type, body, read, "index") VALUES
  (1700000000, 1700000001, 1, 1, 20, 'Hallo 👋 "du"', 0, 1),
  (1700000100, 1700000101, 1, 2, 87, NULL, 1, NULL),
  (1700000200, 1700000201, 2, 2, 20, 'it''s me', 0, 2);
INSERT INTO messages (date_sent, date_received, thread_id, from_recipient_id, type, body) VALUES
  (1700000000, 1700000001, 1, 1, 20, 'duplicate ignored');
UPDATE messages SET read = 1 WHERE _id = 1;
INSERT INTO reactions (message_id, author_id, emoji, date_sent) VALUES (1, 2, '❤️', 1700000300), (1, 2, '👍', 1700000400);
INSERT INTO identity_keys (address, key, verified) VALUES ('0f1e2d3c', zeroblob(33), 1);
INSERT INTO sort_orders VALUES ('by date', 'date ASC', 'date DESC'), ('by name', 'name', 'name DESC');
