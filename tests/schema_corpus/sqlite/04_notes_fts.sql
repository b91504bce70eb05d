-- A personal notes / knowledge-base application with full-text search.
-- patterns: FTS5 virtual tables (external content with content_rowid, a contentless one,
--   tokenize options with quotes, UNINDEXED columns) and their shadow tables; AFTER
--   INSERT / UPDATE / DELETE triggers keeping the index in step (the 'delete' command);
--   "order", "group", "references" as quoted column names; bracket- and backquote-quoted
--   identifiers; a self-referencing FOREIGN KEY DEFERRABLE INITIALLY DEFERRED; a
--   table constraint list in the order CHECK, FOREIGN KEY, UNIQUE; a view on a view.
PRAGMA foreign_keys = ON;

CREATE TABLE notes (
  note_id TEXT NOT NULL PRIMARY KEY,
  title TEXT NOT NULL DEFAULT 'untitled',
  type TEXT NOT NULL DEFAULT 'text',
  mime TEXT NOT NULL DEFAULT 'text/html',
  is_protected INT NOT NULL DEFAULT 0,
  is_deleted INT NOT NULL DEFAULT 0,
  content TEXT,
  date_created TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP,
  date_modified TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP
);

CREATE TABLE branches (
  branch_id TEXT NOT NULL,
  note_id TEXT NOT NULL,
  parent_note_id TEXT NOT NULL,
  "order" INTEGER NOT NULL,
  prefix TEXT,
  is_expanded INTEGER NOT NULL DEFAULT 0,
  CHECK ("order" >= 0),
  FOREIGN KEY (parent_note_id) REFERENCES notes (note_id) DEFERRABLE INITIALLY DEFERRED,
  FOREIGN KEY (note_id) REFERENCES notes (note_id) ON DELETE CASCADE,
  UNIQUE (parent_note_id, note_id),
  PRIMARY KEY (branch_id)
);

CREATE TABLE [attributes] (
  [attribute_id] TEXT NOT NULL PRIMARY KEY,
  [note_id] TEXT NOT NULL REFERENCES notes (note_id) ON DELETE CASCADE,
  [type] TEXT NOT NULL CHECK ([type] IN ('label', 'relation')),
  [name] TEXT NOT NULL,
  [value] TEXT DEFAULT '' NOT NULL,
  `position` INT DEFAULT 0 NOT NULL,
  "group" TEXT,
  "references" TEXT
);

CREATE TABLE revisions (
  revision_id INTEGER PRIMARY KEY AUTOINCREMENT,
  note_id TEXT NOT NULL,
  title TEXT NOT NULL,
  content TEXT,
  utc_date_created TEXT NOT NULL,
  FOREIGN KEY (note_id) REFERENCES notes (note_id) ON DELETE CASCADE ON UPDATE CASCADE
);

CREATE VIRTUAL TABLE notes_fts USING fts5(
  title,
  content,
  note_id UNINDEXED,
  content = 'notes',
  content_rowid = 'rowid',
  tokenize = "porter unicode61 remove_diacritics 2"
);

CREATE VIRTUAL TABLE attribute_words USING fts5(name, value, content = '', tokenize = 'trigram');

CREATE INDEX attributes_name_value ON [attributes] (name, value);
CREATE INDEX `attributes_note` ON `attributes` (`note_id`, "position");
CREATE INDEX branches_parent_order ON branches (parent_note_id, "order");
CREATE INDEX notes_live_modified ON notes (date_modified DESC) WHERE is_deleted = 0;

CREATE TRIGGER notes_ai AFTER INSERT ON notes BEGIN
  INSERT INTO notes_fts (rowid, title, content, note_id) VALUES (new.rowid, new.title, new.content, new.note_id);
END;
CREATE TRIGGER notes_ad AFTER DELETE ON notes BEGIN
  INSERT INTO notes_fts (notes_fts, rowid, title, content, note_id)
  VALUES ('delete', old.rowid, old.title, old.content, old.note_id);
END;
CREATE TRIGGER notes_au AFTER UPDATE ON notes BEGIN
  INSERT INTO notes_fts (notes_fts, rowid, title, content, note_id)
  VALUES ('delete', old.rowid, old.title, old.content, old.note_id);
  INSERT INTO notes_fts (rowid, title, content, note_id) VALUES (new.rowid, new.title, new.content, new.note_id);
END;
CREATE TRIGGER "attributes ai" AFTER INSERT ON [attributes] BEGIN
  INSERT INTO attribute_words (rowid, name, value) VALUES (new.rowid, new.name, new.value);
END;

CREATE VIEW live_notes AS SELECT * FROM notes WHERE is_deleted = 0;
CREATE VIEW note_tree AS
  SELECT b.parent_note_id, b."order", n.note_id, n.title
  FROM branches b JOIN live_notes n ON n.note_id = b.note_id;

INSERT INTO notes (note_id, title, content, date_created, date_modified) VALUES
  ('root', 'root', NULL, '2024-01-01 00:00:00', '2024-01-01 00:00:00'),
  ('n1', 'Über Straße', '<p>Grüße aus "Köln" & it''s fine</p>', '2024-01-02 10:00:00', '2024-01-02 10:00:00'),
  ('n2', 'Recipes 🍜', 'ramen, soba; udon', '2024-01-03 09:30:00', '2024-01-04 09:30:00');
UPDATE notes SET content = 'ramen, soba, udon' WHERE note_id = 'n2';
INSERT INTO branches VALUES ('b1', 'n1', 'root', 0, NULL, 1), ('b2', 'n2', 'root', 10, 'food', 0);
INSERT INTO [attributes] VALUES ('a1', 'n1', 'label', 'lang', 'de', 0, NULL, NULL),
  ('a2', 'n2', 'relation', 'template', 'n1', 1, 'food', 'n1');
INSERT INTO revisions (note_id, title, content, utc_date_created) VALUES ('n2', 'Recipes', NULL, '2024-01-03 09:30:00Z');
