"""What queries take: a `Database` runs statements one at a time inside one transaction,
and gives expected database errors their contract codes (errors.py's SQLSTATE map).

Transactions are opened by db/scope.py only.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any, Protocol

import asyncpg
import structlog

from iafactory.errors import Collided, Unavailable, from_sqlstate

log = structlog.get_logger("iafactory.db")


def translate(error: asyncpg.PostgresError) -> Exception:
    """An AppError for expected database failures; the original error otherwise."""
    app_error = from_sqlstate(error.sqlstate, error.args[0] if error.args else None)
    if isinstance(app_error, Unavailable):
        log.warning("database unavailable", error=str(error))
    elif isinstance(app_error, Collided):
        log.warning("transaction rolled back by a collision", sqlstate=error.sqlstate, error=str(error))
    return app_error if app_error is not None else error


def unavailable(error: BaseException) -> Unavailable:
    """The connection is gone or cannot be made (no SQLSTATE to go by)."""
    log.warning("database unavailable", error=f"{type(error).__name__}: {error}")
    return Unavailable()


class Database(Protocol):
    """What queries take: statements run one at a time, inside one transaction."""

    statement_count: int

    async def fetch(self, sql: str, *args: Any) -> list[asyncpg.Record]: ...
    async def fetchrow(self, sql: str, *args: Any) -> asyncpg.Record | None: ...
    async def fetchval(self, sql: str, *args: Any) -> Any: ...
    async def execute(self, sql: str, *args: Any) -> str: ...


class StatementRunner:
    """Database's methods over `connection()`, with database errors given contract codes."""

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
            except (OSError, asyncpg.InterfaceError) as error:
                if connection.is_closed():  # lost mid-statement (a restart): not our bug
                    raise unavailable(error) from error
                raise

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


class Transaction(StatementRunner):
    """An open transaction on one connection (from `transaction()`)."""

    def __init__(self, connection: asyncpg.Connection) -> None:
        self._connection = connection
        self.statement_count = 0

    @property
    def raw(self) -> asyncpg.Connection:
        """The connection itself, for cursors and COPY (exports); still this transaction."""
        return self._connection

    @asynccontextmanager
    async def connection(self) -> AsyncIterator[asyncpg.Connection]:
        yield self._connection
