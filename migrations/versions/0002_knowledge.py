"""Knowledge base: chunks, language-aware full-text search.

Revision ID: 0002_knowledge
Revises: 0001_core
Create Date: 2026-11-29
"""

from alembic import op

revision = "0002_knowledge"
down_revision = "0001_core"
branch_labels = None
depends_on = None

SQL = r"""
-- Extensions are per database. All three are "trusted" (PostgreSQL >= 13): the database
-- owner may create them, so this also runs on managed servers without a superuser.
-- They go before SET LOCAL ROLE: the migrating login role creates them, not the owner role.
CREATE EXTENSION IF NOT EXISTS unaccent WITH SCHEMA public;
CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA public;
CREATE EXTENSION IF NOT EXISTS btree_gin WITH SCHEMA public;  -- GIN indexes led by tenant_id

SET LOCAL ROLE iafactory_owner;

-- Text search configurations: the language's stemmer after unaccent, so "réseaux", "reseaux"
-- and "réseau" all become 'reseau'. Index and query must use the same configuration.
CREATE TEXT SEARCH CONFIGURATION app.french_unaccent (COPY = pg_catalog.french);
ALTER TEXT SEARCH CONFIGURATION app.french_unaccent
  ALTER MAPPING FOR hword, hword_part, word WITH public.unaccent, french_stem;
CREATE TEXT SEARCH CONFIGURATION app.english_unaccent (COPY = pg_catalog.english);
ALTER TEXT SEARCH CONFIGURATION app.english_unaccent
  ALTER MAPPING FOR hword, hword_part, word WITH public.unaccent, english_stem;
-- Any other language: words as they are, without accents.
CREATE TEXT SEARCH CONFIGURATION app.simple_unaccent (COPY = pg_catalog.simple);
ALTER TEXT SEARCH CONFIGURATION app.simple_unaccent
  ALTER MAPPING FOR hword, hword_part, word WITH public.unaccent, simple;

-- IMMUTABLE so that indexes and generated columns may use them. That is true only while the
-- configurations and the unaccent rules stay as they are: a change must rebuild the chunks.
CREATE FUNCTION app.fold(p_text text) RETURNS text
  LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
  AS $$ SELECT lower(public.unaccent('public.unaccent'::regdictionary, p_text)) $$;

CREATE FUNCTION app.search_config(p_language text) RETURNS regconfig
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  AS $$
    SELECT CASE p_language
      WHEN 'fr' THEN 'app.french_unaccent'::regconfig
      WHEN 'en' THEN 'app.english_unaccent'::regconfig
      ELSE 'app.simple_unaccent'::regconfig
    END
  $$;

-- A passage as the index sees it: the document's title (weight A) then the passage (D).
-- An unknown language (NULL) is indexed for both French and English.
CREATE FUNCTION app.search_vector(p_language text, p_title text, p_body text) RETURNS tsvector
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  AS $$
    SELECT CASE WHEN p_language IS NULL THEN
        setweight(to_tsvector('app.french_unaccent'::regconfig, p_title), 'A')
        || setweight(to_tsvector('app.french_unaccent'::regconfig, p_body), 'D')
        || setweight(to_tsvector('app.english_unaccent'::regconfig, p_title), 'A')
        || setweight(to_tsvector('app.english_unaccent'::regconfig, p_body), 'D')
      ELSE
        setweight(to_tsvector(app.search_config(p_language), p_title), 'A')
        || setweight(to_tsvector(app.search_config(p_language), p_body), 'D')
    END
  $$;

-- One query word as every configuration reads it: 'réseaux' becomes
-- 'reseau' (French) | 'reseaux' (English, simple). A query matches documents of any language.
-- Built from lexemes (each quoted for tsquery input: \ and ' escaped), not plainto_tsquery,
-- which sends a NOTICE for every stop word. NULL when no configuration keeps anything.
CREATE FUNCTION app.word_query(p_word text) RETURNS tsquery
  LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
  AS $$
    SELECT string_agg('''' || replace(replace(lexeme, '\', '\\'), '''', '''''') || '''', ' | ')::tsquery
      FROM unnest(tsvector_to_array(
             to_tsvector('app.french_unaccent'::regconfig, p_word)
             || to_tsvector('app.english_unaccent'::regconfig, p_word)
             || to_tsvector('app.simple_unaccent'::regconfig, p_word))) AS lexeme
  $$;

CREATE AGGREGATE app.tsquery_or_agg(tsquery) (SFUNC = pg_catalog.tsquery_or, STYPE = tsquery);

-- Passages of documents, each indexed in its document's language. Derived data: rebuilt
-- from documents.content by db/queries/documents.py (create, reindex), never edited.
CREATE TABLE document_chunks (
  tenant_id      uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  id             uuid NOT NULL DEFAULT gen_random_uuid(),
  document_id    uuid NOT NULL,
  position       integer NOT NULL CHECK (position >= 0),
  start_offset   integer NOT NULL CHECK (start_offset >= 0),
  language       text,
  title          text NOT NULL,
  content        text NOT NULL CHECK (length(content) BETWEEN 1 AND 10000),
  search_vector  tsvector NOT NULL GENERATED ALWAYS AS (app.search_vector(language, title, content)) STORED,
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, document_id, position),
  -- composite: a chunk belongs to a document of its own tenant, and goes with it
  FOREIGN KEY (tenant_id, document_id) REFERENCES documents (tenant_id, id) ON DELETE CASCADE
);
-- tenant_id first (btree_gin): a tenant's search reads its own postings, not every tenant's.
CREATE INDEX document_chunks_search ON document_chunks USING gin (tenant_id, search_vector);

-- Each tenant's vocabulary (unaccented, lowercased words of its chunks): what pg_trgm
-- compares a misspelt query word with. Words are few next to passages, so the fallback stays
-- fast on a large knowledge base. No counts: adding a document only inserts the words that
-- are new (no update, no lock on shared rows); removing chunks deletes the words that no
-- remaining chunk uses, so the vocabulary never outlives the content it came from.
CREATE TABLE knowledge_words (
  tenant_id  uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  word       text NOT NULL,
  PRIMARY KEY (tenant_id, word)
);
CREATE INDEX knowledge_words_trigram ON knowledge_words USING gin (tenant_id, word gin_trgm_ops);

CREATE FUNCTION app.chunk_words(p_title text, p_content text) RETURNS SETOF text
  LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
  AS $$
    SELECT word FROM unnest(tsvector_to_array(
      to_tsvector('app.simple_unaccent'::regconfig, p_title || ' ' || p_content))) AS word
     WHERE length(word) BETWEEN 3 AND 40 AND word !~ '[/@.:]'  -- no URL, email or host
  $$;

-- Statement-level: one insert for all the chunks of a document, in key order (concurrent
-- writers of one tenant wait for each other's new words instead of deadlocking).
CREATE FUNCTION app.knowledge_words_added() RETURNS trigger
  LANGUAGE plpgsql SET search_path = pg_catalog, public, pg_temp
  AS $$
  BEGIN
    INSERT INTO knowledge_words (tenant_id, word)
    SELECT DISTINCT a.tenant_id, w.word
      FROM added AS a CROSS JOIN LATERAL app.chunk_words(a.title, a.content) AS w (word)
     ORDER BY a.tenant_id, w.word
    ON CONFLICT DO NOTHING;
    RETURN NULL;
  END
  $$;

-- A word stays while any chunk of the tenant still matches it (the same test search uses).
-- Skipped for a tenant being deleted: its vocabulary goes with it (ON DELETE CASCADE).
CREATE FUNCTION app.knowledge_words_removed() RETURNS trigger
  LANGUAGE plpgsql SET search_path = pg_catalog, public, pg_temp
  AS $$
  BEGIN
    DELETE FROM knowledge_words AS k
     USING (SELECT DISTINCT r.tenant_id, w.word
              FROM removed AS r CROSS JOIN LATERAL app.chunk_words(r.title, r.content) AS w (word)
             WHERE EXISTS (SELECT FROM tenants AS t WHERE t.id = r.tenant_id)) AS gone
     WHERE k.tenant_id = gone.tenant_id AND k.word = gone.word
       AND NOT EXISTS (SELECT FROM document_chunks AS c
                        WHERE c.tenant_id = gone.tenant_id AND c.search_vector @@ app.word_query(gone.word));
    RETURN NULL;
  END
  $$;

CREATE TRIGGER words_added AFTER INSERT ON document_chunks
  REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION app.knowledge_words_added();
CREATE TRIGGER words_removed AFTER DELETE ON document_chunks
  REFERENCING OLD TABLE AS removed FOR EACH STATEMENT EXECUTE FUNCTION app.knowledge_words_removed();

-- knowledge_words is written by the triggers, which run as the caller (row-level security applies)
CALL ddl.isolate_tenant_table('document_chunks');
CALL ddl.isolate_tenant_table('knowledge_words');
GRANT SELECT ON document_chunks, knowledge_words TO iafactory_superadmin;

REVOKE ALL ON FUNCTION app.fold(text), app.search_config(text), app.search_vector(text, text, text),
  app.word_query(text), app.tsquery_or_agg(tsquery), app.chunk_words(text, text),
  app.knowledge_words_added(), app.knowledge_words_removed() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION app.fold(text), app.search_config(text), app.search_vector(text, text, text),
  app.word_query(text), app.tsquery_or_agg(tsquery), app.chunk_words(text, text),
  app.knowledge_words_added(), app.knowledge_words_removed() TO iafactory_app, iafactory_superadmin;
RESET ROLE;
"""


def upgrade() -> None:
    op.get_bind().connection.driver_connection.execute(SQL)


def downgrade() -> None:
    raise NotImplementedError("forward-only: restore from a backup or a tenant export instead")
