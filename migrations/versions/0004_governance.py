"""Governance: quota overrides, quota triggers, monthly usage records, operator actions.

Revision ID: 0004_governance
Revises: 0003_voice
Create Date: 2026-11-29

Quotas are enforced here, in the database, by AFTER triggers on the tables that hold what a
plan limits: every write path (a resolver, a worker, SQL by hand) is covered in its own
transaction, and a refused write raises SQLSTATE IA402 (QUOTA_EXCEEDED), so nothing of the
statement, nor of the operation around it, is kept. Only the owner role (migrations, the
operator's `tenant import`) writes past them.

Also here: `app.revoke_refresh_family` is replaced by a version that audits `logout`.

What this revision reads from the other revisions (and attaches to only where present):
  projects                       count                              (0001_core)
  documents.size_bytes           storage                            (0001_core)
  audio_files.size_bytes         storage                            (0003_voice)
  transcriptions.duration, .status, .created_at   audio seconds     (0003_voice)
"""

from alembic import op

revision = "0004_governance"
down_revision = "0003_voice"
branch_labels = None
depends_on = None

SQL = r"""
SET LOCAL ROLE iafactory_owner;

-- An operator's per-tenant exception to the plan (a negotiated contract, a trial). A row
-- replaces the plan's value for that quota; a NULL value means unlimited. No row: the plan.
CREATE TABLE tenant_quota_overrides (
  tenant_id   uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  quota       text NOT NULL CHECK (quota IN ('requests_per_minute', 'max_projects',
                                             'max_storage_bytes', 'max_audio_seconds_per_month')),
  value       numeric CHECK (value >= 0),
  note        text CHECK (length(note) <= 500),
  updated_at  timestamptz NOT NULL DEFAULT clock_timestamp(),
  PRIMARY KEY (tenant_id, quota),
  CHECK (quota <> 'requests_per_minute' OR value >= 1)
);

-- Monthly usage per tenant, the raw material of an invoice. period is the first day of a
-- UTC month. api_calls are added by the servers (app.record_api_calls); audio_seconds and
-- storage_peak_bytes by the triggers below, whenever what they measure changes.
CREATE TABLE usage_records (
  tenant_id           uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  period              date NOT NULL CHECK (extract(day FROM period) = 1),
  api_calls           bigint NOT NULL DEFAULT 0 CHECK (api_calls >= 0),
  audio_seconds       double precision NOT NULL DEFAULT 0 CHECK (audio_seconds >= 0),
  storage_peak_bytes  bigint NOT NULL DEFAULT 0 CHECK (storage_peak_bytes >= 0),
  updated_at          timestamptz NOT NULL DEFAULT clock_timestamp(),
  PRIMARY KEY (tenant_id, period)
);

-- Both are written only through the functions below (operators: the CLI, as the owner);
-- a tenant may read its own rows.
DO $$
DECLARE
  t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['tenant_quota_overrides', 'usage_records'] LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
    EXECUTE format('CREATE POLICY tenant_select ON %I FOR SELECT USING (tenant_id = app.current_tenant_id())', t);
    EXECUTE format('CREATE POLICY tenant_insert ON %I FOR INSERT WITH CHECK (false)', t);
    EXECUTE format('CREATE POLICY tenant_update ON %I FOR UPDATE USING (false)', t);
    EXECUTE format('CREATE POLICY tenant_delete ON %I FOR DELETE USING (false)', t);
    EXECUTE format('GRANT SELECT ON %I TO iafactory_app, iafactory_superadmin', t);
  END LOOP;
END
$$;

-- Operators' actions on whole tenants from the shell (`iafactory tenant import|delete`), kept
-- outside the tenant: an erasure's receipt must outlive every row of the tenant. It holds no
-- tenant data, not even the id: only its SHA-256, so an operator can answer "was tenant X
-- erased, when, by whom, how many rows?" without the database still naming X. The app
-- role has no access at all.
CREATE TABLE operator_actions (
  id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  at             timestamptz NOT NULL DEFAULT clock_timestamp(),
  action         text NOT NULL CHECK (action IN ('import', 'erase')),
  tenant_digest  text NOT NULL CHECK (tenant_digest ~ '^[0-9a-f]{64}$'),
  actor          text NOT NULL CHECK (length(actor) BETWEEN 1 AND 200),
  details        jsonb NOT NULL DEFAULT '{}'
);

-- Storage sums read an index instead of the rows.
CREATE INDEX documents_tenant_size ON documents (tenant_id) INCLUDE (size_bytes);

-- The limits that apply to a tenant: its plan, with the operator's overrides on top.
CREATE FUNCTION app.effective_limits(p_tenant uuid)
RETURNS TABLE (plan text, requests_per_minute integer, max_projects integer,
               max_storage_bytes bigint, max_audio_seconds_per_month double precision)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp
AS $$
  SELECT t.plan,
         CASE WHEN o ? 'requests_per_minute' THEN (o ->> 'requests_per_minute')::numeric::integer
              ELSE p.requests_per_minute END,
         CASE WHEN o ? 'max_projects' THEN (o ->> 'max_projects')::numeric::integer
              ELSE p.max_projects END,
         CASE WHEN o ? 'max_storage_bytes' THEN (o ->> 'max_storage_bytes')::numeric::bigint
              ELSE p.max_storage_bytes END,
         CASE WHEN o ? 'max_audio_seconds_per_month' THEN (o ->> 'max_audio_seconds_per_month')::double precision
              ELSE p.max_audio_seconds_per_month END
    FROM tenants t
    JOIN plans p ON p.plan = t.plan
    CROSS JOIN LATERAL (SELECT coalesce(jsonb_object_agg(q.quota, q.value), '{}'::jsonb) AS o
                          FROM tenant_quota_overrides q WHERE q.tenant_id = t.id) overrides
   WHERE t.id = p_tenant
$$;

-- The rate limiter's one question, answered even for a tenant that no longer exists (FREE's).
CREATE FUNCTION app.requests_per_minute(p_tenant uuid) RETURNS integer
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp
AS $$
  SELECT coalesce((SELECT requests_per_minute FROM app.effective_limits(p_tenant)),
                  (SELECT requests_per_minute FROM plans WHERE plan = 'FREE'))
$$;

CREATE FUNCTION app.month_start(p_at timestamptz) RETURNS date
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  AS $$ SELECT date_trunc('month', p_at AT TIME ZONE 'UTC')::date $$;

-- Consumption. SECURITY INVOKER on purpose: called by a request, they see what row-level
-- security lets it see (its own tenant); called by the quota functions, the owner's view.
-- The voice tables are optional: each function is created with or without them.
DO $$
DECLARE
  has_audio boolean := to_regclass('public.audio_files') IS NOT NULL
    AND EXISTS (SELECT FROM pg_attribute WHERE attrelid = 'public.audio_files'::regclass
                 AND attname = 'size_bytes' AND NOT attisdropped);
  has_jobs boolean := to_regclass('public.transcriptions') IS NOT NULL
    AND (SELECT count(*) FROM pg_attribute WHERE attrelid = 'public.transcriptions'::regclass
          AND attname IN ('duration', 'status', 'created_at') AND NOT attisdropped) = 3;
BEGIN
  EXECUTE format($f$
    CREATE FUNCTION app.storage_bytes(p_tenant uuid) RETURNS bigint
    LANGUAGE sql STABLE SET search_path = pg_catalog, public, pg_temp
    AS $body$
      SELECT (SELECT coalesce(sum(size_bytes), 0) FROM documents WHERE tenant_id = p_tenant)::bigint
             %s
    $body$ $f$,
    CASE WHEN has_audio THEN
      '+ (SELECT coalesce(sum(size_bytes), 0) FROM audio_files WHERE tenant_id = p_tenant)::bigint'
    ELSE '' END);

  -- Audio accepted in a month: every job with a known duration created in it, except those
  -- that FAILED or were CANCELLED (the tenant got nothing; their seconds are released).
  EXECUTE format($f$
    CREATE FUNCTION app.audio_seconds(p_tenant uuid, p_period date) RETURNS double precision
    LANGUAGE sql STABLE SET search_path = pg_catalog, public, pg_temp
    AS $body$ SELECT %s $body$ $f$,
    CASE WHEN has_jobs THEN
      $q$coalesce((SELECT sum(duration) FROM transcriptions
                    WHERE tenant_id = p_tenant AND duration IS NOT NULL
                      AND status NOT IN ('FAILED', 'CANCELLED')
                      AND created_at >= (p_period::timestamp AT TIME ZONE 'UTC')
                      AND created_at < ((p_period + interval '1 month')::timestamp AT TIME ZONE 'UTC')),
                  0)::double precision$q$
    ELSE '0::double precision' END);

  -- For /metrics at scrape time, across tenants (so it must be a definer): how many jobs wait
  -- or run per tenant. Queue depth read from the database counts every worker's jobs, in any
  -- process, unlike a counter kept in one server's memory.
  EXECUTE format($f$
    CREATE FUNCTION app.transcription_queue() RETURNS TABLE (tenant_id uuid, status text, jobs bigint)
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp
    AS $body$ %s $body$ $f$,
    CASE WHEN has_jobs THEN
      $q$SELECT tenant_id, status, count(*) FROM transcriptions
          WHERE status IN ('QUEUED', 'RUNNING') GROUP BY tenant_id, status$q$
    ELSE 'SELECT NULL::uuid, NULL::text, NULL::bigint WHERE false' END);
END
$$;

CREATE FUNCTION app.tenant_usage(p_tenant uuid)
RETURNS TABLE (projects bigint, documents bigint, storage_bytes bigint, audio_seconds_this_month double precision)
LANGUAGE sql STABLE SET search_path = pg_catalog, public, pg_temp
AS $$
  SELECT (SELECT count(*) FROM projects WHERE tenant_id = p_tenant),
         (SELECT count(*) FROM documents WHERE tenant_id = p_tenant),
         app.storage_bytes(p_tenant),
         app.audio_seconds(p_tenant, app.month_start(clock_timestamp()))
$$;

-- The usage record of a tenant's month, created on first use. Never for a tenant being
-- erased (its row is gone from tenants, and the insert would fail its foreign key).
CREATE FUNCTION app.touch_usage_record(p_tenant uuid, p_period date) RETURNS void
LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp
AS $$
  INSERT INTO usage_records (tenant_id, period)
  SELECT p_tenant, p_period WHERE EXISTS (SELECT FROM tenants WHERE id = p_tenant)
  ON CONFLICT (tenant_id, period) DO NOTHING
$$;

-- Checks one quota of one tenant after rows were written that make it grow (they are
-- counted), and keeps the month's usage record up to date. The advisory lock serializes the writers of one tenant
-- for the rest of their transactions: the second waits for the first to commit, then counts
-- again with a fresh snapshot (READ COMMITTED) that includes the first one's rows, so two
-- concurrent writes can never both pass a limit that only one of them fits under.
CREATE FUNCTION app.enforce_quota(p_tenant uuid, p_quota text) RETURNS void
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp
AS $$
DECLARE
  v_limits record;
  v_period date := app.month_start(clock_timestamp());
  v_used double precision;
  v_limit double precision;
  v_what text;
BEGIN
  SELECT * INTO v_limits FROM app.effective_limits(p_tenant);
  IF NOT FOUND THEN
    RETURN;  -- the tenant is being erased
  END IF;
  PERFORM pg_advisory_xact_lock(1769172, hashtext(p_tenant::text));
  IF p_quota = 'projects' THEN
    v_limit := v_limits.max_projects;
    IF v_limit IS NULL THEN RETURN; END IF;
    SELECT count(*) INTO v_used FROM projects WHERE tenant_id = p_tenant;
    v_what := format('%s projects', v_limit);
  ELSIF p_quota = 'storage' THEN
    v_limit := v_limits.max_storage_bytes;
    v_used := app.storage_bytes(p_tenant);
    PERFORM app.touch_usage_record(p_tenant, v_period);
    UPDATE usage_records SET storage_peak_bytes = greatest(storage_peak_bytes, v_used::bigint),
                             updated_at = clock_timestamp()
     WHERE tenant_id = p_tenant AND period = v_period AND storage_peak_bytes < v_used;
    v_what := format('%s bytes of storage', v_limit);
  ELSIF p_quota = 'audio' THEN
    v_limit := v_limits.max_audio_seconds_per_month;
    v_used := app.audio_seconds(p_tenant, v_period);
    PERFORM app.touch_usage_record(p_tenant, v_period);
    UPDATE usage_records SET audio_seconds = v_used, updated_at = clock_timestamp()
     WHERE tenant_id = p_tenant AND period = v_period AND audio_seconds IS DISTINCT FROM v_used;
    v_what := format('%s seconds of audio per month', v_limit);
  ELSE
    RAISE EXCEPTION 'unknown quota %', p_quota;
  END IF;
  IF v_limit IS NOT NULL AND v_used > v_limit THEN
    RAISE EXCEPTION 'Quota exceeded: this tenant''s plan (%) allows at most %.', v_limits.plan, v_what
      USING ERRCODE = 'IA402';
  END IF;
END
$$;

-- The trigger functions. A restore (`iafactory tenant import`, run as the owner role) brings
-- a tenant back exactly as exported, usage records included, even if its plan has shrunk
-- since: quotas bind the tenant's own writes, not the operator's.
CREATE FUNCTION app.quota_after_insert() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, public, pg_temp
AS $$
DECLARE
  v_tenant uuid;
BEGIN
  IF current_user = 'iafactory_owner' THEN
    RETURN NULL;
  END IF;
  FOR v_tenant IN SELECT DISTINCT tenant_id FROM inserted LOOP
    PERFORM app.enforce_quota(v_tenant, TG_ARGV[0]);
  END LOOP;
  RETURN NULL;
END
$$;

CREATE FUNCTION app.quota_after_update() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, public, pg_temp
AS $$
BEGIN
  IF current_user <> 'iafactory_owner' THEN
    PERFORM app.enforce_quota(NEW.tenant_id, TG_ARGV[0]);
  END IF;
  RETURN NULL;
END
$$;

CREATE TRIGGER quota_projects AFTER INSERT ON projects
  REFERENCING NEW TABLE AS inserted
  FOR EACH STATEMENT EXECUTE FUNCTION app.quota_after_insert('projects');
CREATE TRIGGER quota_storage AFTER INSERT ON documents
  REFERENCING NEW TABLE AS inserted
  FOR EACH STATEMENT EXECUTE FUNCTION app.quota_after_insert('storage');
CREATE TRIGGER quota_storage_grows AFTER UPDATE ON documents
  FOR EACH ROW WHEN (NEW.size_bytes > OLD.size_bytes)
  EXECUTE FUNCTION app.quota_after_update('storage');

DO $$
BEGIN
  IF to_regclass('public.audio_files') IS NOT NULL THEN
    CREATE INDEX audio_files_tenant_size ON audio_files (tenant_id) INCLUDE (size_bytes);
    CREATE TRIGGER quota_storage AFTER INSERT ON audio_files
      REFERENCING NEW TABLE AS inserted
      FOR EACH STATEMENT EXECUTE FUNCTION app.quota_after_insert('storage');
    CREATE TRIGGER quota_storage_grows AFTER UPDATE ON audio_files
      FOR EACH ROW WHEN (NEW.size_bytes > OLD.size_bytes)
      EXECUTE FUNCTION app.quota_after_update('storage');
  END IF;
  IF to_regclass('public.transcriptions') IS NOT NULL THEN
    -- A job counts from the moment its duration is known (at upload, or when decoding
    -- starts), and stops counting when it fails or is cancelled.
    CREATE TRIGGER quota_audio AFTER INSERT ON transcriptions
      REFERENCING NEW TABLE AS inserted
      FOR EACH STATEMENT EXECUTE FUNCTION app.quota_after_insert('audio');
    -- Checked again only when a job starts to count: its duration becomes known, or it
    -- leaves FAILED / CANCELLED. Never when it fails or is cancelled (the tenant may be over a
    -- plan lowered since), nor when a worker refines a duration it already had (the decoded
    -- length of an accepted upload may differ from its header by a fraction of a second).
    CREATE TRIGGER quota_audio_counts AFTER UPDATE ON transcriptions
      FOR EACH ROW WHEN (NEW.duration IS NOT NULL AND NEW.status NOT IN ('FAILED', 'CANCELLED')
                         AND (OLD.duration IS NULL OR OLD.status IN ('FAILED', 'CANCELLED')))
      EXECUTE FUNCTION app.quota_after_update('audio');
  END IF;
END
$$;

-- The servers' batched API-call counts (tenant ids and counts, same length), added to the
-- current month; the audio seconds and the storage peak of those tenants are re-measured on
-- the way (a job that failed releases its seconds; storage held counts toward the peak).
-- Tenants erased meanwhile are skipped.
CREATE FUNCTION app.record_api_calls(p_tenants uuid[], p_calls bigint[]) RETURNS void
LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp
AS $$
  INSERT INTO usage_records AS r (tenant_id, period, api_calls, audio_seconds, storage_peak_bytes)
  SELECT c.tenant_id, app.month_start(clock_timestamp()), c.calls,
         app.audio_seconds(c.tenant_id, app.month_start(clock_timestamp())), app.storage_bytes(c.tenant_id)
    FROM unnest(p_tenants, p_calls) AS c (tenant_id, calls)
    JOIN tenants t ON t.id = c.tenant_id
   WHERE c.calls > 0
   ORDER BY c.tenant_id  -- one lock order for every flush: no deadlock between two servers
  ON CONFLICT (tenant_id, period)
  DO UPDATE SET api_calls = r.api_calls + EXCLUDED.api_calls,
                audio_seconds = EXCLUDED.audio_seconds,
                storage_peak_bytes = greatest(r.storage_peak_bytes, EXCLUDED.storage_peak_bytes),
                updated_at = clock_timestamp()
$$;

-- Brings every tenant's record of the current month up to date (storage held now counts
-- toward the peak even in a month without writes). `iafactory billing usage` runs it.
CREATE FUNCTION app.snapshot_usage() RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp
AS $$
DECLARE
  v_period date := app.month_start(clock_timestamp());
  v_count integer;
BEGIN
  INSERT INTO usage_records AS r (tenant_id, period, audio_seconds, storage_peak_bytes)
  SELECT t.id, v_period, app.audio_seconds(t.id, v_period), app.storage_bytes(t.id)
    FROM tenants t ORDER BY t.id
  ON CONFLICT (tenant_id, period) DO UPDATE
     SET audio_seconds = EXCLUDED.audio_seconds,
         storage_peak_bytes = greatest(r.storage_peak_bytes, EXCLUDED.storage_peak_bytes),
         updated_at = clock_timestamp();
  GET DIAGNOSTICS v_count = ROW_COUNT;
  RETURN v_count;
END
$$;

-- logout is audited in the tenant of the session it ends. Same signature and answer as
-- 0001_core's version; the caller may be anonymous, so the actor defaults to the session's user.
CREATE OR REPLACE FUNCTION app.revoke_refresh_family(p_hash bytea)
RETURNS boolean
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp
AS $$
DECLARE
  v_family uuid;
  v_tenant uuid;
  v_user uuid;
BEGIN
  SELECT family_id, tenant_id, user_id INTO v_family, v_tenant, v_user
    FROM refresh_tokens WHERE token_hash = p_hash;
  IF NOT FOUND THEN
    RETURN false;
  END IF;
  UPDATE refresh_tokens r SET revoked_at = coalesce(r.revoked_at, clock_timestamp())
   WHERE r.family_id = v_family;
  IF v_tenant IS NOT NULL THEN
    INSERT INTO audit_log (tenant_id, actor_id, action, target_type, target_id)
    VALUES (v_tenant, coalesce(app.current_user_id(), v_user), 'logout', 'User', v_user::text);
  END IF;
  RETURN true;
END
$$;

REVOKE ALL ON FUNCTION app.effective_limits(uuid), app.requests_per_minute(uuid), app.month_start(timestamptz),
  app.storage_bytes(uuid), app.audio_seconds(uuid, date), app.transcription_queue(), app.tenant_usage(uuid),
  app.touch_usage_record(uuid, date), app.enforce_quota(uuid, text), app.quota_after_insert(),
  app.quota_after_update(), app.record_api_calls(uuid[], bigint[]), app.snapshot_usage() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION app.effective_limits(uuid), app.requests_per_minute(uuid), app.month_start(timestamptz),
  app.storage_bytes(uuid), app.audio_seconds(uuid, date), app.transcription_queue(), app.tenant_usage(uuid),
  app.touch_usage_record(uuid, date), app.enforce_quota(uuid, text), app.record_api_calls(uuid[], bigint[]),
  app.snapshot_usage() TO iafactory_app, iafactory_superadmin;
RESET ROLE;
"""


def upgrade() -> None:
    op.get_bind().connection.driver_connection.execute(SQL)


def downgrade() -> None:
    raise NotImplementedError("forward-only: restore from a backup or a tenant export instead")
