"""One tenant write lock, taken FIRST by every transaction that writes a tenant's rows.

Revision ID: 0012_tenant_write_lock
Revises: 0011_audit_lock_order
Create Date: 2026-12-03

The quota check and the audit numbering serialise a tenant's writers with an advisory lock
(0004, 0011), taken in the middle of a transaction: after the rows a writer has already
locked. A writer that took it first and then reached rows (deleteProject: its audit entry,
then the cascade to the project's documents) deadlocked with one that held those rows and
then wanted it (the indexer: the documents it embeds, then the storage quota). Seen in `bench
soak`: 7 INTERNAL of 39,963 operations in 5 minutes.

Now a writer takes the lock before any row: request mutations in their opening, workers and
the indexer in theirs (iafactory/db/scope.py, `writes=True`), through `app.lock_writes()`,
which locks the transaction's own tenant only. The quota check and the numbering take the
same lock again (re-entrant within a transaction), through the one function that knows its
key, `app.tenant_write_lock`.
"""

from alembic import op

revision = "0012_tenant_write_lock"
down_revision = "0011_audit_lock_order"
branch_labels = None
depends_on = None

SQL = r"""
SET LOCAL ROLE iafactory_owner;

-- The key of a tenant's write lock. Only definer functions call it: a request must not be
-- able to lock another tenant's writes.
CREATE FUNCTION app.tenant_write_lock(p_tenant uuid) RETURNS void
LANGUAGE sql SET search_path = pg_catalog, public, pg_temp
AS $$ SELECT pg_advisory_xact_lock(1769172, hashtext(p_tenant::text)) $$;
REVOKE ALL ON FUNCTION app.tenant_write_lock(uuid) FROM PUBLIC;

-- The transaction's own tenant (app.tenant_id), until it ends. Without a tenant: nothing to
-- lock, and nothing such a transaction can write under row-level security either.
CREATE FUNCTION app.lock_writes() RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp
AS $$
DECLARE
  v_tenant uuid := app.current_tenant_id();
BEGIN
  IF v_tenant IS NOT NULL THEN
    PERFORM app.tenant_write_lock(v_tenant);
  END IF;
END
$$;
REVOKE ALL ON FUNCTION app.lock_writes() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION app.lock_writes() TO iafactory_app;

CREATE OR REPLACE FUNCTION app.number_audit_entry() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp
AS $$
BEGIN
  PERFORM app.tenant_write_lock(NEW.tenant_id);
  INSERT INTO tenant_sequences AS s (tenant_id, name, last_value)
  VALUES (NEW.tenant_id, 'audit_log', coalesce(NEW.id, 1))
  ON CONFLICT (tenant_id, name) DO UPDATE
    SET last_value = CASE WHEN NEW.id IS NULL THEN s.last_value + 1
                          ELSE greatest(s.last_value, NEW.id) END
  RETURNING CASE WHEN NEW.id IS NULL THEN s.last_value ELSE NEW.id END INTO NEW.id;
  RETURN NEW;
END
$$;

CREATE OR REPLACE FUNCTION app.enforce_quota(p_tenant uuid, p_quota text) RETURNS void
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp
AS $$
DECLARE
  v_limits record;
  v_period date := app.month_start(clock_timestamp());
  v_used double precision;
  v_limit double precision;
  v_setting text;
BEGIN
  SELECT * INTO v_limits FROM app.effective_limits(p_tenant);
  IF NOT FOUND THEN
    RETURN;  -- the tenant is being erased
  END IF;
  PERFORM app.tenant_write_lock(p_tenant);
  IF p_quota = 'projects' THEN
    v_setting := 'max_projects';
    v_limit := v_limits.max_projects;
    IF v_limit IS NULL THEN RETURN; END IF;
    SELECT count(*) INTO v_used FROM projects WHERE tenant_id = p_tenant;
  ELSIF p_quota = 'storage' THEN
    v_setting := 'max_storage_bytes';
    v_limit := v_limits.max_storage_bytes;
    v_used := app.storage_bytes(p_tenant);
    PERFORM app.touch_usage_record(p_tenant, v_period);
    UPDATE usage_records SET storage_peak_bytes = greatest(storage_peak_bytes, v_used::bigint),
                             updated_at = clock_timestamp()
     WHERE tenant_id = p_tenant AND period = v_period AND storage_peak_bytes < v_used;
  ELSIF p_quota = 'audio' THEN
    v_setting := 'max_audio_seconds_per_month';
    v_limit := v_limits.max_audio_seconds_per_month;
    v_used := app.audio_seconds(p_tenant, v_period);
    PERFORM app.touch_usage_record(p_tenant, v_period);
    UPDATE usage_records SET audio_seconds = v_used, updated_at = clock_timestamp()
     WHERE tenant_id = p_tenant AND period = v_period AND audio_seconds IS DISTINCT FROM v_used;
  ELSE
    RAISE EXCEPTION 'unknown quota %', p_quota;
  END IF;
  IF v_limit IS NOT NULL AND v_used > v_limit THEN
    IF EXISTS (SELECT FROM tenant_quota_overrides WHERE tenant_id = p_tenant AND quota = v_setting) THEN
      RAISE EXCEPTION 'Quota exceeded: an operator''s override allows this tenant at most % (instead of the % plan''s limit).',
        app.quota_amount(p_quota, v_limit), v_limits.plan
        USING ERRCODE = 'IA402';
    END IF;
    RAISE EXCEPTION 'Quota exceeded: the % plan allows at most %.', v_limits.plan, app.quota_amount(p_quota, v_limit)
      USING ERRCODE = 'IA402';
  END IF;
END
$$;

RESET ROLE;
"""


def upgrade() -> None:
    op.get_bind().connection.driver_connection.execute(SQL)


def downgrade() -> None:
    raise NotImplementedError("forward-only: restore from a backup or a tenant export instead")
