"""API-call counts for the monthly usage records.

The servers count admitted requests per tenant in memory and add them to
`usage_records.api_calls` every IAFACTORY_USAGE_FLUSH_SECONDS (a crash loses at most that
much). Quotas themselves are enforced by the database (0004_governance: triggers raising
IA402); the `usage` field reads what they measure (db/queries/governance.py).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter
from uuid import UUID

import asyncpg
import structlog

from iafactory.db.queries import governance as governance_queries
from iafactory.db.scope import DbRole, transaction

log = structlog.get_logger("iafactory.usage")


class ApiCallCounter:
    """Admitted requests per tenant, added to this month's usage record in batches."""

    def __init__(self, pool: asyncpg.Pool, *, interval: float) -> None:
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
        try:
            async with transaction(self._pool, role=DbRole.APP, request_id="usage-flush") as db:
                await governance_queries.record_api_calls(db, counts=dict(batch))
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, RuntimeError) as error:
            self._pending.update(batch)  # try again next time
            log.warning("usage flush failed; counts kept for the next one", error=str(error))
