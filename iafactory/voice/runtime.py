"""What a process runs for the voice agent: the LISTEN connection and its worker slots.

`iafactory serve` starts a VoiceRuntime in its lifespan (services.py); `iafactory worker`
runs `run_worker_process` (slots and LISTEN, no HTTP, so no /metrics). Completed jobs are
reported to the `on_completed` callback the caller passes in (services.py: Metrics.transcription).

Example:
    >>> runtime = await VoiceRuntime.start(settings, dsn=dsn, pool=pool, concurrency=1,
    ...                                    on_completed=metrics.transcription)
    >>> ...  # serve
    >>> await runtime.stop()
"""

from __future__ import annotations

import asyncio
import signal
from concurrent.futures import ThreadPoolExecutor

import asyncpg
import structlog

from iafactory.db.pool import create_pool
from iafactory.priority import lower_priority
from iafactory.settings import Settings
from iafactory.voice.job_run import Engine, OnCompleted
from iafactory.voice.pubsub import PubSub
from iafactory.voice.slots import Workers
from iafactory.voice.storage import AudioStore, default_store
from iafactory.voice.transcriber import Transcriber

log = structlog.get_logger("iafactory.worker")


class VoiceRuntime:
    def __init__(
        self, settings: Settings, pubsub: PubSub, workers: Workers | None, executor: ThreadPoolExecutor | None
    ) -> None:
        self.settings = settings
        self.pubsub = pubsub
        self.workers = workers
        self._executor = executor

    @classmethod
    async def start(
        cls,
        settings: Settings,
        *,
        dsn: str,
        pool: asyncpg.Pool,
        concurrency: int,
        on_completed: OnCompleted | None = None,
        store: AudioStore | None = None,
    ) -> VoiceRuntime:
        pubsub = PubSub(settings.listen_database_url or dsn)
        await pubsub.start()
        if concurrency <= 0:
            return cls(settings, pubsub, None, None)
        executor = ThreadPoolExecutor(
            max_workers=concurrency,
            thread_name_prefix="transcribe",
            initializer=lower_priority,
            initargs=(settings.transcribe_nice,),
        )
        transcriber = Transcriber(
            settings.whisper_model,
            data_dir=settings.data_dir,
            cpu_threads=settings.whisper_threads,
            batch_size=settings.whisper_batch_size,
        )
        engine = Engine(
            pool=pool,
            settings=settings,
            pubsub=pubsub,
            transcriber=transcriber,
            store=store or default_store(),
            executor=executor,
            on_completed=on_completed,
        )
        workers = Workers(engine, concurrency=concurrency)
        workers.start()
        log.info("transcription workers started", slots=concurrency, worker=workers.name)
        return cls(settings, pubsub, workers, executor)

    async def stop(self, grace: float | None = None) -> None:
        if self.workers is not None:
            await self.workers.stop(
                self.settings.transcribe_shutdown_grace_seconds if grace is None else grace
            )
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)
        await self.pubsub.stop()


async def run_worker_process(
    settings: Settings, *, dsn: str, concurrency: int, on_completed: OnCompleted | None = None
) -> None:
    """`iafactory worker`: worker slots and the LISTEN connection, no HTTP, until SIGTERM/SIGINT."""
    pool = await create_pool(
        dsn,
        min_size=1,
        max_size=2 * concurrency + 2,
        statement_cache_size=settings.statement_cache_size,
    )
    try:
        runtime = await VoiceRuntime.start(
            settings, dsn=dsn, pool=pool, concurrency=concurrency, on_completed=on_completed
        )
        stopping = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stopping.set)
        await stopping.wait()
        log.info("stopping: running jobs finish or go back to the queue")
        await runtime.stop()
    finally:
        await pool.close()
