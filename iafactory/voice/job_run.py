"""Running one claimed job: fetch its audio, transcribe it in a thread, store what it finds.

Inference runs on the worker's thread pool, so the event loop keeps answering requests while
a job runs. From the loop, three tasks follow it: a writer commits each segment and each
progress step in order (the model never waits for the database), a keeper renews the lease
and announces a heartbeat whenever nothing else was written for HEARTBEAT_SECONDS, and the
meter (metering.py) is asked before each block of decoded audio is transcribed.

Every outcome is written to the job row: COMPLETED, FAILED with a reason for the uploader,
back to the queue (a worker fault, up to the attempt limit), or nothing when the job is no
longer ours (cancelled, or the lease was lost).
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from concurrent.futures import Executor
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol
from uuid import UUID

import asyncpg
import structlog

from iafactory.settings import Settings
from iafactory.voice import jobs, leased
from iafactory.voice.failures import GONE, INTERNAL, SHUTDOWN, STORE_FAILED, Outcome, outcome_of
from iafactory.voice.metering import AudioMeter
from iafactory.voice.pubsub import PubSub, Watch
from iafactory.voice.storage import AudioStore, temp_audio_path
from iafactory.voice.transcriber import Segment, Transcriber, Transcript, TranscriptionCancelled

log = structlog.get_logger("iafactory.worker")
# Subscribers hear from a running job at least this often (the bound is 5 s).
HEARTBEAT_SECONDS = 4.0
AUDIO_GONE = "The audio of this transcription is no longer stored."
_DB_ERRORS = (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, TimeoutError)
# (segment, progress) from the inference thread; segment None: progress alone; None: the end.
Event = tuple[Segment | None, float] | None


class OnCompleted(Protocol):
    """Told of every completed job (services.py wires /metrics to it)."""

    def __call__(self, tenant_id: UUID, *, audio_seconds: float, processing_seconds: float) -> None: ...


@dataclass(frozen=True, slots=True)
class Engine:
    """What every job of a worker process shares."""

    pool: asyncpg.Pool
    settings: Settings
    pubsub: PubSub | None
    transcriber: Transcriber
    store: AudioStore
    executor: Executor
    on_completed: OnCompleted | None


class JobRun:
    """One job in flight; the inference thread polls `stop` between segments and blocks."""

    def __init__(self, engine: Engine, job: jobs.ClaimedJob, worker_id: str) -> None:
        self.engine = engine
        self.job = job
        self.worker_id = worker_id
        self.stop = threading.Event()
        self.reason: str | None = None
        self.last_write = time.monotonic()
        self.log = log.bind(job_id=str(job.id), tenant_id=str(job.tenant_id), attempt=job.attempts)

    def abandon(self, reason: str) -> None:
        if not self.stop.is_set():
            self.reason = reason
            self.stop.set()

    async def execute(self) -> None:
        engine, job = self.engine, self.job
        spec = await jobs.load(engine.pool, job, worker_id=self.worker_id)
        if spec is None:
            return  # cancelled between the claim and now
        path: Path | None = None
        watching = engine.pubsub.watch(job.id) if engine.pubsub else contextlib.nullcontext(Watch())
        with watching as changed:
            keeper = asyncio.create_task(self._keep_lease(changed))
            try:
                path = temp_audio_path()  # a full disk fails here or in the copy: both settle the job
                if spec.audio_id is None or not await self._fetch(spec.audio_id, path):
                    await leased.fail(engine.pool, job, worker_id=self.worker_id, error=AUDIO_GONE)
                    return
                self.log.info("transcription started")
                started = time.monotonic()
                transcript = await self._transcribe(path, spec)
                if await leased.complete(
                    engine.pool,
                    job,
                    worker_id=self.worker_id,
                    language=transcript.language,
                    duration=transcript.duration,
                ):
                    elapsed = time.monotonic() - started
                    seconds = transcript.duration
                    self.log.info("transcription completed", duration=seconds, seconds=round(elapsed, 2))
                    if engine.on_completed is not None:
                        engine.on_completed(job.tenant_id, audio_seconds=seconds, processing_seconds=elapsed)
            except Exception as error:  # noqa: BLE001 - every outcome is written to the job row
                await self._settle(outcome_of(error, self.reason), error)
            finally:
                keeper.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await keeper
                if path is not None:
                    path.unlink(missing_ok=True)

    async def _fetch(self, audio_id: UUID, path: Path) -> bool:
        async with jobs.tenant_transaction(
            self.engine.pool, self.job.tenant_id, request_id=jobs.job_request_id(self.job), writes=False
        ) as db:
            store = self.engine.store
            return await store.fetch_to(db, tenant_id=self.job.tenant_id, audio_id=audio_id, path=path)

    async def _settle(self, outcome: Outcome, error: Exception) -> None:
        pool, job, settings = self.engine.pool, self.job, self.engine.settings
        if outcome.kind == "gone":
            self.log.info("transcription stopped: cancelled, or the lease was lost")
        elif outcome.kind == "fail":
            self.log.info("transcription refused", reason=outcome.message)
            await leased.fail(pool, job, worker_id=self.worker_id, error=outcome.message or INTERNAL)
        else:
            if outcome.kind == "retry":
                self.log.error("transcription attempt failed", exc_info=error)
            status = await leased.release(
                pool,
                job,
                worker_id=self.worker_id,
                max_attempts=settings.transcribe_max_attempts,
                error=outcome.message,
                count_attempt=outcome.kind == "retry",
            )
            self.log.info("transcription handed back", status=status, shutdown=outcome.kind == "shutdown")

    async def _transcribe(self, path: Path, spec: jobs.JobSpec) -> Transcript:
        loop = asyncio.get_running_loop()
        pending: asyncio.Queue[Event] = asyncio.Queue()
        meter = AudioMeter(self.engine.pool, self.job, worker_id=self.worker_id, counted=spec.duration)
        writer = asyncio.create_task(self._write(pending))
        try:
            transcript = await loop.run_in_executor(
                self.engine.executor, self._in_thread, path, spec, loop, pending, meter
            )
            pending.put_nowait(None)
            await writer  # every segment committed before the job may complete
        finally:
            writer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await writer
        if self.stop.is_set():  # cancelled, lost or stopping at the very end: do not complete
            raise TranscriptionCancelled
        return transcript

    def _in_thread(
        self,
        path: Path,
        spec: jobs.JobSpec,
        loop: asyncio.AbstractEventLoop,
        pending: asyncio.Queue[Event],
        meter: AudioMeter,
    ) -> Transcript:
        def on_segment(segment: Segment, progress: float) -> None:
            if spec.resume_after is not None and segment.end <= spec.resume_after + 1e-3:
                return  # stored by an earlier attempt
            loop.call_soon_threadsafe(pending.put_nowait, (segment, progress))

        def on_progress(progress: float) -> None:
            loop.call_soon_threadsafe(pending.put_nowait, (None, progress))

        def on_audio(seconds: float) -> None:
            # Blocks inference until the database says the tenant may have these seconds.
            asyncio.run_coroutine_threadsafe(meter.reserve(seconds), loop).result(timeout=120)

        return self.engine.transcriber.transcribe(
            path,
            language=spec.language,
            on_segment=on_segment,
            on_progress=on_progress,
            on_audio=on_audio,
            should_cancel=self.stop.is_set,
            max_seconds=self.engine.settings.max_audio_seconds,
        )

    async def _write(self, pending: asyncio.Queue[Event]) -> None:
        """Commit segments and progress in order, each burst (a window's segments) at once;
        stop the run when a write is refused."""
        pool, lease = self.engine.pool, self.engine.settings.transcribe_lease_seconds
        written, ended = 0.0, False
        while not ended:
            burst = [await pending.get()]
            while not pending.empty():
                burst.append(pending.get_nowait())
            ended = None in burst
            found = [item for item in burst if item is not None]
            segments = [(s.start, s.end, s.text) for s, _ in found if s is not None]
            progress = max((p for _, p in found), default=0.0)
            if self.stop.is_set() or not (segments or progress > written):
                continue
            try:
                if segments:
                    held = await leased.add_segments(
                        pool,
                        self.job,
                        worker_id=self.worker_id,
                        lease_seconds=lease,
                        segments=segments,
                        progress=progress,
                    )
                else:
                    held = await leased.set_progress(
                        pool, self.job, worker_id=self.worker_id, lease_seconds=lease, progress=progress
                    )
            except _DB_ERRORS:
                # A lost segment would leave a hole in the text: stop, and let a retry redo it.
                self.log.exception("storing segments failed")
                self.abandon(STORE_FAILED)
                continue
            if not held:
                self.abandon(GONE)  # cancelled, or another worker holds the lease now
            written = max(written, progress)
            self.last_write = time.monotonic()

    async def _keep_lease(self, changed: Watch) -> None:
        """Heartbeat whenever nothing else was written for a while (it renews the lease and
        tells subscribers the job is alive), and notice a cancel the moment it is announced."""
        pool, settings = self.engine.pool, self.engine.settings
        interval = min(HEARTBEAT_SECONDS, settings.transcribe_lease_seconds / 3)
        while not self.stop.is_set():
            due = self.last_write + interval - time.monotonic()
            woke = await changed.wait(max(due, 0.05))
            if woke and changed.latest is not None and changed.latest.status == "RUNNING":
                continue  # our own write: the lease was renewed with it
            if not woke and time.monotonic() - self.last_write < interval:
                continue
            try:
                held = await leased.heartbeat(
                    pool, self.job, worker_id=self.worker_id, lease_seconds=settings.transcribe_lease_seconds
                )
            except _DB_ERRORS as error:
                self.log.warning("heartbeat failed", error=str(error))
                await asyncio.sleep(1)
                continue
            self.last_write = time.monotonic()
            if not held:
                self.abandon(GONE)


__all__ = ["AUDIO_GONE", "HEARTBEAT_SECONDS", "SHUTDOWN", "Engine", "JobRun", "OnCompleted"]
