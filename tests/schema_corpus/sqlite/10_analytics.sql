-- A privacy-friendly web analytics store (sites, sessions, page views, goals).
-- patterns: INSTEAD OF triggers on a view (an updatable API view); views on views on
--   views; STRICT WITHOUT ROWID rollup tables with an ANY column; generated columns
--   used in a CHECK and a partial index; an expression index with a CASE; a partial index
--   with OR and IS NOT; a BEFORE UPDATE trigger with FOR EACH ROW; group, value, key,
--   date, day as column names; a table without any index or key.
CREATE TABLE sites (
  id INTEGER PRIMARY KEY,
  domain TEXT NOT NULL UNIQUE COLLATE NOCASE,
  timezone TEXT NOT NULL DEFAULT 'Etc/UTC',
  public INTEGER NOT NULL DEFAULT 0,
  created TEXT NOT NULL
);

CREATE TABLE pageviews (
  id INTEGER PRIMARY KEY,
  site_id INTEGER NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
  session TEXT NOT NULL,
  ts INTEGER NOT NULL,
  path TEXT NOT NULL,
  referrer TEXT,
  duration_ms INTEGER,
  day TEXT GENERATED ALWAYS AS (date(ts, 'unixepoch')) VIRTUAL,
  is_bounce INTEGER GENERATED ALWAYS AS (coalesce(duration_ms, 0) < 1000) STORED,
  CHECK (day >= '2000-01-01')
);

CREATE TABLE goals (
  id INTEGER PRIMARY KEY,
  site_id INTEGER NOT NULL REFERENCES sites (id),
  "group" TEXT,
  key TEXT NOT NULL,
  value REAL,
  UNIQUE (site_id, key)
);

CREATE TABLE daily_stats (
  site_id INTEGER NOT NULL,
  date TEXT NOT NULL,
  metric TEXT NOT NULL,
  value ANY,
  PRIMARY KEY (site_id, date, metric)
) STRICT, WITHOUT ROWID;

CREATE TABLE raw_log (line TEXT, received_at INTEGER);

CREATE INDEX pageviews_site_day ON pageviews (site_id, day);
CREATE INDEX pageviews_bounced ON pageviews (site_id, ts) WHERE is_bounce;
CREATE INDEX pageviews_external ON pageviews (referrer) WHERE referrer IS NOT NULL OR referrer IS NOT '';
CREATE INDEX pageviews_channel ON pageviews (
  CASE WHEN referrer IS NULL THEN 'direct' WHEN referrer LIKE '%google.%' THEN 'search' ELSE 'referral' END
);

CREATE VIEW visits AS
  SELECT site_id, session, min(ts) AS started, max(ts) AS ended, count(*) AS views FROM pageviews GROUP BY site_id, session;
CREATE VIEW visits_by_day AS
  SELECT site_id, date(started, 'unixepoch') AS day, count(*) AS visits, sum(views) AS views FROM visits GROUP BY 1, 2;
CREATE VIEW site_summary AS
  SELECT s.domain, v.day, v.visits, v.views FROM sites s JOIN visits_by_day v ON v.site_id = s.id;

CREATE VIEW goal_api AS SELECT g.id, s.domain, g.key, g.value FROM goals g JOIN sites s ON s.id = g.site_id;

CREATE TRIGGER goal_api_insert INSTEAD OF INSERT ON goal_api
BEGIN
  INSERT INTO goals (site_id, key, value) SELECT id, new.key, new.value FROM sites WHERE domain = new.domain;
END;
CREATE TRIGGER goal_api_delete INSTEAD OF DELETE ON goal_api
BEGIN
  DELETE FROM goals WHERE id = old.id;
END;
CREATE TRIGGER sites_domain_lower BEFORE UPDATE OF domain ON sites FOR EACH ROW
WHEN new.domain <> lower(new.domain)
BEGIN
  SELECT RAISE(ABORT, 'domain must be lower case');
END;

INSERT INTO sites (id, domain, created) VALUES (1, 'example.org', '2024-01-01'), (2, 'straße.example', '2024-01-02');
INSERT INTO pageviews (site_id, session, ts, path, referrer, duration_ms) VALUES
  (1, 's1', 1700000000, '/', NULL, 500),
  (1, 's1', 1700000030, '/about?x=''1''', 'https://www.google.com/', 45000),
  (2, 's2', 1700086400, '/ünï', 'https://news.example/"a"', NULL);
INSERT INTO goal_api (domain, key, value) VALUES ('example.org', 'signup', 1.5), ('example.org', 'download', NULL);
INSERT INTO goals (site_id, "group", key, value) VALUES (2, 'promo', 'newsletter', 0);
INSERT INTO daily_stats VALUES (1, '2023-11-14', 'visits', 1), (1, '2023-11-14', 'bounce_rate', 0.5), (2, '2023-11-15', 'top_page', '/ünï'), (2, '2023-11-15', 'note', NULL);
INSERT INTO raw_log VALUES ('GET / 200', 1700000000), (NULL, NULL);
