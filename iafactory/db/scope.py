"""The tenant-bound transaction that one GraphQL operation runs in.

Opening it is ONE round trip (simple protocol): BEGIN, switch to the app role, set the tenant,
user and request ids as transaction-local settings, and check in the database that the token
still matches (user exists, tenant exists and is ACTIVE, same role, same super-admin flag).
Every statement after it runs as `iafactory_app`, under row-level security, even when the
pool's login role is a superuser. Settings are `set_config(..., true)`: they end with the
transaction, so nothing can leak to the next borrower of the connection.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any, Protocol
from uuid import UUID

import asyncpg

from iafactory.auth.principal import Principal
from iafactory.errors import from_sqlstate

APP_ROLE = "iafactory_app"
SUPERADMIN_ROLE = "iafactory_superadmin"


def translate(error: asyncpg.PostgresError) -> Exception:
    """An AppError for expected database failures; the original error otherwise."""
    app_error = from_sqlstate(error.sqlstate, error.args[0] if error.args else None)
    return app_error if app_error is not None else error


def opening_sql(
    principal: Principal | None, *, request_id: str, statement_timeout_ms: int, snapshot: bool = False
) -> str:
    # Values are interpolated because the simple protocol takes no parameters; each one is
    # a UUID, an enum member, a bool, an int or a request id already restricted to
    # [A-Za-z0-9._-] (app.py), so nothing here can carry a quote.
    settings = [
        f"set_config('role', '{APP_ROLE}', true)",
        f"set_config('statement_timeout', '{int(statement_timeout_ms)}', true)",
        f"set_config('app.request_id', '{_safe(request_id)}', true)",
    ]
    check = ""
    if principal is not None:
        tenant = _uuid(principal.tenant_id)
        settings.append(f"set_config('app.user_id', '{_uuid(principal.user_id)}', true)")
        settings.append(f"set_config('app.tenant_id', '{tenant}', true)")
        role = f"'{principal.role.value}'" if principal.role else "NULL"
        tenant_arg = f"'{tenant}'::uuid" if principal.tenant_id else "NULL"
        check = (
            f"; SELECT app.assert_principal({tenant_arg}, '{_uuid(principal.user_id)}'::uuid,"
            f" {role}, {'true' if principal.superadmin else 'false'})"
        )
    # A query reads one snapshot (REPEATABLE READ): under READ COMMITTED each statement sees
    # new commits, so a page's nodes and its totalCount could disagree. Writes stay READ
    # COMMITTED: they lock and re-check rows instead of failing with serialization errors.
    begin = "BEGIN ISOLATION LEVEL REPEATABLE READ" if snapshot else "BEGIN"
    return f"{begin}; SELECT " + ", ".join(settings) + check


def _uuid(value: UUID | None) -> str:
    return "" if value is None else str(UUID(str(value)))


def _safe(request_id: str) -> str:
    return "".join(ch for ch in request_id if ch.isalnum() or ch in "._-")[:128]


class Database(Protocol):
    """What resolvers and loaders use: statements run one at a time, inside the tenant scope."""

    statement_count: int

    async def fetch(self, sql: str, *args: Any) -> list[asyncpg.Record]: ...
    async def fetchrow(self, sql: str, *args: Any) -> asyncpg.Record | None: ...
    async def fetchval(self, sql: str, *args: Any) -> Any: ...
    async def execute(self, sql: str, *args: Any) -> str: ...


class _StatementRunner:
    statement_count = 0

    @asynccontextmanager
    async def connection(self) -> AsyncIterator[asyncpg.Connection]:
        raise NotImplementedError
        yield

    async def _run(self, call: Callable[[asyncpg.Connection], Any]) -> Any:
        async with self.connection() as connection:
            self.statement_count += 1
            try:
                return await call(connection)
            except asyncpg.PostgresError as error:
                raise translate(error) from error

    async def fetch(self, sql: str, *args: Any) -> list[asyncpg.Record]:
        result: list[asyncpg.Record] = await self._run(lambda c: c.fetch(sql, *args))
        return result

    async def fetchrow(self, sql: str, *args: Any) -> asyncpg.Record | None:
        result: asyncpg.Record | None = await self._run(lambda c: c.fetchrow(sql, *args))
        return result

    async def fetchval(self, sql: str, *args: Any) -> Any:
        return await self._run(lambda c: c.fetchval(sql, *args))

    async def execute(self, sql: str, *args: Any) -> str:
        result: str = await self._run(lambda c: c.execute(sql, *args))
        return result


class TenantScope(_StatementRunner):
    """One query or mutation: one connection, one transaction, opened on first use.

    Sibling resolvers run concurrently but share the connection serially (the lock), so the
    whole operation sees one snapshot and commits or rolls back as one.
    """

    def __init__(
        self,
        pool: asyncpg.Pool,
        principal: Principal | None,
        *,
        request_id: str,
        statement_timeout_ms: int,
        snapshot: bool = False,
    ) -> None:
        self._pool = pool
        self._principal = principal
        self._request_id = request_id
        self._statement_timeout_ms = statement_timeout_ms
        self._snapshot = snapshot
        self._connection: asyncpg.Connection | None = None
        self._lock = asyncio.Lock()
        self.statement_count = 0

    @asynccontextmanager
    async def connection(self) -> AsyncIterator[asyncpg.Connection]:
        async with self._lock:
            if self._connection is None:
                self._connection = await self._open()
            yield self._connection

    async def _open(self) -> asyncpg.Connection:
        connection: asyncpg.Connection = await self._pool.acquire()
        try:
            await connection.execute(
                opening_sql(
                    self._principal,
                    request_id=self._request_id,
                    statement_timeout_ms=self._statement_timeout_ms,
                    snapshot=self._snapshot,
                )
            )
        except BaseException as error:
            await self._pool.release(connection)  # rolls the failed BEGIN back
            if isinstance(error, asyncpg.PostgresError):
                raise translate(error) from error
            raise
        self.statement_count += 1
        return connection

    async def ensure_open(self) -> None:
        """Open the transaction now: this runs the database's check of the principal."""
        async with self.connection():
            pass

    async def assume(self, principal: Principal) -> None:
        """Bind the open transaction to a principal this operation has just authenticated."""
        async with self.connection() as connection:
            await connection.execute(
                "SELECT set_config('app.user_id', $1, true), set_config('app.tenant_id', $2, true)",
                str(principal.user_id),
                str(principal.tenant_id) if principal.tenant_id else "",
            )
        self._principal = principal

    @asynccontextmanager
    async def elevated(self) -> AsyncIterator[Database]:
        """Run the block as the BYPASSRLS super-admin role, then drop back to the app role.

        Callers check `principal.superadmin` first; the opening check already proved that
        the users row agrees. The lock is held throughout, so no sibling resolver's
        statement can run with the elevated role.
        """
        async with self.connection() as connection:
            await connection.execute(f"SET LOCAL ROLE {SUPERADMIN_ROLE}")
            try:
                yield _ElevatedRunner(connection)
            finally:
                if not connection.is_closed() and connection.is_in_transaction():
                    await connection.execute(f"SET LOCAL ROLE {APP_ROLE}")

    async def close(self, *, commit: bool) -> None:
        """Commit (or roll back) and hand the connection back to the pool."""
        connection, self._connection = self._connection, None
        if connection is None:
            return
        try:
            if connection.is_in_transaction():
                try:
                    await connection.execute("COMMIT" if commit else "ROLLBACK")
                except asyncpg.PostgresError as error:
                    raise translate(error) from error
        finally:
            await self._pool.release(connection)


