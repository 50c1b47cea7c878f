"""Passage embeddings: the indexers' queue (embedding_jobs) and the vectors (chunk_embeddings).

An indexer's step: `claim` leases a batch of one tenant's queued documents and counts the
attempt (the only statement that looks across tenants, through a security-definer function;
its own transaction, committed before any work). Then one transaction bound to that tenant
(db/scope.py: row-level security applies as for its requests): `hold` locks the claimed jobs,
`pending` / `store` / `finish` write that tenant's rows with an explicit tenant_id, and
`progressed` hands back the documents not finished yet.
See iafactory/knowledge/indexer.py for the loop and migrations/versions/0008_semantic.py for
the tables.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from uuid import UUID

from iafactory.db.database import Database
from iafactory.knowledge.embedding import MODEL


@dataclass(frozen=True, slots=True)
class Passage:
    chunk_id: UUID
    document_id: UUID
    title: str
    content: str


async def installed(db: Database) -> bool:
    """Whether this database has the pgvector part (migrations/versions/0008_semantic.py)."""
    return bool(await db.fetchval("SELECT to_regclass('public.chunk_embeddings') IS NOT NULL"))


async def claim(
    db: Database,
    *,
    previous: UUID | None,
    limit: int,
    lease_seconds: float,
    max_attempts: int,
    only: UUID | None = None,
) -> tuple[UUID, list[UUID]] | None:
    """(tenant, its documents) leased for `lease_seconds`, or None when nothing waits. Commit
    before working: the attempt must count even if the worker dies.

    `only`: this tenant's jobs and no other's (a reindex of one tenant).
    """
    rows = await db.fetch(
        "SELECT tenant_id, document_id FROM app.claim_embedding_jobs($1, $2, $3, $4, $5)",
        previous,
        limit,
        only,
        lease_seconds,
        max_attempts,
    )
    if not rows:
        return None
    return rows[0]["tenant_id"], [row["document_id"] for row in rows]


async def hold(db: Database, *, tenant_id: UUID, document_ids: Sequence[UUID]) -> list[UUID]:
    """Locks the claimed documents and their jobs still queued (until the transaction ends);
    returns them. The transaction holds the tenant's write lock already (db/scope.py).

    The documents first, as a deletion does (`deleteDocument` locks the document, then its
    cascade reaches the passages and the job). A document locked by another transaction (an
    operator's, which takes no write lock) is skipped, not waited for.
    """
    documents = await db.fetch(
        "SELECT id FROM documents WHERE tenant_id = $1 AND id = ANY($2::uuid[])"
        " ORDER BY id FOR NO KEY UPDATE SKIP LOCKED",
        tenant_id,
        list(document_ids),
    )
    rows = await db.fetch(
        "SELECT document_id FROM embedding_jobs WHERE tenant_id = $1 AND document_id = ANY($2::uuid[])"
        " AND status = 'QUEUED' ORDER BY queued_at, document_id FOR UPDATE SKIP LOCKED",
        tenant_id,
        [row["id"] for row in documents],
    )
    return [row["document_id"] for row in rows]


async def progressed(db: Database, *, tenant_id: UUID, document_ids: Sequence[UUID]) -> None:
    """These documents got vectors but have more passages to go: free for the next step, with
    their attempts back to 0 (progress is not a failure)."""
    await db.execute(
        "UPDATE embedding_jobs SET attempts = 0, lease_expires_at = NULL"
        " WHERE tenant_id = $1 AND document_id = ANY($2::uuid[]) AND status = 'QUEUED'",
        tenant_id,
        list(document_ids),
    )


async def pending(
    db: Database, *, tenant_id: UUID, document_ids: Sequence[UUID], model: str, limit: int
) -> list[Passage]:
    """Passages of these documents without a vector of `model`, in document order."""
    rows = await db.fetch(
        "SELECT c.id, c.document_id, c.title, c.content FROM document_chunks c"
        " WHERE c.tenant_id = $1 AND c.document_id = ANY($2::uuid[])"
        "   AND NOT EXISTS (SELECT FROM chunk_embeddings e"
        "                    WHERE e.tenant_id = c.tenant_id AND e.chunk_id = c.id AND e.model = $3)"
        " ORDER BY array_position($2::uuid[], c.document_id), c.position LIMIT $4",
        tenant_id,
        list(document_ids),
        model,
        limit,
    )
    return [Passage(row["id"], row["document_id"], row["title"], row["content"]) for row in rows]


async def store(
    db: Database, *, tenant_id: UUID, chunk_ids: Sequence[UUID], vectors: Sequence[str], model: str
) -> None:
    """Writes (or replaces) the vectors, given in pgvector's text form, of these passages."""
    await db.execute(
        "INSERT INTO chunk_embeddings (tenant_id, chunk_id, model, embedding)"
        " SELECT $1, v.chunk_id, $4, v.embedding::public.vector"
        " FROM unnest($2::uuid[], $3::text[]) AS v (chunk_id, embedding)"
        " ON CONFLICT (tenant_id, chunk_id) DO UPDATE"
        " SET model = EXCLUDED.model, embedding = EXCLUDED.embedding, embedded_at = clock_timestamp()",
        tenant_id,
        list(chunk_ids),
        list(vectors),
        model,
    )


async def complete(db: Database, *, tenant_id: UUID, document_ids: Sequence[UUID], model: str) -> list[UUID]:
    """Of these documents, those whose every passage has a vector of `model`."""
    rows = await db.fetch(
        "SELECT d.id FROM unnest($2::uuid[]) AS d (id)"
        " WHERE NOT EXISTS (SELECT FROM document_chunks c WHERE c.tenant_id = $1 AND c.document_id = d.id"
        "   AND NOT EXISTS (SELECT FROM chunk_embeddings e"
        "                    WHERE e.tenant_id = c.tenant_id AND e.chunk_id = c.id AND e.model = $3))",
        tenant_id,
        list(document_ids),
        model,
    )
    return [row["id"] for row in rows]


async def finish(db: Database, *, tenant_id: UUID, document_id: UUID, vector_bytes: int) -> None:
    """Marks the document indexed and counts its vectors as storage (QUOTA_EXCEEDED when
    they do not fit the plan); its job is done."""
    await db.execute(
        "UPDATE documents d SET indexed_at = clock_timestamp(), embedding_bytes = $3 * (SELECT count(*)"
        "   FROM document_chunks c WHERE c.tenant_id = $1 AND c.document_id = $2)"
        " WHERE d.tenant_id = $1 AND d.id = $2",
        tenant_id,
        document_id,
        vector_bytes,
    )
    await db.execute(
        "DELETE FROM embedding_jobs WHERE tenant_id = $1 AND document_id = $2", tenant_id, document_id
    )


async def refuse(db: Database, *, tenant_id: UUID, document_id: UUID, error: str) -> None:
    """FAILED for good: the document stays searchable by its words only. Its vectors go (they
    would hold storage the quota did not count)."""
    await db.execute(
        "DELETE FROM chunk_embeddings e USING document_chunks c WHERE e.tenant_id = $1"
        " AND c.tenant_id = $1 AND c.document_id = $2 AND e.chunk_id = c.id",
        tenant_id,
        document_id,
    )
    await db.execute(
        "UPDATE embedding_jobs SET status = 'FAILED', error = $3 WHERE tenant_id = $1 AND document_id = $2",
        tenant_id,
        document_id,
        error[:2000],
    )


async def give_back(db: Database, *, tenant_id: UUID, document_ids: Sequence[UUID]) -> None:
    """The indexer is stopping mid-batch: the jobs are free at once, their attempt uncounted."""
    await db.execute(
        "UPDATE embedding_jobs SET attempts = greatest(attempts - 1, 0), lease_expires_at = NULL"
        " WHERE tenant_id = $1 AND document_id = ANY($2::uuid[]) AND status = 'QUEUED'",
        tenant_id,
        list(document_ids),
    )


async def record_failure(
    db: Database, *, tenant_id: UUID, document_ids: Sequence[UUID], error: str, max_attempts: int
) -> int:
    """A step failed (its attempt was counted by `claim`): FAILED once `max_attempts` are used,
    else free for another try at once. Returns how many failed for good."""
    rows = await db.fetch(
        "UPDATE embedding_jobs SET lease_expires_at = NULL,"
        " status = CASE WHEN attempts >= $4 THEN 'FAILED' ELSE status END,"
        " error = CASE WHEN attempts >= $4 THEN $3 END"
        " WHERE tenant_id = $1 AND document_id = ANY($2::uuid[]) AND status = 'QUEUED' RETURNING status",
        tenant_id,
        list(document_ids),
        error[:2000],
        max_attempts,
    )
    return sum(1 for row in rows if row["status"] == "FAILED")


# --- operators (the CLI, as the owner role: across tenants) -----------------------------------


async def queue_stale(db: Database, *, tenant_id: UUID | None, model: str = MODEL) -> int:
    """Queues every document (of one tenant, or all) that lacks a vector of `model` for some
    passage or is not marked indexed, failed ones included, and marks them not indexed
    (`Document.indexedAt` is null until the indexer gives them vectors of `model`). Returns
    how many were queued. Without the pgvector part (a database that cannot hold vectors, an
    import's vectors skipped): every document, marked not indexed, its vectors counted as no
    storage; they are embedded once pgvector is installed."""
    if not await installed(db):
        status: str = await db.execute(
            "WITH reset AS ("
            "  UPDATE documents SET indexed_at = NULL, embedding_bytes = 0"
            "   WHERE ($1::uuid IS NULL OR tenant_id = $1)"
            "     AND (indexed_at IS NOT NULL OR embedding_bytes > 0))"
            " INSERT INTO embedding_jobs (tenant_id, document_id) SELECT tenant_id, id FROM documents"
            " WHERE $1::uuid IS NULL OR tenant_id = $1 ORDER BY 1, 2"
            " ON CONFLICT (tenant_id, document_id) DO NOTHING",
            tenant_id,
        )
        return int(status.rsplit(" ", 1)[-1])
    status = await db.execute(
        "WITH stale AS ("
        "  SELECT d.tenant_id, d.id, d.indexed_at FROM documents d"
        "   WHERE ($1::uuid IS NULL OR d.tenant_id = $1) AND (d.indexed_at IS NULL OR EXISTS ("
        "     SELECT FROM document_chunks c WHERE c.tenant_id = d.tenant_id AND c.document_id = d.id"
        "        AND NOT EXISTS (SELECT FROM chunk_embeddings e"
        "                         WHERE e.tenant_id = c.tenant_id AND e.chunk_id = c.id AND e.model = $2)))),"
        " reset AS ("
        "  UPDATE documents d SET indexed_at = NULL FROM stale s"
        "   WHERE d.tenant_id = s.tenant_id AND d.id = s.id AND s.indexed_at IS NOT NULL)"
        " INSERT INTO embedding_jobs AS j (tenant_id, document_id)"
        " SELECT tenant_id, id FROM stale ORDER BY 1, 2"
        " ON CONFLICT (tenant_id, document_id)"
        " DO UPDATE SET status = 'QUEUED', attempts = 0, error = NULL, queued_at = clock_timestamp()",
        tenant_id,
        model,
    )
    await db.execute("SELECT pg_notify('iafactory_embeddings', '')")  # wake the indexers
    return int(status.rsplit(" ", 1)[-1])


async def backlog(db: Database, *, tenant_id: UUID | None) -> tuple[int, int]:
    """(queued, failed) documents, of one tenant or all."""
    row = await db.fetchrow(
        "SELECT count(*) FILTER (WHERE status = 'QUEUED') AS queued,"
        " count(*) FILTER (WHERE status = 'FAILED') AS failed"
        " FROM embedding_jobs WHERE $1::uuid IS NULL OR tenant_id = $1",
        tenant_id,
    )
    assert row is not None
    return int(row["queued"]), int(row["failed"])
