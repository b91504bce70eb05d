-- A spaced-repetition flashcard collection (anki-like).
-- patterns: an upper-case KEY column as the PRIMARY KEY of a WITHOUT ROWID config table;
--   left, type, mod, ord, queue, due as column names; a partial index WHERE odid != 0;
--   composite PRIMARY KEY tables WITHOUT ROWID with a unique index across them;
--   generated columns (VIRTUAL and STORED) and an index on one; an expression index on
--   lower(); CHECK with json_valid(); a BEFORE DELETE trigger raising ABORT; views on views.
CREATE TABLE col (
  id INTEGER PRIMARY KEY,
  crt INTEGER NOT NULL,
  mod INTEGER NOT NULL,
  ver INTEGER NOT NULL,
  tags TEXT NOT NULL
);

CREATE TABLE config (
  KEY TEXT NOT NULL PRIMARY KEY,
  usn INTEGER NOT NULL,
  mtime_secs INTEGER NOT NULL,
  val BLOB NOT NULL
) WITHOUT ROWID;

CREATE TABLE notetypes (
  id INTEGER NOT NULL PRIMARY KEY,
  name TEXT NOT NULL COLLATE NOCASE,
  mtime_secs INTEGER NOT NULL,
  config TEXT NOT NULL CHECK (json_valid(config))
);

CREATE TABLE fields (
  ntid INTEGER NOT NULL,
  ord INTEGER NOT NULL,
  name TEXT NOT NULL COLLATE NOCASE,
  config BLOB NOT NULL,
  PRIMARY KEY (ntid, ord)
) WITHOUT ROWID;

CREATE TABLE notes (
  id INTEGER PRIMARY KEY,
  guid TEXT NOT NULL,
  mid INTEGER NOT NULL,
  mod INTEGER NOT NULL,
  tags TEXT NOT NULL,
  flds TEXT NOT NULL,
  sfld INTEGER NOT NULL,
  csum INTEGER NOT NULL,
  first_field TEXT GENERATED ALWAYS AS (substr(flds, 1, instr(flds || char(31), char(31)) - 1)) VIRTUAL,
  tag_count INTEGER AS (length(tags) - length(replace(tags, ' ', '')) + (tags <> '')) STORED
);

CREATE TABLE cards (
  id INTEGER PRIMARY KEY,
  nid INTEGER NOT NULL,
  did INTEGER NOT NULL,
  ord INTEGER NOT NULL,
  mod INTEGER NOT NULL,
  type INTEGER NOT NULL,
  queue INTEGER NOT NULL,
  due INTEGER NOT NULL,
  ivl INTEGER NOT NULL,
  factor INTEGER NOT NULL,
  reps INTEGER NOT NULL,
  lapses INTEGER NOT NULL,
  left INTEGER NOT NULL,
  odue INTEGER NOT NULL,
  odid INTEGER NOT NULL,
  flags INTEGER NOT NULL,
  data TEXT NOT NULL
);

CREATE TABLE revlog (
  id INTEGER PRIMARY KEY,
  cid INTEGER NOT NULL,
  ease INTEGER NOT NULL,
  ivl INTEGER NOT NULL,
  lastIvl INTEGER NOT NULL,
  time INTEGER NOT NULL,
  type INTEGER NOT NULL
);

CREATE UNIQUE INDEX idx_fields_name_ntid ON fields (name, ntid);
CREATE UNIQUE INDEX idx_notetypes_name ON notetypes (name);
CREATE INDEX ix_notes_csum ON notes (csum);
CREATE INDEX ix_notes_first_field ON notes (first_field);
CREATE INDEX ix_notes_guid_lower ON notes (lower(guid));
CREATE INDEX ix_cards_nid ON cards (nid);
CREATE INDEX ix_cards_sched ON cards (did, queue, due);
CREATE INDEX idx_cards_odid ON cards (odid) WHERE odid != 0;
CREATE INDEX ix_revlog_cid ON revlog (cid);

CREATE TRIGGER notetypes_in_use BEFORE DELETE ON notetypes
WHEN EXISTS (SELECT 1 FROM notes WHERE mid = old.id)
BEGIN
  SELECT RAISE(ABORT, 'notetype in use');
END;

CREATE VIEW due_cards AS
  SELECT c.id, c.nid, c.did, c.due, c.queue FROM cards c WHERE c.queue IN (1, 2, 3);
CREATE VIEW due_notes AS
  SELECT n.id, n.first_field, count(d.id) AS due FROM notes n JOIN due_cards d ON d.nid = n.id GROUP BY n.id;

INSERT INTO col VALUES (1, 1600000000, 1700000000, 18, '');
INSERT INTO config VALUES ('activeDecks', 0, 1700000000, '[1]'), ('curModel', 0, 1700000000, x'31');
INSERT INTO notetypes VALUES (1, 'Basic', 1700000000, '{"css": ".card { color: \"red\" }"}'), (2, 'Clozé', 1700000000, '{}');
INSERT INTO fields VALUES (1, 0, 'Front', x''), (1, 1, 'Back', x''), (2, 0, 'Text', x'00');
INSERT INTO notes (id, guid, mid, mod, tags, flds, sfld, csum) VALUES
  (10, 'AbC1', 1, 1700000000, 'geo capitals', 'Paris' || char(31) || 'France', 0, 123),
  (11, 'dEf2', 1, 1700000001, '', '東京' || char(31) || '日本', 0, 456),
  (12, 'gh''3', 2, 1700000002, 'x', '{{c1::it''s}}', 0, 789);
INSERT INTO cards VALUES
  (100, 10, 1, 0, 1700000000, 2, 2, 20, 3, 2500, 4, 0, 0, 0, 0, 0, ''),
  (101, 11, 1, 0, 1700000000, 0, 0, 1, 0, 0, 0, 0, 0, 0, 7, 0, '{}'),
  (102, 12, 2, 0, 1700000000, 1, 1, 5, 0, 2500, 1, 1, 1001, 0, 0, 0, '');
INSERT INTO revlog VALUES (1700000000000, 100, 3, 3, 1, 5000, 1), (1700000001000, 102, 1, -600, 0, 12000, 0);
