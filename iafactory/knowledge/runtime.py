"""A process's semantic search: whether it is on (and why not), the encoder that turns a
query into a vector, and the background indexer. Started by the app's lifespan.

Semantic search is on when IAFACTORY_SEMANTIC_SEARCH allows it AND the database has the
pgvector part (migrations/versions/0008_semantic.py). Otherwise every search is lexical, a
HYBRID request included, and SEMANTIC is refused with the reason.

    >>> semantic = await SemanticSearch.start(settings, pool=pool, dsn=dsn)
    >>> meaning = await semantic.meaning("When is the VAT return due?", mode="HYBRID")
    >>> await semantic.stop()
"""

from __future__ import annotations

import asyncio

import asyncpg
import structlog

from iafactory.db.queries import embeddings
from iafactory.db.queries.search import LEXICAL_WEIGHT, Meaning
from iafactory.db.scope import DbRole, transaction
from iafactory.knowledge.embedding import MODEL, Encoder, to_sql
from iafactory.knowledge.indexer import Indexer, IndexerLoop
from iafactory.settings import Settings

log = structlog.get_logger("iafactory.semantic")
MODES = ("HYBRID", "LEXICAL", "SEMANTIC")


class SemanticUnavailable(Exception):
    """SEMANTIC was asked for where semantic search is off; the message says why."""


class SemanticSearch:
    def __init__(
        self,
        *,
        reason: str | None,
        encoder: Encoder | None = None,
        loading: asyncio.Future[None] | None = None,
        indexer: IndexerLoop | None = None,
    ) -> None:
        self.reason = reason  # None when on
        self._encoder = encoder
        self._loading = loading
        self._indexer = indexer

    @property
    def enabled(self) -> bool:
        return self.reason is None and self._encoder is not None

    @classmethod
    async def start(cls, settings: Settings, *, pool: asyncpg.Pool, dsn: str) -> SemanticSearch:
        if not settings.semantic_search:
            return cls(reason="it is switched off on this server (IAFACTORY_SEMANTIC_SEARCH=false)")
        async with transaction(pool, role=DbRole.APP, request_id="semantic-start") as db:
            installed = await embeddings.installed(db)
        if not installed:
            log.warning(
                "semantic search is OFF: this database lacks the pgvector extension;"
                " `iafactory migrate` says what is missing and how to enable it"
            )
            return cls(reason="this database lacks the pgvector extension (`iafactory migrate` says why)")
        encoder = Encoder(threads=settings.embedding_threads)
        # Loaded in the background: the server is ready at once, the first search waits.
        loading = asyncio.ensure_future(asyncio.to_thread(encoder.load))
        indexer = None
        if settings.indexer:
            indexer = IndexerLoop(
                Indexer(pool, encoder),
                listen_dsn=settings.listen_database_url or dsn,
                poll_seconds=settings.indexer_poll_seconds,
            )
            indexer.start()
        log.info(
            "semantic search on", model=MODEL, threads=settings.embedding_threads, indexer=settings.indexer
        )
        return cls(reason=None, encoder=encoder, loading=loading, indexer=indexer)

    async def meaning(self, query: str, *, mode: str) -> Meaning | None:
        """The query's side of a hybrid or semantic search; None for a lexical one (and for a
        hybrid one where semantic search is off: it is answered by its words)."""
        if mode == "LEXICAL":
            return None
        if not await self._ready() or self._encoder is None:
            if mode == "SEMANTIC":
                raise SemanticUnavailable(f"Semantic search is not available: {self.reason}.")
            return None
        vectors = await asyncio.to_thread(self._encoder.encode, [query])
        return Meaning(to_sql(vectors[0]), MODEL, 0.0 if mode == "SEMANTIC" else LEXICAL_WEIGHT)

    async def _ready(self) -> bool:
        """Whether the encoder is loaded (the first search waits for it). One that failed to
        load turns semantic search off for this process, with the reason, instead of failing
        every search that would have used it."""
        if not self.enabled:
            return False
        if self._loading is None:
            return True
        try:
            await asyncio.shield(self._loading)
        except Exception as error:  # noqa: BLE001 - any failure to load means: off, and why
            if self.reason is None:
                log.error("semantic search is OFF: the sentence encoder failed to load", error=repr(error))
                self.reason = f"the sentence encoder failed to load on this server ({type(error).__name__})"
            return False
        return True

    async def stop(self) -> None:
        if self._indexer is not None:
            await self._indexer.stop()
        if self._loading is not None and not self._loading.done():
            self._loading.cancel()
