"""The background indexer: embeds queued passages off the request path.

Writing passages queues their document (a trigger, migrations/versions/0008_semantic.py) and
wakes the indexers with pg_notify at commit. A step first claims a batch of one tenant's
documents in a transaction of its own: a lease, and one more attempt, committed. Every other
transaction of the step runs as the app role bound to that tenant (row-level security applies
as for its requests): one reads up to `batch_passages` passages still without a vector of this
model; the encoder embeds them on a thread with NO transaction open (it may take seconds: a
connection idle in a transaction would pin its snapshot and locks, and the pool's backstop ends
it); one last transaction takes the tenant's write lock, as every writer does first
(db/scope.py), locks the claimed documents still there and their jobs, stores the vectors,
marks the documents whose every passage is done and frees the others for the next step. The
lease keeps other indexers (in this process or others) off the batch meanwhile. A failing batch
is retried, then FAILED with its reason; an indexer killed mid-batch leaves its lease behind:
the jobs wait for it to lapse and turn FAILED once `max_attempts` were used, so a passage that
kills the encoder cannot kill indexers forever.
Failed documents stay searchable by their words.

Example (`iafactory knowledge reindex` drains one tenant's queue this way):
    >>> indexer = Indexer(pool, encoder)
    >>> while (batch := await indexer.step(only=tenant_id)) is not None:
    ...     print(batch.passages)
"""

from __future__ import annotations

import asyncio
import contextlib
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from uuid import UUID

import asyncpg
import structlog

from iafactory.db.database import Database
from iafactory.db.queries import embeddings
from iafactory.db.scope import DbRole, transaction
from iafactory.errors import QuotaExceeded
from iafactory.knowledge.embedding import MODEL, VECTOR_BYTES, Encoder, encode_passages, to_sql
from iafactory.priority import lower_priority

log = structlog.get_logger("iafactory.indexer")
CHANNEL = "iafactory_embeddings"
STATEMENT_TIMEOUT_MS = 30_000
# How long other indexers keep off a claimed batch: a step takes seconds; only a dead
# indexer's batch ever waits this long.
LEASE_SECONDS = 300.0
NO_ROOM = "The storage quota has no room for this document's search vectors: it is found by its words only."
CONNECTION_ERRORS = (OSError, asyncpg.InterfaceError, asyncpg.ConnectionDoesNotExistError, TimeoutError)


@dataclass(frozen=True, slots=True)
class Batch:
    tenant_id: UUID
    passages: int  # embedded in this step
    documents: int  # marked indexed in this step


