"""The tenant lifecycle: revocable sessions, invitations with consent, password resets,
support sessions, and the tenant a user last entered.

Revision ID: 0009_lifecycle
Revises: 0008_semantic
Create Date: 2026-12-03

Sessions. An access token carries `sid`, the id of its session (a refresh-token family, or
a support session). `app.assert_principal`, run when every operation opens, rejects a token
whose session has ended: logout, reuse of a rotated refresh token and a password change end
the access tokens of those sessions at once, not when they expire. A token without `sid`
(issued before this revision) is accepted only if it was issued after the user's last
password change or reset (`users.sessions_revoked_at`).

One-time secrets (invitation and password-reset tokens) are stored as their SHA-256 only,
and reached before a tenant is known only through security-definer functions here.
"""

from alembic import op

revision = "0009_lifecycle"
down_revision = "0008_semantic"
branch_labels = None
depends_on = None

SQL = r"""
SET LOCAL ROLE iafactory_owner;

-- Sessions -------------------------------------------------------------------------------
-- One row per refresh-token family (a sign-in): `id` is refresh_tokens.family_id (no foreign
-- key: a family without a row here is simply no live session). Global (a super-admin may
-- sign in without a tenant); the app role has no access: only definer functions reach it.
CREATE TABLE sessions (
  id          uuid PRIMARY KEY,
  user_id     uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  created_at  timestamptz NOT NULL DEFAULT clock_timestamp(),
  revoked_at  timestamptz
);
CREATE INDEX sessions_live_by_user ON sessions (user_id) WHERE revoked_at IS NULL;
INSERT INTO sessions (id, user_id, created_at, revoked_at)
  SELECT family_id, min(user_id::text)::uuid, min(created_at),
         CASE WHEN bool_or(revoked_at IS NOT NULL) THEN max(revoked_at) END
    FROM refresh_tokens GROUP BY family_id;
ALTER TABLE sessions ENABLE ROW LEVEL SECURITY;
ALTER TABLE sessions FORCE ROW LEVEL SECURITY;
CREATE POLICY nobody_select ON sessions FOR SELECT USING (false);
CREATE POLICY nobody_insert ON sessions FOR INSERT WITH CHECK (false);
CREATE POLICY nobody_update ON sessions FOR UPDATE USING (false);
CREATE POLICY nobody_delete ON sessions FOR DELETE USING (false);

-- Access tokens without `sid` die with the password they were issued under.
ALTER TABLE users ADD COLUMN sessions_revoked_at timestamptz;

-- A family revoked by any path (logout, reuse detection, password change) ends its session.
CREATE FUNCTION app.end_session_of_revoked_family() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, public, pg_temp
AS $$
BEGIN
  UPDATE sessions SET revoked_at = coalesce(revoked_at, NEW.revoked_at) WHERE id = NEW.family_id;
  RETURN NULL;
END
$$;
CREATE TRIGGER end_session AFTER UPDATE OF revoked_at ON refresh_tokens
  FOR EACH ROW WHEN (NEW.revoked_at IS NOT NULL AND OLD.revoked_at IS NULL)
  EXECUTE FUNCTION app.end_session_of_revoked_family();

-- Same signature and answer as 0001_core's version; the family is now a session.
CREATE OR REPLACE FUNCTION app.issue_refresh_token(p_user uuid, p_tenant uuid, p_hash bytea,
                                                   p_family uuid, p_expires_at timestamptz)
RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp
AS $$
BEGIN
  INSERT INTO sessions (id, user_id) VALUES (p_family, p_user) ON CONFLICT (id) DO NOTHING;
  INSERT INTO refresh_tokens (user_id, tenant_id, token_hash, family_id, expires_at)
  VALUES (p_user, p_tenant, p_hash, p_family, p_expires_at);
END
$$;

-- The refresh answer also names the family: the new access token carries it as `sid`.
DROP FUNCTION app.rotate_refresh_token(bytea, bytea, timestamptz);
CREATE FUNCTION app.rotate_refresh_token(p_hash bytea, p_new_hash bytea, p_expires_at timestamptz)
RETURNS TABLE (outcome text, user_id uuid, tenant_id uuid, role text, is_superadmin boolean, family_id uuid)
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
    RETURN QUERY SELECT 'invalid', NULL::uuid, NULL::uuid, NULL::text, NULL::boolean, NULL::uuid;
    RETURN;
  END IF;
  IF v.used_at IS NOT NULL OR v.revoked_at IS NOT NULL THEN
    UPDATE refresh_tokens r SET revoked_at = coalesce(r.revoked_at, clock_timestamp())
     WHERE r.family_id = v.family_id;
    RETURN QUERY SELECT 'reused', v.user_id, v.tenant_id, NULL::text, NULL::boolean, v.family_id;
    RETURN;
  END IF;
  IF v.expires_at <= clock_timestamp() THEN
    RETURN QUERY SELECT 'expired', v.user_id, v.tenant_id, NULL::text, NULL::boolean, v.family_id;
    RETURN;
  END IF;
  SELECT u.is_superadmin INTO v_superadmin FROM users u WHERE u.id = v.user_id;
  IF v.tenant_id IS NOT NULL THEN
    SELECT m.role, t.status INTO v_role, v_status
      FROM tenant_memberships m JOIN tenants t ON t.id = m.tenant_id
     WHERE m.tenant_id = v.tenant_id AND m.user_id = v.user_id;
    IF v_status = 'SUSPENDED' THEN
      RETURN QUERY SELECT 'suspended', v.user_id, v.tenant_id, NULL::text, NULL::boolean, v.family_id;
      RETURN;
    END IF;
  END IF;
  UPDATE refresh_tokens r SET used_at = clock_timestamp() WHERE r.id = v.id;
  INSERT INTO refresh_tokens (user_id, tenant_id, token_hash, family_id, expires_at)
    VALUES (v.user_id, v.tenant_id, p_new_hash, v.family_id, p_expires_at);
  RETURN QUERY SELECT 'ok', v.user_id, v.tenant_id, v_role, v_superadmin, v.family_id;
END
$$;

-- Support sessions -----------------------------------------------------------------------
-- A super-admin's read-only look inside one tenant (enterTenantAsSupport). A tenant table:
-- the tenant's own members may read who looked, when and why.
CREATE TABLE support_sessions (
  tenant_id   uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  id          uuid NOT NULL DEFAULT gen_random_uuid(),
  user_id     uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  reason      text NOT NULL CHECK (length(btrim(reason)) BETWEEN 3 AND 500),
  created_at  timestamptz NOT NULL DEFAULT clock_timestamp(),
  expires_at  timestamptz NOT NULL,
  revoked_at  timestamptz,
  PRIMARY KEY (tenant_id, id),
  CHECK (expires_at <= created_at + interval '15 minutes')
);
CREATE INDEX support_sessions_live_by_user ON support_sessions (user_id) WHERE revoked_at IS NULL;
CALL ddl.isolate_tenant_table('support_sessions');
-- The super-admin behind a support session is shown to the tenant (AuditEntry.actor).
ALTER POLICY visible_users ON users USING (
  id = app.current_user_id()
  OR EXISTS (SELECT FROM tenant_memberships m
             WHERE m.user_id = users.id AND m.tenant_id = app.current_tenant_id())
  OR EXISTS (SELECT FROM support_sessions s
             WHERE s.user_id = users.id AND s.tenant_id = app.current_tenant_id()));
-- Written only by a super-admin (elevated) and by the definer functions; read by the tenant.
REVOKE INSERT, UPDATE, DELETE ON support_sessions FROM iafactory_app;
GRANT SELECT, INSERT ON support_sessions TO iafactory_superadmin;

-- Each operation of a support session, in the tenant's audit log (the tenant's owners see
-- who looked and why) and in the super-admin audit log. Its own short transaction commits it
-- before the operation runs, read-only: a support session never writes anything else.
CREATE FUNCTION app.record_support_access(p_session uuid, p_action text, p_details jsonb)
RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp
AS $$
DECLARE
  v_reason text;
BEGIN
  SELECT s.reason INTO v_reason FROM support_sessions s
   WHERE s.tenant_id = app.current_tenant_id() AND s.id = p_session
     AND s.user_id = app.current_user_id() AND s.revoked_at IS NULL
     AND s.expires_at > clock_timestamp();
  IF NOT FOUND THEN
    RAISE EXCEPTION 'Invalid or expired token.' USING ERRCODE = 'IA401';
  END IF;
  IF p_action !~ '^support\.[A-Za-z0-9_.,+-]{1,200}$' THEN
    RAISE EXCEPTION 'invalid support action' USING ERRCODE = 'IA422';
  END IF;
  INSERT INTO audit_log (tenant_id, actor_id, action, target_type, target_id, details)
  VALUES (app.current_tenant_id(), app.current_user_id(), p_action, 'SupportSession', p_session::text,
          coalesce(p_details, '{}'::jsonb) || jsonb_build_object('reason', v_reason));
  INSERT INTO superadmin_audit_log (actor_id, action, target_type, target_id, details)
  VALUES (app.current_user_id(), p_action, 'Tenant', app.current_tenant_id()::text,
          coalesce(p_details, '{}'::jsonb)
            || jsonb_build_object('reason', v_reason, 'session', p_session::text));
END
$$;

-- The check every operation opens with ---------------------------------------------------
DROP FUNCTION app.assert_principal(uuid, uuid, text, boolean);
CREATE FUNCTION app.assert_principal(p_tenant uuid, p_user uuid, p_role text, p_superadmin boolean,
                                     p_session uuid, p_issued_at timestamptz)
RETURNS void
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp
AS $$
DECLARE
  v_superadmin boolean;
  v_cutoff timestamptz;
  v_status text;
  v_role text;
BEGIN
  SELECT is_superadmin, sessions_revoked_at INTO v_superadmin, v_cutoff FROM users WHERE id = p_user;
  IF NOT FOUND OR v_superadmin IS DISTINCT FROM p_superadmin THEN
    RAISE EXCEPTION 'Invalid or expired token.' USING ERRCODE = 'IA401';
  END IF;
  IF p_role = 'SUPPORT' THEN
    -- A super-admin who need not be a member, read-only, valid on a suspended tenant too.
    IF NOT v_superadmin OR p_tenant IS NULL OR p_session IS NULL OR NOT EXISTS (
         SELECT FROM support_sessions s
          WHERE s.tenant_id = p_tenant AND s.id = p_session AND s.user_id = p_user
            AND s.revoked_at IS NULL AND s.expires_at > clock_timestamp()) THEN
      RAISE EXCEPTION 'Invalid or expired token.' USING ERRCODE = 'IA401';
    END IF;
    RETURN;
  END IF;
  IF p_session IS NOT NULL THEN
    IF NOT EXISTS (SELECT FROM sessions s WHERE s.id = p_session AND s.user_id = p_user
                                            AND s.revoked_at IS NULL) THEN
      RAISE EXCEPTION 'Invalid or expired token.' USING ERRCODE = 'IA401';
    END IF;
  ELSIF v_cutoff IS NOT NULL AND (p_issued_at IS NULL OR p_issued_at <= v_cutoff) THEN
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

-- Ends every session of a user (password change or reset): refresh families, support
-- sessions, and tokens without `sid`. Not a definer and not granted to anyone: only the
-- definer functions below call it, with their owner's rights.
CREATE FUNCTION app.end_all_sessions(p_user uuid) RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, public, pg_temp
AS $$
BEGIN
  UPDATE users SET sessions_revoked_at = clock_timestamp() WHERE id = p_user;
  UPDATE sessions SET revoked_at = clock_timestamp() WHERE user_id = p_user AND revoked_at IS NULL;
  UPDATE refresh_tokens SET revoked_at = clock_timestamp() WHERE user_id = p_user AND revoked_at IS NULL;
  UPDATE support_sessions SET revoked_at = clock_timestamp() WHERE user_id = p_user AND revoked_at IS NULL;
END
$$;

-- Passwords ------------------------------------------------------------------------------
CREATE FUNCTION app.change_password(p_hash text) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp
AS $$
DECLARE
  v_user uuid := app.current_user_id();
BEGIN
  IF v_user IS NULL OR p_hash IS NULL OR p_hash !~ '^\$argon2' THEN
    RAISE EXCEPTION 'change_password needs a signed-in user and an argon2 hash' USING ERRCODE = 'IA422';
  END IF;
  UPDATE users SET password_hash = p_hash WHERE id = v_user;
  PERFORM app.end_all_sessions(v_user);
END
$$;

CREATE TABLE password_resets (
  id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id     uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  token_hash  bytea NOT NULL UNIQUE,
  created_at  timestamptz NOT NULL DEFAULT clock_timestamp(),
  expires_at  timestamptz NOT NULL,
  used_at     timestamptz
);
CREATE INDEX password_resets_by_user ON password_resets (user_id);
ALTER TABLE password_resets ENABLE ROW LEVEL SECURITY;
ALTER TABLE password_resets FORCE ROW LEVEL SECURITY;
CREATE POLICY nobody_select ON password_resets FOR SELECT USING (false);
CREATE POLICY nobody_insert ON password_resets FOR INSERT WITH CHECK (false);
CREATE POLICY nobody_update ON password_resets FOR UPDATE USING (false);
CREATE POLICY nobody_delete ON password_resets FOR DELETE USING (false);

-- Stores a reset token for the address's account; returns the account's id, or NULL when the
-- address has none (the caller answers the same either way).
CREATE FUNCTION app.create_password_reset(p_email text, p_hash bytea, p_expires_at timestamptz)
RETURNS uuid
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp
AS $$
DECLARE
  v_user uuid;
BEGIN
  SELECT id INTO v_user FROM users WHERE email = app.normalize_email(p_email);
  IF NOT FOUND THEN
    RETURN NULL;
  END IF;
  INSERT INTO password_resets (user_id, token_hash, expires_at) VALUES (v_user, p_hash, p_expires_at);
  INSERT INTO audit_log (tenant_id, actor_id, action, target_type, target_id)
    SELECT m.tenant_id, v_user, 'request_password_reset', 'User', v_user::text
      FROM tenant_memberships m WHERE m.user_id = v_user;
  RETURN v_user;
END
$$;

-- Whose reset token this is, while it is unused and unexpired.
CREATE FUNCTION app.password_reset_email(p_hash bytea) RETURNS text
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp
AS $$
  SELECT u.email FROM password_resets r JOIN users u ON u.id = r.user_id
   WHERE r.token_hash = p_hash AND r.used_at IS NULL AND r.expires_at > clock_timestamp()
$$;

-- Uses the token (and every other outstanding one of that user), sets the password and ends
-- every session. Nothing for an unknown, used or expired token.
CREATE FUNCTION app.reset_password(p_token_hash bytea, p_password_hash text)
RETURNS TABLE (user_id uuid, is_superadmin boolean)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp
AS $$
DECLARE
  v_user uuid;
BEGIN
  IF p_password_hash IS NULL OR p_password_hash !~ '^\$argon2' THEN
    RAISE EXCEPTION 'reset_password needs an argon2 hash' USING ERRCODE = 'IA422';
  END IF;
  SELECT r.user_id INTO v_user FROM password_resets r
   WHERE r.token_hash = p_token_hash AND r.used_at IS NULL AND r.expires_at > clock_timestamp()
   FOR UPDATE;
  IF NOT FOUND THEN
    RETURN;
  END IF;
  UPDATE password_resets r SET used_at = clock_timestamp() WHERE r.user_id = v_user AND r.used_at IS NULL;
  UPDATE users u SET password_hash = p_password_hash WHERE u.id = v_user;
  PERFORM app.end_all_sessions(v_user);
  INSERT INTO audit_log (tenant_id, actor_id, action, target_type, target_id)
    SELECT m.tenant_id, v_user, 'reset_password', 'User', v_user::text
      FROM tenant_memberships m WHERE m.user_id = v_user;
  RETURN QUERY SELECT u.id, u.is_superadmin FROM users u WHERE u.id = v_user;
END
$$;

-- The tenant a user last entered ---------------------------------------------------------
-- Sign-in without a tenant lands in the membership entered last (signed in to, switched to,
-- joined by accepting an invitation), else the oldest; never in one the user was added to
-- and has not entered while they have another.
ALTER TABLE tenant_memberships ADD COLUMN last_entered_at timestamptz;
UPDATE tenant_memberships m SET last_entered_at = (
  SELECT max(a.at) FROM audit_log a
   WHERE a.tenant_id = m.tenant_id AND a.actor_id = m.user_id
     AND a.action IN ('register', 'login', 'switch_tenant', 'refresh_token'));

DROP FUNCTION app.user_memberships(uuid);
CREATE FUNCTION app.user_memberships(p_user uuid)
RETURNS TABLE (tenant_id uuid, slug text, role text, status text, entered_at timestamptz)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp
AS $$
  SELECT m.tenant_id, t.slug, m.role, t.status, m.last_entered_at
    FROM tenant_memberships m JOIN tenants t ON t.id = m.tenant_id
   WHERE m.user_id = p_user
   ORDER BY m.last_entered_at DESC NULLS LAST, m.created_at, t.slug
$$;

-- Invitations ----------------------------------------------------------------------------
CREATE TABLE invitations (
  tenant_id    uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  id           uuid NOT NULL DEFAULT gen_random_uuid(),
  email        text NOT NULL CHECK (email = lower(email) AND email ~ '^[^@\s]+@[^@\s]+$'),
  role         text NOT NULL CHECK (role IN ('OWNER', 'ADMIN', 'MEMBER')),
  token_hash   bytea NOT NULL UNIQUE,
  invited_by   uuid REFERENCES users (id) ON DELETE SET NULL,
  created_at   timestamptz NOT NULL DEFAULT clock_timestamp(),
  expires_at   timestamptz NOT NULL,
  accepted_at  timestamptz,
  accepted_by  uuid REFERENCES users (id) ON DELETE SET NULL,
  revoked_at   timestamptz,
  PRIMARY KEY (tenant_id, id),
  CHECK (accepted_at IS NULL OR revoked_at IS NULL)
);
CREATE INDEX invitations_newest ON invitations (tenant_id, created_at DESC, id DESC);
CREATE INDEX invitations_pending_email ON invitations (tenant_id, email)
  WHERE accepted_at IS NULL AND revoked_at IS NULL;
CALL ddl.isolate_tenant_table('invitations');
-- The app never deletes an invitation: revoked and accepted ones stay as history. The
-- token hash is written once and never read back through the app role.
REVOKE DELETE, UPDATE ON invitations FROM iafactory_app;
GRANT UPDATE (revoked_at) ON invitations TO iafactory_app;
REVOKE SELECT ON invitations FROM iafactory_app;
GRANT SELECT (tenant_id, id, email, role, invited_by, created_at, expires_at, accepted_at, accepted_by,
              revoked_at) ON invitations TO iafactory_app;

-- The invitation a token opens, while it is pending and its tenant exists. Before a tenant
-- is known: possession of the token is the invitee's authority.
CREATE FUNCTION app.pending_invitation(p_hash bytea)
RETURNS TABLE (tenant_id uuid, id uuid, email text, role text, tenant_status text, has_account boolean)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp
AS $$
  SELECT i.tenant_id, i.id, i.email, i.role, t.status,
         EXISTS (SELECT FROM users u WHERE u.email = i.email)
    FROM invitations i JOIN tenants t ON t.id = i.tenant_id
   WHERE i.token_hash = p_hash AND i.accepted_at IS NULL AND i.revoked_at IS NULL
     AND i.expires_at > clock_timestamp()
$$;

-- Joins a user to the tenant of a pending invitation: the user's email must be the invited
-- one. The membership, the invitation marked used and the audit row, at once; nothing when
-- the token is not (or no longer) pending. Not a definer and not granted: only the two
-- functions below call it, with their owner's rights.
CREATE FUNCTION app.join_invitation(p_hash bytea, p_user uuid)
RETURNS TABLE (tenant_id uuid, role text)
LANGUAGE plpgsql SET search_path = pg_catalog, public, pg_temp
AS $$
DECLARE
  v invitations%ROWTYPE;
  v_email text;
BEGIN
  SELECT * INTO v FROM invitations i
   WHERE i.token_hash = p_hash AND i.accepted_at IS NULL AND i.revoked_at IS NULL
     AND i.expires_at > clock_timestamp()
   FOR UPDATE;
  IF NOT FOUND THEN
    RETURN;
  END IF;
  SELECT u.email INTO v_email FROM users u WHERE u.id = p_user;
  IF v_email IS DISTINCT FROM v.email THEN
    RAISE EXCEPTION 'This invitation is for another email address.' USING ERRCODE = 'IA403';
  END IF;
  IF EXISTS (SELECT FROM tenant_memberships m WHERE m.tenant_id = v.tenant_id AND m.user_id = p_user) THEN
    RAISE EXCEPTION 'You are already a member of this tenant.' USING ERRCODE = 'IA409';
  END IF;
  INSERT INTO tenant_memberships (tenant_id, user_id, role, last_entered_at)
    VALUES (v.tenant_id, p_user, v.role, clock_timestamp());
  UPDATE invitations i SET accepted_at = clock_timestamp(), accepted_by = p_user
   WHERE i.tenant_id = v.tenant_id AND i.id = v.id;
  INSERT INTO audit_log (tenant_id, actor_id, action, target_type, target_id, details)
    VALUES (v.tenant_id, p_user, 'accept_invitation', 'Invitation', v.id::text,
            jsonb_build_object('role', v.role));
  RETURN QUERY SELECT v.tenant_id, v.role;
END
$$;

-- The signed-in user (app.user_id, checked by the opening) accepts.
CREATE FUNCTION app.accept_invitation(p_hash bytea)
RETURNS TABLE (tenant_id uuid, role text)
LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp
AS $$ SELECT * FROM app.join_invitation(p_hash, app.current_user_id()) WHERE app.current_user_id() IS NOT NULL $$;

-- Someone without an account accepts: the account of the invited address is created (it
-- must have none yet), then joins. The token is the only authority here.
CREATE FUNCTION app.accept_invitation_as_new_user(p_hash bytea, p_password_hash text, p_full_name text)
RETURNS TABLE (user_id uuid, tenant_id uuid, role text)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp
AS $$
DECLARE
  v_email text;
  v_user uuid;
BEGIN
  IF p_password_hash IS NULL OR p_password_hash !~ '^\$argon2' THEN
    RAISE EXCEPTION 'accept_invitation_as_new_user needs an argon2 hash' USING ERRCODE = 'IA422';
  END IF;
  SELECT i.email INTO v_email FROM invitations i
   WHERE i.token_hash = p_hash AND i.accepted_at IS NULL AND i.revoked_at IS NULL
     AND i.expires_at > clock_timestamp();
  IF NOT FOUND THEN
    RETURN;
  END IF;
  IF EXISTS (SELECT FROM users u WHERE u.email = v_email) THEN
    RAISE EXCEPTION 'This address already has an account: sign in first, then accept the invitation.'
      USING ERRCODE = 'IA409';
  END IF;
  INSERT INTO users (email, password_hash, full_name) VALUES (v_email, p_password_hash, p_full_name)
    RETURNING id INTO v_user;
  RETURN QUERY SELECT v_user, j.tenant_id, j.role FROM app.join_invitation(p_hash, v_user) j;
END
$$;

REVOKE ALL ON FUNCTION app.end_session_of_revoked_family(), app.record_support_access(uuid, text, jsonb),
  app.assert_principal(uuid, uuid, text, boolean, uuid, timestamptz), app.end_all_sessions(uuid),
  app.change_password(text), app.create_password_reset(text, bytea, timestamptz),
  app.password_reset_email(bytea), app.reset_password(bytea, text), app.user_memberships(uuid),
  app.rotate_refresh_token(bytea, bytea, timestamptz), app.pending_invitation(bytea),
  app.accept_invitation(bytea), app.accept_invitation_as_new_user(bytea, text, text),
  app.join_invitation(bytea, uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION app.record_support_access(uuid, text, jsonb),
  app.assert_principal(uuid, uuid, text, boolean, uuid, timestamptz),
  app.change_password(text), app.create_password_reset(text, bytea, timestamptz),
  app.password_reset_email(bytea), app.reset_password(bytea, text), app.user_memberships(uuid),
  app.rotate_refresh_token(bytea, bytea, timestamptz), app.pending_invitation(bytea),
  app.accept_invitation(bytea), app.accept_invitation_as_new_user(bytea, text, text)
  TO iafactory_app, iafactory_superadmin;
RESET ROLE;
"""


def upgrade() -> None:
    op.get_bind().connection.driver_connection.execute(SQL)


def downgrade() -> None:
    raise NotImplementedError("forward-only: restore from a backup or a tenant export instead")
