"""Documents of the active tenant's knowledge base."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import asyncpg

from iafactory.db.scope import Database

COLUMNS = "tenant_id, id, project_id, title, content, source, language, created_by, created_at"


async def page(
    db: Database,
    *,
    tenant_id: UUID,
    project_id: UUID | None,
    first: int,
    after: tuple[datetime, UUID] | None,
) -> list[asyncpg.Record]:
    return await db.fetch(
        f"SELECT {COLUMNS} FROM documents WHERE tenant_id = $1"
        " AND ($3::uuid IS NULL OR project_id = $3)"
        " AND ($4::timestamptz IS NULL OR (created_at, id) < ($4, $5))"
        " ORDER BY created_at DESC, id DESC LIMIT $2",
        tenant_id,
        first + 1,
        project_id,
        after[0] if after else None,
        after[1] if after else None,
    )


async def count(db: Database, *, tenant_id: UUID, project_id: UUID | None) -> int:
    return int(
        await db.fetchval(
            "SELECT count(*) FROM documents WHERE tenant_id = $1 AND ($2::uuid IS NULL OR project_id = $2)",
            tenant_id,
            project_id,
        )
    )


async def pages_for_projects(
    db: Database,
    *,
    tenant_id: UUID,
    project_ids: list[UUID],
    first: int,
    after: tuple[datetime, UUID] | None,
) -> list[asyncpg.Record]:
    """The first page of documents of many projects in one statement (a window per project),
    with each project's total in `total_count`."""
    return await db.fetch(
        "WITH totals AS ("
        "  SELECT project_id, count(*) AS total_count FROM documents"
        "  WHERE tenant_id = $1 AND project_id = ANY($2::uuid[]) GROUP BY project_id),"
        " ranked AS ("
        f"  SELECT {COLUMNS}, row_number() OVER"
        "   (PARTITION BY project_id ORDER BY created_at DESC, id DESC) AS position"
        "  FROM documents WHERE tenant_id = $1 AND project_id = ANY($2::uuid[])"
        "  AND ($4::timestamptz IS NULL OR (created_at, id) < ($4, $5)))"
        " SELECT ranked.*, totals.total_count FROM ranked JOIN totals USING (project_id)"
        " WHERE position <= $3 + 1 ORDER BY project_id, position",
        tenant_id,
        project_ids,
        first,
        after[0] if after else None,
        after[1] if after else None,
    )


async def by_ids(db: Database, *, tenant_id: UUID, ids: list[UUID]) -> list[asyncpg.Record]:
    return await db.fetch(
        f"SELECT {COLUMNS} FROM documents WHERE tenant_id = $1 AND id = ANY($2::uuid[])",
        tenant_id,
        ids,
    )


async def create(
    db: Database,
    *,
    tenant_id: UUID,
    project_id: UUID | None,
    title: str,
    content: str,
    source: str,
    created_by: UUID | None,
) -> asyncpg.Record:
    row = await db.fetchrow(
        "INSERT INTO documents (tenant_id, project_id, title, content, source, created_by)"
        f" VALUES ($1, $2, $3, $4, $5, $6) RETURNING {COLUMNS}",
        tenant_id,
        project_id,
        title,
        content,
        source,
        created_by,
    )
    assert row is not None
    return row


async def delete(db: Database, *, tenant_id: UUID, document_id: UUID) -> bool:
    status = await db.execute(
        "DELETE FROM documents WHERE tenant_id = $1 AND id = $2", tenant_id, document_id
    )
    return status.endswith(" 1")
