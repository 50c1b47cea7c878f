"""Hardening (issue 9): a powerless login role for the runtime, password hashes behind a role
of their own, one email normalisation, audit ids numbered per tenant.

Revision ID: 0007_hardening
Revises: 0006_quota_messages
Create Date: 2026-12-04

- `iafactory_authenticator`: the login role the server and workers connect as (never the
  `DATABASE_URL` login, which may be a superuser): NOINHERIT, no attribute, member only of the
  roles a request switches to, so `RESET ROLE` inside a request lands on a role that can do
  nothing. `iafactory migrate` sets its password (derived from the JWT secret, db/roles.py).
- `iafactory_credentials`: the only role that may call `app.login_lookup` (it returns password
  hashes), entered by db/scope.py for the one short transaction of a sign-in.
- `app.normalize_email`: the one normalisation; Python keys its sign-in limits on its result.
- `audit_log.id` numbered per tenant (`tenant_sequences`), densely: a gap in one tenant's
  numbers no longer counts the actions of others.
"""

from alembic import op

revision = "0007_hardening"
down_revision = "0006_quota_messages"
branch_labels = None
depends_on = None

SQL = r"""
-- Roles are cluster-wide: created only if missing (CONVENTIONS.md).
DO $$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'iafactory_credentials') THEN
    CREATE ROLE iafactory_credentials NOLOGIN NOSUPERUSER NOBYPASSRLS NOINHERIT NOCREATEDB NOCREATEROLE;
  END IF;
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'iafactory_authenticator') THEN
    CREATE ROLE iafactory_authenticator LOGIN NOSUPERUSER NOBYPASSRLS NOINHERIT NOCREATEDB NOCREATEROLE
      NOREPLICATION;
  END IF;
EXCEPTION WHEN duplicate_object OR unique_violation THEN
  NULL;  -- another database of this cluster created them at the same moment
END
$$;
ALTER ROLE iafactory_authenticator NOSUPERUSER NOBYPASSRLS NOINHERIT NOCREATEDB NOCREATEROLE NOREPLICATION;
GRANT iafactory_app, iafactory_superadmin, iafactory_credentials TO iafactory_authenticator;
DO $$
BEGIN
  EXECUTE format('GRANT iafactory_credentials TO %I', current_user);
EXCEPTION WHEN invalid_grant_operation THEN
  NULL;
END
$$;
DO $$
BEGIN
  EXECUTE format('GRANT CONNECT ON DATABASE %I TO iafactory_authenticator', current_database());
EXCEPTION WHEN insufficient_privilege THEN
  NULL;  -- not the database's owner: PUBLIC's CONNECT (the default) must do
END
$$;

SET LOCAL ROLE iafactory_owner;

-- /health/ready compares this with the code's head, on a bare pooled connection; an owner's
-- self-service export (as the app role, governance/exports.py) records it in its header.
GRANT SELECT ON alembic_version TO iafactory_authenticator, iafactory_app;
GRANT USAGE ON SCHEMA app TO iafactory_credentials;

CREATE FUNCTION app.normalize_email(p_email text) RETURNS text
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  AS $$ SELECT lower(btrim(p_email)) $$;
REVOKE ALL ON FUNCTION app.normalize_email(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION app.normalize_email(text)
  TO iafactory_app, iafactory_superadmin, iafactory_credentials;

CREATE OR REPLACE FUNCTION app.login_lookup(p_email text)
RETURNS TABLE (user_id uuid, password_hash text, is_superadmin boolean)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp
AS $$ SELECT id, password_hash, is_superadmin FROM users WHERE email = app.normalize_email(p_email) $$;
-- Password hashes: not for the roles a request runs as, only for the sign-in's own role.
REVOKE ALL ON FUNCTION app.login_lookup(text) FROM PUBLIC, iafactory_app, iafactory_superadmin;
GRANT EXECUTE ON FUNCTION app.login_lookup(text) TO iafactory_credentials;

-- Per-tenant counters (only audit_log's for now), written by a definer trigger only.
CREATE TABLE tenant_sequences (
  tenant_id   uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  name        text NOT NULL CHECK (name IN ('audit_log')),
  last_value  bigint NOT NULL CHECK (last_value >= 0),
  PRIMARY KEY (tenant_id, name)
);
CALL ddl.isolate_tenant_table('tenant_sequences');
REVOKE ALL ON tenant_sequences FROM iafactory_app;
GRANT SELECT ON tenant_sequences TO iafactory_app;

INSERT INTO tenant_sequences (tenant_id, name, last_value)
  SELECT tenant_id, 'audit_log', max(id) FROM audit_log GROUP BY tenant_id;

ALTER TABLE audit_log ALTER COLUMN id DROP IDENTITY IF EXISTS;

-- The next number of the row's tenant; a row that brings its id (an operator's import, as
-- the owner: the roles of requests cannot write the column) moves the counter past it.
-- The counter row stays locked until the transaction ends, so numbers have no gaps.
CREATE FUNCTION app.number_audit_entry() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp
AS $$
BEGIN
  INSERT INTO tenant_sequences AS s (tenant_id, name, last_value)
  VALUES (NEW.tenant_id, 'audit_log', coalesce(NEW.id, 1))
  ON CONFLICT (tenant_id, name) DO UPDATE
    SET last_value = CASE WHEN NEW.id IS NULL THEN s.last_value + 1
                          ELSE greatest(s.last_value, NEW.id) END
  RETURNING CASE WHEN NEW.id IS NULL THEN s.last_value ELSE NEW.id END INTO NEW.id;
  RETURN NEW;
END
$$;
REVOKE ALL ON FUNCTION app.number_audit_entry() FROM PUBLIC;
CREATE TRIGGER audit_log_number BEFORE INSERT ON audit_log
  FOR EACH ROW EXECUTE FUNCTION app.number_audit_entry();

REVOKE INSERT ON audit_log FROM iafactory_app, iafactory_superadmin;
GRANT INSERT (tenant_id, at, actor_id, action, target_type, target_id, request_id, details)
  ON audit_log TO iafactory_app, iafactory_superadmin;

RESET ROLE;
"""


def upgrade() -> None:
    op.get_bind().connection.driver_connection.execute(SQL)


def downgrade() -> None:
    raise NotImplementedError("forward-only: restore from a backup or a tenant export instead")
