"""The one way into PostgreSQL: every transaction (request, worker, governance, CLI) opens here.

Opening is ONE round trip (simple protocol): BEGIN, switch to an explicit role, set the
tenant, user and request ids as transaction-local settings and, for a request, check in the
database that the token still matches (user exists, tenant exists and is ACTIVE, same role,
same super-admin flag, its session not ended; a support session's transaction is READ ONLY).
Settings are `set_config(..., true)`: they end with the transaction, so nothing can leak to
the next borrower of the connection. This module is the only place a
role is switched (a test greps the package for it). One exception to "opens here": a
compiled read sends the same opening's statements (`pipeline_opening`) in one round trip
with its statement, through db/pipeline.py.

A transaction that writes a tenant's rows (`writes=True`: a mutation, a worker's step) takes
the tenant's write lock in its opening, before any row: the quota check and the audit
numbering take that lock anyway, and taken after rows it made writers wait in a circle
(migrations/versions/0012_tenant_write_lock.py). A tenant's writers queue; readers never wait.

>>> async with transaction(pool, role=DbRole.APP, tenant_id=tenant, request_id="worker-1") as db:
...     await db.fetch("SELECT id FROM projects WHERE tenant_id = $1", tenant)
"""

from __future__ import annotations

import asyncio
import functools
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from uuid import UUID

import asyncpg

from iafactory.auth.principal import Principal, Role
from iafactory.db.database import Database, StatementRunner, Transaction, translate, unavailable

DEFAULT_STATEMENT_TIMEOUT_MS = 5000
# A request waits this long for a pooled connection, then fails with a clear error instead of
# queueing behind a database that is down or a pool that is exhausted.
ACQUIRE_TIMEOUT_SECONDS = 10.0


class DbRole(StrEnum):
    """The database roles (migrations/CONVENTIONS.md)."""

    APP = "iafactory_app"  # every request and worker: under row-level security
    SUPERADMIN = "iafactory_superadmin"  # BYPASSRLS: only inside TenantScope.elevated()
    OWNER = "iafactory_owner"  # operator commands from the shell (export, import, erase)
    # A sign-in's password check only: the one role that may read a password hash.
    CREDENTIALS = "iafactory_credentials"


class Isolation(StrEnum):
    READ_COMMITTED = "READ COMMITTED"
    # One snapshot: a page's nodes and its totalCount agree, an export is consistent.
    REPEATABLE_READ = "REPEATABLE READ"


class ScopeClosed(RuntimeError):
    """A statement after the operation's transaction ended: it must never open another."""


@dataclass(frozen=True, slots=True)
class Opening:
    """What a transaction is bound to when it opens."""

    role: DbRole
    request_id: str
    tenant_id: UUID | None = None
    user_id: UUID | None = None
    # A request's caller: the opening also checks that the database still agrees with it.
    principal: Principal | None = None
    isolation: Isolation = Isolation.READ_COMMITTED
    statement_timeout_ms: int = DEFAULT_STATEMENT_TIMEOUT_MS
    writes: bool = False  # takes the tenant's write lock first (module docstring)

    def sql(self) -> str:
        # Values are interpolated because the simple protocol takes no parameters; each is a
        # role constant, a UUID, an enum member, a bool, an int or a request id restricted
        # to [A-Za-z0-9._-] here, so nothing can carry a quote.
        head, tail = _opening_sql(
            self.role,
            self.tenant_id,
            self.user_id,
            self.principal,
            self.isolation,
            self.statement_timeout_ms,
            self.writes,
        )
        return f"{head}{_safe(self.request_id)}{tail}"

    @classmethod
    def for_principal(
        cls,
        principal: Principal | None,
        *,
        request_id: str,
        statement_timeout_ms: int,
        isolation: Isolation = Isolation.READ_COMMITTED,
        writes: bool = False,
    ) -> Opening:
        """A request's opening: the app role, bound to the caller (or to nobody)."""
        return cls(
            role=DbRole.APP,
            request_id=request_id,
            tenant_id=principal.tenant_id if principal else None,
            user_id=principal.user_id if principal else None,
            principal=principal,
            isolation=isolation,
            statement_timeout_ms=statement_timeout_ms,
            # A support session never writes (its transaction is READ ONLY).
            writes=writes and not (principal is not None and principal.is_support),
        )


