"""Usage against the plan (the `usage` field) and the API-call counts of the monthly records.

Quotas are enforced by the database (0004_governance: triggers raising IA402); this module
only reads what they measure, and feeds `usage_records.api_calls`, which the servers count in
memory and add every IAFACTORY_USAGE_FLUSH_SECONDS (a crash loses at most that much).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from uuid import UUID

import asyncpg
import structlog

from iafactory.db.scope import Database

log = structlog.get_logger("iafactory.usage")


@dataclass(frozen=True, slots=True)
class Usage:
    projects: int
    documents: int
    storage_bytes: int
    audio_seconds_this_month: float
    requests_per_minute: int
    max_projects: int | None
    max_storage_bytes: int | None
    max_audio_seconds_per_month: float | None


async def tenant_usage(db: Database, *, tenant_id: UUID) -> Usage:
    """Consumption (as row-level security lets the caller see it) and the effective limits."""
    row = await db.fetchrow(
        "SELECT u.projects, u.documents, u.storage_bytes, u.audio_seconds_this_month,"
        " l.requests_per_minute, l.max_projects, l.max_storage_bytes, l.max_audio_seconds_per_month"
        " FROM app.tenant_usage($1) u CROSS JOIN app.effective_limits($1) l",
        tenant_id,
    )
    assert row is not None, "the caller's tenant exists: the transaction's opening checked it"
    return Usage(**dict(row))


class ApiCallCounter:
    """Admitted requests per tenant, added to this month's usage record in batches."""

    def __init__(self, pool: Callable[[], asyncpg.Pool], *, interval: float) -> None:
        self._pool = pool
        self._interval = interval
        self._pending: Counter[UUID] = Counter()
        self._task: asyncio.Task[None] | None = None

    def count(self, tenant_id: UUID) -> None:
        self._pending[tenant_id] += 1

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run(), name="usage-flush")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        await self.flush()

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self._interval)
            await self.flush()

    async def flush(self) -> None:
        batch, self._pending = self._pending, Counter()
        if not batch:
            return
        tenants = sorted(batch)
        try:
            async with self._pool().acquire() as connection, connection.transaction():
                await connection.execute("SET LOCAL ROLE iafactory_app")
                await connection.execute(
                    "SELECT app.record_api_calls($1::uuid[], $2::bigint[])",
                    tenants,
                    [batch[t] for t in tenants],
                )
        except (OSError, asyncpg.PostgresError, RuntimeError) as error:
            self._pending.update(batch)  # try again next time
            log.warning("usage flush failed; counts kept for the next one", error=str(error))
