"""Durable transcription jobs: enqueue, cancel, claim, progress, finish.

A job is a row of `transcriptions` (RLS, tenant-scoped). Workers find work through ONE
security-definer function, `app.claim_transcription`, which returns a job and its tenant;
every later read or write happens in an ordinary transaction bound to that tenant
(`tenant_transaction`), and is conditional on the worker still holding the lease
(`status = 'RUNNING' AND worker_id = me`). So a worker whose lease expired, or whose job was
cancelled, finds its writes matching nothing and stops: a job can never be finished twice.
Each committed change is announced by a trigger with pg_notify (migrations/0003_voice.py).

Example (a worker):
    >>> job = await claim(pool, worker_id="host:42:0", lease_seconds=30, max_attempts=3)
    >>> await add_segment(pool, job, worker_id="host:42:0", lease_seconds=30,
    ...                   start=0.0, end=2.1, text="Hello.", progress=0.09)
    True
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from uuid import UUID

import asyncpg

from iafactory.db.database import Database
from iafactory.db.queries import documents
from iafactory.db.queries.transcriptions import COLUMNS
from iafactory.db.scope import DbRole, transaction

WORKER_STATEMENT_TIMEOUT_MS = 30_000
TERMINAL = frozenset({"COMPLETED", "FAILED", "CANCELLED"})
_HELD = "tenant_id = $1 AND id = $2 AND status = 'RUNNING' AND worker_id = $3"
_FREE_LEASE = "worker_id = NULL, heartbeat_at = NULL, lease_expires_at = NULL"


@dataclass(frozen=True, slots=True)
class ClaimedJob:
    tenant_id: UUID
    id: UUID
    attempts: int


@dataclass(frozen=True, slots=True)
class JobSpec:
    """What a worker needs to run a claimed job."""

    language: str | None
    audio_id: UUID | None
    filename: str
    # Segments up to here were stored by an earlier attempt: the retry skips them.
    resume_after: float | None


# --- the API side: inside the request's own tenant transaction ---------------------------------


async def enqueue(
    db: Database,
    *,
    tenant_id: UUID,
    audio_id: UUID,
    filename: str,
    language: str | None,
    project_id: UUID | None,
    add_to_knowledge_base: bool,
    duration: float,
    created_by: UUID | None,
) -> asyncpg.Record:
    """A QUEUED job; idle workers are woken by the trigger's notification at commit."""
    row = await db.fetchrow(
        "INSERT INTO transcriptions (tenant_id, audio_id, filename, language, project_id,"
        " add_to_knowledge_base, duration, created_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
        f" RETURNING {COLUMNS}",
        tenant_id,
        audio_id,
        filename,
        language,
        project_id,
        add_to_knowledge_base,
        duration,
        created_by,
    )
    assert row is not None
    return row


async def cancel(db: Database, *, tenant_id: UUID, job_id: UUID) -> tuple[asyncpg.Record | None, bool]:
    """(the row, whether this call cancelled it). A job already finished is left as it is.

    A running job is marked CANCELLED at once; its worker's next lease-checked write (the
    next segment, or the next heartbeat) matches nothing and the worker stops there.
    """
    row = await db.fetchrow(
        f"UPDATE transcriptions SET status = 'CANCELLED', finished_at = clock_timestamp(), {_FREE_LEASE}"
        " WHERE tenant_id = $1 AND id = $2 AND status IN ('QUEUED', 'RUNNING')"
        f" RETURNING {COLUMNS}",
        tenant_id,
        job_id,
    )
    if row is not None:
        return row, True
    current = await db.fetchrow(
        f"SELECT {COLUMNS} FROM transcriptions WHERE tenant_id = $1 AND id = $2", tenant_id, job_id
    )
    return current, False


# --- the worker side: short transactions bound to the job's tenant ------------------------------


@asynccontextmanager
async def tenant_transaction(
    pool: asyncpg.Pool, tenant_id: UUID, *, request_id: str
) -> AsyncIterator[Database]:
    """One transaction as the app role, bound to `tenant_id` (RLS applies as for a request)."""
    async with transaction(
        pool,
        role=DbRole.APP,
        request_id=request_id,
        tenant_id=tenant_id,
        statement_timeout_ms=WORKER_STATEMENT_TIMEOUT_MS,
    ) as db:
        yield db


async def claim(
    pool: asyncpg.Pool, *, worker_id: str, lease_seconds: float, max_attempts: int
) -> ClaimedJob | None:
    """Take the next job (re-queueing or failing expired leases first), or None."""
    async with transaction(
        pool, role=DbRole.APP, request_id="claim", statement_timeout_ms=WORKER_STATEMENT_TIMEOUT_MS
    ) as scope:
        row = await scope.fetchrow(
            "SELECT tenant_id, id, attempts FROM app.claim_transcription($1, $2, $3)",
            worker_id,
            lease_seconds,
            max_attempts,
        )
    return None if row is None else ClaimedJob(row["tenant_id"], row["id"], row["attempts"])


def _request_id(job: ClaimedJob) -> str:
    return f"worker-{job.id.hex[:12]}"


async def load(pool: asyncpg.Pool, job: ClaimedJob, *, worker_id: str) -> JobSpec | None:
    async with tenant_transaction(pool, job.tenant_id, request_id=_request_id(job)) as db:
        row = await db.fetchrow(
            "SELECT language, audio_id, filename, (SELECT max(end_seconds) FROM transcript_segments s"
            "  WHERE s.tenant_id = t.tenant_id AND s.transcription_id = t.id) AS resume_after"
            f" FROM transcriptions t WHERE {_HELD}",
            job.tenant_id,
            job.id,
            worker_id,
        )
    if row is None:
        return None
    return JobSpec(row["language"], row["audio_id"], row["filename"], row["resume_after"])


