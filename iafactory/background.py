"""Fire-and-forget work of a request (a mail after its commit), held and awaited at shutdown.

asyncio keeps only weak references to tasks: one nobody holds may vanish mid-flight. This
holds each until it ends, logs its failure (a request has answered long before), and gives
the lifespan a bounded wait for what is still running.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any

import structlog

log = structlog.get_logger("iafactory.background")


class Background:
    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[Any]] = set()

    def spawn(self, work: Awaitable[Any]) -> None:
        task = asyncio.get_running_loop().create_task(_run(work))
        self._tasks.add(task)
        task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        error = None if task.cancelled() else task.exception()
        if error is not None:
            log.error("background task failed", exc_info=(type(error), error, error.__traceback__))

    async def drain(self, grace_seconds: float) -> None:
        """Wait up to `grace_seconds` for running tasks, then cancel the rest."""
        if not self._tasks:
            return
        _, pending = await asyncio.wait(set(self._tasks), timeout=grace_seconds)
        for task in pending:
            task.cancel()


async def _run(work: Awaitable[Any]) -> Any:
    return await work
