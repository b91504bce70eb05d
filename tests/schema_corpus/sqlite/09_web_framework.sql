-- The tables a web framework's migrations generate (Django-style and Rails-style DDL).
-- patterns: "id" integer NOT NULL PRIMARY KEY AUTOINCREMENT; every FOREIGN KEY
--   DEFERRABLE INITIALLY DEFERRED (Django) next to plain ones (Rails); varchar(n),
--   datetime(6), bool, decimal(10, 2) declared types; hashed index names; a unique
--   index over several columns with one DESC; CHECK ("x" >= 0) on unsigned fields;
--   schema_migrations / ar_internal_metadata with key and value columns; a composite
--   UNIQUE before a CHECK; quoted names everywhere; a view on a view.
PRAGMA foreign_keys = ON;

CREATE TABLE "django_content_type" ("id" integer NOT NULL PRIMARY KEY AUTOINCREMENT, "app_label" varchar(100) NOT NULL, "model" varchar(100) NOT NULL);
CREATE UNIQUE INDEX "django_content_type_app_label_model_76bd3d3b_uniq" ON "django_content_type" ("app_label", "model");

CREATE TABLE "auth_user" ("id" integer NOT NULL PRIMARY KEY AUTOINCREMENT, "password" varchar(128) NOT NULL, "last_login" datetime NULL, "is_superuser" bool NOT NULL, "username" varchar(150) NOT NULL UNIQUE, "last_name" varchar(150) NOT NULL, "email" varchar(254) NOT NULL, "is_staff" bool NOT NULL, "is_active" bool NOT NULL, "date_joined" datetime NOT NULL, "first_name" varchar(150) NOT NULL);

CREATE TABLE "auth_permission" ("id" integer NOT NULL PRIMARY KEY AUTOINCREMENT, "content_type_id" integer NOT NULL REFERENCES "django_content_type" ("id") DEFERRABLE INITIALLY DEFERRED, "codename" varchar(100) NOT NULL, "name" varchar(255) NOT NULL);
CREATE UNIQUE INDEX "auth_permission_content_type_id_codename_01ab375a_uniq" ON "auth_permission" ("content_type_id", "codename");
CREATE INDEX "auth_permission_content_type_id_2f476e4b" ON "auth_permission" ("content_type_id");

CREATE TABLE "shop_product" ("id" integer NOT NULL PRIMARY KEY AUTOINCREMENT, "sku" varchar(32) NOT NULL UNIQUE, "name" varchar(200) NOT NULL, "price" decimal(10, 2) NOT NULL, "stock" integer unsigned NOT NULL CHECK ("stock" >= 0), "position" smallint unsigned NULL CHECK ("position" >= 0), "data" text NOT NULL CHECK ((JSON_VALID("data") OR "data" IS NULL)), "created_by_id" integer NULL REFERENCES "auth_user" ("id") DEFERRABLE INITIALLY DEFERRED);
CREATE INDEX "shop_product_created_by_id_8c1b7e0e" ON "shop_product" ("created_by_id");
CREATE INDEX "shop_product_name_lower_idx" ON "shop_product" (LOWER("name"));

CREATE TABLE "shop_order" ("id" integer NOT NULL PRIMARY KEY AUTOINCREMENT, "status" varchar(16) NOT NULL, "placed_at" datetime NOT NULL, "customer_id" integer NOT NULL REFERENCES "auth_user" ("id") DEFERRABLE INITIALLY DEFERRED, "total" decimal(12, 2) NOT NULL, CONSTRAINT "order_status_valid" CHECK ("status" IN ('cart', 'placed', 'paid', 'shipped', 'cancelled')));
CREATE INDEX "shop_order_customer_status_idx" ON "shop_order" ("customer_id", "status", "placed_at" DESC);
CREATE INDEX "shop_order_open_idx" ON "shop_order" ("placed_at") WHERE "status" IN ('placed', 'paid');

CREATE TABLE "shop_orderline" ("id" integer NOT NULL PRIMARY KEY AUTOINCREMENT, "quantity" integer unsigned NOT NULL CHECK ("quantity" >= 0), "order_id" integer NOT NULL REFERENCES "shop_order" ("id") DEFERRABLE INITIALLY DEFERRED, "product_id" integer NOT NULL REFERENCES "shop_product" ("id") DEFERRABLE INITIALLY DEFERRED, CONSTRAINT "unique_product_per_order" UNIQUE ("order_id", "product_id"), CONSTRAINT "positive_quantity" CHECK ("quantity" > 0));

