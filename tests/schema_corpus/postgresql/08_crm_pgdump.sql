-- A CRM's schema as a plain pg_dump writes it (SET lines, schema-qualified names, ALTER
-- TABLE ONLY ... ADD CONSTRAINT, sequences created apart and OWNED BY).
-- patterns: pg_dump's session SETs and set_config(); several schemas (crm, audit) with
--   COMMENT ON SCHEMA; mixed-case quoted identifiers ("Contact", "firstName"); CREATE
--   SEQUENCE ... AS integer ... NO MINVALUE NO MAXVALUE CACHE 1 + ALTER SEQUENCE OWNED BY +
--   ALTER TABLE ONLY ... SET DEFAULT nextval('crm."Contact_id_seq"'::regclass); constraints
--   added by ALTER TABLE ONLY (primary key, unique, foreign key, check); a cross-schema
--   FOREIGN KEY and trigger function; an audit trigger with TG_TABLE_NAME and to_jsonb(); an
--   expression index on COALESCE and a multi-column index with per-column collation "C";
--   keyword columns (type, value, "order", status, "default"); a view in another schema
--   over a view.
SET statement_timeout = 0;
SET lock_timeout = 0;
SET client_encoding = 'UTF8';
SET standard_conforming_strings = on;
SELECT pg_catalog.set_config('search_path', '', false);
SET check_function_bodies = false;
SET client_min_messages = warning;

CREATE SCHEMA crm;
COMMENT ON SCHEMA crm IS 'customer relationship data';
CREATE SCHEMA audit;

CREATE FUNCTION audit.log_change() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    AS $$
BEGIN
  INSERT INTO audit.changes (table_name, op, row_data)
  VALUES (TG_TABLE_SCHEMA || '.' || TG_TABLE_NAME, TG_OP, to_jsonb(coalesce(NEW, OLD)));
  RETURN coalesce(NEW, OLD);
END;
$$;

SET default_tablespace = '';
SET default_table_access_method = heap;

CREATE TABLE audit.changes (
    id bigint NOT NULL,
    table_name text NOT NULL,
    op text NOT NULL,
    row_data jsonb,
    changed_at timestamp with time zone DEFAULT now() NOT NULL
);

CREATE SEQUENCE audit.changes_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;
ALTER SEQUENCE audit.changes_id_seq OWNED BY audit.changes.id;

CREATE TABLE crm."Company" (
    id integer NOT NULL,
    name text NOT NULL,
    domain text,
    status text DEFAULT 'lead'::text NOT NULL,
    "createdAt" timestamp(3) without time zone DEFAULT CURRENT_TIMESTAMP NOT NULL
);

CREATE SEQUENCE crm."Company_id_seq"
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;
ALTER SEQUENCE crm."Company_id_seq" OWNED BY crm."Company".id;

CREATE TABLE crm."Contact" (
    id integer NOT NULL,
    "companyId" integer,
    "firstName" character varying(100),
    "lastName" character varying(100) NOT NULL,
    email character varying(254),
    type text DEFAULT 'person'::text NOT NULL,
    "order" integer,
    "default" boolean DEFAULT false NOT NULL
);

CREATE SEQUENCE crm."Contact_id_seq"
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;
ALTER SEQUENCE crm."Contact_id_seq" OWNED BY crm."Contact".id;

CREATE TABLE crm."Deal" (
    id integer NOT NULL,
    "contactId" integer NOT NULL,
    title text NOT NULL,
    value numeric(12,2),
    stage text DEFAULT 'new'::text NOT NULL,
    "closedAt" date
);

CREATE SEQUENCE crm."Deal_id_seq"
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;
ALTER SEQUENCE crm."Deal_id_seq" OWNED BY crm."Deal".id;

CREATE TABLE public._prisma_migrations (
    id character varying(36) NOT NULL,
    checksum character varying(64) NOT NULL,
    finished_at timestamp with time zone,
    migration_name character varying(255) NOT NULL,
    logs text,
    started_at timestamp with time zone DEFAULT now() NOT NULL,
    applied_steps_count integer DEFAULT 0 NOT NULL
);

CREATE VIEW crm.open_deals AS
 SELECT d.id,
    d.title,
    d.value,
    c."lastName"
   FROM (crm."Deal" d
     JOIN crm."Contact" c ON ((c.id = d."contactId")))
  WHERE (d."closedAt" IS NULL);

