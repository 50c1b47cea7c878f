"""Database failures a client can act on say what happened instead of an anonymous INTERNAL:
a deadlock PostgreSQL broke is a collision to retry (nothing was written, the same request
sent again normally goes through); a statement stopped by the statement timeout says so."""

from __future__ import annotations

import asyncio

import asyncpg
import pytest

from iafactory.db.database import translate
from iafactory.errors import Collided, ErrorCode, TimedOut


async def test_a_deadlock_is_answered_as_a_collision_to_retry(database_url: str) -> None:
    first, second = await asyncpg.connect(database_url), await asyncpg.connect(database_url)
    try:
        for connection, key in ((first, 1), (second, 2)):
            await connection.execute("BEGIN")
            await connection.execute("SELECT pg_advisory_xact_lock(424242, $1)", key)
        crossed = await asyncio.gather(
            first.execute("SELECT pg_advisory_xact_lock(424242, 2)"),
            second.execute("SELECT pg_advisory_xact_lock(424242, 1)"),
            return_exceptions=True,
        )
    finally:
        for connection in (first, second):
            await connection.close()
    [deadlock] = [error for error in crossed if isinstance(error, BaseException)]
    assert isinstance(deadlock, asyncpg.DeadlockDetectedError)
    error = translate(deadlock)
    assert isinstance(error, Collided)
    entry = error.entry("req-1")
    assert entry["extensions"] == {"code": ErrorCode.INTERNAL.value, "retryAfter": 1, "requestId": "req-1"}
    assert "retry" in entry["message"]
    assert "deadlock" not in entry["message"], "PostgreSQL's own words stay in the log"


def test_a_serialization_failure_is_a_collision_too() -> None:
    with pytest.raises(Collided):
        raise translate(asyncpg.SerializationError("could not serialize access"))


async def test_a_statement_stopped_by_the_timeout_says_so(database_url: str) -> None:
    connection = await asyncpg.connect(database_url)
    try:
        await connection.execute("SET statement_timeout = 50")
        with pytest.raises(asyncpg.QueryCanceledError) as stopped:
            await connection.execute("SELECT pg_sleep(2)")
    finally:
        await connection.close()
    error = translate(stopped.value)
    assert isinstance(error, TimedOut)
    assert error.entry("req-2")["extensions"] == {"code": ErrorCode.INTERNAL.value, "requestId": "req-2"}
    assert "nothing was saved" in error.message