class _ElevatedRunner(_StatementRunner):
    """The body of `TenantScope.elevated()`: its connection, whose lock is already held."""

    def __init__(self, connection: asyncpg.Connection) -> None:
        self._connection = connection
        self.statement_count = 0

    @asynccontextmanager
    async def connection(self) -> AsyncIterator[asyncpg.Connection]:
        yield self._connection


class ShortTransactions(_StatementRunner):
    """For subscriptions: every statement in its own short tenant transaction.

    A subscription can live for hours; holding one transaction (and a pooled connection)
    for all of it would pin a snapshot and starve the pool.
    """

    def __init__(
        self,
        pool: asyncpg.Pool,
        principal: Principal | None,
        *,
        request_id: str,
        statement_timeout_ms: int,
    ) -> None:
        self._pool = pool
        self._principal = principal
        self._request_id = request_id
        self._statement_timeout_ms = statement_timeout_ms
        self.statement_count = 0

    async def ensure_open(self) -> None:
        """Check the principal against the database in a transaction of its own."""
        async with self.connection():
            pass

    async def assume(self, principal: Principal) -> None:
        self._principal = principal

    @asynccontextmanager
    async def connection(self) -> AsyncIterator[asyncpg.Connection]:
        scope = TenantScope(
            self._pool,
            self._principal,
            request_id=self._request_id,
            statement_timeout_ms=self._statement_timeout_ms,
        )
        committed = False
        try:
            async with scope.connection() as connection:
                yield connection
            committed = True
        finally:
            await scope.close(commit=committed)


@asynccontextmanager
async def autonomous_transaction(
    pool: asyncpg.Pool,
    *,
    request_id: str,
    statement_timeout_ms: int = 5000,
    tenant_id: UUID | None = None,
) -> AsyncIterator[TenantScope]:
    """A transaction of its own, outside any GraphQL operation, as the app role with no user;
    committed when the block succeeds, rolled back otherwise.

    For writes that must survive the error the caller is about to raise (revoking a
    refresh-token family on reuse), and for the transcription workers, which have no user
    and bind the transaction to the job's tenant (`tenant_id`): RLS applies as for a request.
    """
    scope = TenantScope(pool, None, request_id=request_id, statement_timeout_ms=statement_timeout_ms)
    ok = False
    try:
        if tenant_id is not None:
            await scope.execute("SELECT set_config('app.tenant_id', $1, true)", str(tenant_id))
        yield scope
        ok = True
    finally:
        await scope.close(commit=ok)
