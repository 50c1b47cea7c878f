"""Core: roles, tenants, users, memberships, refresh tokens, projects, documents, audit log.

Revision ID: 0001_core
Revises:
Create Date: 2026-11-29
"""

from alembic import op

revision = "0001_core"
down_revision = None
branch_labels = None
depends_on = None

SQL = r"""
-- Three roles (CONVENTIONS.md). Roles are cluster-wide: create them only if missing, so a
-- second database in the same cluster migrates too; grants below are per database.
DO $$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'iafactory_owner') THEN
    CREATE ROLE iafactory_owner NOLOGIN NOSUPERUSER BYPASSRLS;
  END IF;
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'iafactory_app') THEN
    CREATE ROLE iafactory_app NOLOGIN NOSUPERUSER NOBYPASSRLS NOINHERIT NOCREATEDB NOCREATEROLE;
  END IF;
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'iafactory_superadmin') THEN
    CREATE ROLE iafactory_superadmin NOLOGIN NOSUPERUSER BYPASSRLS NOINHERIT NOCREATEDB NOCREATEROLE;
  END IF;
EXCEPTION WHEN duplicate_object OR unique_violation THEN
  NULL;  -- another database of this cluster created them at the same moment
END
$$;

-- The login role of DATABASE_URL must be able to become each of them (SET LOCAL ROLE).
DO $$
BEGIN
  EXECUTE format('GRANT iafactory_owner, iafactory_app, iafactory_superadmin TO %I', current_user);
EXCEPTION WHEN invalid_grant_operation THEN
  NULL;  -- current_user is one of these roles already
END
$$;

CREATE SCHEMA IF NOT EXISTS app AUTHORIZATION iafactory_owner;
CREATE SCHEMA IF NOT EXISTS ddl AUTHORIZATION iafactory_owner;  -- migration helpers only
GRANT USAGE ON SCHEMA app TO iafactory_app, iafactory_superadmin;
GRANT USAGE ON SCHEMA public TO iafactory_app, iafactory_superadmin;
GRANT USAGE, CREATE ON SCHEMA public TO iafactory_owner;
-- Alembic created its table as the migrating login; the owner role takes it, so that a
-- login role that is no superuser (granted the three roles) can check and apply revisions.
ALTER TABLE IF EXISTS alembic_version OWNER TO iafactory_owner;

SET LOCAL ROLE iafactory_owner;

-- Identity reaches SQL only through these transaction-local settings (db/scope.py).
-- nullif: an unset setting reads as '' and must mean "nobody", never an error or "everyone".
CREATE FUNCTION app.current_tenant_id() RETURNS uuid
  LANGUAGE sql STABLE PARALLEL SAFE
  AS $$ SELECT nullif(current_setting('app.tenant_id', true), '')::uuid $$;

CREATE FUNCTION app.current_user_id() RETURNS uuid
  LANGUAGE sql STABLE PARALLEL SAFE
  AS $$ SELECT nullif(current_setting('app.user_id', true), '')::uuid $$;

CREATE FUNCTION app.current_request_id() RETURNS text
  LANGUAGE sql STABLE PARALLEL SAFE
  AS $$ SELECT nullif(current_setting('app.request_id', true), '') $$;

CREATE TABLE plans (
  plan                         text PRIMARY KEY CHECK (plan IN ('FREE', 'PRO', 'ENTERPRISE')),
  requests_per_minute          integer NOT NULL CHECK (requests_per_minute > 0),
  max_projects                 integer CHECK (max_projects >= 0),
  max_storage_bytes            bigint CHECK (max_storage_bytes >= 0),
  max_audio_seconds_per_month  double precision CHECK (max_audio_seconds_per_month >= 0)
);
INSERT INTO plans VALUES
  ('FREE', 120, 20, 100 * 1024 * 1024, 60 * 60),
  ('PRO', 1200, 500, 10::bigint * 1024 * 1024 * 1024, 1200 * 60),
  ('ENTERPRISE', 6000, NULL, NULL, NULL);

CREATE TABLE tenants (
  id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  name        text NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 200),
  slug        text NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$'),
  region      text NOT NULL DEFAULT 'DZ' CHECK (region ~ '^[A-Z]{2}$'),
  plan        text NOT NULL DEFAULT 'FREE' REFERENCES plans (plan),
  status      text NOT NULL DEFAULT 'ACTIVE' CHECK (status IN ('ACTIVE', 'SUSPENDED')),
  created_at  timestamptz NOT NULL DEFAULT clock_timestamp()
);

CREATE TABLE users (
  id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  email          text NOT NULL UNIQUE CHECK (email = lower(email) AND email ~ '^[^@\s]+@[^@\s]+$'),
  password_hash  text,
  full_name      text CHECK (length(full_name) <= 200),
  is_superadmin  boolean NOT NULL DEFAULT false,
  created_at     timestamptz NOT NULL DEFAULT clock_timestamp()
);

CREATE TABLE tenant_memberships (
  tenant_id   uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  user_id     uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  role        text NOT NULL CHECK (role IN ('OWNER', 'ADMIN', 'MEMBER')),
  created_at  timestamptz NOT NULL DEFAULT clock_timestamp(),
  PRIMARY KEY (tenant_id, user_id)
);
CREATE INDEX tenant_memberships_user ON tenant_memberships (user_id, created_at);

-- tenant_id is NULL only for a super-admin signed in without a tenant.
CREATE TABLE refresh_tokens (
  id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id   uuid REFERENCES tenants (id) ON DELETE CASCADE,
  user_id     uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  family_id   uuid NOT NULL,
  token_hash  bytea NOT NULL UNIQUE,
  created_at  timestamptz NOT NULL DEFAULT clock_timestamp(),
  expires_at  timestamptz NOT NULL,
  used_at     timestamptz,
  revoked_at  timestamptz,
  -- removing a member (or the tenant) takes their sessions with it
  FOREIGN KEY (tenant_id, user_id) REFERENCES tenant_memberships (tenant_id, user_id) ON DELETE CASCADE
);
CREATE INDEX refresh_tokens_family ON refresh_tokens (family_id);

CREATE TABLE projects (
  tenant_id    uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  id           uuid NOT NULL DEFAULT gen_random_uuid(),
  name         text NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 200),
  description  text CHECK (length(description) <= 10000),
  created_by   uuid REFERENCES users (id) ON DELETE SET NULL,
  created_at   timestamptz NOT NULL DEFAULT clock_timestamp(),
  updated_at   timestamptz NOT NULL DEFAULT clock_timestamp(),
  PRIMARY KEY (tenant_id, id)
);
CREATE INDEX projects_newest ON projects (tenant_id, created_at DESC, id DESC);

CREATE TABLE documents (
  tenant_id   uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  id          uuid NOT NULL DEFAULT gen_random_uuid(),
  project_id  uuid,
  title       text NOT NULL CHECK (length(btrim(title)) BETWEEN 1 AND 500),
  content     text NOT NULL,
  source      text NOT NULL DEFAULT 'TEXT' CHECK (source IN ('TEXT', 'TRANSCRIPTION')),
  language    text,
  size_bytes  bigint GENERATED ALWAYS AS (octet_length(title) + octet_length(content)) STORED,
  created_by  uuid REFERENCES users (id) ON DELETE SET NULL,
  created_at  timestamptz NOT NULL DEFAULT clock_timestamp(),
  PRIMARY KEY (tenant_id, id),
  -- composite: a document can only ever point at a project of its own tenant
  FOREIGN KEY (tenant_id, project_id) REFERENCES projects (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX documents_newest ON documents (tenant_id, created_at DESC, id DESC);
CREATE INDEX documents_project_newest ON documents (tenant_id, project_id, created_at DESC, id DESC);

-- Append-only for the app role: no UPDATE or DELETE grant, and policies that refuse both.
CREATE TABLE audit_log (
  tenant_id    uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  id           bigint GENERATED ALWAYS AS IDENTITY,
  at           timestamptz NOT NULL DEFAULT clock_timestamp(),
  actor_id     uuid DEFAULT app.current_user_id(),
  action       text NOT NULL,
  target_type  text,
  target_id    text,
  request_id   text DEFAULT app.current_request_id(),
  details      jsonb,
  PRIMARY KEY (tenant_id, id)
);
CREATE INDEX audit_log_newest ON audit_log (tenant_id, id DESC);

-- Row-level security: every table with a tenant_id is ENABLED and FORCED, one policy per
-- command, all built on app.current_tenant_id(). FORCE makes the owner obey them too.
-- Migrations call this one procedure for each tenant table (schema ddl: never granted to
-- the app or super-admin roles).
CREATE PROCEDURE ddl.isolate_tenant_table(p_table regclass)
LANGUAGE plpgsql SET search_path = pg_catalog, public, pg_temp
AS $$
BEGIN
  EXECUTE format('ALTER TABLE %s ENABLE ROW LEVEL SECURITY', p_table);
  EXECUTE format('ALTER TABLE %s FORCE ROW LEVEL SECURITY', p_table);
  EXECUTE format('CREATE POLICY tenant_select ON %s FOR SELECT USING (tenant_id = app.current_tenant_id())', p_table);
  EXECUTE format('CREATE POLICY tenant_insert ON %s FOR INSERT WITH CHECK (tenant_id = app.current_tenant_id())', p_table);
  EXECUTE format('CREATE POLICY tenant_update ON %s FOR UPDATE USING (tenant_id = app.current_tenant_id()) WITH CHECK (tenant_id = app.current_tenant_id())', p_table);
  EXECUTE format('CREATE POLICY tenant_delete ON %s FOR DELETE USING (tenant_id = app.current_tenant_id())', p_table);
  EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON %s TO iafactory_app', p_table);
END
$$;
REVOKE ALL ON PROCEDURE ddl.isolate_tenant_table(regclass) FROM PUBLIC;

CALL ddl.isolate_tenant_table('projects');
CALL ddl.isolate_tenant_table('documents');

-- Memberships: a tenant sees its members; a user also sees its own memberships elsewhere
-- (Viewer.memberships, switchTenant). Writes only inside the active tenant.
ALTER TABLE tenant_memberships ENABLE ROW LEVEL SECURITY;
ALTER TABLE tenant_memberships FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_select ON tenant_memberships FOR SELECT
  USING (tenant_id = app.current_tenant_id() OR user_id = app.current_user_id());
CREATE POLICY tenant_insert ON tenant_memberships FOR INSERT WITH CHECK (tenant_id = app.current_tenant_id());
CREATE POLICY tenant_update ON tenant_memberships FOR UPDATE
  USING (tenant_id = app.current_tenant_id()) WITH CHECK (tenant_id = app.current_tenant_id());
CREATE POLICY tenant_delete ON tenant_memberships FOR DELETE USING (tenant_id = app.current_tenant_id());
GRANT SELECT, INSERT, UPDATE, DELETE ON tenant_memberships TO iafactory_app;

-- Refresh tokens are reached only through the security-definer functions below.
ALTER TABLE refresh_tokens ENABLE ROW LEVEL SECURITY;
ALTER TABLE refresh_tokens FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_select ON refresh_tokens FOR SELECT
  USING (tenant_id = app.current_tenant_id() AND user_id = app.current_user_id());
CREATE POLICY tenant_insert ON refresh_tokens FOR INSERT WITH CHECK (false);
CREATE POLICY tenant_update ON refresh_tokens FOR UPDATE USING (false);
CREATE POLICY tenant_delete ON refresh_tokens FOR DELETE USING (tenant_id = app.current_tenant_id());
GRANT SELECT (id, tenant_id, user_id, family_id, created_at, expires_at, used_at, revoked_at),
  DELETE ON refresh_tokens TO iafactory_app;

ALTER TABLE audit_log ENABLE ROW LEVEL SECURITY;
ALTER TABLE audit_log FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_select ON audit_log FOR SELECT USING (tenant_id = app.current_tenant_id());
CREATE POLICY tenant_insert ON audit_log FOR INSERT WITH CHECK (tenant_id = app.current_tenant_id());
CREATE POLICY tenant_update ON audit_log FOR UPDATE USING (false);
CREATE POLICY tenant_delete ON audit_log FOR DELETE USING (false);
GRANT SELECT, INSERT ON audit_log TO iafactory_app;
GRANT INSERT ON audit_log TO iafactory_superadmin;

-- Global tables, narrowly: a user sees itself and the members of its active tenant (never
-- the password hash); tenants are visible to their members. Writes go through functions.
ALTER TABLE users ENABLE ROW LEVEL SECURITY;
ALTER TABLE users FORCE ROW LEVEL SECURITY;
CREATE POLICY visible_users ON users FOR SELECT USING (
  id = app.current_user_id()
  OR EXISTS (SELECT FROM tenant_memberships m
             WHERE m.user_id = users.id AND m.tenant_id = app.current_tenant_id()));
CREATE POLICY self_update ON users FOR UPDATE
  USING (id = app.current_user_id()) WITH CHECK (id = app.current_user_id());
GRANT SELECT (id, email, full_name, is_superadmin, created_at), UPDATE (full_name)
  ON users TO iafactory_app;
GRANT SELECT (id, email, full_name, is_superadmin, created_at) ON users TO iafactory_superadmin;

ALTER TABLE tenants ENABLE ROW LEVEL SECURITY;
ALTER TABLE tenants FORCE ROW LEVEL SECURITY;
CREATE POLICY member_tenants ON tenants FOR SELECT USING (
  id = app.current_tenant_id()
  OR EXISTS (SELECT FROM tenant_memberships m
             WHERE m.tenant_id = tenants.id AND m.user_id = app.current_user_id()));
GRANT SELECT ON tenants TO iafactory_app;
GRANT SELECT, INSERT, UPDATE ON tenants TO iafactory_superadmin;
GRANT SELECT, INSERT ON tenant_memberships TO iafactory_superadmin;

GRANT SELECT ON plans TO iafactory_app, iafactory_superadmin;
GRANT SELECT ON projects, documents, audit_log TO iafactory_superadmin;

-- Security-definer functions: the only doors into global rows before a tenant is known.
-- Each pins search_path (so a planted object cannot hijack it) and checks its caller's input.

-- Called when a tenant scope opens: the token must still match the database exactly.
CREATE FUNCTION app.assert_principal(p_tenant uuid, p_user uuid, p_role text, p_superadmin boolean)
RETURNS void
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp
AS $$
DECLARE
  v_superadmin boolean;
  v_status text;
  v_role text;
BEGIN
  SELECT is_superadmin INTO v_superadmin FROM users WHERE id = p_user;
  IF NOT FOUND OR v_superadmin IS DISTINCT FROM p_superadmin THEN
    RAISE EXCEPTION 'Invalid or expired token.' USING ERRCODE = 'IA401';
  END IF;
  IF p_tenant IS NULL THEN
    RETURN;
  END IF;
  SELECT t.status, m.role INTO v_status, v_role
    FROM tenants t LEFT JOIN tenant_memberships m ON m.tenant_id = t.id AND m.user_id = p_user
   WHERE t.id = p_tenant;
  IF NOT FOUND OR v_role IS DISTINCT FROM p_role THEN
    RAISE EXCEPTION 'Invalid or expired token.' USING ERRCODE = 'IA401';
  END IF;
  IF v_status = 'SUSPENDED' THEN
    RAISE EXCEPTION 'This tenant is suspended.' USING ERRCODE = 'IA423';
  END IF;
END
$$;

CREATE FUNCTION app.login_lookup(p_email text)
RETURNS TABLE (user_id uuid, password_hash text, is_superadmin boolean)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp
AS $$ SELECT id, password_hash, is_superadmin FROM users WHERE email = lower(btrim(p_email)) $$;

CREATE FUNCTION app.user_memberships(p_user uuid)
RETURNS TABLE (tenant_id uuid, slug text, role text, status text)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp
AS $$
  SELECT m.tenant_id, t.slug, m.role, t.status
    FROM tenant_memberships m JOIN tenants t ON t.id = m.tenant_id
   WHERE m.user_id = p_user
   ORDER BY m.created_at, t.slug
$$;

CREATE FUNCTION app.register(p_email text, p_password_hash text, p_full_name text,
                             p_tenant_name text, p_slug text, p_region text)
RETURNS TABLE (user_id uuid, tenant_id uuid)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp
AS $$
DECLARE
  v_user uuid;
  v_tenant uuid;
BEGIN
  IF EXISTS (SELECT FROM users WHERE email = lower(btrim(p_email))) THEN
    RAISE EXCEPTION 'This email is already registered.' USING ERRCODE = 'IA409';
  END IF;
  IF EXISTS (SELECT FROM tenants WHERE slug = p_slug) THEN
    RAISE EXCEPTION 'This tenant slug is taken.' USING ERRCODE = 'IA409';
  END IF;
  INSERT INTO users (email, password_hash, full_name)
    VALUES (lower(btrim(p_email)), p_password_hash, p_full_name) RETURNING id INTO v_user;
  INSERT INTO tenants (name, slug, region) VALUES (p_tenant_name, p_slug, p_region)
    RETURNING id INTO v_tenant;
  INSERT INTO tenant_memberships (tenant_id, user_id, role) VALUES (v_tenant, v_user, 'OWNER');
  INSERT INTO audit_log (tenant_id, actor_id, action, target_type, target_id)
    VALUES (v_tenant, v_user, 'register', 'Tenant', v_tenant::text);
  RETURN QUERY SELECT v_user, v_tenant;
END
$$;

CREATE FUNCTION app.issue_refresh_token(p_user uuid, p_tenant uuid, p_hash bytea,
                                        p_family uuid, p_expires_at timestamptz)
RETURNS void
LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp
AS $$
  INSERT INTO refresh_tokens (user_id, tenant_id, token_hash, family_id, expires_at)
  VALUES (p_user, p_tenant, p_hash, p_family, p_expires_at)
$$;

-- Rotation with reuse detection: presenting a token that was already rotated (or revoked)
-- revokes its whole family, so a stolen token dies with the legitimate one.
CREATE FUNCTION app.rotate_refresh_token(p_hash bytea, p_new_hash bytea, p_expires_at timestamptz)
RETURNS TABLE (outcome text, user_id uuid, tenant_id uuid, role text, is_superadmin boolean)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp
AS $$
DECLARE
  v refresh_tokens%ROWTYPE;
  v_role text;
  v_status text;
  v_superadmin boolean;
BEGIN
  SELECT * INTO v FROM refresh_tokens r WHERE r.token_hash = p_hash FOR UPDATE;
  IF NOT FOUND THEN
    RETURN QUERY SELECT 'invalid', NULL::uuid, NULL::uuid, NULL::text, NULL::boolean;
    RETURN;
  END IF;
  IF v.used_at IS NOT NULL OR v.revoked_at IS NOT NULL THEN
    UPDATE refresh_tokens r SET revoked_at = coalesce(r.revoked_at, clock_timestamp())
     WHERE r.family_id = v.family_id;
    RETURN QUERY SELECT 'reused', v.user_id, v.tenant_id, NULL::text, NULL::boolean;
    RETURN;
  END IF;
  IF v.expires_at <= clock_timestamp() THEN
    RETURN QUERY SELECT 'expired', v.user_id, v.tenant_id, NULL::text, NULL::boolean;
    RETURN;
  END IF;
  SELECT u.is_superadmin INTO v_superadmin FROM users u WHERE u.id = v.user_id;
  IF v.tenant_id IS NOT NULL THEN
    SELECT m.role, t.status INTO v_role, v_status
      FROM tenant_memberships m JOIN tenants t ON t.id = m.tenant_id
     WHERE m.tenant_id = v.tenant_id AND m.user_id = v.user_id;
    IF v_status = 'SUSPENDED' THEN
      RETURN QUERY SELECT 'suspended', v.user_id, v.tenant_id, NULL::text, NULL::boolean;
      RETURN;
    END IF;
  END IF;
  UPDATE refresh_tokens r SET used_at = clock_timestamp() WHERE r.id = v.id;
  INSERT INTO refresh_tokens (user_id, tenant_id, token_hash, family_id, expires_at)
    VALUES (v.user_id, v.tenant_id, p_new_hash, v.family_id, p_expires_at);
  RETURN QUERY SELECT 'ok', v.user_id, v.tenant_id, v_role, v_superadmin;
END
$$;

CREATE FUNCTION app.revoke_refresh_family(p_hash bytea)
RETURNS boolean
LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp
AS $$
  WITH target AS (SELECT family_id FROM refresh_tokens WHERE token_hash = p_hash),
       revoked AS (
         UPDATE refresh_tokens r SET revoked_at = coalesce(r.revoked_at, clock_timestamp())
           FROM target WHERE r.family_id = target.family_id RETURNING 1)
  SELECT EXISTS (SELECT FROM revoked)
$$;

-- Membership by email inside the active tenant: finds exactly one user, nobody else.
CREATE FUNCTION app.add_member_by_email(p_email text, p_role text)
RETURNS uuid
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp
AS $$
DECLARE
  v_user uuid;
  v_tenant uuid := app.current_tenant_id();
BEGIN
  IF v_tenant IS NULL THEN
    RAISE EXCEPTION 'This field needs a token bound to a tenant.' USING ERRCODE = 'IA428';
  END IF;
  SELECT id INTO v_user FROM users WHERE email = lower(btrim(p_email));
  IF NOT FOUND THEN
    RAISE EXCEPTION 'No user with this email.' USING ERRCODE = 'IA404';
  END IF;
  IF EXISTS (SELECT FROM tenant_memberships WHERE tenant_id = v_tenant AND user_id = v_user) THEN
    RAISE EXCEPTION 'This user is already a member.' USING ERRCODE = 'IA409';
  END IF;
  INSERT INTO tenant_memberships (tenant_id, user_id, role) VALUES (v_tenant, v_user, p_role);
  RETURN v_user;
END
$$;

REVOKE ALL ON ALL FUNCTIONS IN SCHEMA app FROM PUBLIC;
GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA app TO iafactory_app, iafactory_superadmin;
RESET ROLE;
"""


def upgrade() -> None:
    # The driver's own execute: the whole script in one simple-protocol call, no bind parsing.
    op.get_bind().connection.driver_connection.execute(SQL)


def downgrade() -> None:
    raise NotImplementedError("forward-only: restore from a backup or a tenant export instead")
