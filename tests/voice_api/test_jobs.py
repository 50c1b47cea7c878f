"""The job queue in SQL, without HTTP: claiming, leases, attempts, progress, isolation.

Runs on a database of its own, where no worker polls, so each test decides who claims what.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from uuid import UUID

import asyncpg
import pytest

from iafactory.voice import jobs, leased
from tests.helpers import as_app
from tests.support.database import superuser

LEASE = 30.0


@pytest.fixture(scope="module")
def jobs_database_url(quiet_database_url: str) -> str:
    return quiet_database_url


@pytest.fixture(scope="module")
async def pool(jobs_database_url: str) -> AsyncIterator[asyncpg.Pool]:
    created = await asyncpg.create_pool(jobs_database_url, min_size=1, max_size=6)
    assert created is not None
    yield created
    await created.close()


@pytest.fixture
async def clean(pool: asyncpg.Pool) -> None:
    """Every test starts with an empty queue (jobs of earlier tests would be claimed first)."""
    await pool.execute("DELETE FROM transcriptions")


async def new_tenant(pool: asyncpg.Pool) -> UUID:
    slug = f"jobs-{uuid.uuid4().hex[:10]}"
    tenant_id: UUID = await pool.fetchval(
        "INSERT INTO tenants (name, slug) VALUES ($1, $1) RETURNING id", slug
    )
    return tenant_id


async def queue_job(pool: asyncpg.Pool, tenant_id: UUID) -> UUID:
    """A QUEUED job, written the way the API writes it: as the app role, bound to the tenant."""
    async with jobs.tenant_transaction(pool, tenant_id, request_id="test") as db:
        audio_id = await db.fetchval(
            "INSERT INTO audio_files (tenant_id, filename, data, size_bytes) VALUES ($1, 'a.wav', '\\x00', 1)"
            " RETURNING id",
            tenant_id,
        )
        row = await jobs.enqueue(
            db,
            tenant_id=tenant_id,
            audio_id=audio_id,
            filename="a.wav",
            language=None,
            project_id=None,
            add_to_knowledge_base=False,
            duration=10.0,
            created_by=None,
        )
    job_id: UUID = row["id"]
    return job_id


async def claim(
    pool: asyncpg.Pool, worker: str, *, lease: float = LEASE, max_attempts: int = 3
) -> jobs.ClaimedJob | None:
    return await jobs.claim(pool, worker_id=worker, lease_seconds=lease, max_attempts=max_attempts)


async def add(
    pool: asyncpg.Pool,
    job: jobs.ClaimedJob,
    worker: str,
    text: str,
    *,
    start: float = 0,
    progress: float = 0.5,
) -> bool:
    """A segment written as worker `worker` would write it."""
    return await leased.add_segments(
        pool,
        job,
        worker_id=worker,
        lease_seconds=LEASE,
        segments=[(start, start + 1, text)],
        progress=progress,
    )


async def row(pool: asyncpg.Pool, job_id: UUID) -> asyncpg.Record:
    found = await pool.fetchrow("SELECT * FROM transcriptions WHERE id = $1", job_id)
    assert found is not None
    return found


async def test_a_claim_returns_the_job_and_its_tenant_and_leases_it(pool: asyncpg.Pool, clean: None) -> None:
    tenant = await new_tenant(pool)
    job_id = await queue_job(pool, tenant)
    claimed = await claim(pool, "w1")
    assert claimed == jobs.ClaimedJob(tenant, job_id, 1)
    current = await row(pool, job_id)
    assert (current["status"], current["worker_id"], current["attempts"]) == ("RUNNING", "w1", 1)
    assert current["lease_expires_at"] > current["heartbeat_at"], "the lease runs into the future"


async def test_two_workers_claiming_at_once_never_get_the_same_job(pool: asyncpg.Pool, clean: None) -> None:
    tenant = await new_tenant(pool)
    queued = {await queue_job(pool, tenant) for _ in range(4)}
    claimed = await asyncio.gather(*(claim(pool, f"w{i}") for i in range(6)))
    taken = [job.id for job in claimed if job is not None]
    assert sorted(taken) == sorted(queued), "each job claimed exactly once (FOR UPDATE SKIP LOCKED)"


async def test_an_expired_lease_is_requeued_and_the_old_worker_can_no_longer_write(
    pool: asyncpg.Pool, clean: None
) -> None:
    job_id = await queue_job(pool, await new_tenant(pool))
    first = await claim(pool, "crashed", lease=0.2)
    assert first is not None
    await asyncio.sleep(0.4)
    second = await claim(pool, "survivor")
    assert second is not None
    assert (second.id, second.attempts) == (job_id, 2), "the same job, on its second attempt"
    assert not await add(pool, first, "crashed", "late")
    assert not await leased.complete(pool, first, worker_id="crashed", language="en", duration=1.0)
    assert (await row(pool, job_id))["worker_id"] == "survivor"


async def test_a_job_that_keeps_losing_its_worker_fails_with_a_clear_error(
    pool: asyncpg.Pool, clean: None
) -> None:
    job_id = await queue_job(pool, await new_tenant(pool))
    for attempt in (1, 2):
        claimed = await claim(pool, f"doomed-{attempt}", lease=0.1, max_attempts=2)
        assert claimed is not None
        assert claimed.attempts == attempt
        await asyncio.sleep(0.2)
    assert await claim(pool, "next", max_attempts=2) is None, "no third attempt"
    failed = await row(pool, job_id)
    assert failed["status"] == "FAILED"
    assert failed["error"].startswith("Gave up after 2 attempt(s)"), failed["error"]
    assert failed["worker_id"] is None


async def test_a_graceful_release_goes_back_to_the_queue_without_using_an_attempt(
    pool: asyncpg.Pool, clean: None
) -> None:
    job_id = await queue_job(pool, await new_tenant(pool))
    claimed = await claim(pool, "stopping")
    assert claimed is not None
    status = await leased.release(pool, claimed, worker_id="stopping", max_attempts=3, count_attempt=False)
    assert status == "QUEUED"
    assert (await row(pool, job_id))["attempts"] == 0


async def test_a_failed_attempt_is_retried_until_the_last_one_fails_the_job(
    pool: asyncpg.Pool, clean: None
) -> None:
    job_id = await queue_job(pool, await new_tenant(pool))
    outcomes = []
    for _ in range(2):
        claimed = await claim(pool, "flaky", max_attempts=2)
        assert claimed is not None
        outcomes.append(await leased.release(pool, claimed, worker_id="flaky", max_attempts=2, error="Boom."))
    assert outcomes == ["QUEUED", "FAILED"]
    assert (await row(pool, job_id))["error"] == "Boom."


async def test_progress_never_decreases_whoever_writes_it(
    pool: asyncpg.Pool, jobs_database_url: str, clean: None
) -> None:
    tenant = await new_tenant(pool)
    job_id = await queue_job(pool, tenant)
    claimed = await claim(pool, "w")
    assert claimed is not None
    assert await add(pool, claimed, "w", "one", progress=0.5)
    assert await add(pool, claimed, "w", "two", start=5, progress=0.3)
    assert (await row(pool, job_id))["progress"] == 0.5
    await pool.execute("UPDATE transcriptions SET progress = 0.1 WHERE id = $1", job_id)
    assert (await row(pool, job_id))["progress"] == 0.5, "the trigger keeps the highest value"


async def test_segments_are_numbered_in_arrival_order_and_the_text_is_joined_on_completion(
    pool: asyncpg.Pool, clean: None
) -> None:
    job_id = await queue_job(pool, await new_tenant(pool))
    claimed = await claim(pool, "w")
    assert claimed is not None
    for index, text in enumerate(["Hello.", "World."]):
        await add(pool, claimed, "w", text, start=index, progress=(index + 1) / 2)
    assert await leased.complete(pool, claimed, worker_id="w", language="en", duration=2.0)
    done = await row(pool, job_id)
    assert (done["status"], done["progress"], done["text"], done["segment_count"]) == (
        "COMPLETED",
        1.0,
        "Hello. World.",
        2,
    )
    positions = await pool.fetch(
        "SELECT position FROM transcript_segments WHERE transcription_id = $1 ORDER BY 1", job_id
    )
    assert [p["position"] for p in positions] == [1, 2]


async def test_a_burst_of_segments_is_stored_in_order_in_one_commit(pool: asyncpg.Pool, clean: None) -> None:
    job_id = await queue_job(pool, await new_tenant(pool))
    claimed = await claim(pool, "w")
    assert claimed is not None
    await add(pool, claimed, "w", "First.", progress=0.2)
    burst = [(1.0, 2.0, "Second."), (2.0, 3.0, "Third."), (3.0, 4.0, "Fourth.")]

    assert await leased.add_segments(
        pool, claimed, worker_id="w", lease_seconds=LEASE, segments=burst, progress=0.8
    )

    stored = await pool.fetch(
        "SELECT position, text FROM transcript_segments WHERE transcription_id = $1 ORDER BY 1", job_id
    )
    assert [(s["position"], s["text"]) for s in stored] == [
        (1, "First."),
        (2, "Second."),
        (3, "Third."),
        (4, "Fourth."),
    ]
    current = await row(pool, job_id)
    assert (current["segment_count"], current["progress"]) == (4, 0.8)


async def test_jobs_of_a_suspended_tenant_wait_until_it_is_resumed(pool: asyncpg.Pool, clean: None) -> None:
    tenant = await new_tenant(pool)
    job_id = await queue_job(pool, tenant)
    await pool.execute("UPDATE tenants SET status = 'SUSPENDED' WHERE id = $1", tenant)
    assert await claim(pool, "w") is None
    await pool.execute("UPDATE tenants SET status = 'ACTIVE' WHERE id = $1", tenant)
    claimed = await claim(pool, "w")
    assert claimed is not None
    assert claimed.id == job_id


async def test_a_tenant_with_a_running_job_lets_another_tenants_job_go_first(
    pool: asyncpg.Pool, clean: None
) -> None:
    """One tenant's backlog cannot starve the others."""
    busy, other = await new_tenant(pool), await new_tenant(pool)
    for _ in range(3):
        await queue_job(pool, busy)
    waiting = await queue_job(pool, other)  # the newest of all
    first = await claim(pool, "w1")
    second = await claim(pool, "w2")
    assert first is not None
    assert second is not None
    assert first.tenant_id == busy
    assert second.id == waiting, "the tenant with nothing running goes next, though its job is newer"


