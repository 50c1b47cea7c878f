"""What a worker writes while it holds a job's lease: heartbeats, segments, progress, the end.

Every statement is conditional on the lease (`jobs.HELD`: still RUNNING, still this worker),
in a short transaction bound to the job's tenant. A worker whose lease expired, or whose job
was cancelled, finds its writes matching nothing and stops: a job can never be finished twice.
Each committed change is announced by a trigger with pg_notify (migrations/0003_voice.py).

Example:
    >>> await add_segments(pool, job, worker_id="host:42:0", lease_seconds=30,
    ...                    segments=[(0.0, 2.1, "Hello.")], progress=0.09)
    True
"""

from __future__ import annotations

from collections.abc import Sequence

import asyncpg

from iafactory.db.queries import documents
from iafactory.voice.jobs import FREE_LEASE, HELD, ClaimedJob, job_request_id, tenant_transaction
from iafactory.voice.pubsub import CHANNEL


async def heartbeat(pool: asyncpg.Pool, job: ClaimedJob, *, worker_id: str, lease_seconds: float) -> bool:
    """Renew the lease and announce the job as alive; False when it is no longer ours.

    The announcement (the trigger's payload, sent by hand: nothing visible changed) gives
    subscribers an event at least every few seconds of a long window or a batch.
    """
    async with tenant_transaction(pool, job.tenant_id, request_id=job_request_id(job)) as db:
        held = await db.fetchval(
            "WITH job AS (UPDATE transcriptions SET heartbeat_at = clock_timestamp(),"
            f"  lease_expires_at = clock_timestamp() + make_interval(secs => $4) WHERE {HELD}"
            "  RETURNING tenant_id, id, status, progress, segment_count)"
            f" SELECT count(pg_notify('{CHANNEL}', json_build_object('t', tenant_id, 'id', id,"
            "  's', status, 'p', round(progress::numeric, 4), 'n', segment_count)::text)) FROM job",
            job.tenant_id,
            job.id,
            worker_id,
            lease_seconds,
        )
    return bool(held)


async def set_progress(
    pool: asyncpg.Pool, job: ClaimedJob, *, worker_id: str, lease_seconds: float, progress: float
) -> bool:
    """Progress without a segment (a window or block done), renewing the lease; False when the
    job is no longer ours. The trigger announces it when it moved."""
    async with tenant_transaction(pool, job.tenant_id, request_id=job_request_id(job)) as db:
        status = await db.execute(
            "UPDATE transcriptions SET progress = greatest(progress, least(1.0, $4)),"
            " heartbeat_at = clock_timestamp(),"
            f" lease_expires_at = clock_timestamp() + make_interval(secs => $5) WHERE {HELD}",
            job.tenant_id,
            job.id,
            worker_id,
            max(0.0, progress),
            lease_seconds,
        )
    return status.endswith(" 1")


async def add_segments(
    pool: asyncpg.Pool,
    job: ClaimedJob,
    *,
    worker_id: str,
    lease_seconds: float,
    segments: Sequence[tuple[float, float, str]],
    progress: float,
) -> bool:
    """Store segments (start, end, text) in order and the progress they bring, renewing the
    lease, in one statement: a window's burst is one commit and one announcement.

    False when the job is no longer ours: the caller stops transcribing.
    """
    starts = [max(0.0, start) for start, _, _ in segments]
    ends = [max(start, end, 0.0) for start, end, _ in segments]
    async with tenant_transaction(pool, job.tenant_id, request_id=job_request_id(job)) as db:
        stored = await db.fetchval(
            "WITH job AS (UPDATE transcriptions SET progress = greatest(progress, least(1.0, $4)),"
            "   segment_count = segment_count + cardinality($6::float8[]), heartbeat_at = clock_timestamp(),"
            f"  lease_expires_at = clock_timestamp() + make_interval(secs => $5) WHERE {HELD}"
            "   RETURNING segment_count - cardinality($6::float8[]) AS before),"
            " added AS (INSERT INTO transcript_segments"
            "   (tenant_id, transcription_id, position, start_seconds, end_seconds, text)"
            "   SELECT $1, $2, job.before + s.n, s.start_seconds, s.end_seconds, s.text"
            "   FROM job, unnest($6::float8[], $7::float8[], $8::text[])"
            "     WITH ORDINALITY AS s (start_seconds, end_seconds, text, n) RETURNING 1)"
            " SELECT count(*) FROM job",
            job.tenant_id,
            job.id,
            worker_id,
            max(0.0, progress),
            lease_seconds,
            starts,
            ends,
            [text for _, _, text in segments],
        )
    return bool(stored)


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
    async with tenant_transaction(pool, job.tenant_id, request_id=job_request_id(job)) as db:
        row = await db.fetchrow(
            "UPDATE transcriptions t SET status = 'COMPLETED', progress = 1.0, error = NULL,"
            " detected_language = $4, duration = $5, finished_at = clock_timestamp(),"
            f" {FREE_LEASE}, text = (SELECT coalesce(string_agg(s.text, ' ' ORDER BY s.position), '')"
            "   FROM transcript_segments s WHERE s.tenant_id = t.tenant_id AND s.transcription_id = t.id)"
            f" WHERE {HELD} RETURNING text, add_to_knowledge_base, project_id, filename, created_by",
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
    async with tenant_transaction(pool, job.tenant_id, request_id=job_request_id(job)) as db:
        status = await db.execute(
            "UPDATE transcriptions SET status = 'FAILED', error = $4, finished_at = clock_timestamp(),"
            f" {FREE_LEASE} WHERE {HELD}",
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
    async with tenant_transaction(pool, job.tenant_id, request_id=job_request_id(job)) as db:
        status: str | None = await db.fetchval(
            "UPDATE transcriptions SET"
            " attempts = CASE WHEN $5 THEN attempts ELSE greatest(attempts - 1, 0) END,"
            " status = CASE WHEN $5 AND attempts >= $4 THEN 'FAILED' ELSE 'QUEUED' END,"
            " error = CASE WHEN $5 AND attempts >= $4 THEN $6 END,"
            " finished_at = CASE WHEN $5 AND attempts >= $4 THEN clock_timestamp() END,"
            f" {FREE_LEASE} WHERE {HELD} RETURNING status",
            job.tenant_id,
            job.id,
            worker_id,
            max_attempts,
            count_attempt,
            (error or "The transcription failed.")[:2000],
        )
    return status
