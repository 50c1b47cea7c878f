"""Quota messages that name the limit that applied, in human units, and where it came from.

Revision ID: 0006_quota_messages
Revises: 0005_superadmin_audit
Create Date: 2026-12-03

0004_governance said "this tenant's plan (PRO) allows at most 2 projects" even when 2 was an
operator's override, and counted storage in bytes and audio in seconds. `app.enforce_quota` is
replaced (same signature, owner, grants, SQLSTATE IA402 and checks); only its message changes:
  Quota exceeded: the PRO plan allows at most 1 GiB of storage.
  Quota exceeded: an operator's override allows this tenant at most 2 projects (instead of the PRO plan's limit).
"""

from alembic import op

revision = "0006_quota_messages"
down_revision = "0005_superadmin_audit"
branch_labels = None
depends_on = None

SQL = r"""
SET LOCAL ROLE iafactory_owner;

-- 1073741824 bytes -> '1 GiB of storage'; 5400 seconds -> '1.5 hours of audio per month'.
CREATE FUNCTION app.quota_amount(p_quota text, p_value double precision) RETURNS text
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  v_number numeric := p_value;
  v_unit text;
BEGIN
  IF p_quota = 'projects' THEN
    v_unit := 'project';
  ELSIF p_quota = 'storage' THEN
    IF p_value >= 1073741824 THEN v_number := p_value / 1073741824; v_unit := 'GiB';
    ELSIF p_value >= 1048576 THEN v_number := p_value / 1048576; v_unit := 'MiB';
    ELSIF p_value >= 1024 THEN v_number := p_value / 1024; v_unit := 'KiB';
    ELSE v_unit := 'byte';
    END IF;
  ELSE
    IF p_value >= 3600 THEN v_number := p_value / 3600; v_unit := 'hour';
    ELSIF p_value >= 60 THEN v_number := p_value / 60; v_unit := 'minute';
    ELSE v_unit := 'second';
    END IF;
  END IF;
  v_number := trim_scale(round(v_number, 1));
  RETURN v_number || ' ' || v_unit
         || CASE WHEN v_unit LIKE '%iB' OR v_number = 1 THEN '' ELSE 's' END
         || CASE p_quota WHEN 'storage' THEN ' of storage' WHEN 'audio' THEN ' of audio per month' ELSE '' END;
END
$$;
REVOKE ALL ON FUNCTION app.quota_amount(text, double precision) FROM PUBLIC;

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
  PERFORM pg_advisory_xact_lock(1769172, hashtext(p_tenant::text));
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
