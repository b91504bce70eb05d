-- A photo library indexer (cameras, albums, faces, places).
-- patterns: DB-Browser-style quoting with tabs ("id" INTEGER NOT NULL UNIQUE,
--   PRIMARY KEY("id" AUTOINCREMENT)); lower-case keywords (create table if not exists);
--   defaults as expressions (datetime('now'), CURRENT_TIMESTAMP, negative numbers, blobs,
--   TRUE/FALSE); REAL columns with range CHECKs; expression indexes on lower(), round()
--   and arithmetic; an index with DESC and COLLATE NOCASE; table constraints in the order
--   UNIQUE, PRIMARY KEY, FOREIGN KEY, CHECK; an AFTER DELETE trigger; a three-level view stack.
create table if not exists "cameras" (
	"id"	INTEGER NOT NULL UNIQUE,
	"camera_slug"	VARCHAR(160),
	"camera_make"	VARCHAR(160),
	"camera_model"	VARCHAR(160),
	"camera_type"	VARCHAR(100) DEFAULT 'unknown',
	"created_at"	DATETIME DEFAULT CURRENT_TIMESTAMP,
	PRIMARY KEY("id" AUTOINCREMENT)
);

create table if not exists "photos" (
	"id"	INTEGER NOT NULL UNIQUE,
	"uid"	VARBINARY(42) NOT NULL,
	"taken_at"	DATETIME,
	"taken_src"	VARCHAR(8) DEFAULT 'meta',
	"title"	VARCHAR(200),
	"lat"	FLOAT DEFAULT 0.0,
	"lng"	FLOAT DEFAULT 0.0,
	"altitude"	INTEGER DEFAULT -1,
	"iso"	INTEGER,
	"f_number"	REAL,
	"camera_id"	INTEGER DEFAULT 1,
	"private"	BOOLEAN NOT NULL DEFAULT FALSE,
	"favorite"	BOOLEAN NOT NULL DEFAULT TRUE,
	"thumb"	BLOB DEFAULT x'',
	"deleted_at"	DATETIME,
	UNIQUE("uid"),
	PRIMARY KEY("id" AUTOINCREMENT),
	FOREIGN KEY("camera_id") REFERENCES "cameras"("id") ON DELETE SET DEFAULT,
	CHECK("lat" BETWEEN -90 AND 90 AND "lng" BETWEEN -180 AND 180)
);

create table if not exists "albums" (
	"id"	INTEGER PRIMARY KEY,
	"album_uid"	TEXT NOT NULL UNIQUE,
	"album_slug"	TEXT,
	"album_type"	TEXT DEFAULT 'album' CHECK("album_type" IN ('album', 'folder', 'moment', 'month', 'state')),
	"album_title"	TEXT COLLATE NOCASE,
	"album_order"	TEXT DEFAULT 'oldest',
	"updated_at"	TEXT DEFAULT (datetime('now', 'localtime'))
);

create table if not exists "photos_albums" (
	"photo_uid"	VARBINARY(42) NOT NULL,
	"album_uid"	TEXT NOT NULL,
	"order"	INTEGER,
	"hidden"	BOOLEAN DEFAULT 0,
	PRIMARY KEY("photo_uid","album_uid"),
	FOREIGN KEY("album_uid") REFERENCES "albums"("album_uid") ON DELETE CASCADE,
	FOREIGN KEY("photo_uid") REFERENCES "photos"("uid") ON DELETE CASCADE
);

create table if not exists "faces" (
	"id"	VARBINARY(64) NOT NULL,
	"face_src"	VARCHAR(8),
	"subj_uid"	VARBINARY(42) DEFAULT '',
	"samples"	INTEGER DEFAULT 0,
	"embedding"	BLOB,
	"radius"	REAL CHECK("radius" >= 0.0),
	PRIMARY KEY("id")
) WITHOUT ROWID;

create table if not exists "places" (
	"id"	VARBINARY(42) PRIMARY KEY,
	"place_label"	VARCHAR(400),
	"place_city"	VARCHAR(100),
	"place_country"	VARBINARY(2) DEFAULT 'zz',
	"photo_count"	INTEGER DEFAULT 1
);

CREATE INDEX "idx_photos_taken_uid" ON "photos" ("taken_at" DESC, "uid");
CREATE INDEX "idx_photos_cell" ON "photos" (round("lat", 2), round("lng", 2)) WHERE "deleted_at" IS NULL;
CREATE INDEX "idx_photos_bright" ON "photos" ("iso" * "f_number");
CREATE INDEX "idx_albums_title" ON "albums" (lower("album_title"));
CREATE INDEX "idx_albums_slug_type" ON "albums" ("album_slug" COLLATE NOCASE DESC, "album_type");
CREATE UNIQUE INDEX "idx_cameras_slug" ON "cameras" ("camera_slug");

CREATE TRIGGER "photos_cleanup" AFTER DELETE ON "photos"
FOR EACH ROW
BEGIN
	DELETE FROM "photos_albums" WHERE "photo_uid" = OLD."uid";
END;

CREATE VIEW "photos_visible" AS SELECT * FROM "photos" WHERE "deleted_at" IS NULL AND NOT "private";
CREATE VIEW "photos_by_camera" AS
	SELECT c."camera_make", c."camera_model", count(*) AS "n"
	FROM "photos_visible" p JOIN "cameras" c ON c."id" = p."camera_id" GROUP BY 1, 2;
CREATE VIEW "top_cameras" AS SELECT * FROM "photos_by_camera" WHERE "n" > 0 ORDER BY "n" DESC;

INSERT INTO "cameras" ("id", "camera_slug", "camera_make", "camera_model", "created_at") VALUES
	(1, 'zz', 'Unknown', '', '2024-01-01 00:00:00'),
	(2, 'canon-eos-5d', 'Canon', 'EOS 5D', '2024-01-01 00:00:00');
INSERT INTO "photos" ("uid", "taken_at", "title", "lat", "lng", "iso", "f_number", "camera_id", "private", "thumb") VALUES
	('pq1', '2023-07-14 12:00:00', 'Plage «Nice»', 43.69, 7.26, 100, 8.0, 2, 0, x'ffd8ff'),
	('pq2', '2023-08-01 08:15:00', NULL, 0, 0, NULL, NULL, 1, 1, NULL),
	('pq3', NULL, 'Ōsaka "night"', 34.69, 135.5, 3200, 1.8, 2, 0, x'');
INSERT INTO "albums" ("album_uid", "album_slug", "album_type", "album_title", "updated_at") VALUES
	('aq1', 'summer', 'album', 'Summer ''23', '2024-01-01 00:00:00'),
	('aq2', NULL, 'moment', NULL, '2024-01-01 00:00:00');
INSERT INTO "photos_albums" VALUES ('pq1', 'aq1', 1, 0), ('pq3', 'aq1', 2, 0), ('pq2', 'aq2', NULL, 1);
INSERT INTO "faces" VALUES ('f1', 'image', 'js1', 3, x'0102', 0.42), ('f2', NULL, '', 0, NULL, NULL);
INSERT INTO "places" VALUES ('de:berlin', 'Berlin, Deutschland', 'Berlin', 'de', 12), ('zz', 'Unknown', NULL, 'zz', 0);
DELETE FROM "photos" WHERE "uid" = 'pq2';