def _uuid(value: UUID) -> str:
    return str(UUID(str(value)))


def _safe(request_id: str) -> str:
    return _UNSAFE.sub("", request_id)[:128]


_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")


# A pure function of its arguments (the whole principal included), memoised: every request of
# a token has the same opening but for its request id, and building it was a visible share of
# a cached read's CPU. Two different principals never share an entry.
@functools.lru_cache(maxsize=4096)
def _opening_sql(
    role: DbRole,
    tenant_id: UUID | None,
    user_id: UUID | None,
    principal: Principal | None,
    isolation: Isolation,
    statement_timeout_ms: int,
    writes: bool,
) -> tuple[str, str]:
    """The opening's text before and after the request id."""
    begin = f"BEGIN ISOLATION LEVEL {Isolation(isolation).value}"
    settings = ""
    if user_id is not None:
        settings += f", set_config('app.user_id', '{_uuid(user_id)}', true)"
    if tenant_id is not None:
        settings += f", set_config('app.tenant_id', '{_uuid(tenant_id)}', true)"
    check = ""
    if principal is not None:
        role_value = f"'{Role(principal.role).value}'" if principal.role else "NULL"
        tenant = f"'{_uuid(principal.tenant_id)}'::uuid" if principal.tenant_id else "NULL"
        session = f"'{_uuid(principal.session_id)}'::uuid" if principal.session_id else "NULL"
        issued = f"to_timestamp({int(principal.issued_at.timestamp())})" if principal.issued_at else "NULL"
        check = (
            f"; SELECT app.assert_principal({tenant}, '{_uuid(principal.user_id)}'::uuid,"
            f" {role_value}, {'true' if principal.superadmin else 'false'}, {session}, {issued})"
        )
        if principal.is_support:
            # A support session is read-only in the database too, not only in the API.
            begin += " READ ONLY"
    # After the check: a caller the database refuses queues behind nobody.
    lock = "; SELECT app.lock_writes()" if writes and tenant_id is not None else ""
    head = (
        f"{begin}; SELECT set_config('role', '{DbRole(role).value}', true),"
        f" set_config('statement_timeout', '{int(statement_timeout_ms)}', true),"
        " set_config('app.request_id', '"
    )
    return head, f"', true){settings}{check}{lock}"


# The opening of a pipelined read (db/pipeline.py), as parameterised statements: queued with
# the read in one round trip and one implicit transaction, ending at the pipeline's Sync.
# Two statements, because `app` may be named only once the role is switched: PostgreSQL
# checks schema privileges when it parses a statement, before any of it runs.
# The same settings and check as _opening_sql's text: a change to one is a change to both.
_PIPELINE_SETTINGS = (
    "SELECT set_config('role', $1, true), set_config('statement_timeout', $2, true),"
    " set_config('app.request_id', $3, true), set_config('app.user_id', $4, true),"
    " set_config('app.tenant_id', $5, true)"
)
_PIPELINE_CHECK = (
    "SELECT app.assert_principal($1::uuid, $2::uuid, $3, $4::boolean, $5::uuid, $6::timestamptz)"
)


def pipeline_opening(opening: Opening) -> list[tuple[str, list[bytes | None]]]:
    """(statement, parameters in text format) in order. For a tenant member's read only: no
    write lock, no READ ONLY, and one statement after it (one snapshot whatever the isolation)."""
    settings, check = _pipeline_parameters(
        opening.role, opening.tenant_id, opening.principal, opening.statement_timeout_ms, opening.writes
    )
    return [
        (_PIPELINE_SETTINGS, [settings[0], settings[1], _safe(opening.request_id).encode(), *settings[2:]]),
        (_PIPELINE_CHECK, list(check)),
    ]