async def test_the_app_role_sees_only_its_own_tenants_jobs_segments_and_audio(
    pool: asyncpg.Pool, jobs_database_url: str, clean: None
) -> None:
    alice, bob = await new_tenant(pool), await new_tenant(pool)
    job_id = await queue_job(pool, alice)
    claimed = await claim(pool, "w")
    assert claimed is not None
    await add(pool, claimed, "w", "secret")
    async with as_app(jobs_database_url, tenant_id=str(bob)) as sql:
        for table in ("transcriptions", "transcript_segments", "audio_files"):
            assert await sql.fetchval(f"SELECT count(*) FROM {table}") == 0, f"{table} leaks across tenants"
        updated = await sql.execute("UPDATE transcriptions SET status = 'CANCELLED' WHERE id = $1", job_id)
        assert updated == "UPDATE 0"
    async with as_app(jobs_database_url, tenant_id=str(alice)) as sql:
        assert await sql.fetchval("SELECT count(*) FROM transcript_segments") == 1


async def test_each_change_and_each_heartbeat_is_announced_with_a_tiny_notification(
    pool: asyncpg.Pool, jobs_database_url: str, clean: None
) -> None:
    heard: list[str] = []
    async with superuser(jobs_database_url) as listener:
        await listener.add_listener("iafactory_transcriptions", lambda *args: heard.append(args[3]))
        tenant = await new_tenant(pool)
        job_id = await queue_job(pool, tenant)
        claimed = await claim(pool, "w")
        assert claimed is not None
        await add(pool, claimed, "w", "x")
        await leased.heartbeat(pool, claimed, worker_id="w", lease_seconds=LEASE)  # "still running"
        await leased.complete(pool, claimed, worker_id="w", language="en", duration=1.0)
        await asyncio.sleep(0.2)
    payloads = [json.loads(p) for p in heard]
    assert [(p["s"], p["n"], p["p"]) for p in payloads] == [
        ("QUEUED", 0, 0),
        ("RUNNING", 0, 0),
        ("RUNNING", 1, 0.5),
        ("RUNNING", 1, 0.5),
        ("COMPLETED", 1, 1),
    ]
    assert all(p["id"] == str(job_id) and p["t"] == str(tenant) for p in payloads)
    assert max(len(p) for p in heard) < 200, "ids and numbers only"
