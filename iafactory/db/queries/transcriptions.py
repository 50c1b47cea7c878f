"""Transcription jobs and their segments, read inside the active tenant's scope.

Writes live in iafactory/voice/jobs.py (enqueue, cancel, and the worker's lease-checked
updates); this module only reads.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import asyncpg

from iafactory.db.database import Database

COLUMNS = (
    "tenant_id, id, project_id, document_id, filename, language, detected_language, status,"
    " progress, duration, text, segment_count, error, attempts, created_at, started_at, finished_at"
)
SEGMENT_COLUMNS = "transcription_id, position, start_seconds, end_seconds, text"


async def page(
    db: Database,
    *,
    tenant_id: UUID,
    status: str | None,
    first: int,
    after: tuple[datetime, UUID] | None,
) -> list[asyncpg.Record]:
    """Newest first; one row more than asked so the caller knows whether a next page exists."""
    return await db.fetch(
        f"SELECT {COLUMNS} FROM transcriptions WHERE tenant_id = $1"
        " AND ($3::text IS NULL OR status = $3)"
        " AND ($4::timestamptz IS NULL OR (created_at, id) < ($4, $5))"
        " ORDER BY created_at DESC, id DESC LIMIT $2",
        tenant_id,
        first + 1,
        status,
        after[0] if after else None,
        after[1] if after else None,
    )


async def count(db: Database, *, tenant_id: UUID, status: str | None) -> int:
    return int(
        await db.fetchval(
            "SELECT count(*) FROM transcriptions WHERE tenant_id = $1 AND ($2::text IS NULL OR status = $2)",
            tenant_id,
            status,
        )
    )


async def by_ids(db: Database, *, tenant_id: UUID, ids: list[UUID]) -> list[asyncpg.Record]:
    return await db.fetch(
        f"SELECT {COLUMNS} FROM transcriptions WHERE tenant_id = $1 AND id = ANY($2::uuid[])",
        tenant_id,
        ids,
    )


async def get(db: Database, *, tenant_id: UUID, transcription_id: UUID) -> asyncpg.Record | None:
    return await db.fetchrow(
        f"SELECT {COLUMNS} FROM transcriptions WHERE tenant_id = $1 AND id = $2",
        tenant_id,
        transcription_id,
    )


async def pages_for_projects(
    db: Database,
    *,
    tenant_id: UUID,
    project_ids: list[UUID],
    first: int,
    after: tuple[datetime, UUID] | None,
) -> list[asyncpg.Record]:
    """A page of transcriptions for each of many projects in one statement (a window per
    project). Every project id gets at least one row, carrying `parent_id` and the project's
    `total_count`; a project with nothing on this page gets one row whose `id` is NULL."""
    return await db.fetch(
        "WITH parents AS (SELECT DISTINCT unnest($2::uuid[]) AS parent_id),"
        " totals AS ("
        "  SELECT project_id, count(*) AS total_count FROM transcriptions"
        "  WHERE tenant_id = $1 AND project_id = ANY($2::uuid[]) GROUP BY project_id),"
        " ranked AS ("
        f"  SELECT {COLUMNS}, row_number() OVER"
        "   (PARTITION BY project_id ORDER BY created_at DESC, id DESC) AS position"
        "  FROM transcriptions WHERE tenant_id = $1 AND project_id = ANY($2::uuid[])"
        "  AND ($4::timestamptz IS NULL OR (created_at, id) < ($4, $5)))"
        " SELECT p.parent_id, coalesce(t.total_count, 0) AS total_count, r.*"
        " FROM parents p LEFT JOIN totals t ON t.project_id = p.parent_id"
        " LEFT JOIN ranked r ON r.project_id = p.parent_id AND r.position <= $3 + 1"
        " ORDER BY p.parent_id, r.position",
        tenant_id,
        project_ids,
        first,
        after[0] if after else None,
        after[1] if after else None,
    )


async def segments_for(
    db: Database, *, tenant_id: UUID, transcription_ids: list[UUID]
) -> list[asyncpg.Record]:
    """Every segment of many transcriptions, in order."""
    return await db.fetch(
        f"SELECT {SEGMENT_COLUMNS} FROM transcript_segments"
        " WHERE tenant_id = $1 AND transcription_id = ANY($2::uuid[])"
        " ORDER BY transcription_id, position",
        tenant_id,
        transcription_ids,
    )


async def segments_after(
    db: Database, *, tenant_id: UUID, transcription_id: UUID, position: int
) -> list[asyncpg.Record]:
    """The segments appended after `position` (a subscriber's catch-up read)."""
    return await db.fetch(
        f"SELECT {SEGMENT_COLUMNS} FROM transcript_segments"
        " WHERE tenant_id = $1 AND transcription_id = $2 AND position > $3 ORDER BY position",
        tenant_id,
        transcription_id,
        position,
    )
