"""Super-admin audit: every super-admin action, reads included, in a global append-only log.

Changes to a tenant are also written to that tenant's own audit_log (its owners see them);
this log also holds what concerns no single tenant (listing tenants, billing reads).

Revision ID: 0005_superadmin_audit
Revises: 0004_governance
Create Date: 2026-11-29
"""

from alembic import op

revision = "0005_superadmin_audit"
down_revision = "0004_governance"
branch_labels = None
depends_on = None

SQL = r"""
SET LOCAL ROLE iafactory_owner;

CREATE TABLE superadmin_audit_log (
  id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  at           timestamptz NOT NULL DEFAULT clock_timestamp(),
  actor_id     uuid NOT NULL DEFAULT app.current_user_id(),
  action       text NOT NULL,
  target_type  text,
  target_id    text,
  request_id   text DEFAULT app.current_request_id(),
  details      jsonb
);
CREATE INDEX superadmin_audit_log_newest ON superadmin_audit_log (id DESC);

-- Only the super-admin role (inside TenantScope.elevated()) appends; nobody updates or
-- deletes through the API; the app role cannot see it at all.
ALTER TABLE superadmin_audit_log ENABLE ROW LEVEL SECURITY;
ALTER TABLE superadmin_audit_log FORCE ROW LEVEL SECURITY;
CREATE POLICY superadmin_select ON superadmin_audit_log FOR SELECT USING (true);
CREATE POLICY superadmin_insert ON superadmin_audit_log FOR INSERT WITH CHECK (actor_id = app.current_user_id());
CREATE POLICY superadmin_update ON superadmin_audit_log FOR UPDATE USING (false);
CREATE POLICY superadmin_delete ON superadmin_audit_log FOR DELETE USING (false);
GRANT SELECT, INSERT ON superadmin_audit_log TO iafactory_superadmin;

RESET ROLE;
"""


def upgrade() -> None:
    op.get_bind().connection.driver_connection.execute(SQL)


def downgrade() -> None:
    raise NotImplementedError("forward-only: restore from a backup or a tenant export instead")
