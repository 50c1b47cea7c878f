"""Usage records: a flush never writes back an older count of audio seconds.

Revision ID: 0010_usage_lost_update
Revises: 0009_lifecycle
Create Date: 2026-12-03

`app.record_api_calls` (every server's usage flush) and `app.snapshot_usage` computed the
month's audio seconds in their statement's snapshot, then, waiting on the row lock an upload
held, overwrote the count that upload's trigger had just written with their older one: an
accepted upload could go unbilled until the next flush after it (seen as a flaky
tests/governance/test_billing.py). Both now keep the larger of the two counts.
"""

from alembic import op

revision = "0010_usage_lost_update"
down_revision = "0009_lifecycle"
branch_labels = None
depends_on = None

SQL = r"""
SET LOCAL ROLE iafactory_owner;

CREATE OR REPLACE FUNCTION app.record_api_calls(p_tenants uuid[], p_calls bigint[]) RETURNS void
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
                audio_seconds = greatest(r.audio_seconds, EXCLUDED.audio_seconds),
                storage_peak_bytes = greatest(r.storage_peak_bytes, EXCLUDED.storage_peak_bytes),
                updated_at = clock_timestamp()
$$;

CREATE OR REPLACE FUNCTION app.snapshot_usage() RETURNS integer
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
     SET audio_seconds = greatest(r.audio_seconds, EXCLUDED.audio_seconds),
         storage_peak_bytes = greatest(r.storage_peak_bytes, EXCLUDED.storage_peak_bytes),
         updated_at = clock_timestamp();
  GET DIAGNOSTICS v_count = ROW_COUNT;
  RETURN v_count;
END
$$;

RESET ROLE;
"""


def upgrade() -> None:
    op.get_bind().connection.driver_connection.execute(SQL)


def downgrade() -> None:
    raise NotImplementedError("forward-only: restore from a backup or a tenant export instead")
