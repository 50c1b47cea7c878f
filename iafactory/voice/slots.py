"""Worker slots: each claims a job, runs it (job_run.py), and claims the next.

Used inside `iafactory serve` (IAFACTORY_TRANSCRIBE_WORKERS slots) and by `iafactory worker`.
An idle slot sleeps until a QUEUED notification, stop(), or the poll that also re-queues
expired leases. Stopping (SIGTERM): no new claims; a running job may finish within the grace
period, after which it is stopped at its next segment and handed back to the queue without
counting as a failed attempt. A killed worker's job is re-queued once its lease lapses.

Example:
    >>> workers = Workers(engine, concurrency=2)
    >>> workers.start()
    >>> await workers.stop(grace=20)
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import socket

import asyncpg
import structlog

from iafactory.voice import jobs
from iafactory.voice.failures import SHUTDOWN
from iafactory.voice.job_run import Engine, JobRun
from iafactory.voice.pubsub import Watch

log = structlog.get_logger("iafactory.worker")
_CLAIM_ERRORS = (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, TimeoutError)


class Workers:
    def __init__(self, engine: Engine, *, concurrency: int) -> None:
        self._engine = engine
        self._concurrency = concurrency
        self.name = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"
        self._stopping = asyncio.Event()
        self._idle: list[Watch] = []
        self._running: dict[str, JobRun] = {}
        self._tasks: list[asyncio.Task[None]] = []

    def start(self) -> None:
        for index in range(self._concurrency):
            self._tasks.append(
                asyncio.create_task(self._slot(f"{self.name}:{index}"), name=f"worker-{index}")
            )

    async def stop(self, grace: float) -> None:
        """Stop claiming; let running jobs finish for `grace` seconds, then release them."""
        self._stopping.set()
        for watch in self._idle:
            watch.notify(None)
        if self._tasks:
            _, pending = await asyncio.wait(self._tasks, timeout=grace)
            if pending:
                for run in self._running.values():
                    run.abandon(SHUTDOWN)
                # The thread notices at its next segment: a batch of windows at most.
                _, pending = await asyncio.wait(pending, timeout=60)
                for task in pending:
                    task.cancel()

    async def _slot(self, worker_id: str) -> None:
        pubsub = self._engine.pubsub
        watching = pubsub.watch_queue() if pubsub else contextlib.nullcontext(Watch())
        with watching as wake:
            self._idle.append(wake)
            while not self._stopping.is_set():
                job = await self._claim(worker_id)
                if job is None:
                    await wake.wait(self._engine.settings.transcribe_poll_seconds)
                    continue
                run = JobRun(self._engine, job, worker_id)
                self._running[worker_id] = run
                try:
                    await run.execute()
                except Exception:  # one broken job must not stop the slot
                    log.exception("job crashed the worker slot", job_id=str(job.id))
                    await asyncio.sleep(1)
                finally:
                    self._running.pop(worker_id, None)

    async def _claim(self, worker_id: str) -> jobs.ClaimedJob | None:
        settings = self._engine.settings
        try:
            return await jobs.claim(
                self._engine.pool,
                worker_id=worker_id,
                lease_seconds=settings.transcribe_lease_seconds,
                max_attempts=settings.transcribe_max_attempts,
            )
        except _CLAIM_ERRORS as error:
            log.warning("claim failed; retrying", error=str(error))
            return None
