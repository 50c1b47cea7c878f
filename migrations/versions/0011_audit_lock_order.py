"""Audit numbering takes the tenant's write lock first: one lock order for every writer.

Revision ID: 0011_audit_lock_order
Revises: 0010_usage_lost_update
Create Date: 2026-12-03

A tenant's writes take two locks until they commit: the quota check's advisory lock
(`app.check_quota`, an AFTER trigger, so at the END of a statement) and the row of the
tenant's audit counter (`app.number_audit_entry`, a BEFORE trigger on audit_log). A statement
that writes a row and its audit entry together (createProject: one statement since issue 10)
locked the counter first and the advisory lock second; addDocument, two statements, the other
way round: two such requests of one tenant deadlocked (seen in `bench soak`: 109 INTERNAL of
34,891 operations in 5 minutes). The numbering now takes the advisory lock before the counter,
so every transaction takes them in the same order.
"""

from alembic import op

revision = "0011_audit_lock_order"
down_revision = "0010_usage_lost_update"
branch_labels = None
depends_on = None

SQL = r"""
SET LOCAL ROLE iafactory_owner;

CREATE OR REPLACE FUNCTION app.number_audit_entry() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp
AS $$
BEGIN
  -- The same key as app.check_quota's: the tenant's writers queue here, in one order.
  PERFORM pg_advisory_xact_lock(1769172, hashtext(NEW.tenant_id::text));
  INSERT INTO tenant_sequences AS s (tenant_id, name, last_value)
  VALUES (NEW.tenant_id, 'audit_log', coalesce(NEW.id, 1))
  ON CONFLICT (tenant_id, name) DO UPDATE
    SET last_value = CASE WHEN NEW.id IS NULL THEN s.last_value + 1
                          ELSE greatest(s.last_value, NEW.id) END
  RETURNING CASE WHEN NEW.id IS NULL THEN s.last_value ELSE NEW.id END INTO NEW.id;
  RETURN NEW;
END
$$;

RESET ROLE;
"""


def upgrade() -> None:
    op.get_bind().connection.driver_connection.execute(SQL)


def downgrade() -> None:
    raise NotImplementedError("forward-only: restore from a backup or a tenant export instead")
