"""Faults (issue 9, "also prove"): PostgreSQL restarted under load, and SIGTERM.

While the database is down, requests fail at once with a clear, retryable error (not a hang,
not an anonymous 500); once it is back the server recovers by itself: the pool reconnects,
the LISTEN connection is re-established, and a subscriber whose notification was lost in
between re-reads the job. On SIGTERM, requests in flight are answered before the server exits.

The restart needs a PostgreSQL of its own (the embedded one), not the suite's shared cluster.
"""

from __future__ import annotations

import asyncio
import signal
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import psycopg
import pytest

from iafactory.db import migrate
from iafactory.db.embedded import start_embedded, stop_embedded
from tests.security.conftest import assert_no_idle_in_transaction
from tests.support.graphql import GraphQLClient, register
from tests.support.server import Server, start_server
from tests.support.upload import clip
from tests.voice_api.helpers import Subscriber, events, upload, uploaded_id

PROJECTS = "{ projects { totalCount } }"
pytestmark = pytest.mark.slow


@dataclass
class Load:
    """A steady stream of one tenant's requests, each recorded with when it was sent, how long
    it took and its error code (None: answered)."""

    client: GraphQLClient
    token: str
    results: list[tuple[float, float, str | None, str]] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)

    def run(self) -> None:
        while not self._stop.is_set():
            sent = time.monotonic()
            try:
                body = self.client.execute(PROJECTS, token=self.token)
                errors = body.get("errors") or []
                code = errors[0]["extensions"]["code"] if errors else None
                message = errors[0]["message"] if errors else ""
            except httpx.HTTPError as error:
                code, message = "HTTP", str(error)
            self.results.append((sent, time.monotonic() - sent, code, message))
            time.sleep(0.05)

    def between(self, start: float, end: float) -> list[tuple[float, float, str | None, str]]:
        return [r for r in self.results if start <= r[0] < end]

    def stop(self) -> None:
        self._stop.set()


@pytest.fixture(scope="module")
def own_postgres(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, str]]:
    data_dir = tmp_path_factory.mktemp("own-postgres")
    dsn = start_embedded(data_dir).dsn
    migrate.upgrade(dsn)
    yield data_dir, dsn
    stop_embedded(data_dir)


@pytest.fixture(scope="module")
def restartable(own_postgres: tuple[Path, str], tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    _, dsn = own_postgres
    running = start_server(dsn, tmp_path_factory.mktemp("restartable"), IAFACTORY_POOL_MAX_SIZE="4")
    yield running
    running.stop()


def test_a_postgresql_restart_fails_requests_fast_and_the_server_recovers_by_itself(
    own_postgres: tuple[Path, str], restartable: Server
) -> None:
    data_dir, dsn = own_postgres
    client = GraphQLClient(restartable.graphql_url, http=httpx.Client(timeout=30))
    alice = register(client, name="restart")
    job = uploaded_id(upload(restartable.graphql_url, alice.access_token, clip(2.0)))  # stays QUEUED
    subscriber = Subscriber(restartable.ws_url, alice.access_token)
    followed = threading.Thread(target=lambda: asyncio.run(subscriber.follow(job, within=90)))
    followed.start()
    load = Load(client, alice.access_token)
    loader = threading.Thread(target=load.run)
    loader.start()
    try:
        time.sleep(2)
        stop_embedded(data_dir)
        down = time.monotonic()
        time.sleep(4)
        restarting = time.monotonic()
        start_embedded(data_dir)
        up = time.monotonic()
        # Written while the server's LISTEN connection is still reconnecting: its notification
        # may be lost, and the subscriber must see the change anyway.
        with psycopg.connect(dsn, autocommit=True) as connection:
            connection.execute("UPDATE transcriptions SET status = 'CANCELLED' WHERE id = %s", (job,))
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not any(r[2] is None for r in load.between(up + 0.5, 1e12)):
            time.sleep(0.2)
        recovered = time.monotonic()
    finally:
        load.stop()
        loader.join()
    followed.join(timeout=60)

    during = load.between(down + 0.5, restarting)
    assert during, "requests were sent while the database was down"
    assert all(code is not None for _, _, code, _ in during), "nothing answered without its database"
    assert max(took for _, took, _, _ in during) < 3, "each failed at once, none waited on the database"
    assert {code for _, _, code, _ in during} == {"INTERNAL"}, during[:3]
    slowest = max(took for _, took, _, _ in during)
    print(f"down {restarting - down:.1f} s: {len(during)} requests, slowest {slowest:.3f} s;", end=" ")
    print(f"recovered {recovered - up:.1f} s after the restart")
    assert all("unavailable" in message for _, _, _, message in during), during[:3]
    assert recovered - up < 15, "the pool reconnected by itself"
    assert all(code is None for _, _, code, _ in load.between(recovered + 1, 1e12)), "and stays healthy"
    statuses = [e["transcription"]["status"] for e in events(subscriber.messages)]
    assert statuses[0] == "QUEUED"
    assert statuses[-1] == "CANCELLED", "the subscriber re-read the job after the LISTEN reconnect"
    assert_no_idle_in_transaction(dsn)


def test_sigterm_answers_the_requests_in_flight_then_exits(
    database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    draining = start_server(database_url, tmp_path_factory.mktemp("draining"))
    client = GraphQLClient(draining.graphql_url)
    alice = register(client, name="drain")
    answers: list[int] = []

    def slow_request() -> None:  # a sign-in: an argon2 hash, a fraction of a second each
        response = client.post(
            "mutation($e: String!, $p: String!) { login(input: {email: $e, password: $p}) { accessToken } }",
            {"e": alice.email, "p": alice.password},
        )
        answers.append(response.status_code if "accessToken" in response.text else -1)

    inflight = [threading.Thread(target=slow_request) for _ in range(4)]
    for thread in inflight:
        thread.start()
    time.sleep(0.15)
    stopping = time.monotonic()
    draining.process.send_signal(signal.SIGTERM)
    for thread in inflight:
        thread.join(timeout=30)
    # uvicorn re-raises the signal once it has shut down gracefully: killed by SIGTERM, cleanly.
    assert draining.process.wait(timeout=30) in (0, -signal.SIGTERM), draining.log.read_text()[-2000:]
    assert "Traceback" not in draining.log.read_text()
    assert time.monotonic() - stopping < 25
    assert answers == [200] * 4, f"every request in flight was answered: {answers}"
