"""Durable transcription jobs: enqueue, cancel, claim and load (writes under a lease: leased.py).

A job is a row of `transcriptions` (RLS, tenant-scoped). Workers find work through ONE
security-definer function, `app.claim_transcription`, which returns a job and its tenant;
every later read or write happens in an ordinary transaction bound to that tenant
(`tenant_transaction`), and is conditional on the worker still holding the lease
(`status = 'RUNNING' AND worker_id = me`). So a worker whose lease expired, or whose job was
cancelled, finds its writes matching nothing and stops: a job can never be finished twice.
Each committed change is announced by a trigger with pg_notify (migrations/0003_voice.py).

Example (a worker):
    >>> job = await claim(pool, worker_id="host:42:0", lease_seconds=30, max_attempts=3)
    >>> spec = await load(pool, job, worker_id="host:42:0")
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from uuid import UUID

import asyncpg

from iafactory.db.database import Database
from iafactory.db.queries.transcriptions import COLUMNS
from iafactory.db.scope import DbRole, transaction

WORKER_STATEMENT_TIMEOUT_MS = 30_000
TERMINAL = frozenset({"COMPLETED", "FAILED", "CANCELLED"})
HELD = "tenant_id = $1 AND id = $2 AND status = 'RUNNING' AND worker_id = $3"
FREE_LEASE = "worker_id = NULL, heartbeat_at = NULL, lease_expires_at = NULL"


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
    # Seconds already counted toward the tenant's month: the upload's declared duration, or
    # what an earlier attempt reserved while decoding (metering.py).
    duration: float | None
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
        f"UPDATE transcriptions SET status = 'CANCELLED', finished_at = clock_timestamp(), {FREE_LEASE}"
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
    pool: asyncpg.Pool, tenant_id: UUID, *, request_id: str, writes: bool = True
) -> AsyncIterator[Database]:
    """One transaction as the app role, bound to `tenant_id` (RLS applies as for a request).
    One that writes queues behind the tenant's other writers first (db/scope.py)."""
    async with transaction(
        pool,
        role=DbRole.APP,
        request_id=request_id,
        tenant_id=tenant_id,
        statement_timeout_ms=WORKER_STATEMENT_TIMEOUT_MS,
        writes=writes,
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


def job_request_id(job: ClaimedJob) -> str:
    return f"worker-{job.id.hex[:12]}"


async def load(pool: asyncpg.Pool, job: ClaimedJob, *, worker_id: str) -> JobSpec | None:
    async with tenant_transaction(pool, job.tenant_id, request_id=job_request_id(job), writes=False) as db:
        row = await db.fetchrow(
            "SELECT language, audio_id, filename, duration,"
            " (SELECT max(end_seconds) FROM transcript_segments s"
            "   WHERE s.tenant_id = t.tenant_id AND s.transcription_id = t.id) AS resume_after"
            f" FROM transcriptions t WHERE {HELD}",
            job.tenant_id,
            job.id,
            worker_id,
        )
    if row is None:
        return None
    return JobSpec(row["language"], row["audio_id"], row["filename"], row["duration"], row["resume_after"])