# Memoised as _opening_sql is: the same for every request of a token but for its request id.
@functools.lru_cache(maxsize=4096)
def _pipeline_parameters(
    role: DbRole,
    tenant_id: UUID | None,
    principal: Principal | None,
    statement_timeout_ms: int,
    writes: bool,
) -> tuple[tuple[bytes, ...], tuple[bytes | None, ...]]:
    """The settings' parameters but the request id, and the check's."""
    if (
        writes
        or principal is None
        or principal.is_support
        or principal.superadmin
        or tenant_id is None
        or principal.tenant_id != tenant_id
        or principal.role is None
    ):
        raise ValueError("a pipelined opening is for a tenant member's read")
    tenant, user = _uuid(tenant_id).encode(), _uuid(principal.user_id).encode()
    # Whole seconds, as the simple opening's to_timestamp() passes them.
    issued = (
        datetime.fromtimestamp(int(principal.issued_at.timestamp()), UTC).isoformat().encode()
        if principal.issued_at
        else None
    )
    session = _uuid(principal.session_id).encode() if principal.session_id else None
    settings = (DbRole(role).value.encode(), str(int(statement_timeout_ms)).encode(), user, tenant)
    return settings, (tenant, user, Role(principal.role).value.encode(), b"false", session, issued)


async def _acquire(pool: asyncpg.Pool) -> asyncpg.Connection:
    """A pooled connection, or Unavailable at once when the database cannot be reached."""
    # With a connection idle, acquiring never waits: no timer to arm and disarm (a share of
    # every request's CPU). The timeout is for a pool that is exhausted or still connecting.
    timeout = None if pool.get_idle_size() else ACQUIRE_TIMEOUT_SECONDS
    try:
        connection: asyncpg.Connection = await pool.acquire(timeout=timeout)
    except asyncpg.PostgresError as error:  # refused while starting or shutting down
        raise translate(error) from error
    except (OSError, TimeoutError, asyncpg.InterfaceError) as error:
        raise unavailable(error) from error
    return connection


async def _release(pool: asyncpg.Pool, connection: asyncpg.Connection) -> None:
    """Back to the pool; one still inside a transaction (an ending that failed) is rolled back
    by the pool, within the acquire timeout."""
    timeout = ACQUIRE_TIMEOUT_SECONDS if connection.is_in_transaction() else None
    await pool.release(connection, timeout=timeout)


async def _begin(connection: asyncpg.Connection, opening: Opening) -> None:
    """Runs the opening; on failure the half-open transaction is rolled back here, so the
    connection goes back to its pool clean."""
    try:
        await connection.execute(opening.sql())
    except BaseException as error:
        if not connection.is_closed() and connection.is_in_transaction():
            try:
                await connection.execute("ROLLBACK")
            except (asyncpg.PostgresError, asyncpg.InterfaceError, OSError):
                connection.terminate()
        if isinstance(error, asyncpg.PostgresError):
            raise translate(error) from error
        if isinstance(error, OSError | asyncpg.InterfaceError) and connection.is_closed():
            raise unavailable(error) from error
        raise


async def _end(connection: asyncpg.Connection, *, commit: bool) -> None:
    if connection.is_closed():
        if commit:  # lost before its COMMIT: what it wrote is gone, and the caller must know
            raise unavailable(ConnectionError("connection lost before COMMIT"))
        return
    if not connection.is_in_transaction():
        return
    try:
        await connection.execute("COMMIT" if commit else "ROLLBACK")
    except asyncpg.PostgresError as error:
        raise translate(error) from error
    except (OSError, asyncpg.InterfaceError) as error:
        if connection.is_closed():
            raise unavailable(error) from error
        raise


@asynccontextmanager
async def transaction(
    source: asyncpg.Pool | asyncpg.Connection,
    *,
    role: DbRole,
    request_id: str,
    tenant_id: UUID | None = None,
    user_id: UUID | None = None,
    isolation: Isolation = Isolation.READ_COMMITTED,
    statement_timeout_ms: int = DEFAULT_STATEMENT_TIMEOUT_MS,
    writes: bool = False,
) -> AsyncIterator[Transaction]:
    """A transaction of its own, committed when the block succeeds, rolled back otherwise.

    `source` is a pool (a connection is borrowed for the block) or a connection the caller
    holds (the CLI's). Workers pass the job's `tenant_id`: row-level security then applies
    exactly as for a request of that tenant, and `writes=True` when the block writes its rows.
    """
    opening = Opening(
        role=role,
        request_id=request_id,
        tenant_id=tenant_id,
        user_id=user_id,
        isolation=isolation,
        statement_timeout_ms=statement_timeout_ms,
        writes=writes,
    )
    if isinstance(source, asyncpg.Pool):
        connection = await _acquire(source)
        try:
            async with _open(connection, opening) as opened:
                yield opened
        finally:
            await _release(source, connection)
    else:
        async with _open(source, opening) as opened:
            yield opened


