"""Transcription events across processes: ONE LISTEN connection per process, fanned out.

The database announces every committed change of a job with pg_notify (a trigger, see
migrations/0003_voice.py), whichever process made it. Each process keeps one dedicated
connection LISTENing and hands each notification to the watchers of that job in memory.
A payload only says "job X changed" (ids and numbers): watchers read the job themselves,
inside their own tenant scope, so nothing is trusted from the payload beyond a hint.

A watcher is a coalescing signal, not a queue: a slow subscriber never makes memory grow,
it simply reads the latest state (and every segment it has not sent yet) when it wakes.
After the listening connection is lost and re-established, every watcher is woken, since
notifications sent in between are gone.

Example:
    >>> with pubsub.watch(job_id) as changed:
    ...     state = await read(job_id)          # registered first: no change can slip between
    ...     while state.status not in TERMINAL:
    ...         await changed.wait(15)
    ...         state = await read(job_id)
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import asyncpg
import structlog

CHANNEL = "iafactory_transcriptions"
log = structlog.get_logger("iafactory.pubsub")


@dataclass(frozen=True, slots=True)
class JobEvent:
    tenant_id: UUID
    job_id: UUID
    status: str
    progress: float
    segments: int

    @classmethod
    def parse(cls, payload: str) -> JobEvent | None:
        try:
            data = json.loads(payload)
            return cls(UUID(data["t"]), UUID(data["id"]), str(data["s"]), float(data["p"]), int(data["n"]))
        except (ValueError, KeyError, TypeError):
            return None


class Watch:
    """Set when something happened; `latest` is the last event seen (None after a reconnect)."""

    def __init__(self) -> None:
        self._changed = asyncio.Event()
        self.latest: JobEvent | None = None

    def notify(self, event: JobEvent | None) -> None:
        if event is not None:
            self.latest = event
        self._changed.set()

    async def wait(self, within: float | None = None) -> bool:
        """True when woken, False after `within` seconds; the signal is reset either way."""
        try:
            async with asyncio.timeout(within):
                await self._changed.wait()
            return True
        except TimeoutError:
            return False
        finally:
            self._changed.clear()


class PubSub:
    def __init__(self, dsn: str, *, reconnect_delay: float = 1.0, keepalive_seconds: float = 30.0) -> None:
        self._dsn = dsn
        self._reconnect_delay = reconnect_delay
        self._keepalive = keepalive_seconds
        self._jobs: dict[UUID, set[Watch]] = defaultdict(set)
        self._queue_watchers: set[Watch] = set()
        self._connection: asyncpg.Connection | None = None
        self._lost = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self.connected = asyncio.Event()

    async def start(self) -> None:
        """Connect and LISTEN now (so a failure shows at start), then keep the connection up."""
        await self._connect()
        self._task = asyncio.create_task(self._supervise(), name="pubsub-listener")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        await self._disconnect()
        self._wake_all()  # let watchers notice the shutdown rather than wait for their poll

    @contextlib.contextmanager
    def watch(self, job_id: UUID) -> Iterator[Watch]:
        """Be woken whenever job `job_id` changes, on any process."""
        watcher = Watch()
        self._jobs[job_id].add(watcher)
        try:
            yield watcher
        finally:
            watchers = self._jobs.get(job_id)
            if watchers is not None:
                watchers.discard(watcher)
                if not watchers:
                    del self._jobs[job_id]

    @contextlib.contextmanager
    def watch_queue(self) -> Iterator[Watch]:
        """Be woken whenever a job becomes QUEUED (idle workers)."""
        watcher = Watch()
        self._queue_watchers.add(watcher)
        try:
            yield watcher
        finally:
            self._queue_watchers.discard(watcher)

    @property
    def watcher_count(self) -> int:
        return sum(len(watchers) for watchers in self._jobs.values())

    def _on_notification(self, _connection: Any, _pid: int, _channel: str, payload: str) -> None:
        event = JobEvent.parse(payload)
        if event is None:
            log.warning("ignored malformed notification", payload=payload[:200])
            return
        for watcher in tuple(self._jobs.get(event.job_id, ())):
            watcher.notify(event)
        if event.status == "QUEUED":
            for watcher in tuple(self._queue_watchers):
                watcher.notify(event)

    def _on_termination(self, _connection: Any) -> None:
        self._lost.set()

    def _wake_all(self) -> None:
        for watchers in self._jobs.values():
            for watcher in tuple(watchers):
                watcher.notify(None)
        for watcher in tuple(self._queue_watchers):
            watcher.notify(None)

    async def _connect(self) -> None:
        connection = await asyncpg.connect(
            self._dsn, server_settings={"application_name": "iafactory-listen"}
        )
        try:
            await connection.add_listener(CHANNEL, self._on_notification)
        except BaseException:
            await connection.close()
            raise
        connection.add_termination_listener(self._on_termination)
        self._connection = connection
        self._lost.clear()
        self.connected.set()

    async def _disconnect(self) -> None:
        connection, self._connection = self._connection, None
        self.connected.clear()
        if connection is not None and not connection.is_closed():
            with contextlib.suppress(Exception):
                await asyncio.wait_for(connection.close(), timeout=5)

    async def _supervise(self) -> None:
        delay = self._reconnect_delay
        while True:
            await self._until_lost()
            log.warning("listen connection lost; reconnecting")
            await self._disconnect()
            while True:
                try:
                    await self._connect()
                    break
                except (OSError, asyncpg.PostgresError, TimeoutError) as error:
                    log.warning("listen reconnect failed", error=str(error), retry_in=delay)
                    await asyncio.sleep(delay)
                    delay = min(delay * 2, 30.0)
            delay = self._reconnect_delay
            log.info("listen connection re-established")
            self._wake_all()  # notifications sent meanwhile are lost: everyone re-reads

    async def _until_lost(self) -> None:
        """Return when the connection is gone: closed by the server, or silent (a dead peer)."""
        while True:
            try:
                async with asyncio.timeout(self._keepalive):
                    await self._lost.wait()
                return
            except TimeoutError:
                pass
            connection = self._connection
            if connection is None or connection.is_closed():
                return
            try:
                async with asyncio.timeout(10):
                    await connection.fetchval("SELECT 1")
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, TimeoutError):
                return
