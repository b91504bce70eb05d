-- A team chat server (teams, channels, posts, reactions, preferences).
-- patterns: varchar(26) ids and bigint epoch-millisecond timestamps; keywords as names
--   (type, key, value, name, header, category, action; a table named "references" with a
--   "user" column); covering indexes with INCLUDE; a unique constraint and a unique index
--   NULLS NOT DISTINCT; multi-column partial indexes with IN lists and IS NOT NULL; a
--   standalone sequence OWNED BY a column and used as a default; serial; an enum with a
--   label added later (ALTER TYPE ... ADD VALUE ... BEFORE); SQL-language and
--   plpgsql functions with defaults and OUT parameters; a procedure; a view on a view.
CREATE TYPE channel_type AS ENUM ('O', 'P', 'D', 'G');
ALTER TYPE channel_type ADD VALUE 'T' BEFORE 'D';

CREATE TABLE teams (
  id varchar(26) PRIMARY KEY,
  createat bigint,
  updateat bigint,
  deleteat bigint,
  displayname varchar(64),
  name varchar(64) UNIQUE,
  description varchar(255),
  email varchar(128),
  type varchar(255),
  allowopeninvite boolean,
  groupconstrained boolean
);

CREATE TABLE channels (
  id varchar(26) PRIMARY KEY,
  createat bigint,
  deleteat bigint,
  teamid varchar(26),
  type channel_type,
  displayname varchar(64),
  name varchar(64),
  header varchar(1024),
  purpose varchar(250),
  lastpostat bigint,
  totalmsgcount bigint,
  creatorid varchar(26),
  shared boolean,
  UNIQUE (name, teamid)
);
CREATE INDEX idx_channels_team_id_type ON channels (teamid, type);
CREATE INDEX idx_channels_team_id_display_name ON channels (teamid, displayname) INCLUDE (id, type);
CREATE INDEX idx_channels_displayname_lower ON channels (lower(displayname));
CREATE INDEX idx_channels_open ON channels (teamid, lastpostat DESC) WHERE deleteat = 0 AND type IN ('O', 'P');

CREATE TABLE posts (
  id varchar(26) PRIMARY KEY,
  createat bigint,
  updateat bigint,
  deleteat bigint,
  userid varchar(26),
  channelid varchar(26),
  rootid varchar(26),
  message varchar(65535),
  type varchar(26),
  props jsonb,
  hashtags varchar(1000),
  fileids varchar(300),
  ispinned boolean,
  remoteid varchar(26)
);
CREATE INDEX idx_posts_channel_id_update_at ON posts (channelid, updateat);
CREATE INDEX idx_posts_root_id_delete_at ON posts (rootid, deleteat) WHERE rootid IS NOT NULL AND rootid <> '';
CREATE INDEX idx_posts_message_txt ON posts USING gin (to_tsvector('english', message));
CREATE INDEX idx_posts_is_pinned ON posts (ispinned) INCLUDE (channelid) WHERE ispinned;

CREATE TABLE reactions (
  userid varchar(26) NOT NULL,
  postid varchar(26) NOT NULL,
  emojiname varchar(64) NOT NULL,
  createat bigint,
  channelid varchar(26) NOT NULL DEFAULT '',
  PRIMARY KEY (postid, userid, emojiname)
);

CREATE TABLE preferences (
  userid varchar(26) NOT NULL,
  category varchar(32) NOT NULL,
  name varchar(32) NOT NULL,
  value text,
  PRIMARY KEY (userid, category, name)
);

CREATE TABLE systems (
  name varchar(64) PRIMARY KEY,
  value varchar(1024)
);

CREATE SEQUENCE audit_seq;
CREATE TABLE audits (
  id bigint NOT NULL DEFAULT nextval('audit_seq'),
  createat bigint,
  userid varchar(26),
  action varchar(512),
  extrainfo varchar(1024),
  ipaddress inet,
  sessionid varchar(26),
  CONSTRAINT audits_pkey PRIMARY KEY (id)
);
ALTER SEQUENCE audit_seq OWNED BY audits.id;
CREATE INDEX idx_audits_user_id ON audits (userid);

CREATE TABLE "references" (
  id serial PRIMARY KEY,
  "user" varchar(26),
  key varchar(64),
  kind varchar(16),
  CONSTRAINT references_user_key UNIQUE NULLS NOT DISTINCT ("user", key)
);
CREATE UNIQUE INDEX references_kind_key ON "references" (kind, key) NULLS NOT DISTINCT;

CREATE FUNCTION channel_member_count(channel varchar, OUT total bigint, include_deleted boolean DEFAULT false)
LANGUAGE sql STABLE AS $$
  SELECT count(*) FROM posts WHERE channelid = channel AND (include_deleted OR deleteat = 0)
$$;

CREATE FUNCTION set_system_value(k varchar, v varchar) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO systems (name, value) VALUES (k, v) ON CONFLICT (name) DO UPDATE SET value = EXCLUDED.value;
END;
$$;

CREATE PROCEDURE purge_deleted_posts(older_than bigint) LANGUAGE sql AS $$
  DELETE FROM posts WHERE deleteat > 0 AND deleteat < older_than;
$$;

CREATE VIEW live_posts AS SELECT id, channelid, userid, message, createat FROM posts WHERE deleteat = 0;
CREATE VIEW channel_activity AS
  SELECT c.name, count(p.id) AS posts, max(p.createat) AS last_post
  FROM channels c LEFT JOIN live_posts p ON p.channelid = c.id GROUP BY c.name;

INSERT INTO teams VALUES ('t0000000000000000000000001', 1700000000000, 1700000000000, 0, 'Engineering', 'eng', 'Bau & Betrieb «Ops»', 'eng@example.org', 'O', true, NULL);
INSERT INTO channels VALUES
  ('c0000000000000000000000001', 1700000000000, 0, 't0000000000000000000000001', 'O', 'Town Square', 'town-square', '', 'Everyone', 1700000500000, 2, 'u1', false),
  ('c0000000000000000000000002', 1700000000000, 0, 't0000000000000000000000001', 'T', 'Off-Topic', 'off-topic', NULL, 'it''s "random"', NULL, 0, NULL, NULL);
INSERT INTO posts VALUES
  ('p0000000000000000000000001', 1700000100000, 1700000100000, 0, 'u1', 'c0000000000000000000000001', '', 'Hello team 👋', '', '{"from_bot": "true"}', '', '[]', false, NULL),
  ('p0000000000000000000000002', 1700000500000, 1700000500000, 0, 'u2', 'c0000000000000000000000001', 'p0000000000000000000000001', 'Grüße aus Zürich', NULL, NULL, '#hallo', NULL, true, NULL);
INSERT INTO reactions VALUES ('u2', 'p0000000000000000000000001', '+1', 1700000200000, 'c0000000000000000000000001');
INSERT INTO preferences VALUES ('u1', 'display_settings', 'use_military_time', 'true'), ('u2', 'theme', '', '{"sidebarBg": "#145dbf"}');
SELECT set_system_value('Version', '9.5.0');
INSERT INTO audits (createat, userid, action, extrainfo, ipaddress) VALUES (1700000000000, 'u1', '/api/v4/users/login', 'success', '192.0.2.10'), (1700000001000, NULL, 'attempt', NULL, NULL);
INSERT INTO "references" ("user", key, kind) VALUES ('u1', 'k1', 'x'), (NULL, NULL, 'y');
