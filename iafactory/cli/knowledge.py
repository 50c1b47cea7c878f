"""Knowledge-base commands: `knowledge reindex [SLUG]`, `knowledge indexer`.

The operator's part (finding the tenant, queueing what lacks vectors of the current model,
counting failures) runs as the owner role on the `DATABASE_URL` login; the embedding itself
runs as a worker does: logged in as the authenticator, as the app role bound to each batch's
tenant (iafactory/knowledge/indexer.py).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar
from uuid import UUID

import asyncpg
import click

from iafactory.cli.common import database_url, fail, load_settings, main, migrate_database
from iafactory.db import vector
from iafactory.db.database import Database
from iafactory.db.queries import embeddings
from iafactory.db.queries.governance import tenant_id_by_slug
from iafactory.db.scope import DbRole, transaction
from iafactory.settings import Settings

T = TypeVar("T")


@main.group()
def knowledge() -> None:
    """The knowledge base's semantic index."""


def _ready(settings: Settings) -> tuple[str, str]:
    """(the operator's DSN, the runtime's DSN), once migrated and with pgvector installed."""
    dsn, _ = database_url(settings)
    runtime = migrate_database(settings, dsn)
    status = vector.install(dsn)
    if not status.installed:
        fail(status.message())
    if not settings.semantic_search:
        fail("semantic search is switched off (IAFACTORY_SEMANTIC_SEARCH=false)")
    return dsn, runtime


@knowledge.command("reindex")
@click.argument("slug", required=False)
def reindex(slug: str | None) -> None:
    """Embed every passage (of tenant SLUG, or of all tenants) that has no vector of the
    current model: after a model upgrade, an import, or failures. Runs here until done;
    servers' indexers share the work meanwhile."""
    settings = load_settings()
    dsn, runtime = _ready(settings)
    asyncio.run(_reindex(settings, dsn=dsn, runtime=runtime, slug=slug))


async def _reindex(settings: Settings, *, dsn: str, runtime: str, slug: str | None) -> None:
    from iafactory.db.pool import create_pool
    from iafactory.knowledge.embedding import MODEL, Encoder
    from iafactory.knowledge.indexer import Indexer

    try:
        tenant_id, queued = await _as_operator(dsn, lambda db: _queue(db, slug))
    except LookupError as error:
        fail(str(error))
        raise  # unreachable
    click.echo(f"{queued} document(s) to index with {MODEL}", err=True)
    pool = await create_pool(
        runtime, min_size=1, max_size=2, statement_cache_size=settings.statement_cache_size
    )
    try:
        encoder = Encoder(threads=settings.embedding_threads)
        await asyncio.to_thread(encoder.load)
        indexer = Indexer(pool, encoder)
        started, passages, documents = time.monotonic(), 0, 0
        try:
            while (batch := await indexer.step(only=tenant_id)) is not None:
                passages += batch.passages
                documents += batch.documents
                rate = passages / max(time.monotonic() - started, 1e-9)
                line = f"\r{documents} document(s), {passages} passage(s), {rate:.0f} passages/s"
                click.echo(line, nl=False, err=True)
        finally:
            indexer.close()
    finally:
        await pool.close()
    _, failed = await _as_operator(dsn, lambda db: _backlog(db, tenant_id))
    others = " (running servers' indexers took the rest)" if documents < queued else ""
    click.echo(f"\nindexed {documents} document(s), {passages} passage(s) here{others}", err=True)
    if failed:
        reason = "see embedding_jobs.error; they are found by their words only"
        click.echo(f"{failed} document(s) FAILED ({reason})", err=True)


async def _as_operator(dsn: str, action: Callable[[Database], Awaitable[T]]) -> T:
    """One transaction as the owner role (across tenants, as the other operator commands)."""
    connection = await asyncpg.connect(dsn)
    try:
        async with transaction(connection, role=DbRole.OWNER, request_id="cli") as db:
            return await action(db)
    finally:
        await connection.close()


async def _queue(db: Database, slug: str | None) -> tuple[UUID | None, int]:
    tenant_id: UUID | None = None
    if slug is not None:
        tenant_id = await tenant_id_by_slug(db, slug=slug)
        if tenant_id is None:
            raise LookupError(f"no tenant with slug {slug!r}")
    return tenant_id, await embeddings.queue_stale(db, tenant_id=tenant_id)


async def _backlog(db: Database, tenant_id: UUID | None) -> tuple[int, int]:
    return await embeddings.backlog(db, tenant_id=tenant_id)


@knowledge.command("indexer")
def indexer_command() -> None:
    """Run the semantic indexer only (no HTTP), until SIGTERM; several may run at once.
    Servers index too unless IAFACTORY_INDEXER=false."""
    from iafactory.logging import configure_logging

    settings = load_settings()
    configure_logging(settings)
    _, runtime = _ready(settings)
    click.echo("IAFactory semantic indexer", err=True)
    asyncio.run(_run_indexer(settings, runtime=runtime))


async def _run_indexer(settings: Settings, *, runtime: str) -> None:
    import signal

    from iafactory.db.pool import create_pool
    from iafactory.knowledge.embedding import Encoder
    from iafactory.knowledge.indexer import Indexer, IndexerLoop

    pool = await create_pool(
        runtime, min_size=1, max_size=2, statement_cache_size=settings.statement_cache_size
    )
    try:
        encoder = Encoder(threads=settings.embedding_threads)
        await asyncio.to_thread(encoder.load)
        loop = IndexerLoop(
            Indexer(pool, encoder),
            listen_dsn=settings.listen_database_url or runtime,
            poll_seconds=settings.indexer_poll_seconds,
        )
        loop.start()
        stopping = asyncio.Event()
        for signum in (signal.SIGTERM, signal.SIGINT):
            asyncio.get_running_loop().add_signal_handler(signum, stopping.set)
        await stopping.wait()
        await loop.stop()
    finally:
        await pool.close()
