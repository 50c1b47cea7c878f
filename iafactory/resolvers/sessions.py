"""Signing in: turning verified credentials into an access token and a refresh token.

The refresh token is stored hashed (db/queries/auth.py) in a rotation family; the access
token is a JWS from auth/tokens.py. This lives beside the resolvers because it writes to the
database, which auth/ never does.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from uuid import UUID

from iafactory.auth.principal import Principal, Role
from iafactory.auth.tokens import TokenService, hash_refresh_token, new_refresh_token
from iafactory.db.database import Database
from iafactory.db.queries import auth as auth_queries
from iafactory.db.scope import DbRole, transaction
from iafactory.services import Services
from iafactory.settings import Settings


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
    tokens: TokenService, *, user_id: UUID, tenant_id: UUID | None, role: Role | None, superadmin: bool
) -> tuple[str, Principal]:
    """A signed access token and the principal it carries."""
    issued = tokens.issue(user_id=user_id, tenant_id=tenant_id, role=role, superadmin=superadmin)
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
    refresh = new_refresh_token()
    await auth_queries.issue_refresh_token(
        db,
        user_id=user_id,
        tenant_id=tenant_id,
        token_hash=hash_refresh_token(refresh),
        family_id=uuid.uuid4(),
        expires_at=refresh_expiry(services.settings),
    )
    access_token, principal = access(
        services.tokens, user_id=user_id, tenant_id=tenant_id, role=role, superadmin=superadmin
    )
    return Session(access_token, refresh, principal.expires_at, principal)
