"""The audit trail: appended in the same transaction as the change it records."""

from __future__ import annotations

import re
from typing import Any
from uuid import UUID

import asyncpg

from iafactory.db.database import Database


async def append(
    db: Database,
    *,
    tenant_id: UUID,
    action: str,
    target_type: str | None = None,
    target_id: str | None = None,
    details: dict[str, Any] | None = None,
) -> None:
    """actor_id and request_id default to the transaction's own settings (see scope.py)."""
    await db.execute(
        "INSERT INTO audit_log (tenant_id, action, target_type, target_id, details)"
        " VALUES ($1, $2, $3, $4, $5)",
        tenant_id,
        action,
        target_type,
        target_id,
        details,
    )


def appended_for(rows: str, *, action: str, target_type: str) -> str:
    """An INSERT appending one entry per row of the CTE `rows` (its `tenant_id` and `id`): a
    write and its audit entry in ONE statement (one round trip, and no write without its entry).

    >>> audited = appended_for("created", action="create_project", target_type="Project")
    >>> sql = f"WITH created AS (INSERT ... RETURNING *), audited AS ({audited}) SELECT * FROM created"
    """
    # Constants of our own code, spelled into the text: checked so that none can carry a quote.
    assert all(_WORD.fullmatch(word) for word in (rows, action, target_type)), (rows, action, target_type)
    return (
        "INSERT INTO audit_log (tenant_id, action, target_type, target_id)"
        f" SELECT tenant_id, '{action}', '{target_type}', id::text FROM {rows}"
    )


_WORD = re.compile(r"[A-Za-z_]+")


async def page(db: Database, *, tenant_id: UUID, first: int, after: int | None) -> list[asyncpg.Record]:
    return await db.fetch(
        "SELECT id, at, actor_id, action, target_type, target_id, request_id, details FROM audit_log"
        " WHERE tenant_id = $1 AND ($3::bigint IS NULL OR id < $3) ORDER BY id DESC LIMIT $2",
        tenant_id,
        first + 1,
        after,
    )


async def count(db: Database, *, tenant_id: UUID) -> int:
    return int(await db.fetchval("SELECT count(*) FROM audit_log WHERE tenant_id = $1", tenant_id))


async def append_superadmin(
    db: Database,
    *,
    action: str,
    target_type: str | None = None,
    target_id: str | None = None,
    details: dict[str, Any] | None = None,
) -> None:
    """The global super-admin log; call inside `TenantScope.elevated()`."""
    await db.execute(
        "INSERT INTO superadmin_audit_log (action, target_type, target_id, details) VALUES ($1, $2, $3, $4)",
        action,
        target_type,
        target_id,
        details,
    )
