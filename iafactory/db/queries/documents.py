"""Documents of the active tenant's knowledge base, and the passages (chunks) search reads.

A document and its chunks are written by one statement, so no document is ever visible
without its passages. Every statement filters on tenant_id explicitly; row-level security
stays the wall behind it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from uuid import UUID

import asyncpg

from iafactory.db.database import Database
from iafactory.knowledge import language as languages
from iafactory.knowledge.chunking import chunk_text

COLUMNS = "tenant_id, id, project_id, title, content, source, language, created_by, created_at, indexed_at"
CHUNK_COLUMNS = "tenant_id, document_id, position, start_offset, language, title, content"
Position = tuple[datetime, UUID]


async def page(
    db: Database,
    *,
    tenant_id: UUID,
    project_id: UUID | None,
    first: int,
    after: Position | None,
) -> list[asyncpg.Record]:
    """Newest first; one row more than asked so the caller knows whether a next page exists."""
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
    after: Position | None,
) -> list[asyncpg.Record]:
    """A page of documents for each of many projects, in one statement.

    One row per document (`first + 1` at most per project, newest first), plus a row with a
    NULL `id` for a project whose page is empty; every row carries its project's
    `total_count` (all its documents, wherever the cursor is).
    """
    return await db.fetch(
        "SELECT parent.project_id AS parent_id, totals.total_count, page.*"
        " FROM unnest($2::uuid[]) AS parent (project_id)"
        " LEFT JOIN LATERAL (SELECT count(*) AS total_count FROM documents"
        "   WHERE tenant_id = $1 AND project_id = parent.project_id) AS totals ON true"
        " LEFT JOIN LATERAL ("
        f"   SELECT {COLUMNS} FROM documents WHERE tenant_id = $1 AND project_id = parent.project_id"
        "    AND ($4::timestamptz IS NULL OR (created_at, id) < ($4, $5))"
        "    ORDER BY created_at DESC, id DESC LIMIT $3 + 1) AS page ON true"
        " ORDER BY parent.project_id, page.created_at DESC, page.id DESC",
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


def _chunk_arrays(content: str) -> tuple[list[int], list[int], list[str]]:
    chunks = chunk_text(content)
    return [c.position for c in chunks], [c.start for c in chunks], [c.text for c in chunks]


def resolve_language(title: str, content: str, language: str | None) -> str | None:
    """The given language as an ISO 639 code (ValueError if it is not one), else the detected
    one, else None (indexed for French and English both)."""
    if language is not None:
        return languages.normalise(language)
    return languages.detect(f"{title}\n{content}")


async def create(
    db: Database,
    *,
    tenant_id: UUID,
    project_id: UUID | None,
    title: str,
    content: str,
    source: str,
    created_by: UUID | None,
    language: str | None = None,
) -> asyncpg.Record:
    """Stores a document and its searchable passages; returns the document's row.

    `language` is an ISO 639 code ('fr', 'en-US'...); None means detect it from the text.
    For any source: the voice worker stores a transcript with source='TRANSCRIPTION'.

        row = await documents.create(db, tenant_id=t, project_id=None, title="Notes",
                                     content="...", source="TEXT", created_by=user_id)
    """
    positions, starts, texts = _chunk_arrays(content)
    row = await db.fetchrow(
        "WITH document AS ("
        "  INSERT INTO documents (tenant_id, project_id, title, content, source, language, created_by)"
        f"  VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING {COLUMNS}),"
        " chunks AS ("
        f"  INSERT INTO document_chunks ({CHUNK_COLUMNS})"
        "  SELECT d.tenant_id, d.id, c.position, c.start_offset, d.language, d.title, c.content"
        "  FROM document AS d, unnest($8::integer[], $9::integer[], $10::text[])"
        "    AS c (position, start_offset, content))"
        " SELECT * FROM document",
        tenant_id,
        project_id,
        title,
        content,
        source,
        resolve_language(title, content, language),
        created_by,
        positions,
        starts,
        texts,
    )
    assert row is not None
    return row


async def reindex(db: Database, *, tenant_id: UUID, document_ids: Sequence[UUID]) -> int:
    """Rebuilds the chunks of these documents from their content (after a restore that
    copied documents only, or a change of chunking). Returns how many chunks it wrote."""
    written = 0
    for row in await by_ids(db, tenant_id=tenant_id, ids=list(document_ids)):
        positions, starts, texts = _chunk_arrays(row["content"])
        await db.execute(
            "DELETE FROM document_chunks WHERE tenant_id = $1 AND document_id = $2", tenant_id, row["id"]
        )
        await db.execute(
            f"INSERT INTO document_chunks ({CHUNK_COLUMNS})"
            " SELECT $1, $2, c.position, c.start_offset, $3, $4, c.content"
            " FROM unnest($5::integer[], $6::integer[], $7::text[]) AS c (position, start_offset, content)",
            tenant_id,
            row["id"],
            row["language"],
            row["title"],
            positions,
            starts,
            texts,
        )
        written += len(texts)
    return written


async def delete(db: Database, *, tenant_id: UUID, document_id: UUID) -> bool:
    """Removes the document; its chunks go with it (ON DELETE CASCADE)."""
    status = await db.execute(
        "DELETE FROM documents WHERE tenant_id = $1 AND id = $2", tenant_id, document_id
    )
    return status.endswith(" 1")
