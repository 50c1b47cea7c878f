"""The composition root: the process-wide collaborators, built once by the app's lifespan.

>>> async with running_services(settings, tokens=tokens, metrics=metrics,
...                             export_links=links, dsn=dsn) as services:
...     ...  # serve; resolvers read `info.context.services`
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass

import asyncpg

from iafactory.auth.passwords import PasswordWork
from iafactory.auth.tokens import TokenService
from iafactory.background import Background
from iafactory.db.pipeline import PipelinedReads
from iafactory.db.pool import create_pool
from iafactory.governance.exports import ExportLinks
from iafactory.governance.metrics import Metrics
from iafactory.governance.ratelimit import RateLimits
from iafactory.governance.usage import ApiCallCounter
from iafactory.knowledge.runtime import SemanticSearch
from iafactory.mail import Mailer
from iafactory.settings import Settings
from iafactory.voice.models import model_available
from iafactory.voice.pubsub import PubSub
from iafactory.voice.runtime import VoiceRuntime


@dataclass(frozen=True, slots=True)
class Services:
    settings: Settings
    tokens: TokenService
    pool: asyncpg.Pool
    rate_limits: RateLimits
    metrics: Metrics
    # Admitted requests per tenant, flushed to the monthly usage records.
    api_calls: ApiCallCounter
    export_links: ExportLinks
    # The process's one LISTEN connection: transcription events for subscribers.
    pubsub: PubSub
    voice_available: Callable[[], bool]
    # Invitation and password-reset mail (or, without SMTP, the link in the log).
    mailer: Mailer
    # What a request leaves running after it answered (mail after a commit).
    background: Background
    # argon2, at most one per core at a time.
    passwords: PasswordWork
    # The query encoder and the background indexer; off (lexical search only) without
    # pgvector or with IAFACTORY_SEMANTIC_SEARCH=false, and then it says why.
    semantic: SemanticSearch
    # Compiled reads in one round trip; None: they take `pool` (setting 0, or no connection).
    reads: PipelinedReads | None = None


@asynccontextmanager
async def running_services(
    settings: Settings, *, tokens: TokenService, metrics: Metrics, export_links: ExportLinks, dsn: str
) -> AsyncIterator[Services]:
    """Starts the pool, the LISTEN connection, the in-process transcription workers, the
    semantic-search indexer and the usage flusher; stops them in the reverse order (running
    jobs finish or are handed back)."""
    pool = await create_pool(
        dsn,
        min_size=settings.pool_min_size,
        max_size=settings.pool_max_size,
        statement_cache_size=settings.statement_cache_size,
        reset=settings.pool_reset,
        idle_in_transaction_timeout_ms=settings.idle_in_transaction_timeout_ms,
    )
    reads = None
    try:
        if settings.compiled_reads and settings.pipelined_reads_pool_size:
            reads = await PipelinedReads.start(
                dsn,
                size=settings.pipelined_reads_pool_size,
                idle_in_transaction_timeout_ms=settings.idle_in_transaction_timeout_ms,
            )
        voice = await VoiceRuntime.start(
            settings,
            dsn=dsn,
            pool=pool,
            concurrency=settings.transcribe_workers,
            on_completed=metrics.transcription,
        )
        try:
            # The encoder loads in the background and the indexer embeds queued passages.
            semantic = await SemanticSearch.start(settings, pool=pool, dsn=dsn)
            try:
                api_calls = ApiCallCounter(pool, interval=settings.usage_flush_seconds)
                api_calls.start()
                background = Background()
                try:
                    yield Services(
                        settings=settings,
                        tokens=tokens,
                        pool=pool,
                        rate_limits=RateLimits(settings),
                        metrics=metrics,
                        api_calls=api_calls,
                        export_links=export_links,
                        pubsub=voice.pubsub,
                        voice_available=lambda: model_available(settings.whisper_model, settings.data_dir),
                        mailer=Mailer(settings),
                        background=background,
                        passwords=PasswordWork(),
                        semantic=semantic,
                        reads=reads,
                    )
                finally:
                    await background.drain(grace_seconds=10)  # mails being sent get a moment to finish
                    await api_calls.stop()  # the last API-call counts are written
            finally:
                await semantic.stop()  # a batch being embedded is handed back
        finally:
            await voice.stop()
    finally:
        await pool.close()
        if reads is not None:
            await reads.close()
