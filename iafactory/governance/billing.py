"""Monthly usage records, the raw material of invoices: `iafactory billing usage`.

One row per tenant and UTC month: api_calls (requests admitted, counted by the servers),
audio_seconds (transcribed audio accepted that month, failed and cancelled jobs excluded),
storage_peak_bytes (the most documents + audio held at once, measured at every write and
every usage flush). Reading the current month first brings every tenant's record up to date.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from uuid import UUID

import asyncpg

from iafactory.db.queries import governance as governance_queries
from iafactory.db.scope import DbRole, transaction
from iafactory.governance.portability import PortabilityError


@dataclass(frozen=True, slots=True)
class UsageRecord:
    tenant_id: UUID
    slug: str
    plan: str
    period: date
    api_calls: int
    audio_seconds: float
    storage_peak_bytes: int


def parse_month(text: str | None) -> date:
    """`2026-11` → 2026-11-01; None → the current UTC month."""
    if text is None:
        now = datetime.now(UTC)
        return date(now.year, now.month, 1)
    try:
        year, month = (int(part) for part in text.split("-"))
        return date(year, month, 1)
    except ValueError as error:
        raise PortabilityError(f"expected a month as YYYY-MM, got {text!r}") from error


async def usage_records(
    connection: asyncpg.Connection, *, period: date, slug: str | None = None
) -> list[UsageRecord]:
    async with transaction(connection, role=DbRole.OWNER, request_id="cli") as db:
        rows = await governance_queries.usage_records(
            db, period=period, slug=slug, current=period == parse_month(None)
        )
    return [UsageRecord(**dict(row)) for row in rows]
