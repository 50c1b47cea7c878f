"""AudioMeter in SQL: decoded audio that outgrows its header is counted, and checked again by
the database's own quota machinery (app.enforce_quota), before it is transcribed."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from uuid import UUID

import asyncpg
import pytest

from iafactory.voice import jobs
from iafactory.voice.metering import AudioMeter, AudioQuotaExceeded

WORKER = "meter-test"


@pytest.fixture(scope="module")
async def pool(quiet_database_url: str) -> AsyncIterator[asyncpg.Pool]:
    created = await asyncpg.create_pool(quiet_database_url, min_size=1, max_size=4)
    assert created is not None
    yield created
    await created.close()


async def running_job(
    pool: asyncpg.Pool, *, declared: float, month_quota: float
) -> tuple[jobs.ClaimedJob, UUID]:
    """A tenant allowed `month_quota` seconds a month, with one job claimed by WORKER."""
    await pool.execute("DELETE FROM transcriptions")  # the claim takes the oldest job of any tenant
    slug = f"meter-{uuid.uuid4().hex[:10]}"
    tenant: UUID = await pool.fetchval("INSERT INTO tenants (name, slug) VALUES ($1, $1) RETURNING id", slug)
    await pool.execute(
        "INSERT INTO tenant_quota_overrides (tenant_id, quota, value)"
        " VALUES ($1, 'max_audio_seconds_per_month', $2)",
        tenant,
        month_quota,
    )
    async with jobs.tenant_transaction(pool, tenant, request_id="test") as db:
        await jobs.enqueue(
            db,
            tenant_id=tenant,
            audio_id=None,  # type: ignore[arg-type]
            filename="forged.flac",
            language=None,
            project_id=None,
            add_to_knowledge_base=False,
            duration=declared,
            created_by=None,
        )
    claimed = await jobs.claim(pool, worker_id=WORKER, lease_seconds=30, max_attempts=3)
    assert claimed is not None
    assert claimed.tenant_id == tenant
    return claimed, tenant


async def test_audio_within_its_declared_length_is_not_counted_again(pool: asyncpg.Pool) -> None:
    job, _ = await running_job(pool, declared=20.0, month_quota=20.5)
    meter = AudioMeter(pool, job, worker_id=WORKER, counted=20.0)

    await meter.reserve(20.6)  # encoder padding: within the tolerance

    assert await pool.fetchval("SELECT duration FROM transcriptions WHERE id = $1", job.id) == 20.0


async def test_audio_outgrowing_its_header_is_counted_while_the_month_has_room(pool: asyncpg.Pool) -> None:
    job, tenant = await running_job(pool, declared=1.0, month_quota=60.0)
    meter = AudioMeter(pool, job, worker_id=WORKER, counted=1.0)

    await meter.reserve(23.3)

    assert await pool.fetchval("SELECT duration FROM transcriptions WHERE id = $1", job.id) == 23.3
    used = await pool.fetchval("SELECT audio_seconds FROM usage_records WHERE tenant_id = $1", tenant)
    assert used == pytest.approx(23.3), "the month's usage record follows what was decoded"


async def test_header_claiming_one_second_cannot_reserve_past_the_months_quota(pool: asyncpg.Pool) -> None:
    job, _ = await running_job(pool, declared=1.0, month_quota=5.0)
    meter = AudioMeter(pool, job, worker_id=WORKER, counted=1.0)

    with pytest.raises(AudioQuotaExceeded) as refused:
        await meter.reserve(23.3)

    assert "header declared (1.0 s)" in refused.value.reason
    assert "at most 5 seconds of audio per month" in refused.value.reason, "the database's own message"
    assert await pool.fetchval("SELECT duration FROM transcriptions WHERE id = $1", job.id) == 1.0


async def test_a_worker_that_lost_the_lease_reserves_nothing(pool: asyncpg.Pool) -> None:
    job, _ = await running_job(pool, declared=1.0, month_quota=5.0)
    await pool.execute(
        "UPDATE transcriptions SET status = 'CANCELLED', worker_id = NULL, lease_expires_at = NULL"
    )

    await AudioMeter(pool, job, worker_id=WORKER, counted=1.0).reserve(500.0)  # no error: nothing is ours

    assert await pool.fetchval("SELECT duration FROM transcriptions WHERE id = $1", job.id) == 1.0
