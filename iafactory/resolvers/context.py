"""The typed context resolvers receive: `strawberry.Info[OperationContext]`.

`RequestContext` is built once per HTTP request or per WebSocket connection, from the
verified token alone (no database work). `OperationContext` is built by the
`OperationScope` extension for each query, mutation or subscription and holds what must not
outlive it: the tenant-bound transaction and the dataloaders.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID

import asyncpg
from starlette.responses import Response

from iafactory.auth.principal import Principal
from iafactory.auth.sessions import SessionIssuer
from iafactory.auth.tokens import TokenService
from iafactory.db.scope import Database, ShortTransactions, TenantScope
from iafactory.errors import AppError, Forbidden, TenantRequired, Unauthenticated
from iafactory.settings import Settings

if TYPE_CHECKING:
    from iafactory.resolvers.loaders import Loaders


class Services:
    """Process-wide collaborators. The pool arrives when the app's lifespan starts."""

    def __init__(self, settings: Settings, tokens: TokenService) -> None:
        self.settings = settings
        self.tokens = tokens
        self.sessions = SessionIssuer(tokens, refresh_ttl=settings.refresh_token_ttl)
        self.extras: dict[str, Any] = {}
        self._pool: asyncpg.Pool | None = None

    @property
    def pool(self) -> asyncpg.Pool:
        if self._pool is None:
            raise RuntimeError("the database pool is not started (app lifespan not running)")
        return self._pool

    @pool.setter
    def pool(self, pool: asyncpg.Pool | None) -> None:
        self._pool = pool


@dataclass(slots=True)
class RequestContext:
    services: Services
    request_id: str
    client_ip: str
    principal: Principal | None = None
    # A token was sent but is invalid: raised when a field needs the caller, so that
    # login/register still work with a stale token in the client's headers.
    auth_error: AppError | None = None
    response: Response | None = None  # HTTP only: lets a resolver set a status or header
    connection_params: dict[str, Any] | None = None  # WebSocket only: connection_init payload


class OperationContext:
    """One operation's view of the world. The database handle is created on first use,
    once the document is parsed: a transaction for a query or mutation, short transactions
    for a subscription (which must never hold one open)."""

    def __init__(
        self,
        request: RequestContext,
        *,
        is_subscription: Callable[[], bool],
        is_query: Callable[[], bool] = lambda: False,
    ) -> None:
        self.request = request
        self._is_subscription = is_subscription
        self._is_query = is_query
        self._acting: Principal | None = None
        self._db: TenantScope | ShortTransactions | None = None
        self._loaders: Loaders | None = None

    @property
    def services(self) -> Services:
        return self.request.services

    @property
    def settings(self) -> Settings:
        return self.request.services.settings

    @property
    def request_id(self) -> str:
        return self.request.request_id

    @property
    def caller(self) -> Principal | None:
        return self._acting or self.request.principal

    @property
    def db(self) -> Database:
        return self._database()

    def _database(self) -> TenantScope | ShortTransactions:
        if self._db is None:
            if self._is_subscription():
                self._db = ShortTransactions(
                    self.services.pool,
                    self.caller,
                    request_id=self.request_id,
                    statement_timeout_ms=self.settings.statement_timeout_ms,
                )
            else:
                self._db = TenantScope(
                    self.services.pool,
                    self.caller,
                    request_id=self.request_id,
                    statement_timeout_ms=self.settings.statement_timeout_ms,
                    snapshot=self._is_query(),  # one snapshot for a whole query
                )
        return self._db

    @property
    def loaders(self) -> Loaders:
        if self._loaders is None:
            from iafactory.resolvers.loaders import Loaders

            caller = self.caller
            self._loaders = Loaders(self.db, caller.tenant_id if caller else None)
        return self._loaders

    def fresh_loaders(self) -> None:
        """Forget cached rows: between subscription events, each event reads anew."""
        self._loaders = None

    async def authenticated(self) -> Principal:
        """The caller, checked against the database (user, tenant status, role), or
        UNAUTHENTICATED / TENANT_SUSPENDED. Opens the operation's transaction."""
        if self.request.auth_error is not None and self._acting is None:
            raise self.request.auth_error
        principal = self.caller
        if principal is None:
            raise Unauthenticated()
        if principal.expires_at <= datetime.now(UTC):
            raise Unauthenticated("Invalid or expired token.")
        await self._database().ensure_open()
        return principal

    async def tenant(self) -> tuple[Principal, UUID]:
        """The caller and its active tenant, or TENANT_REQUIRED for a token without one."""
        principal = await self.authenticated()
        if principal.tenant_id is None:
            raise TenantRequired()
        return principal, principal.tenant_id

    async def manager(self) -> tuple[Principal, UUID]:
        """An OWNER or ADMIN of the active tenant, or FORBIDDEN."""
        principal, tenant_id = await self.tenant()
        if not principal.can_manage_tenant:
            raise Forbidden("Only an OWNER or ADMIN of this tenant may do this.")
        return principal, tenant_id

    async def superadmin(self) -> TenantScope:
        """The operation's transaction, ready for `elevated()`; FORBIDDEN unless the token
        and the users row both say super-admin (the opening check compared them)."""
        principal = await self.authenticated()
        db = self._database()
        if not principal.superadmin or not isinstance(db, TenantScope):
            raise Forbidden("Super-admin only.")
        return db

    async def assume(self, principal: Principal) -> None:
        """Act as a principal that this operation has just signed in (login, register...):
        the transaction takes its ids, so the payload's nested fields resolve under RLS."""
        self._acting = principal
        await self._database().assume(principal)
        self._loaders = None

    async def close(self, *, commit: bool) -> None:
        if isinstance(self._db, TenantScope):
            await self._db.close(commit=commit)
