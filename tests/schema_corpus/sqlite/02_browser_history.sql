-- A web browser's history and bookmarks store (places-like).
-- patterns: WITHOUT ROWID with a composite PRIMARY KEY; REFERENCES without a column list
--   (the parent's primary key); a partial index (WHERE frecency <> 0) and a partial unique
--   index; expression indexes (substr(), a hash column DESC); a column named type,
--   position, title, keyword; triggers keeping a counter and an origin table in step
--   (AFTER INSERT / AFTER DELETE); views on views; INTEGER PRIMARY KEY rowid aliases.
CREATE TABLE origins (
  id INTEGER PRIMARY KEY,
  prefix TEXT NOT NULL,
  host TEXT NOT NULL,
  frecency INTEGER NOT NULL DEFAULT 0,
  UNIQUE (prefix, host)
);

CREATE TABLE places (
  id INTEGER PRIMARY KEY,
  url TEXT NOT NULL,
  title TEXT,
  rev_host TEXT,
  visit_count INTEGER DEFAULT 0,
  hidden INTEGER DEFAULT 0 NOT NULL,
  typed INTEGER DEFAULT 0 NOT NULL,
  frecency INTEGER DEFAULT -1 NOT NULL,
  last_visit_date INTEGER,
  guid TEXT,
  url_hash INTEGER DEFAULT 0 NOT NULL,
  origin_id INTEGER REFERENCES origins,
  description TEXT
);

CREATE TABLE visits (
  id INTEGER PRIMARY KEY,
  from_visit INTEGER,
  place_id INTEGER NOT NULL REFERENCES places ON DELETE CASCADE,
  visit_date INTEGER NOT NULL,
  type INTEGER NOT NULL CHECK (type BETWEEN 1 AND 9),
  session INTEGER
);

CREATE TABLE bookmarks (
  id INTEGER PRIMARY KEY,
  type INTEGER NOT NULL,
  fk INTEGER DEFAULT NULL REFERENCES places (id),
  parent INTEGER REFERENCES bookmarks (id),
  position INTEGER NOT NULL,
  title TEXT,
  keyword_id INTEGER,
  dateAdded INTEGER,
  lastModified INTEGER,
  guid TEXT NOT NULL,
  syncStatus INTEGER NOT NULL DEFAULT 0,
  CHECK (type IN (1, 2, 3)),
  CHECK ((type = 1) = (fk IS NOT NULL))
);

CREATE TABLE input_history (
  place_id INTEGER NOT NULL,
  input TEXT NOT NULL,
  use_count INTEGER,
  PRIMARY KEY (place_id, input),
  FOREIGN KEY (place_id) REFERENCES places ON DELETE CASCADE
) WITHOUT ROWID;

CREATE TABLE keywords (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  keyword TEXT UNIQUE,
  place_id INTEGER,
  post_data TEXT
);

CREATE INDEX places_url_hash ON places (url_hash);
CREATE INDEX places_hostindex ON places (rev_host);
CREATE INDEX places_frecency ON places (frecency DESC) WHERE frecency <> 0;
CREATE UNIQUE INDEX places_guid ON places (guid) WHERE guid IS NOT NULL;
CREATE INDEX places_last_visit ON places (last_visit_date);
CREATE INDEX places_short_host ON places (substr(rev_host, 1, 8), frecency);
CREATE INDEX visits_place_date ON visits (place_id, visit_date);
CREATE INDEX visits_from ON visits (from_visit) WHERE from_visit IS NOT NULL;
CREATE INDEX bookmarks_parent ON bookmarks (parent, position);
CREATE UNIQUE INDEX bookmarks_guid ON bookmarks (guid);

CREATE TRIGGER visits_after_insert AFTER INSERT ON visits
BEGIN
  UPDATE places SET visit_count = visit_count + (new.type NOT IN (4, 7, 8)),
                    last_visit_date = max(coalesce(last_visit_date, 0), new.visit_date)
  WHERE id = new.place_id;
END;

CREATE TRIGGER visits_after_delete AFTER DELETE ON visits
BEGIN
  UPDATE places SET visit_count = visit_count - (old.type NOT IN (4, 7, 8)) WHERE id = old.place_id;
END;

CREATE VIEW visible_places AS
  SELECT id, url, title, frecency, last_visit_date FROM places WHERE hidden = 0;
CREATE VIEW top_sites AS
  SELECT v.url, v.title, o.host
  FROM visible_places v LEFT JOIN places p ON p.id = v.id LEFT JOIN origins o ON o.id = p.origin_id
  WHERE v.frecency > 0 ORDER BY v.frecency DESC LIMIT 12;
CREATE VIEW top_hosts AS
  SELECT host, count(*) AS pages FROM top_sites GROUP BY host;

INSERT INTO origins (id, prefix, host, frecency) VALUES (1, 'https://', 'example.org', 200), (2, 'http://', 'bücher.example', 5);
INSERT INTO places (id, url, title, rev_host, frecency, guid, url_hash, origin_id) VALUES
  (1, 'https://example.org/', 'Example — home', 'gro.elpmaxe.', 150, 'AAAAAAAAAAAA', 47358, 1),
  (2, 'http://bücher.example/?q=''x''', NULL, 'elpmaxe.rehcüb.', 0, NULL, 12, 2),
  (3, 'https://example.org/a"b', 'Quote "test"', 'gro.elpmaxe.', 90, 'BBBBBBBBBBBB', 99, 1);
INSERT INTO visits (place_id, visit_date, type) VALUES (1, 1700000000, 1), (1, 1700000500, 2), (3, 1700001000, 4);
INSERT INTO visits (from_visit, place_id, visit_date, type) VALUES (1, 2, 1700002000, 5);
DELETE FROM visits WHERE type = 5;
INSERT INTO bookmarks (id, type, fk, parent, position, title, guid) VALUES
  (1, 2, NULL, NULL, 0, 'root', 'root________'),
  (2, 1, 1, 1, 0, 'Example', 'bm1_________'),
  (3, 3, NULL, 1, 1, NULL, 'sep_________');
INSERT INTO input_history VALUES (1, 'exa', 3), (3, 'quo', NULL);
INSERT INTO keywords (keyword, place_id, post_data) VALUES ('ex', 1, NULL), ('ç', 3, 'q=%s');
