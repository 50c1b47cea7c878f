"""The PostgreSQL a run uses, scratch databases, and SQL as the superuser.

Which cluster: TEST_DATABASE_URL, else DATABASE_URL (a superuser URL to any database of the
cluster), else an embedded server started under the run's own directory. Each run creates its
own databases (`<prefix>_<random>`), migrates them and drops them at the end, so runs sharing
one cluster never collide.
"""

from __future__ import annotations

import asyncio
import os
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit, urlunsplit

import asyncpg

from iafactory.db import migrate

T = TypeVar("T")


@contextmanager
def cluster(work: Path) -> Iterator[str]:
    """A superuser URL: TEST_DATABASE_URL, else DATABASE_URL, else an embedded server in `work`,
    stopped on exit when this started it (a run leaves no PostgreSQL behind)."""
    configured = os.environ.get("TEST_DATABASE_URL") or os.environ.get("DATABASE_URL")
    if configured:
        yield configured
        return
    from iafactory.db.embedded import start_embedded, stop_embedded

    server = start_embedded(work)
    try:
        yield server.dsn
    finally:
        if server.started:
            stop_embedded(work)


def with_database(url: str, database: str) -> str:
    """The same server and login, another database."""
    return urlunsplit(urlsplit(url)._replace(path=f"/{database}"))


@contextmanager
def empty_database(admin_url: str, *, prefix: str = "iafactory_test") -> Iterator[str]:
    """A new, empty database of the cluster (no migrations), dropped on exit."""
    name = f"{prefix}_{secrets.token_hex(4)}"
    run_sql(admin_url, f'CREATE DATABASE "{name}"')
    try:
        yield with_database(admin_url, name)
    finally:
        run_sql(admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def scratch_database(admin_url: str, *, prefix: str = "iafactory_test") -> Iterator[str]:
    """A new database of the cluster migrated to head, dropped on exit (tests, benchmarks)."""
    with empty_database(admin_url, prefix=prefix) as url:
        migrate.upgrade(url)
        yield url


# --- SQL as the superuser ---------------------------------------------------------------------
# One way in: `superuser()` opens the connection; the rest are shapes of the same call. The
# blocking ones run on a private event loop in a worker thread, so sync tests and async tests
# (whose loop is already running, where asyncio.run is refused) call them alike.


@asynccontextmanager
async def superuser(database_url: str) -> AsyncIterator[asyncpg.Connection]:
    """One connection as the login of `database_url` (the superuser in tests), closed on exit.

    >>> async with superuser(url) as connection:
    ...     await connection.fetch("SELECT * FROM projects")  # every tenant's rows
    """
    connection = await asyncpg.connect(database_url)
    try:
        yield connection
    finally:
        await connection.close()


def blocking(coroutine: Coroutine[Any, Any, T]) -> T:
    """Runs `coroutine` to completion on its own event loop in a worker thread."""
    with ThreadPoolExecutor(max_workers=1) as thread:
        return thread.submit(asyncio.run, coroutine).result()


def on_database(database_url: str, action: Callable[[asyncpg.Connection], Awaitable[T]]) -> T:
    """Runs `action` on one superuser connection, from sync code: `on_database(url, lambda c: ...)`."""

    async def run() -> T:
        async with superuser(database_url) as connection:
            return await action(connection)

    return blocking(run())


async def fetch_as_superuser(database_url: str, query: str, *args: Any) -> list[asyncpg.Record]:
    """One statement's rows ($1, $2... parameters), from async code."""
    async with superuser(database_url) as connection:
        return list(await connection.fetch(query, *args))


def sql(database_url: str, query: str, *args: Any) -> list[asyncpg.Record]:
    """One statement's rows ($1, $2... parameters), from sync code."""
    return blocking(fetch_as_superuser(database_url, query, *args))


def superuser_value(database_url: str, query: str, *args: Any) -> Any:
    """The first column of the first row (None without rows), from sync code."""
    rows = sql(database_url, query, *args)
    return rows[0][0] if rows else None


def run_sql(database_url: str, *statements: str) -> None:
    """Statements without parameters, one after the other outside any transaction (CREATE
    DATABASE, VACUUM and the like refuse to run inside one)."""

    async def run(connection: asyncpg.Connection) -> None:
        for statement in statements:
            await connection.execute(statement)

    on_database(database_url, run)


def lift_rate_limit(database_url: str, tenant_id: str) -> None:
    """ENTERPRISE plan for a tenant that must send many requests quickly (a load, not a test of
    limits). Do it before the tenant's first authenticated request: servers cache plans."""
    sql(database_url, "UPDATE tenants SET plan = 'ENTERPRISE' WHERE id = $1", tenant_id)


def throttle(database_url: str, tenant_id: str, requests_per_minute: int) -> None:
    """An operator's override of a tenant's request rate. Do it before the tenant's first
    authenticated request: servers cache plans."""
    sql(
        database_url,
        "INSERT INTO tenant_quota_overrides (tenant_id, quota, value) VALUES ($1, 'requests_per_minute', $2)",
        tenant_id,
        requests_per_minute,
    )
