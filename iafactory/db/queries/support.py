"""Support sessions: a super-admin's read-only look inside one tenant, and its audit trail."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import asyncpg

from iafactory.db.database import Database


async def open_session(
    db: Database, *, tenant_id: UUID, user_id: UUID, reason: str, ttl_seconds: int
) -> asyncpg.Record | None:
    """Inside `elevated()`: the session row, or None when there is no such tenant. Both
    timestamps come from the database clock (a CHECK caps the session at 15 minutes)."""
    return await db.fetchrow(
        "INSERT INTO support_sessions (tenant_id, user_id, reason, created_at, expires_at)"
        " SELECT t.id, $2, $3, now, now + make_interval(secs => $4)"
        "   FROM tenants t, clock_timestamp() AS now WHERE t.id = $1"
        " RETURNING tenant_id, id, expires_at",
        tenant_id,
        user_id,
        reason,
        float(ttl_seconds),
    )


async def record_access(db: Database, *, session_id: UUID, action: str, fields: list[str]) -> None:
    """One operation of a support session, in the tenant's and the super-admin audit logs
    (the reason is added by the database from the session row)."""
    details: dict[str, Any] = {"fields": fields}
    await db.execute("SELECT app.record_support_access($1, $2, $3)", session_id, action, details)
