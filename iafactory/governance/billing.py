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

from iafactory.db.scope import Database
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
    async with connection.transaction():
        await connection.execute("SET LOCAL ROLE iafactory_owner")
        if period == parse_month(None):
            await connection.execute("SELECT app.snapshot_usage()")
        rows = await connection.fetch(
            "SELECT r.tenant_id, t.slug, t.plan, r.period, r.api_calls, r.audio_seconds, r.storage_peak_bytes"
            " FROM usage_records r JOIN tenants t ON t.id = r.tenant_id"
            " WHERE r.period = $1 AND ($2::text IS NULL OR t.slug = $2) ORDER BY t.slug",
            period,
            slug,
        )
    return [UsageRecord(**dict(row)) for row in rows]


async def records_for_month(db: Database, *, period: date) -> list[asyncpg.Record]:
    """Every tenant's record for a month, for the super-admin API (run inside `elevated()`)."""
    return await db.fetch(
        "SELECT t.id, t.name, t.slug, t.region, t.plan, t.status, t.created_at, r.period,"
        " r.api_calls, r.audio_seconds, r.storage_peak_bytes"
        " FROM usage_records r JOIN tenants t ON t.id = r.tenant_id"
        " WHERE r.period = $1 ORDER BY t.slug",
        period,
    )
