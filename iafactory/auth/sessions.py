"""Signing in: turning verified credentials into an access token and a refresh token."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from uuid import UUID

from iafactory.auth.principal import Principal, Role
from iafactory.auth.tokens import TokenService, hash_refresh_token, new_refresh_token
from iafactory.db.queries import auth as auth_queries
from iafactory.db.scope import Database


@dataclass(frozen=True, slots=True)
class Session:
    access_token: str
    refresh_token: str
    expires_at: datetime
    principal: Principal


class SessionIssuer:
    """Issues token pairs; the refresh token is stored hashed, in a rotation family."""

    def __init__(self, tokens: TokenService, *, refresh_ttl: int) -> None:
        self._tokens = tokens
        self._refresh_ttl = refresh_ttl

    def refresh_expiry(self) -> datetime:
        return datetime.now(UTC) + timedelta(seconds=self._refresh_ttl)

    def access(
        self, *, user_id: UUID, tenant_id: UUID | None, role: Role | None, superadmin: bool
    ) -> tuple[str, Principal]:
        issued = self._tokens.issue(
            user_id=user_id, tenant_id=tenant_id, role=role, superadmin=superadmin
        )
        return issued.token, self._tokens.verify(issued.token)

    async def start(
        self,
        db: Database,
        *,
        user_id: UUID,
        tenant_id: UUID | None,
        role: Role | None,
        superadmin: bool,
    ) -> Session:
        """A new session: a fresh refresh-token family."""
        refresh = new_refresh_token()
        await auth_queries.issue_refresh_token(
            db,
            user_id=user_id,
            tenant_id=tenant_id,
            token_hash=hash_refresh_token(refresh),
            family_id=uuid.uuid4(),
            expires_at=self.refresh_expiry(),
        )
        access, principal = self.access(
            user_id=user_id, tenant_id=tenant_id, role=role, superadmin=superadmin
        )
        return Session(access, refresh, principal.expires_at, principal)
