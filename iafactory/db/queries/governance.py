"""Plans, quotas, usage records and operator actions.

Quotas themselves are enforced by triggers (migrations/versions/0004_governance.py); these
statements read what they measure, feed the monthly usage records and record operators'
overrides. Each runs inside a transaction from `iafactory.db.scope`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID

import asyncpg

from iafactory.db.database import Database

QUOTAS = ("requests_per_minute", "max_projects", "max_storage_bytes", "max_audio_seconds_per_month")


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
    assert row is not None, "the tenant exists: the transaction's opening checked it"
    return Usage(**dict(row))


async def requests_per_minute(db: Database, *, tenant_id: UUID) -> int:
    """The tenant's request budget: its plan's, or an operator's override."""
    return int(await db.fetchval("SELECT app.requests_per_minute($1)", tenant_id))


async def record_api_calls(db: Database, *, counts: dict[UUID, int]) -> None:
    tenants = sorted(counts)
    await db.execute(
        "SELECT app.record_api_calls($1::uuid[], $2::bigint[])", tenants, [counts[t] for t in tenants]
    )


async def transcription_queue(db: Database) -> list[asyncpg.Record]:
    """QUEUED and RUNNING jobs per tenant, every worker's (for the metrics gauge)."""
    return await db.fetch("SELECT tenant_id, status, jobs FROM app.transcription_queue()")


async def usage_records(
    db: Database, *, period: date, slug: str | None, current: bool
) -> list[asyncpg.Record]:
    """Every tenant's record for a month (owner role). `current`: bring this month's up to date first."""
    if current:
        await db.execute("SELECT app.snapshot_usage()")
    return await db.fetch(
        "SELECT r.tenant_id, t.slug, t.plan, r.period, r.api_calls, r.audio_seconds, r.storage_peak_bytes"
        " FROM usage_records r JOIN tenants t ON t.id = r.tenant_id"
        " WHERE r.period = $1 AND ($2::text IS NULL OR t.slug = $2) ORDER BY t.slug",
        period,
        slug,
    )


async def records_for_month(db: Database, *, period: date) -> list[asyncpg.Record]:
    """Every tenant's record for a month with its tenant row (super-admin scope)."""
    return await db.fetch(
        "SELECT t.id, t.name, t.slug, t.region, t.plan, t.status, t.created_at, r.period,"
        " r.api_calls, r.audio_seconds, r.storage_peak_bytes"
        " FROM usage_records r JOIN tenants t ON t.id = r.tenant_id"
        " WHERE r.period = $1 ORDER BY t.slug",
        period,
    )


async def tenant_id_by_slug(db: Database, *, slug: str) -> UUID | None:
    found: UUID | None = await db.fetchval("SELECT id FROM tenants WHERE slug = $1", slug)
    return found


async def set_quota_override(db: Database, *, tenant_id: UUID, quota: str, value: Decimal | None) -> None:
    """`value` None means unlimited (the override itself stays)."""
    await db.execute(
        "INSERT INTO tenant_quota_overrides (tenant_id, quota, value) VALUES ($1, $2, $3)"
        " ON CONFLICT (tenant_id, quota)"
        " DO UPDATE SET value = EXCLUDED.value, updated_at = clock_timestamp()",
        tenant_id,
        quota,
        value,
    )


async def remove_quota_override(db: Database, *, tenant_id: UUID, quota: str) -> None:
    await db.execute(
        "DELETE FROM tenant_quota_overrides WHERE tenant_id = $1 AND quota = $2", tenant_id, quota
    )


async def limits_and_usage(db: Database, *, tenant_id: UUID) -> dict[str, Any]:
    """The effective limits, the usage and which quotas an operator overrode (owner role)."""
    limits = await db.fetchrow("SELECT * FROM app.effective_limits($1)", tenant_id)
    usage = await db.fetchrow("SELECT * FROM app.tenant_usage($1)", tenant_id)
    overridden = await db.fetch("SELECT quota FROM tenant_quota_overrides WHERE tenant_id = $1", tenant_id)
    assert limits is not None
    assert usage is not None
    return {
        "limits": dict(limits),
        "usage": dict(usage),
        "overridden": sorted(r["quota"] for r in overridden),
    }


async def operator_audit(
    db: Database, *, tenant_id: UUID, action: str, details: dict[str, Any] | None = None
) -> None:
    """An operator's action from the shell, in the tenant's own audit log (actor in details)."""
    await db.execute(
        "INSERT INTO audit_log (tenant_id, action, target_type, target_id, request_id, details)"
        " VALUES ($1, $2, 'Tenant', $3, 'cli', $4::text::jsonb)",
        tenant_id,
        action,
        str(tenant_id),  # $1 again as ::text would be "inconsistent types deduced for $1"
        json.dumps(details) if details is not None else None,
    )


async def operator_action(
    db: Database, *, action: str, digest: str, actor: str, details: dict[str, Any]
) -> None:
    """Actions that must outlive their tenant (import, erasure), keyed by a digest of its id."""
    await db.execute(
        "INSERT INTO operator_actions (action, tenant_digest, actor, details)"
        " VALUES ($1, $2, $3, $4::text::jsonb)",
        action,
        digest,
        actor,
        json.dumps(details),
    )


async def export_owner_slug(db: Database, *, tenant_id: UUID, user_id: UUID) -> str | None:
    """The tenant's slug when `user_id` is one of its OWNERs, else None (export downloads)."""
    slug: str | None = await db.fetchval(
        "SELECT t.slug FROM tenants t JOIN tenant_memberships m ON m.tenant_id = t.id AND m.user_id = $2"
        " WHERE t.id = $1 AND m.role = 'OWNER'",
        tenant_id,
        user_id,
    )
    return slug


async def export_download_audit(db: Database, *, tenant_id: UUID, user_id: UUID, audio: bool) -> None:
    await db.execute(
        "INSERT INTO audit_log (tenant_id, actor_id, action, target_type, target_id, details)"
        " VALUES ($1, $2, 'export.download', 'Tenant', $3, $4::text::jsonb)",
        tenant_id,
        user_id,
        str(tenant_id),
        json.dumps({"audio": audio}),
    )