CREATE VIEW public.pipeline AS
 SELECT count(*) AS deals,
    sum(open_deals.value) AS total
   FROM crm.open_deals;

ALTER TABLE ONLY audit.changes ALTER COLUMN id SET DEFAULT nextval('audit.changes_id_seq'::regclass);
ALTER TABLE ONLY crm."Company" ALTER COLUMN id SET DEFAULT nextval('crm."Company_id_seq"'::regclass);
ALTER TABLE ONLY crm."Contact" ALTER COLUMN id SET DEFAULT nextval('crm."Contact_id_seq"'::regclass);
ALTER TABLE ONLY crm."Deal" ALTER COLUMN id SET DEFAULT nextval('crm."Deal_id_seq"'::regclass);

ALTER TABLE ONLY audit.changes
    ADD CONSTRAINT changes_pkey PRIMARY KEY (id);
ALTER TABLE ONLY crm."Company"
    ADD CONSTRAINT "Company_pkey" PRIMARY KEY (id);
ALTER TABLE ONLY crm."Company"
    ADD CONSTRAINT "Company_domain_key" UNIQUE (domain);
ALTER TABLE ONLY crm."Contact"
    ADD CONSTRAINT "Contact_pkey" PRIMARY KEY (id);
ALTER TABLE ONLY crm."Deal"
    ADD CONSTRAINT "Deal_pkey" PRIMARY KEY (id);
ALTER TABLE crm."Deal"
    ADD CONSTRAINT "Deal_stage_check" CHECK ((stage = ANY (ARRAY['new'::text, 'won'::text, 'lost'::text])));
ALTER TABLE ONLY public._prisma_migrations
    ADD CONSTRAINT _prisma_migrations_pkey PRIMARY KEY (id);

CREATE UNIQUE INDEX "Contact_email_key" ON crm."Contact" USING btree (email);
CREATE INDEX "Contact_name_idx" ON crm."Contact" USING btree ("lastName" COLLATE "C", "firstName" COLLATE "C" DESC);
CREATE INDEX "Contact_display_idx" ON crm."Contact" USING btree (COALESCE("firstName", ''::character varying), "lastName");
CREATE INDEX changes_table_time ON audit.changes USING btree (table_name, changed_at DESC);

CREATE TRIGGER company_audit AFTER INSERT OR DELETE OR UPDATE ON crm."Company" FOR EACH ROW EXECUTE FUNCTION audit.log_change();
CREATE TRIGGER deal_audit AFTER UPDATE OF stage, value ON crm."Deal" FOR EACH ROW EXECUTE FUNCTION audit.log_change();

ALTER TABLE ONLY crm."Contact"
    ADD CONSTRAINT "Contact_companyId_fkey" FOREIGN KEY ("companyId") REFERENCES crm."Company"(id) ON UPDATE CASCADE ON DELETE SET NULL;
ALTER TABLE ONLY crm."Deal"
    ADD CONSTRAINT "Deal_contactId_fkey" FOREIGN KEY ("contactId") REFERENCES crm."Contact"(id) ON UPDATE CASCADE ON DELETE RESTRICT;

SELECT pg_catalog.set_config('search_path', 'public', false);
INSERT INTO crm."Company" (name, domain, status) VALUES ('Initech', 'initech.example', 'customer'), ('Société Générale d''Essai', NULL, 'lead');
INSERT INTO crm."Contact" ("companyId", "firstName", "lastName", email, type, "order") VALUES
  (1, 'Peter', 'Gibbons', 'peter@initech.example', 'person', 1),
  (2, NULL, 'Müller-Lüdenscheidt', NULL, 'person', NULL),
  (NULL, 'Ops', 'Mailbox "shared"', 'ops@example.org', 'role', 2);
INSERT INTO crm."Deal" ("contactId", title, value, stage, "closedAt") VALUES (1, 'TPS reports', 9999.99, 'new', NULL), (2, 'Beratung', NULL, 'won', '2024-02-01');
UPDATE crm."Deal" SET stage = 'lost', "closedAt" = '2024-03-01' WHERE title = 'Beratung';
INSERT INTO public._prisma_migrations (id, checksum, migration_name, finished_at, started_at, applied_steps_count) VALUES
  ('c0a8d3f2-0000-4000-8000-000000000001', 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855', '20240101000000_init', '2024-01-01 00:00:01+00', '2024-01-01 00:00:00+00', 1);
