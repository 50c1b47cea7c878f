"""Semantic retrieval: an embedding per passage, computed off the request path.

Revision ID: 0008_semantic
Revises: 0007_hardening
Create Date: 2026-12-03

Two parts:
1. Always: the indexing queue (`embedding_jobs`, filled by a trigger whenever passages are
   written), `documents.indexed_at` and `documents.embedding_bytes` (the vectors count toward
   the storage quota), and the claim function the indexers use. None of it needs pgvector.
2. Only where the `vector` extension (pgvector >= 0.5.0, for HNSW) can be installed:
   `chunk_embeddings` and its HNSW index, created by `ddl.install_semantic_search()`. The
   revision calls it once, and `iafactory migrate` calls it again on every run: installing
   pgvector later and migrating again turns semantic search on, with the documents already
   queued. Without pgvector everything else works (lexical search) and the function says why.

What this revision reads from the others: documents, document_chunks (0002_knowledge),
audio_files.size_bytes (0003_voice, if present), app.enforce_quota and
app.quota_after_update (0004_governance).
"""

from alembic import op

revision = "0008_semantic"
down_revision = "0007_hardening"
branch_labels = None
depends_on = None

SQL = r"""
SET LOCAL ROLE iafactory_owner;

-- indexed_at: when the document's last passage got its embedding (NULL: not yet, or no
-- semantic search here); embedding_bytes: what its vectors take, counted as storage.
ALTER TABLE documents
  ADD COLUMN indexed_at timestamptz,
  ADD COLUMN embedding_bytes bigint NOT NULL DEFAULT 0 CHECK (embedding_bytes >= 0);

-- Documents whose passages need embeddings. A job is done when it is deleted (with the
-- document's indexed_at set in the same transaction); FAILED keeps the reason. `attempts`
-- counts claims since the last step that made progress, committed before the work starts,
-- and `lease_expires_at` keeps other indexers off a claimed job: an indexer killed while
-- encoding (out of memory, a crash in the model) leaves both behind, so the job is retried
-- after the lease and FAILED after max_attempts instead of crashing indexers forever.
CREATE TABLE embedding_jobs (
  tenant_id    uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  document_id  uuid NOT NULL,
  status       text NOT NULL DEFAULT 'QUEUED' CHECK (status IN ('QUEUED', 'FAILED')),
  attempts     integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
  error        text CHECK (length(error) <= 2000),
  queued_at    timestamptz NOT NULL DEFAULT clock_timestamp(),
  lease_expires_at timestamptz,
  PRIMARY KEY (tenant_id, document_id),
  FOREIGN KEY (tenant_id, document_id) REFERENCES documents (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX embedding_jobs_queue ON embedding_jobs (queued_at) WHERE status = 'QUEUED';
-- Also how a hybrid search finds a tenant's latest documents still without vectors (any status).
CREATE INDEX embedding_jobs_tenant_queue ON embedding_jobs (tenant_id, queued_at);
CALL ddl.isolate_tenant_table('embedding_jobs');
GRANT SELECT ON embedding_jobs TO iafactory_superadmin;

-- Whoever writes passages (a request, the transcription worker) queues their documents; idle
-- indexers are woken at commit. Statement-level, keys in order. Not the owner role: a tenant
-- import restores rows (vectors included) as exported, then queues what lacks vectors
-- (governance/operations.py), like the quota triggers, which also leave the operator alone.
CREATE FUNCTION app.queue_embeddings() RETURNS trigger
  LANGUAGE plpgsql SET search_path = pg_catalog, public, pg_temp
  AS $$
  BEGIN
    IF current_user = 'iafactory_owner' THEN
      RETURN NULL;
    END IF;
    INSERT INTO embedding_jobs AS j (tenant_id, document_id)
    SELECT DISTINCT a.tenant_id, a.document_id FROM added AS a ORDER BY 1, 2
    ON CONFLICT (tenant_id, document_id)
    DO UPDATE SET status = 'QUEUED', attempts = 0, error = NULL, queued_at = clock_timestamp();
    UPDATE documents AS d SET indexed_at = NULL
      FROM (SELECT DISTINCT tenant_id, document_id FROM added) AS a
     WHERE d.tenant_id = a.tenant_id AND d.id = a.document_id AND d.indexed_at IS NOT NULL;
    PERFORM pg_notify('iafactory_embeddings', '');
    RETURN NULL;
  END
  $$;
CREATE TRIGGER queue_embeddings AFTER INSERT ON document_chunks
  REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION app.queue_embeddings();

-- The indexers' only door across tenants: up to p_limit queued documents of ONE tenant
-- (p_only, or chosen here) that no live lease holds, claimed for p_lease_seconds (attempts + 1)
-- in the caller's transaction, which commits before the work starts. The worker then locks
-- them again in its own transaction, binds it to the tenant and writes under row-level
-- security. Jobs whose lease lapsed with no attempt left (their indexer died each time) turn
-- FAILED first. A tenant other than the previous batch's goes first when one is waiting: one
-- tenant's import cannot starve the rest.
CREATE FUNCTION app.claim_embedding_jobs(p_previous uuid, p_limit integer, p_only uuid,
                                         p_lease_seconds double precision, p_max_attempts integer)
RETURNS TABLE (tenant_id uuid, document_id uuid)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp
AS $$
#variable_conflict use_column
DECLARE
  v_tenant uuid := p_only;
BEGIN
  IF p_limit IS NULL OR p_limit NOT BETWEEN 1 AND 1000 OR p_lease_seconds IS NULL OR p_lease_seconds <= 0
     OR p_max_attempts IS NULL OR p_max_attempts < 1 THEN
    RAISE EXCEPTION 'invalid claim arguments' USING ERRCODE = 'IA422';
  END IF;
  UPDATE embedding_jobs j SET status = 'FAILED', lease_expires_at = NULL,
         error = format('Computing the search vectors stopped the indexer %s times (it crashed or was killed).',
                        j.attempts)
   WHERE j.status = 'QUEUED' AND j.lease_expires_at < clock_timestamp() AND j.attempts >= p_max_attempts
     AND (p_only IS NULL OR j.tenant_id = p_only);
  IF v_tenant IS NULL THEN
    SELECT j.tenant_id INTO v_tenant
      FROM embedding_jobs j JOIN tenants t ON t.id = j.tenant_id AND t.status = 'ACTIVE'
     WHERE j.status = 'QUEUED' AND j.tenant_id IS DISTINCT FROM p_previous
       AND (j.lease_expires_at IS NULL OR j.lease_expires_at < clock_timestamp())
     ORDER BY j.queued_at LIMIT 1 FOR UPDATE OF j SKIP LOCKED;
  END IF;
  IF v_tenant IS NULL AND p_previous IS NOT NULL THEN
    v_tenant := p_previous;
  END IF;
  IF v_tenant IS NULL THEN
    RETURN;
  END IF;
  RETURN QUERY
    WITH picked AS (
      SELECT j.tenant_id, j.document_id FROM embedding_jobs j
       WHERE j.tenant_id = v_tenant AND j.status = 'QUEUED'
         AND (j.lease_expires_at IS NULL OR j.lease_expires_at < clock_timestamp())
         AND (p_only IS NOT NULL OR EXISTS (SELECT FROM tenants t WHERE t.id = j.tenant_id AND t.status = 'ACTIVE'))
       ORDER BY j.queued_at, j.document_id LIMIT p_limit FOR UPDATE OF j SKIP LOCKED
    )
    UPDATE embedding_jobs j SET attempts = j.attempts + 1,
           lease_expires_at = clock_timestamp() + make_interval(secs => p_lease_seconds)
      FROM picked WHERE j.tenant_id = picked.tenant_id AND j.document_id = picked.document_id
    RETURNING j.tenant_id, j.document_id;
END
$$;

-- Matches a text that contains at least p_count of p_terms: the OR of the ANDs of every
-- p_count of them, so the full-text index can find such passages (hybrid search gives its
-- lexical bonus only to passages with most of the query's words). Its size grows as
-- C(terms, p_count): callers pass a few terms. NULL when p_count is out of 1..terms.
CREATE FUNCTION app.tsquery_at_least(p_terms tsquery[], p_count integer) RETURNS tsquery
  LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp
  AS $$
  DECLARE
    v_with tsquery;
    v_without tsquery;
  BEGIN
    IF p_count IS NULL OR p_count < 1 OR p_count > coalesce(cardinality(p_terms), 0) THEN
      RETURN NULL;
    END IF;
    IF p_count = 1 THEN
      RETURN (SELECT app.tsquery_or_agg(t) FROM unnest(p_terms) AS t);
    END IF;
    -- with the first term and p_count - 1 of the rest, or p_count of the rest
    v_with := p_terms[1] && app.tsquery_at_least(p_terms[2:], p_count - 1);
    v_without := app.tsquery_at_least(p_terms[2:], p_count);
    RETURN CASE WHEN v_without IS NULL THEN v_with ELSE v_with || v_without END;
  END
  $$;

-- The transaction's tenant's passages (of one project, when given) that match p_query,
-- p_limit at most (NULL: all), found through the full-text index. Why a function:
-- 1. Row-level security keeps a non-leakproof operator such as @@ out of index conditions
--    (it may not run before the policy's check), so under the app role every search read
--    the tenant's every passage: 2 s for 100,000. SECURITY DEFINER (the owner role bypasses
--    RLS) lets the GIN index (tenant_id, search_vector) answer; the tenant is checked here
--    instead, fail closed: no tenant in the transaction, or another one asked for, no rows.
-- 2. EXECUTE plans the lookup with the query as a constant, so the column's statistics tell
--    rare words (the index) from common ones (a scan that stops at p_limit).
-- It returns ids only: the caller reads the passages under row-level security. ROWS: what
-- the search statement should expect (its default of 1,000 made it scan to join a few hundred).
CREATE FUNCTION app.chunks_matching(p_tenant uuid, p_query tsquery, p_project uuid, p_limit integer)
  RETURNS SETOF uuid
  LANGUAGE plpgsql STABLE SECURITY DEFINER ROWS 200 SET search_path = pg_catalog, public, pg_temp
  AS $$
  BEGIN
    IF p_query IS NULL OR p_limit < 1 OR p_tenant IS NULL
       OR p_tenant IS DISTINCT FROM app.current_tenant_id() THEN
      RETURN;
    END IF;
    RETURN QUERY EXECUTE format(
      'SELECT c.id FROM public.document_chunks AS c WHERE c.tenant_id = $1 AND c.search_vector @@ %L::tsquery'
      ' AND ($2::uuid IS NULL OR EXISTS (SELECT FROM public.documents AS d WHERE d.tenant_id = $1'
      ' AND d.id = c.document_id AND d.project_id = $2)) LIMIT $3', p_query)
      USING p_tenant, p_project, p_limit;
  END
  $$;

-- Storage counts the vectors too (0004_governance's function, plus embedding_bytes); the
-- indexer's write of embedding_bytes is checked like any growth of a document.
DROP INDEX documents_tenant_size;
CREATE INDEX documents_tenant_size ON documents (tenant_id) INCLUDE (size_bytes, embedding_bytes);
DO $$
BEGIN
  EXECUTE format($f$
    CREATE OR REPLACE FUNCTION app.storage_bytes(p_tenant uuid) RETURNS bigint
    LANGUAGE sql STABLE SET search_path = pg_catalog, public, pg_temp
    AS $body$
      SELECT (SELECT coalesce(sum(size_bytes + embedding_bytes), 0) FROM documents WHERE tenant_id = p_tenant)::bigint
             %s
    $body$ $f$,
    CASE WHEN to_regclass('public.audio_files') IS NOT NULL THEN
      '+ (SELECT coalesce(sum(size_bytes), 0) FROM audio_files WHERE tenant_id = p_tenant)::bigint'
    ELSE '' END);
END
$$;
CREATE TRIGGER quota_storage_embeddings AFTER UPDATE OF embedding_bytes ON documents
  FOR EACH ROW WHEN (NEW.embedding_bytes > OLD.embedding_bytes)
  EXECUTE FUNCTION app.quota_after_update('storage');

-- The part that needs pgvector. SECURITY INVOKER: the migrating login role creates the
-- extension (pgvector is not a trusted extension), the owner role owns everything else.
-- Returns 'installed', or one line saying what is missing. Idempotent.
CREATE FUNCTION ddl.install_semantic_search() RETURNS text
LANGUAGE plpgsql SET search_path = pg_catalog, public, pg_temp
AS $fn$
DECLARE
  v_version text;
BEGIN
  IF to_regclass('public.chunk_embeddings') IS NOT NULL THEN
    RETURN 'installed';
  END IF;
  SELECT coalesce(installed_version, default_version) INTO v_version
    FROM pg_available_extensions WHERE name = 'vector';
  IF v_version IS NULL THEN
    RETURN 'the PostgreSQL extension pgvector (vector) is not installed on the database server';
  END IF;
  IF string_to_array(split_part(v_version, '-', 1), '.')::int[] < ARRAY[0, 5, 0] THEN
    RETURN format('pgvector %s is too old: HNSW indexes need 0.5.0 or later', v_version);
  END IF;
  BEGIN
    CREATE EXTENSION IF NOT EXISTS vector WITH SCHEMA public;
  EXCEPTION WHEN insufficient_privilege THEN
    RETURN format('the login role may not create the extension pgvector (%s)', SQLERRM);
  END;
  SELECT extversion INTO v_version FROM pg_extension WHERE extname = 'vector';

  SET LOCAL ROLE iafactory_owner;
  -- One vector per passage, with the model that made it (name and version): a query is only
  -- compared with vectors of its own model, and `iafactory knowledge reindex` replaces the rest.
  CREATE TABLE public.chunk_embeddings (
    tenant_id    uuid NOT NULL REFERENCES public.tenants (id) ON DELETE CASCADE,
    chunk_id     uuid NOT NULL,
    model        text NOT NULL CHECK (length(model) BETWEEN 1 AND 200),
    embedding    public.vector(512) NOT NULL,
    embedded_at  timestamptz NOT NULL DEFAULT clock_timestamp(),
    PRIMARY KEY (tenant_id, chunk_id),
    FOREIGN KEY (tenant_id, chunk_id) REFERENCES public.document_chunks (tenant_id, id) ON DELETE CASCADE
  );
  -- Inner product: the vectors are unit length, so it ranks as cosine does, for less work.
  -- One graph for all tenants (pgvector indexes one column); searches filter on tenant_id,
  -- and the planner reads a small tenant's rows exactly through the primary key instead.
  CREATE INDEX chunk_embeddings_hnsw ON public.chunk_embeddings USING hnsw (embedding public.vector_ip_ops);
  CALL ddl.isolate_tenant_table('public.chunk_embeddings');
  GRANT SELECT ON public.chunk_embeddings TO iafactory_superadmin;

  -- The nearest passages of one tenant, one model (and one project, when given). A function so that the HNSW settings are
  -- scoped to this statement: iterative scans (pgvector >= 0.8) keep reading the graph until
  -- `p_limit` rows pass the tenant filter, instead of returning fewer.
  EXECUTE format($f$
    CREATE FUNCTION app.nearest_chunks(p_tenant uuid, p_model text, p_query public.vector, p_limit integer,
                                       p_project uuid)
    RETURNS TABLE (chunk_id uuid, similarity double precision)
    LANGUAGE sql STABLE ROWS 40 %s
    AS $body$
      SELECT e.chunk_id, -(e.embedding OPERATOR(public.<#>) p_query)
        FROM public.chunk_embeddings e
       WHERE e.tenant_id = p_tenant AND e.model = p_model
         AND (p_project IS NULL OR EXISTS (
               SELECT FROM public.document_chunks c
                 JOIN public.documents d ON d.tenant_id = c.tenant_id AND d.id = c.document_id
                WHERE c.tenant_id = p_tenant AND c.id = e.chunk_id AND d.project_id = p_project))
       ORDER BY e.embedding OPERATOR(public.<#>) p_query
       LIMIT p_limit
    $body$ $f$,
    CASE WHEN string_to_array(split_part(v_version, '-', 1), '.')::int[] >= ARRAY[0, 8, 0]
      THEN $s$SET hnsw.iterative_scan = 'relaxed_order' SET hnsw.ef_search = '100'$s$
      ELSE $s$SET hnsw.ef_search = '200'$s$ END);
  REVOKE ALL ON FUNCTION app.nearest_chunks(uuid, text, public.vector, integer, uuid) FROM PUBLIC;
  GRANT EXECUTE ON FUNCTION app.nearest_chunks(uuid, text, public.vector, integer, uuid)
    TO iafactory_app, iafactory_superadmin;
  RESET ROLE;
  RETURN 'installed';
END
$fn$;

REVOKE ALL ON FUNCTION app.queue_embeddings(), app.claim_embedding_jobs(uuid, integer, uuid, double precision, integer),
  app.tsquery_at_least(tsquery[], integer), app.chunks_matching(uuid, tsquery, uuid, integer),
  ddl.install_semantic_search() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION app.queue_embeddings(), app.claim_embedding_jobs(uuid, integer, uuid, double precision, integer),
  app.tsquery_at_least(tsquery[], integer), app.chunks_matching(uuid, tsquery, uuid, integer)
  TO iafactory_app, iafactory_superadmin;
RESET ROLE;

SELECT ddl.install_semantic_search();
"""


def upgrade() -> None:
    op.get_bind().connection.driver_connection.execute(SQL)


def downgrade() -> None:
    raise NotImplementedError("forward-only: restore from a backup or a tenant export instead")
