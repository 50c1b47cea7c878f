"""Voice: audio storage and transcription jobs.

Revision ID: 0003_voice
Revises: 0002_knowledge
Create Date: 2026-11-29
"""

from alembic import op

revision = "0003_voice"
down_revision = "0002_knowledge"
branch_labels = None
depends_on = None

SQL = r"""
SET LOCAL ROLE iafactory_owner;

-- Uploaded audio, kept where every worker process can read it and under the tenant's RLS.
-- `data` holds the bytes inline by default (iafactory/voice/storage.py); another store
-- (object storage, a shared volume) leaves it NULL and records where the bytes are in
-- `location`. size_bytes counts toward the tenant's storage either way.
CREATE TABLE audio_files (
  tenant_id     uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  id            uuid NOT NULL DEFAULT gen_random_uuid(),
  filename      text NOT NULL CHECK (length(filename) BETWEEN 1 AND 255),
  content_type  text CHECK (length(content_type) <= 255),
  store         text NOT NULL DEFAULT 'postgres' CHECK (store ~ '^[a-z0-9_-]{1,32}$'),
  location      text,
  data          bytea,
  size_bytes    bigint NOT NULL CHECK (size_bytes >= 0),
  created_by    uuid REFERENCES users (id) ON DELETE SET NULL,
  created_at    timestamptz NOT NULL DEFAULT clock_timestamp(),
  PRIMARY KEY (tenant_id, id),
  CHECK ((data IS NOT NULL AND size_bytes = octet_length(data)) OR (data IS NULL AND location IS NOT NULL))
);
-- Audio codecs are compressed already: store the bytes out of line without pglz's wasted effort.
ALTER TABLE audio_files ALTER COLUMN data SET STORAGE EXTERNAL;

CREATE TABLE transcriptions (
  tenant_id               uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  id                      uuid NOT NULL DEFAULT gen_random_uuid(),
  project_id              uuid,
  audio_id                uuid,
  document_id             uuid,
  filename                text NOT NULL CHECK (length(filename) BETWEEN 1 AND 255),
  language                text CHECK (language ~ '^[a-z]{2,3}$'),
  detected_language       text,
  add_to_knowledge_base   boolean NOT NULL DEFAULT false,
  status                  text NOT NULL DEFAULT 'QUEUED'
                          CHECK (status IN ('QUEUED', 'RUNNING', 'COMPLETED', 'FAILED', 'CANCELLED')),
  progress                double precision NOT NULL DEFAULT 0 CHECK (progress BETWEEN 0 AND 1),
  duration                double precision CHECK (duration >= 0),
  text                    text,
  segment_count           integer NOT NULL DEFAULT 0 CHECK (segment_count >= 0),
  error                   text,
  attempts                integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
  -- The lease: which worker runs the job, when it last said so, and when others may take it.
  worker_id               text,
  heartbeat_at            timestamptz,
  lease_expires_at        timestamptz,
  created_by              uuid REFERENCES users (id) ON DELETE SET NULL,
  created_at              timestamptz NOT NULL DEFAULT clock_timestamp(),
  started_at              timestamptz,
  finished_at             timestamptz,
  PRIMARY KEY (tenant_id, id),
  -- composite: every reference stays inside the tenant
  FOREIGN KEY (tenant_id, project_id) REFERENCES projects (tenant_id, id) ON DELETE CASCADE,
  FOREIGN KEY (tenant_id, audio_id) REFERENCES audio_files (tenant_id, id) ON DELETE SET NULL (audio_id),
  FOREIGN KEY (tenant_id, document_id) REFERENCES documents (tenant_id, id) ON DELETE SET NULL (document_id),
  CHECK (status <> 'RUNNING' OR (worker_id IS NOT NULL AND lease_expires_at IS NOT NULL)),
  CHECK (status <> 'COMPLETED' OR progress = 1)
);
CREATE INDEX transcriptions_newest ON transcriptions (tenant_id, created_at DESC, id DESC);
CREATE INDEX transcriptions_project_newest ON transcriptions (tenant_id, project_id, created_at DESC, id DESC);
CREATE INDEX transcriptions_queue ON transcriptions (created_at, id) WHERE status = 'QUEUED';
CREATE INDEX transcriptions_running ON transcriptions (lease_expires_at) WHERE status = 'RUNNING';

-- Segments are appended one statement at a time as the worker produces them.
CREATE TABLE transcript_segments (
  tenant_id         uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  transcription_id  uuid NOT NULL,
  position          integer NOT NULL CHECK (position >= 1),
  start_seconds     double precision NOT NULL CHECK (start_seconds >= 0),
  end_seconds       double precision NOT NULL CHECK (end_seconds >= start_seconds),
  text              text NOT NULL,
  PRIMARY KEY (tenant_id, transcription_id, position),
  FOREIGN KEY (tenant_id, transcription_id) REFERENCES transcriptions (tenant_id, id) ON DELETE CASCADE
);

CALL ddl.isolate_tenant_table('audio_files');
CALL ddl.isolate_tenant_table('transcriptions');
CALL ddl.isolate_tenant_table('transcript_segments');
GRANT SELECT ON audio_files, transcriptions, transcript_segments TO iafactory_superadmin;

-- Progress never goes back, whoever writes it (a retried attempt starts over from 0).
CREATE FUNCTION app.transcription_progress_monotonic() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, public, pg_temp
AS $$
BEGIN
  NEW.progress := greatest(NEW.progress, OLD.progress);
  RETURN NEW;
END
$$;
CREATE TRIGGER progress_monotonic BEFORE UPDATE OF progress ON transcriptions
  FOR EACH ROW EXECUTE FUNCTION app.transcription_progress_monotonic();

-- Every committed change a subscriber or a worker cares about is announced. The payload is
-- tiny (ids and numbers, well under NOTIFY's 8000 bytes); listeners read the row themselves,
-- inside their own tenant scope. pg_notify is delivered at COMMIT, never for a rollback.
CREATE FUNCTION app.announce_transcription() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, public, pg_temp
AS $$
BEGIN
  IF TG_OP = 'INSERT' OR NEW.status IS DISTINCT FROM OLD.status
     OR NEW.progress IS DISTINCT FROM OLD.progress
     OR NEW.segment_count IS DISTINCT FROM OLD.segment_count THEN
    PERFORM pg_notify('iafactory_transcriptions', json_build_object(
      't', NEW.tenant_id, 'id', NEW.id, 's', NEW.status,
      'p', round(NEW.progress::numeric, 4), 'n', NEW.segment_count)::text);
  END IF;
  RETURN NULL;
END
$$;
CREATE TRIGGER announce AFTER INSERT OR UPDATE ON transcriptions
  FOR EACH ROW EXECUTE FUNCTION app.announce_transcription();

-- The workers' only door across tenants. It returns a job and its tenant, nothing else; every
-- later read and write of the job happens in an ordinary tenant-scoped transaction.
-- 1. Leases that expired (a worker killed or frozen) go back to the queue, or to FAILED once
--    the job has used its attempts.
-- 2. The oldest queued job of the tenant with the fewest running jobs is taken (one tenant's
--    backlog cannot starve the others), skipping rows other workers hold (SKIP LOCKED) and
--    tenants that are suspended.
CREATE FUNCTION app.claim_transcription(p_worker text, p_lease_seconds double precision, p_max_attempts integer)
RETURNS TABLE (tenant_id uuid, id uuid, attempts integer)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp
AS $$
DECLARE
  v_tenant uuid;
  v_id uuid;
  v_attempts integer;
BEGIN
  IF p_worker IS NULL OR length(p_worker) NOT BETWEEN 1 AND 200 OR p_lease_seconds <= 0 OR p_max_attempts < 1 THEN
    RAISE EXCEPTION 'invalid claim arguments' USING ERRCODE = 'IA422';
  END IF;

  UPDATE transcriptions t SET
      status = CASE WHEN t.attempts >= p_max_attempts THEN 'FAILED' ELSE 'QUEUED' END,
      error = CASE WHEN t.attempts >= p_max_attempts THEN format(
        'Gave up after %s attempt(s): each time, the worker running it stopped (crashed or killed) before finishing.',
        t.attempts) END,
      finished_at = CASE WHEN t.attempts >= p_max_attempts THEN clock_timestamp() END,
      worker_id = NULL, heartbeat_at = NULL, lease_expires_at = NULL
   WHERE (t.tenant_id, t.id) IN (
     SELECT e.tenant_id, e.id FROM transcriptions e
      WHERE e.status = 'RUNNING' AND e.lease_expires_at < clock_timestamp()
      FOR UPDATE SKIP LOCKED);

  SELECT q.tenant_id, q.id, q.attempts INTO v_tenant, v_id, v_attempts
    FROM transcriptions q JOIN tenants tn ON tn.id = q.tenant_id AND tn.status = 'ACTIVE'
   WHERE q.status = 'QUEUED'
   ORDER BY (SELECT count(*) FROM transcriptions r
              WHERE r.tenant_id = q.tenant_id AND r.status = 'RUNNING'),
            q.created_at, q.id
   LIMIT 1
   FOR UPDATE OF q SKIP LOCKED;
  IF NOT FOUND THEN
    RETURN;
  END IF;

  UPDATE transcriptions t SET
      status = 'RUNNING', attempts = t.attempts + 1, worker_id = p_worker, error = NULL,
      heartbeat_at = clock_timestamp(),
      lease_expires_at = clock_timestamp() + make_interval(secs => p_lease_seconds),
      started_at = coalesce(t.started_at, clock_timestamp())
   WHERE t.tenant_id = v_tenant AND t.id = v_id;
  RETURN QUERY SELECT v_tenant, v_id, v_attempts + 1;
END
$$;

REVOKE ALL ON FUNCTION app.claim_transcription(text, double precision, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION app.claim_transcription(text, double precision, integer) TO iafactory_app;
REVOKE ALL ON FUNCTION app.transcription_progress_monotonic() FROM PUBLIC;
REVOKE ALL ON FUNCTION app.announce_transcription() FROM PUBLIC;
RESET ROLE;
"""


def upgrade() -> None:
    op.get_bind().connection.driver_connection.execute(SQL)


def downgrade() -> None:
    raise NotImplementedError("forward-only: restore from a backup or a tenant export instead")