async def heartbeat(pool: asyncpg.Pool, job: ClaimedJob, *, worker_id: str, lease_seconds: float) -> bool:
    """Renew the lease; False when the job is no longer ours (cancelled, or the lease lapsed)."""
    async with tenant_transaction(pool, job.tenant_id, request_id=_request_id(job)) as db:
        status = await db.execute(
            "UPDATE transcriptions SET heartbeat_at = clock_timestamp(),"
            f" lease_expires_at = clock_timestamp() + make_interval(secs => $4) WHERE {_HELD}",
            job.tenant_id,
            job.id,
            worker_id,
            lease_seconds,
        )
    return status.endswith(" 1")


async def add_segment(
    pool: asyncpg.Pool,
    job: ClaimedJob,
    *,
    worker_id: str,
    lease_seconds: float,
    start: float,
    end: float,
    text: str,
    progress: float,
) -> bool:
    """Store one segment and the progress it brings, renewing the lease, in one commit.

    False when the job is no longer ours: the caller stops transcribing.
    """
    async with tenant_transaction(pool, job.tenant_id, request_id=_request_id(job)) as db:
        position = await db.fetchval(
            "WITH job AS (UPDATE transcriptions SET progress = greatest(progress, least(1.0, $4)),"
            "   segment_count = segment_count + 1, heartbeat_at = clock_timestamp(),"
            f"  lease_expires_at = clock_timestamp() + make_interval(secs => $5) WHERE {_HELD}"
            "   RETURNING segment_count)"
            " INSERT INTO transcript_segments"
            " (tenant_id, transcription_id, position, start_seconds, end_seconds, text)"
            " SELECT $1, $2, segment_count, $6, $7, $8 FROM job RETURNING position",
            job.tenant_id,
            job.id,
            worker_id,
            max(0.0, progress),
            lease_seconds,
            max(0.0, start),
            max(start, end, 0.0),
            text,
        )
    return position is not None


async def complete(
    pool: asyncpg.Pool,
    job: ClaimedJob,
    *,
    worker_id: str,
    language: str | None,
    duration: float,
) -> bool:
    """COMPLETED at progress 1.0, the text joined from the stored segments, and (when asked
    for) the knowledge-base document, all in ONE transaction."""
    async with tenant_transaction(pool, job.tenant_id, request_id=_request_id(job)) as db:
        row = await db.fetchrow(
            "UPDATE transcriptions t SET status = 'COMPLETED', progress = 1.0, error = NULL,"
            " detected_language = $4, duration = $5, finished_at = clock_timestamp(),"
            f" {_FREE_LEASE}, text = (SELECT coalesce(string_agg(s.text, ' ' ORDER BY s.position), '')"
            "   FROM transcript_segments s WHERE s.tenant_id = t.tenant_id AND s.transcription_id = t.id)"
            f" WHERE {_HELD} RETURNING text, add_to_knowledge_base, project_id, filename, created_by",
            job.tenant_id,
            job.id,
            worker_id,
            language,
            duration,
        )
        if row is None:
            return False
        if row["add_to_knowledge_base"] and row["text"].strip():
            document = await documents.create(
                db,
                tenant_id=job.tenant_id,
                project_id=row["project_id"],
                title=f"Transcription of {row['filename']}"[:500],
                content=row["text"],
                source="TRANSCRIPTION",
                created_by=row["created_by"],
            )
            await db.execute(
                "UPDATE transcriptions SET document_id = $3 WHERE tenant_id = $1 AND id = $2",
                job.tenant_id,
                job.id,
                document["id"],
            )
    return True


async def fail(pool: asyncpg.Pool, job: ClaimedJob, *, worker_id: str, error: str) -> bool:
    """FAILED for good, with a reason written for the uploader."""
    async with tenant_transaction(pool, job.tenant_id, request_id=_request_id(job)) as db:
        status = await db.execute(
            "UPDATE transcriptions SET status = 'FAILED', error = $4, finished_at = clock_timestamp(),"
            f" {_FREE_LEASE} WHERE {_HELD}",
            job.tenant_id,
            job.id,
            worker_id,
            error[:2000],
        )
    return status.endswith(" 1")


async def release(
    pool: asyncpg.Pool,
    job: ClaimedJob,
    *,
    worker_id: str,
    max_attempts: int,
    error: str | None = None,
    count_attempt: bool = True,
) -> str | None:
    """Give the job back: QUEUED for another try, or FAILED once out of attempts.

    A graceful shutdown releases with count_attempt=False: stopping a worker is not the job's
    fault. Returns the new status, or None when the job was no longer ours.
    """
    async with tenant_transaction(pool, job.tenant_id, request_id=_request_id(job)) as db:
        status: str | None = await db.fetchval(
            "UPDATE transcriptions SET"
            " attempts = CASE WHEN $5 THEN attempts ELSE greatest(attempts - 1, 0) END,"
            " status = CASE WHEN $5 AND attempts >= $4 THEN 'FAILED' ELSE 'QUEUED' END,"
            " error = CASE WHEN $5 AND attempts >= $4 THEN $6 END,"
            " finished_at = CASE WHEN $5 AND attempts >= $4 THEN clock_timestamp() END,"
            f" {_FREE_LEASE} WHERE {_HELD} RETURNING status",
            job.tenant_id,
            job.id,
            worker_id,
            max_attempts,
            count_attempt,
            (error or "The transcription failed.")[:2000],
        )
    return status
