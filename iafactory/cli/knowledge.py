"""Knowledge-base commands: `knowledge reindex [SLUG]`, `knowledge indexer`."""

from __future__ import annotations

import asyncio
import time
from uuid import UUID

import click

from iafactory.cli import database_url, fail, load_settings, main
from iafactory.db import migrate, vector
from iafactory.settings import Settings


@main.group()
def knowledge() -> None:
    """The knowledge base's semantic index."""


def _ready(settings: Settings) -> str:
    dsn, _ = database_url(settings)
    migrate.upgrade(dsn)
    status = vector.install(dsn)
    if not status.installed:
        fail(status.message())
    return dsn


@knowledge.command("reindex")
@click.argument("slug", required=False)
def reindex(slug: str | None) -> None:
    """Embed every passage (of tenant SLUG, or of all tenants) that has no vector of the
    current model: after a model upgrade, an import, or failures. Runs here until done;
    servers' indexers share the work meanwhile."""
    settings = load_settings()
    dsn = _ready(settings)
    asyncio.run(_reindex(dsn, settings, slug))


async def _reindex(dsn: str, settings: Settings, slug: str | None) -> None:
    from iafactory.db.pool import create_pool
    from iafactory.db.queries import embeddings
    from iafactory.knowledge.embedding import MODEL, Encoder
    from iafactory.knowledge.indexer import Indexer

    pool = await create_pool(dsn, min_size=1, max_size=2, statement_cache_size=settings.statement_cache_size)
    try:
        async with pool.acquire() as connection, connection.transaction():
            # Across tenants: the owner role (BYPASSRLS), as for the other operator commands.
            await connection.execute("SET LOCAL ROLE iafactory_owner")
            tenant_id: UUID | None = None
            if slug is not None:
                tenant_id = await connection.fetchval("SELECT id FROM tenants WHERE slug = $1", slug)
                if tenant_id is None:
                    fail(f"no tenant with slug {slug!r}")
            queued = await embeddings.queue_stale(connection, tenant_id=tenant_id, model=MODEL)
        click.echo(f"{queued} document(s) to index with {MODEL}", err=True)
        encoder = Encoder(threads=settings.embedding_threads)
        await asyncio.to_thread(encoder.load)
        indexer = Indexer(pool, encoder)
        started, passages, documents = time.monotonic(), 0, 0
        while (batch := await indexer.step(only=tenant_id)) is not None:
            passages += batch.passages
            documents += batch.documents
            rate = passages / max(time.monotonic() - started, 1e-9)
            line = f"\r{documents} document(s), {passages} passage(s), {rate:.0f} passages/s"
            click.echo(line, nl=False, err=True)
        indexer.close()
        async with pool.acquire() as connection, connection.transaction():
            await connection.execute("SET LOCAL ROLE iafactory_owner")
            _, failed = await embeddings.backlog(connection, tenant_id=tenant_id)
        click.echo(f"\nindexed {documents} document(s), {passages} passage(s)", err=True)
        if failed:
            reason = "see embedding_jobs.error; they are found by their words only"
            click.echo(f"{failed} document(s) FAILED ({reason})", err=True)
    finally:
        await pool.close()


@knowledge.command("indexer")
def indexer_command() -> None:
    """Run the semantic indexer only (no HTTP), until SIGTERM; several may run at once.
    Servers index too unless IAFACTORY_INDEXER=false."""
    from iafactory.logging import configure_logging

    settings = load_settings()
    configure_logging(settings)
    dsn = _ready(settings)
    click.echo("IAFactory semantic indexer", err=True)
    asyncio.run(_run_indexer(dsn, settings))


async def _run_indexer(dsn: str, settings: Settings) -> None:
    import signal

    from iafactory.db.pool import create_pool
    from iafactory.knowledge.embedding import Encoder
    from iafactory.knowledge.indexer import Indexer, IndexerLoop

    pool = await create_pool(dsn, min_size=1, max_size=2, statement_cache_size=settings.statement_cache_size)
    try:
        encoder = Encoder(threads=settings.embedding_threads)
        await asyncio.to_thread(encoder.load)
        loop = IndexerLoop(
            Indexer(pool, encoder),
            listen_dsn=settings.listen_database_url or dsn,
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