@asynccontextmanager
async def _open(connection: asyncpg.Connection, opening: Opening) -> AsyncIterator[Transaction]:
    await _begin(connection, opening)
    committed = False
    try:
        yield Transaction(connection)
        committed = True
    finally:
        await _end(connection, commit=committed)


class TenantScope(StatementRunner):
    """One query or mutation: one connection, one transaction, opened on first use.

    Sibling resolvers run concurrently but share the connection serially (the lock), so the
    whole operation sees one snapshot and commits or rolls back as one. Once closed, the
    scope never reopens: a resolver still running after its operation ended (graphql-core
    lets siblings of a failed non-null field run on) gets `ScopeClosed`, not a new
    transaction that nothing would end. Closing takes the lock, so it waits for a statement
    in flight.
    """

    def __init__(self, pool: asyncpg.Pool, opening: Opening) -> None:
        self._pool = pool
        self._opening = opening
        self._connection: asyncpg.Connection | None = None
        self._lock = asyncio.Lock()
        self._closed = False
        self.statement_count = 0

    @property
    def is_open(self) -> bool:
        return self._connection is not None

    @asynccontextmanager
    async def connection(self) -> AsyncIterator[asyncpg.Connection]:
        async with self._lock:
            if self._closed:
                raise ScopeClosed("the operation's transaction has ended")
            if self._connection is None:
                self._connection = await self._acquire_and_begin()
            yield self._connection

    async def _acquire_and_begin(self) -> asyncpg.Connection:
        connection = await _acquire(self._pool)
        try:
            await _begin(connection, self._opening)
        except BaseException:
            await _release(self._pool, connection)
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

    @asynccontextmanager
    async def elevated(self) -> AsyncIterator[Database]:
        """Run the block as the BYPASSRLS super-admin role, then drop back to the app role.

        Callers check `principal.superadmin` first; the opening check already proved that
        the users row agrees. The lock is held throughout, so no sibling resolver's
        statement can run with the elevated role.
        """
        async with self.connection() as connection:
            await connection.execute(f"SET LOCAL ROLE {DbRole.SUPERADMIN.value}")
            try:
                yield Transaction(connection)
            finally:
                if not connection.is_closed() and connection.is_in_transaction():
                    await connection.execute(f"SET LOCAL ROLE {DbRole.APP.value}")

    async def close(self, *, commit: bool) -> None:
        """Commit (or roll back) and hand the connection back; the scope stays closed."""
        async with self._lock:
            self._closed = True
            connection, self._connection = self._connection, None
            if connection is None:
                return
            try:
                await _end(connection, commit=commit)
            finally:
                await _release(self._pool, connection)


class ShortTransactions(StatementRunner):
    """For subscriptions: every statement in its own short tenant transaction.

    A subscription can live for hours; holding one transaction (and a pooled connection)
    for all of it would pin a snapshot and starve the pool.
    """

    def __init__(self, pool: asyncpg.Pool, opening: Opening) -> None:
        self._pool = pool
        self._opening = opening
        self.statement_count = 0

    async def ensure_open(self) -> None:
        """Check the principal against the database in a transaction of its own."""
        async with self.connection():
            pass

    async def assume(self, principal: Principal) -> None:
        raise NotImplementedError("a subscription never signs a caller in")

    @asynccontextmanager
    async def connection(self) -> AsyncIterator[asyncpg.Connection]:
        connection = await _acquire(self._pool)
        try:
            await _begin(connection, self._opening)
            self.statement_count += 1
            committed = False
            try:
                yield connection
                committed = True
            finally:
                await _end(connection, commit=committed)
        finally:
            await _release(self._pool, connection)
