"""A deadlock PostgreSQL breaks is a retryable error for the client, not an anonymous
INTERNAL: nothing was written, and the same request sent again normally goes through."""

from __future__ import annotations

import asyncio

import asyncpg
import pytest

from iafactory.db.database import translate
from iafactory.errors import Collided, ErrorCode


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
