"""Signing in: turning verified credentials into an access token and a refresh token.

The refresh token is stored hashed (db/queries/auth.py) in a rotation family, which is the
session: the access token carries its id (`sid`), and the opening check of every operation
rejects a token whose session has ended (logout, refresh-token reuse, password change). The
access token is a JWS from auth/tokens.py. This lives beside the resolvers because it writes
to the database, which auth/ never does.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from uuid import UUID

from iafactory.auth.principal import Principal, Role
from iafactory.auth.tokens import TokenService, hash_secret, new_secret
from iafactory.db.database import Database
from iafactory.db.queries import auth as auth_queries
from iafactory.db.queries.auth import MembershipRecord
from iafactory.db.scope import DbRole, transaction
from iafactory.schema.context import Info
from iafactory.schema.types.identity import AuthPayload, Viewer
from iafactory.services import Services
from iafactory.settings import Settings

TOKEN_TYPE = "Bearer"  # noqa: S105 - the OAuth token type, not a secret


@dataclass(frozen=True, slots=True)
class Session:
    access_token: str
    refresh_token: str
    expires_at: datetime
    principal: Principal


# Longer than any address an account can have (validation.email): refused before any work.
MAX_EMAIL_LENGTH = 320


async def checked_credentials(
    services: Services, *, client_ip: str, email: str, password: str, request_id: str
) -> auth_queries.LoginRecord | None:
    """The account whose password this is, or None (unknown email or wrong password).

    In this order, each step cheaper than the next: the address's budget (password spraying),
    the account's lookup in a short transaction of its own as the credentials role (the only
    role that may read a password hash; it ends before argon2 runs, so no pooled connection
    waits on a hash), that email's budget from that address (keyed on the email as the
    database normalises it), then argon2, bounded per process (PasswordWork). An unknown email
    costs the same argon2 as a wrong password."""
    await services.rate_limits.check_login_address(client_ip)
    found = auth_queries.Credentials(email[:MAX_EMAIL_LENGTH], None)
    if len(email) <= MAX_EMAIL_LENGTH:
        async with transaction(services.pool, role=DbRole.CREDENTIALS, request_id=request_id) as db:
            found = await auth_queries.credentials(db, email=email)
    await services.rate_limits.check_login(client_ip, found.email)
    stored_hash = found.record.password_hash if found.record else None
    if not await services.passwords.verify(stored_hash, password):
        return None
    return found.record


def refresh_expiry(settings: Settings) -> datetime:
    return datetime.now(UTC) + timedelta(seconds=settings.refresh_token_ttl)


def access(
    tokens: TokenService,
    *,
    user_id: UUID,
    tenant_id: UUID | None,
    role: Role | None,
    superadmin: bool,
    session_id: UUID | None,
    ttl: int | None = None,
) -> tuple[str, Principal]:
    """A signed access token and the principal it carries."""
    issued = tokens.issue(
        user_id=user_id, tenant_id=tenant_id, role=role, superadmin=superadmin, session_id=session_id, ttl=ttl
    )
    return issued.token, tokens.verify(issued.token)


async def start_session(
    db: Database,
    services: Services,
    *,
    user_id: UUID,
    tenant_id: UUID | None,
    role: Role | None,
    superadmin: bool,
) -> Session:
    """A new session: a fresh refresh-token family, and its first access token."""
    refresh = new_secret()
    family = uuid.uuid4()
    await auth_queries.issue_refresh_token(
        db,
        user_id=user_id,
        tenant_id=tenant_id,
        token_hash=hash_secret(refresh),
        family_id=family,
        expires_at=refresh_expiry(services.settings),
    )
    access_token, principal = access(
        services.tokens,
        user_id=user_id,
        tenant_id=tenant_id,
        role=role,
        superadmin=superadmin,
        session_id=family,
    )
    return Session(access_token, refresh, principal.expires_at, principal)


def default_membership(memberships: Sequence[MembershipRecord]) -> MembershipRecord | None:
    """Where a sign-in without a tenant lands: the ACTIVE membership entered last (signed in
    to, switched to, joined by accepting an invitation), else the oldest ACTIVE one; a
    suspended tenant only when nothing else is left (TENANT_SUSPENDED then). So never one the
    user was added to and has not entered yet while they have another they can use.
    `memberships` come ordered by last entry, then age (app.user_memberships)."""
    active = [m for m in memberships if m.status == "ACTIVE"]
    entered = [m for m in active if m.entered_at is not None]
    if entered:
        return entered[0]
    if active:
        return active[0]  # none entered: ordered by age
    return memberships[0] if memberships else None


async def signed_in(info: Info, session: Session) -> AuthPayload:
    """The operation continues as the new session's caller (its nested fields resolve under
    that tenant's RLS), and the tenant counts as the one the user last entered."""
    await info.context.assume(session.principal)
    principal = session.principal
    if principal.tenant_id is not None and not principal.is_support:
        await auth_queries.mark_entered(
            info.context.db, tenant_id=principal.tenant_id, user_id=principal.user_id
        )
    return AuthPayload(
        access_token=session.access_token,
        refresh_token=session.refresh_token,
        token_type=TOKEN_TYPE,
        expires_at=session.expires_at,
        viewer=Viewer.of(principal),
    )