CREATE TABLE "schema_migrations" ("version" varchar NOT NULL PRIMARY KEY);
CREATE TABLE "ar_internal_metadata" ("key" varchar NOT NULL PRIMARY KEY, "value" varchar, "created_at" datetime(6) NOT NULL, "updated_at" datetime(6) NOT NULL);
CREATE TABLE "active_storage_blobs" ("id" integer PRIMARY KEY AUTOINCREMENT NOT NULL, "key" varchar NOT NULL, "filename" varchar NOT NULL, "content_type" varchar, "metadata" text, "service_name" varchar NOT NULL, "byte_size" bigint NOT NULL, "checksum" varchar, "created_at" datetime(6) NOT NULL);
CREATE UNIQUE INDEX "index_active_storage_blobs_on_key" ON "active_storage_blobs" ("key");
CREATE TABLE "active_storage_attachments" ("id" integer PRIMARY KEY AUTOINCREMENT NOT NULL, "name" varchar NOT NULL, "record_type" varchar NOT NULL, "record_id" bigint NOT NULL, "blob_id" bigint NOT NULL, "created_at" datetime(6) NOT NULL, CONSTRAINT "fk_rails_c3b3935057"
FOREIGN KEY ("blob_id")
  REFERENCES "active_storage_blobs" ("id")
);
CREATE INDEX "index_active_storage_attachments_on_blob_id" ON "active_storage_attachments" ("blob_id");
CREATE UNIQUE INDEX "index_active_storage_attachments_uniqueness" ON "active_storage_attachments" ("record_type", "record_id", "name", "blob_id");

CREATE VIEW "shop_order_totals" AS SELECT o."id", o."status", SUM(l."quantity" * p."price") AS "computed" FROM "shop_order" o JOIN "shop_orderline" l ON l."order_id" = o."id" JOIN "shop_product" p ON p."id" = l."product_id" GROUP BY o."id", o."status";
CREATE VIEW "shop_paid_totals" AS SELECT * FROM "shop_order_totals" WHERE "status" IN ('paid', 'shipped');

INSERT INTO "django_content_type" ("app_label", "model") VALUES ('auth', 'user'), ('shop', 'product');
INSERT INTO "auth_user" VALUES (1, 'pbkdf2_sha256$600000$salt$hash=', NULL, 1, 'admin', '', 'admin@example.org', 1, 1, '2024-01-01 00:00:00', ''),
  (2, '!', '2024-02-02 10:11:12.123456', 0, 'émilie', 'Dupont-D''Arc', 'emilie@example.org', 0, 1, '2024-01-05 00:00:00', 'Émilie');
INSERT INTO "auth_permission" ("content_type_id", "codename", "name") VALUES (1, 'add_user', 'Can add user'), (2, 'change_product', 'Can change "product"');
INSERT INTO "shop_product" ("sku", "name", "price", "stock", "position", "data", "created_by_id") VALUES
  ('SKU-1', 'Tea «Sencha»', 4.5, 10, 1, '{"origin": "静岡"}', 1), ('SKU-2', 'Mug', 12.00, 0, NULL, '{}', NULL);
INSERT INTO "shop_order" ("status", "placed_at", "customer_id", "total") VALUES ('paid', '2024-03-01 12:00:00', 2, 21.00), ('cart', '2024-03-02 12:00:00', 2, 0);
INSERT INTO "shop_orderline" ("quantity", "order_id", "product_id") VALUES (2, 1, 1), (1, 1, 2);
INSERT INTO "schema_migrations" VALUES ('20240101000000'), ('20240301120000');
INSERT INTO "ar_internal_metadata" VALUES ('environment', 'production', '2024-01-01 00:00:00.000000', '2024-01-01 00:00:00.000000'), ('schema_sha1', NULL, '2024-01-01 00:00:00', '2024-01-01 00:00:00');
INSERT INTO "active_storage_blobs" ("key", "filename", "content_type", "metadata", "service_name", "byte_size", "checksum", "created_at") VALUES ('k1', 'a b.png', 'image/png', '{"identified":true}', 'local', 2048, 'abc==', '2024-01-01 00:00:00');
INSERT INTO "active_storage_attachments" ("name", "record_type", "record_id", "blob_id", "created_at") VALUES ('avatar', 'User', 2, 1, '2024-01-01 00:00:00');
