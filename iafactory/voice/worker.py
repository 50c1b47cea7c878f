"""Transcription workers: claim a job, run faster-whisper in a thread, store what it finds.

Used inside `iafactory serve` (IAFACTORY_TRANSCRIBE_WORKERS slots) and by `iafactory worker`.
Inference runs on a dedicated thread pool, so the event loop keeps answering requests (and
renewing the lease) while a job runs; each segment is committed from the loop as it arrives.

Stopping (SIGTERM): no new claims; a running job may finish within the grace period, after
which it is stopped at its next segment and handed back to the queue without counting as a
failed attempt. A killed worker's job is re-queued once its lease lapses (jobs.claim).

Example:
    >>> runtime = await VoiceRuntime.start(settings, dsn=dsn, pool=pool, concurrency=1)
    >>> ...  # serve
    >>> await runtime.stop()
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import socket
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any
from uuid import UUID

import asyncpg
import structlog

from iafactory.settings import Settings
from iafactory.voice import jobs
from iafactory.voice.pubsub import PubSub, Watch
from iafactory.voice.storage import AudioStore, default_store, temp_audio_path

if TYPE_CHECKING:
    from iafactory.voice.transcriber import Segment, Transcriber, Transcript

log = structlog.get_logger("iafactory.worker")
SHUTDOWN, GONE, STORE_FAILED = "shutdown", "gone", "store-failed"
# Told of each completed job: (tenant id, seconds of audio, seconds spent), e.g. for metrics.
OnCompleted = Callable[[UUID, float, float], None]
AUDIO_GONE = "The audio of this transcription is no longer stored."


class _Run:
    """One job in flight: the inference thread polls `stop` between segments."""

    def __init__(self, job: jobs.ClaimedJob) -> None:
        self.job = job
        self.stop = threading.Event()
        self.reason: str | None = None

    def abandon(self, reason: str) -> None:
        if not self.stop.is_set():
            self.reason = reason
            self.stop.set()


class Workers:
    def __init__(
        self,
        pool: asyncpg.Pool,
        settings: Settings,
        pubsub: PubSub | None,
        *,
        concurrency: int,
        transcriber: Transcriber,
        store: AudioStore | None = None,
        on_completed: OnCompleted | None = None,
    ) -> None:
        self._pool = pool
        self._settings = settings
        self._pubsub = pubsub
        self._concurrency = concurrency
        self._transcriber = transcriber
        self._store = store or default_store()
        self._on_completed = on_completed
        self.name = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"
        self._executor = ThreadPoolExecutor(
            max_workers=concurrency,
            thread_name_prefix="transcribe",
            initializer=_lower_priority,
            initargs=(settings.transcribe_nice,),
        )
        self._stopping = asyncio.Event()
        self._idle: list[Watch] = []
        self._running: dict[str, _Run] = {}
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
        if not self._tasks:
            return
        _, pending = await asyncio.wait(self._tasks, timeout=grace)
        if pending:
            for run in self._running.values():
                run.abandon(SHUTDOWN)
            # The thread notices at its next segment or chunk: a few seconds of audio at most.
            _, pending = await asyncio.wait(pending, timeout=60)
            for task in pending:
                task.cancel()
        self._executor.shutdown(wait=False, cancel_futures=True)

    async def _slot(self, worker_id: str) -> None:
        watching = self._pubsub.watch_queue() if self._pubsub else contextlib.nullcontext(Watch())
        with watching as wake:
            self._idle.append(wake)
            while not self._stopping.is_set():
                job = await self._claim(worker_id)
                if job is None:
                    # Woken by a QUEUED notification, by stop(), or by the poll that also
                    # re-queues expired leases.
                    await wake.wait(self._settings.transcribe_poll_seconds)
                    continue
                try:
                    await self._run_job(job, worker_id)
                except Exception:  # one broken job must not stop the slot
                    log.exception("job crashed the worker slot", job_id=str(job.id))
                    await asyncio.sleep(1)

    async def _claim(self, worker_id: str) -> jobs.ClaimedJob | None:
        try:
            return await jobs.claim(
                self._pool,
                worker_id=worker_id,
                lease_seconds=self._settings.transcribe_lease_seconds,
                max_attempts=self._settings.transcribe_max_attempts,
            )
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, TimeoutError) as error:
            log.warning("claim failed; retrying", error=str(error))
            return None

    async def _run_job(self, job: jobs.ClaimedJob, worker_id: str) -> None:
        bound = log.bind(job_id=str(job.id), tenant_id=str(job.tenant_id), attempt=job.attempts)
        spec = await jobs.load(self._pool, job, worker_id=worker_id)
        if spec is None:
            return  # cancelled between the claim and now
        if spec.audio_id is None:
            await jobs.fail(self._pool, job, worker_id=worker_id, error=AUDIO_GONE)
            return
        path = temp_audio_path(Path(spec.filename).suffix)
        run = _Run(job)
        self._running[worker_id] = run
        try:
            async with jobs.tenant_transaction(
                self._pool, job.tenant_id, request_id=f"worker-{job.id.hex[:12]}"
            ) as db:
                found = await self._store.fetch_to(
                    db, tenant_id=job.tenant_id, audio_id=spec.audio_id, path=path
                )
            if not found:
                await jobs.fail(self._pool, job, worker_id=worker_id, error=AUDIO_GONE)
                return
            bound.info("transcription started")
            started = time.monotonic()
            transcript = await self._transcribe(run, path, spec, worker_id)
            if await jobs.complete(
                self._pool,
                job,
                worker_id=worker_id,
                language=transcript.language,
                duration=transcript.duration,
            ):
                elapsed = time.monotonic() - started
                bound.info("transcription completed", duration=transcript.duration, seconds=round(elapsed, 2))
                if self._on_completed is not None:
                    self._on_completed(job.tenant_id, transcript.duration, elapsed)
        except Exception as error:  # noqa: BLE001 - every outcome is written to the job row
            await self._settle(run, worker_id, error, bound)
        finally:
            self._running.pop(worker_id, None)
            path.unlink(missing_ok=True)

    async def _settle(self, run: _Run, worker_id: str, error: Exception, bound: Any) -> None:
        from iafactory.voice.languages import UnsupportedLanguageError
        from iafactory.voice.models import ModelNotAvailableError
        from iafactory.voice.probe import UnsupportedAudioError
        from iafactory.voice.transcriber import TranscriptionCancelled

        job, settings = run.job, self._settings
        if isinstance(error, TranscriptionCancelled) and run.reason == GONE:
            bound.info("transcription stopped: cancelled, or the lease was lost")
        elif isinstance(error, TranscriptionCancelled) and run.reason == SHUTDOWN:
            status = await jobs.release(
                self._pool,
                job,
                worker_id=worker_id,
                max_attempts=settings.transcribe_max_attempts,
                count_attempt=False,
            )
            bound.info("transcription handed back at shutdown", status=status)
        elif isinstance(error, UnsupportedAudioError):
            await jobs.fail(
                self._pool, job, worker_id=worker_id, error=f"The audio could not be decoded: {error.reason}."
            )
        elif isinstance(error, UnsupportedLanguageError):
            await jobs.fail(self._pool, job, worker_id=worker_id, error=f"Unsupported language: {error}.")
        else:
            reason = (
                f"The speech model is not available: {error}"
                if isinstance(error, ModelNotAvailableError)
                else "The transcription failed on the worker (an internal error)."
            )
            bound.error("transcription attempt failed", exc_info=error)
            status = await jobs.release(
                self._pool,
                job,
                worker_id=worker_id,
                max_attempts=settings.transcribe_max_attempts,
                error=reason,
            )
            bound.info("transcription attempt released", status=status)

    async def _transcribe(self, run: _Run, path: Path, spec: jobs.JobSpec, worker_id: str) -> Transcript:
        """Inference on the thread pool; segments are committed in order by a writer task on the
        loop, so the model never waits for the database."""
        from iafactory.voice.transcriber import TranscriptionCancelled

        loop = asyncio.get_running_loop()
        pending: asyncio.Queue[tuple[Segment, float] | None] = asyncio.Queue()
        watching = self._pubsub.watch(run.job.id) if self._pubsub else contextlib.nullcontext(Watch())
        with watching as changed:
            keeper = asyncio.create_task(self._keep_lease(run, changed, worker_id))
            writer = asyncio.create_task(self._write_segments(run, pending, worker_id))
            try:
                transcript = await loop.run_in_executor(
                    self._executor, self._transcribe_in_thread, run, path, spec, loop, pending
                )
                pending.put_nowait(None)
                await writer  # every segment committed before the job may complete
            finally:
                for task in (keeper, writer):
                    task.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await task
        if run.stop.is_set():  # cancelled, lost or stopping at the very end: do not complete
            raise TranscriptionCancelled
        return transcript

    def _transcribe_in_thread(
        self,
        run: _Run,
        path: Path,
        spec: jobs.JobSpec,
        loop: asyncio.AbstractEventLoop,
        pending: asyncio.Queue[tuple[Segment, float] | None],
    ) -> Transcript:
        def on_segment(segment: Segment, progress: float) -> None:
            if spec.resume_after is not None and segment.end <= spec.resume_after + 1e-3:
                return  # stored by an earlier attempt
            loop.call_soon_threadsafe(pending.put_nowait, (segment, progress))

        return self._transcriber.transcribe(
            path, language=spec.language, on_segment=on_segment, should_cancel=run.stop.is_set
        )

    async def _write_segments(
        self, run: _Run, pending: asyncio.Queue[tuple[Segment, float] | None], worker_id: str
    ) -> None:
        """Commit each segment (and its progress) in order; stop the run when one is refused."""
        while (item := await pending.get()) is not None:
            if run.stop.is_set():
                continue
            segment, progress = item
            try:
                stored = await jobs.add_segment(
                    self._pool,
                    run.job,
                    worker_id=worker_id,
                    lease_seconds=self._settings.transcribe_lease_seconds,
                    start=segment.start,
                    end=segment.end,
                    text=segment.text,
                    progress=progress,
                )
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, TimeoutError):
                # A lost segment would leave a hole in the text: stop, and let a retry redo it.
                log.exception("storing a segment failed", job_id=str(run.job.id))
                run.abandon(STORE_FAILED)
                continue
            if not stored:
                run.abandon(GONE)  # cancelled, or another worker holds the lease now

    async def _keep_lease(self, run: _Run, changed: Watch, worker_id: str) -> None:
        """Renew the lease between segments, and notice a cancel the moment it is announced."""
        interval = self._settings.transcribe_lease_seconds / 3
        while not run.stop.is_set():
            woke = await changed.wait(interval)
            if woke and changed.latest is not None and changed.latest.status == "RUNNING":
                continue  # our own progress: add_segment renewed the lease already
            try:
                held = await jobs.heartbeat(
                    self._pool,
                    run.job,
                    worker_id=worker_id,
                    lease_seconds=self._settings.transcribe_lease_seconds,
                )
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, TimeoutError) as error:
                log.warning("heartbeat failed", job_id=str(run.job.id), error=str(error))
                continue
            if not held:
                run.abandon(GONE)


def _lower_priority(niceness: int) -> None:
    """Run inference below the event loop: the API answers first, faster-whisper takes the rest.

    On Linux the niceness is per thread, and the threads that CTranslate2 and onnxruntime
    start from this one (the model loads lazily here) inherit it. When the API is idle the
    inference still gets every core, so its speed is unchanged.
    """
    if niceness <= 0 or not hasattr(os, "setpriority"):
        return
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), niceness)
    except OSError as error:
        log.warning("could not lower the inference thread's priority", error=str(error))


class VoiceRuntime:
    """What a process runs for the voice agent: the LISTEN connection and its worker slots."""

    def __init__(self, settings: Settings, pubsub: PubSub, workers: Workers | None) -> None:
        self.settings = settings
        self.pubsub = pubsub
        self.workers = workers

    @classmethod
    async def start(
        cls,
        settings: Settings,
        *,
        dsn: str,
        pool: asyncpg.Pool,
        concurrency: int,
        on_completed: OnCompleted | None = None,
    ) -> VoiceRuntime:
        pubsub = PubSub(settings.listen_database_url or dsn)
        await pubsub.start()
        workers = None
        if concurrency > 0:
            from iafactory.voice.transcriber import Transcriber

            transcriber = Transcriber(
                settings.whisper_model, data_dir=settings.data_dir, cpu_threads=settings.whisper_threads
            )
            workers = Workers(
                pool,
                settings,
                pubsub,
                concurrency=concurrency,
                transcriber=transcriber,
                on_completed=on_completed,
            )
            workers.start()
            log.info("transcription workers started", slots=concurrency, worker=workers.name)
        return cls(settings, pubsub, workers)

    async def stop(self, grace: float | None = None) -> None:
        if self.workers is not None:
            await self.workers.stop(
                self.settings.transcribe_shutdown_grace_seconds if grace is None else grace
            )
        await self.pubsub.stop()


async def run_worker_process(settings: Settings, *, dsn: str, concurrency: int) -> None:
    """`iafactory worker`: worker slots and the LISTEN connection, no HTTP, until SIGTERM/SIGINT."""
    import signal

    from iafactory.db.pool import create_pool

    pool = await create_pool(
        dsn,
        min_size=1,
        max_size=2 * concurrency + 2,
        statement_cache_size=settings.statement_cache_size,
    )
    try:
        runtime = await VoiceRuntime.start(settings, dsn=dsn, pool=pool, concurrency=concurrency)
        stopping = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stopping.set)
        await stopping.wait()
        log.info("stopping: running jobs finish or go back to the queue")
        await runtime.stop()
    finally:
        await pool.close()
