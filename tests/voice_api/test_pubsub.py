"""One LISTEN connection per process fans each job's notifications out to its watchers."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator

import pytest

from iafactory.voice.pubsub import CHANNEL, PubSub
from tests.support.database import superuser


@pytest.fixture
async def pubsub(quiet_database_url: str) -> AsyncIterator[PubSub]:
    running = PubSub(quiet_database_url, reconnect_delay=0.1)
    await running.start()
    yield running
    await running.stop()


async def announce(database_url: str, job_id: uuid.UUID, status: str = "RUNNING") -> None:
    payload = json.dumps({"t": str(uuid.uuid4()), "id": str(job_id), "s": status, "p": 0.5, "n": 1})
    async with superuser(database_url) as connection:
        await connection.execute("SELECT pg_notify($1, $2)", CHANNEL, payload)


async def listen_connections(database_url: str) -> int:
    async with superuser(database_url) as connection:
        return int(
            await connection.fetchval(
                "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'iafactory-listen'"
                " AND datname = current_database()"
            )
        )


async def test_a_notification_wakes_every_watcher_of_that_job_and_no_other(
    pubsub: PubSub, quiet_database_url: str
) -> None:
    job, other = uuid.uuid4(), uuid.uuid4()
    with pubsub.watch(job) as first, pubsub.watch(job) as second, pubsub.watch(other) as bystander:
        await announce(quiet_database_url, job)
        assert await first.wait(5), "the first watcher is woken"
        assert await second.wait(5), "so is the second"
        assert first.latest is not None
        assert (first.latest.job_id, first.latest.status, first.latest.segments) == (job, "RUNNING", 1)
        assert not await bystander.wait(0.3), "a watcher of another job is not"
    assert pubsub.watcher_count == 0, "leaving the block unregisters"


async def test_many_watchers_share_one_listening_connection(pubsub: PubSub, quiet_database_url: str) -> None:
    jobs = [uuid.uuid4() for _ in range(20)]
    watching = [pubsub.watch(job) for job in jobs]
    for watch in watching:
        watch.__enter__()
    try:
        assert await listen_connections(quiet_database_url) == 1
    finally:
        for watch in watching:
            watch.__exit__(None, None, None)


async def test_after_the_connection_is_lost_it_reconnects_and_wakes_everyone(
    pubsub: PubSub, quiet_database_url: str
) -> None:
    """Notifications sent while disconnected are gone: watchers must re-read, so all are woken."""
    job = uuid.uuid4()
    with pubsub.watch(job) as watch:
        async with superuser(quiet_database_url) as admin:
            await admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE application_name = 'iafactory-listen' AND datname = current_database()"
            )
        assert await watch.wait(10), "woken by the reconnect"
        await asyncio.wait_for(pubsub.connected.wait(), 10)
        await announce(quiet_database_url, job, status="COMPLETED")
        assert await watch.wait(5), "and notifications flow again"
        assert watch.latest is not None
        assert watch.latest.status == "COMPLETED"