class Indexer:
    def __init__(
        self,
        pool: asyncpg.Pool,
        encoder: Encoder,
        *,
        batch_documents: int = 32,
        batch_passages: int = 64,
        max_attempts: int = 3,
        lease_seconds: float = LEASE_SECONDS,
        nice: int = 10,
    ) -> None:
        self._pool = pool
        self._encoder = encoder
        self._batch_documents = batch_documents
        self._batch_passages = batch_passages
        self._max_attempts = max_attempts
        self._lease_seconds = lease_seconds
        # One thread: the encoder is CPU-bound; below the event loop's priority (Linux).
        self._executor = ThreadPoolExecutor(
            max_workers=1, thread_name_prefix="embed", initializer=lower_priority, initargs=(nice,)
        )
        self._previous: UUID | None = None

    async def step(self, *, only: UUID | None = None) -> Batch | None:
        """One batch, or None when nothing is queued (for `only`'s tenant, if given)."""
        async with transaction(
            self._pool, role=DbRole.APP, request_id="indexer", statement_timeout_ms=STATEMENT_TIMEOUT_MS
        ) as db:
            claimed = await embeddings.claim(
                db,
                previous=self._previous,
                limit=self._batch_documents,
                lease_seconds=self._lease_seconds,
                max_attempts=self._max_attempts,
                only=only,
            )
        if claimed is None:
            return None
        self._previous = claimed[0]
        tenant_id, document_ids = claimed
        try:
            async with self._transaction(tenant_id, writes=False) as db:
                passages = await embeddings.pending(
                    db,
                    tenant_id=tenant_id,
                    document_ids=document_ids,
                    model=MODEL,
                    limit=self._batch_passages,
                )
            # No transaction is open while the encoder runs (seconds on a busy machine): a
            # connection idle in a transaction would pin its snapshot and locks meanwhile.
            vectors: list[str] = []
            if passages:
                texts = [(p.title, p.content) for p in passages]
                loop = asyncio.get_running_loop()
                vectors = await loop.run_in_executor(self._executor, _encode_as_sql, self._encoder, texts)
            async with self._transaction(tenant_id) as db:
                return await self._write(db, tenant_id, document_ids, passages, vectors)
        except asyncio.CancelledError:
            # Stopping (a deploy, SIGTERM) is not the batch's fault: another indexer may take
            # it now rather than after the lease, and the attempt does not count.
            with contextlib.suppress(Exception):
                async with self._transaction(tenant_id) as db:
                    await embeddings.give_back(db, tenant_id=tenant_id, document_ids=document_ids)
            raise
        except CONNECTION_ERRORS:
            raise
        except Exception as error:
            log.exception("indexing a batch failed", tenant_id=str(tenant_id), documents=len(document_ids))
            await self._record_failure(tenant_id, document_ids, error)
            return Batch(tenant_id, passages=0, documents=0)

    def _transaction(self, tenant_id: UUID, *, writes: bool = True) -> AbstractAsyncContextManager[Database]:
        """The app role bound to the batch's tenant: row-level security as for its requests,
        and its writes queued behind the tenant's other writers first (db/scope.py)."""
        return transaction(
            self._pool,
            role=DbRole.APP,
            request_id="indexer",
            tenant_id=tenant_id,
            statement_timeout_ms=STATEMENT_TIMEOUT_MS,
            writes=writes,
        )

    async def _write(
        self,
        db: Database,
        tenant_id: UUID,
        claimed: list[UUID],
        passages: list[embeddings.Passage],
        vectors: list[str],
    ) -> Batch:
        # The claimed documents still there (one deleted meanwhile is skipped, its passages too).
        held = await embeddings.hold(db, tenant_id=tenant_id, document_ids=claimed)
        still = set(held)
        kept = [(p.chunk_id, v) for p, v in zip(passages, vectors, strict=True) if p.document_id in still]
        if kept:
            await embeddings.store(
                db,
                tenant_id=tenant_id,
                chunk_ids=[chunk_id for chunk_id, _ in kept],
                vectors=[vector for _, vector in kept],
                model=MODEL,
            )
        done = await embeddings.complete(db, tenant_id=tenant_id, document_ids=held, model=MODEL)
        for document_id in done:
            # A savepoint each: the one document over quota fails, not the whole batch.
            await db.execute("SAVEPOINT finish")
            try:
                await embeddings.finish(
                    db, tenant_id=tenant_id, document_id=document_id, vector_bytes=VECTOR_BYTES
                )
            except QuotaExceeded:
                await db.execute("ROLLBACK TO SAVEPOINT finish")
                await embeddings.refuse(db, tenant_id=tenant_id, document_id=document_id, error=NO_ROOM)
                log.info("document left unindexed: storage quota", tenant_id=str(tenant_id))
            await db.execute("RELEASE SAVEPOINT finish")
        rest = sorted(set(held) - set(done))
        if rest:
            await embeddings.progressed(db, tenant_id=tenant_id, document_ids=rest)
        return Batch(tenant_id, passages=len(kept), documents=len(done))

    async def _record_failure(self, tenant_id: UUID, document_ids: list[UUID], error: Exception) -> None:
        reason = f"Computing the search vectors failed ({type(error).__name__})."
        async with self._transaction(tenant_id) as db:
            await embeddings.record_failure(
                db,
                tenant_id=tenant_id,
                document_ids=document_ids,
                error=reason,
                max_attempts=self._max_attempts,
            )

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)


def _encode_as_sql(encoder: Encoder, passages: list[tuple[str, str]]) -> list[str]:
    return [to_sql(vector) for vector in encode_passages(encoder, passages)]


class IndexerLoop:
    """An indexer running in the background of a process (serve, or `knowledge indexer`):
    woken by LISTEN, and polling in case a notification was lost while reconnecting."""

    def __init__(self, indexer: Indexer, *, listen_dsn: str, poll_seconds: float) -> None:
        self._indexer = indexer
        self._listen_dsn = listen_dsn
        self._poll_seconds = poll_seconds
        self._wake = asyncio.Event()
        self._stopping = asyncio.Event()
        self._listener: asyncpg.Connection | None = None
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="indexer")

    async def stop(self) -> None:
        self._stopping.set()
        self._wake.set()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._listener is not None and not self._listener.is_closed():
            await self._listener.close()
        self._indexer.close()

    async def _run(self) -> None:
        while not self._stopping.is_set():
            self._wake.clear()
            try:
                batch = await self._indexer.step()
            except Exception as error:  # noqa: BLE001 - the loop outlives a lost connection
                log.warning("indexer step failed; retrying", error=str(error))
                batch = None
            if batch is not None:
                continue
            await self._listen()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self._poll_seconds):
                    await self._wake.wait()

    async def _listen(self) -> None:
        if self._listener is not None and not self._listener.is_closed():
            return
        try:
            self._listener = await asyncpg.connect(self._listen_dsn)
            await self._listener.add_listener(CHANNEL, lambda *_: self._wake.set())
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, TimeoutError) as error:
            log.warning("indexer cannot LISTEN; polling", error=str(error))
            self._listener = None
