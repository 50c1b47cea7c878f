"""Projects of the active tenant. Every statement filters on tenant_id explicitly (index use,
shard pruning later) while row-level security stays the wall behind it."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import asyncpg

from iafactory.db.database import Database
from iafactory.db.queries import audit

COLUMNS = "tenant_id, id, name, description, created_by, created_at, updated_at"
# Each write and its audit entry are one statement (audit.appended_for).
CREATE = (
    "WITH created AS ("
    # One clock reading for both timestamps: a new project was never updated.
    " INSERT INTO projects (tenant_id, name, description, created_by, created_at, updated_at)"
    f" SELECT $1, $2, $3, $4, now, now FROM clock_timestamp() AS now RETURNING {COLUMNS}),"
    f" audited AS ({audit.appended_for('created', action='create_project', target_type='Project')})"
    " SELECT * FROM created"
)
UPDATE = (
    "WITH updated AS ("
    " UPDATE projects SET name = coalesce($3, name),"
    " description = CASE WHEN $4 THEN $5 ELSE description END,"
    " updated_at = clock_timestamp()"
    f" WHERE tenant_id = $1 AND id = $2 RETURNING {COLUMNS}),"
    f" audited AS ({audit.appended_for('updated', action='update_project', target_type='Project')})"
    " SELECT * FROM updated"
)
DELETE = (
    "WITH deleted AS (DELETE FROM projects WHERE tenant_id = $1 AND id = $2 RETURNING tenant_id, id),"
    f" audited AS ({audit.appended_for('deleted', action='delete_project', target_type='Project')})"
    " SELECT count(*) FROM deleted"
)


async def page(
    db: Database, *, tenant_id: UUID, first: int, after: tuple[datetime, UUID] | None
) -> list[asyncpg.Record]:
    """Newest first; one row more than asked so the caller knows whether a next page exists."""
    if after is None:
        return await db.fetch(
            f"SELECT {COLUMNS} FROM projects WHERE tenant_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2",
            tenant_id,
            first + 1,
        )
    return await db.fetch(
        f"SELECT {COLUMNS} FROM projects WHERE tenant_id = $1 AND (created_at, id) < ($3, $4)"
        " ORDER BY created_at DESC, id DESC LIMIT $2",
        tenant_id,
        first + 1,
        after[0],
        after[1],
    )


async def count(db: Database, *, tenant_id: UUID) -> int:
    return int(await db.fetchval("SELECT count(*) FROM projects WHERE tenant_id = $1", tenant_id))


async def by_ids(db: Database, *, tenant_id: UUID, ids: list[UUID]) -> list[asyncpg.Record]:
    return await db.fetch(
        f"SELECT {COLUMNS} FROM projects WHERE tenant_id = $1 AND id = ANY($2::uuid[])",
        tenant_id,
        ids,
    )


async def create(
    db: Database, *, tenant_id: UUID, name: str, description: str | None, created_by: UUID
) -> asyncpg.Record:
    """The new project; its audit entry (create_project) is written by the same statement."""
    row = await db.fetchrow(CREATE, tenant_id, name, description, created_by)
    assert row is not None
    return row


async def update(
    db: Database,
    *,
    tenant_id: UUID,
    project_id: UUID,
    name: str | None,
    description: str | None,
    set_description: bool,
) -> asyncpg.Record | None:
    """The updated project (None: no such project), audited (update_project) by the same statement."""
    return await db.fetchrow(UPDATE, tenant_id, project_id, name, set_description, description)


async def delete(db: Database, *, tenant_id: UUID, project_id: UUID) -> bool:
    """Whether the project existed; its deletion is audited (delete_project) by the same statement."""
    return bool(await db.fetchval(DELETE, tenant_id, project_id))
