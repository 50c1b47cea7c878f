"""Semantic search: quality by mode, indexing throughput, and search latency at 100,000 passages.

1. Quality: the paraphrase corpus (tests/knowledge/paraphrases.py) and the lexical corpus
   (tests/knowledge/corpus.py), each in a fresh tenant, searched in HYBRID, SEMANTIC and
   LEXICAL mode with the server's own SQL (db/queries/search.py): hit@1 / hit@3.
2. Indexing: `--index` real passages (paragraphs of 200-600 characters) embedded by the real
   indexer (claim, encode, store, finish) with 1 and then 2 encoder threads: passages/s.
3. Latency: `--chunks` passages in ONE tenant, then the same number spread over TEN tenants
   (searching as one of them), HNSW index built: p50 / p99 of a search (query encoding
   included) in HYBRID and SEMANTIC mode. Their vectors are mixtures of pairs of 2,000 encoded
   passages (encoding 100,000 would take the 2-core machine ~20 minutes); the text of each is
   the pair's text, so the lexical side has real work too.

    python -m bench semantic [--chunks 100000] [--index 1000] [--queries 200]

Against TEST_DATABASE_URL or DATABASE_URL (a superuser URL), else an embedded PostgreSQL.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import tempfile
import time
import uuid
from pathlib import Path

import asyncpg
import numpy as np

from iafactory.db.queries import search as search_queries
from iafactory.db.queries.documents import create as create_document
from iafactory.db.scope import autonomous_transaction
from iafactory.knowledge import query as search_query
from iafactory.knowledge.embedding import MODEL, VECTOR_BYTES, Encoder, encode_passages, to_sql
from iafactory.knowledge.indexer import Indexer
from tests.conftest import cluster_url, scratch_database
from tests.knowledge import corpus, paraphrases

MODES = ("HYBRID", "SEMANTIC", "LEXICAL")


async def new_tenant(connection: asyncpg.Connection, name: str) -> uuid.UUID:
    tenant: uuid.UUID = await connection.fetchval(
        "INSERT INTO tenants (name, slug, plan) VALUES ($1, $1, 'ENTERPRISE') RETURNING id", name
    )
    return tenant


async def search(
    pool: asyncpg.Pool, encoder: Encoder, tenant: uuid.UUID, text: str, mode: str, first: int = 10
) -> list[asyncpg.Record]:
    terms = search_query.parse(text)
    meaning = None
    if mode != "LEXICAL":
        vector = (await asyncio.to_thread(encoder.encode, [text]))[0]
        weight = 0.0 if mode == "SEMANTIC" else search_queries.LEXICAL_WEIGHT
        meaning = search_queries.Meaning(to_sql(vector), MODEL, weight)
    async with autonomous_transaction(pool, request_id="bench", tenant_id=tenant) as db:
        return await search_queries.search(
            db,
            tenant_id=tenant,
            words=terms.words,
            fuzzy=terms.fuzzy,
            project_id=None,
            first=first,
            meaning=meaning,
        )


async def quality(pool: asyncpg.Pool, encoder: Encoder, admin: asyncpg.Connection) -> None:
    sets = {
        "paraphrases": (paraphrases.DOCUMENTS + paraphrases.IDENTIFIER_DOCUMENTS, paraphrases.QUERIES),
        "identifiers": (
            paraphrases.DOCUMENTS + paraphrases.IDENTIFIER_DOCUMENTS,
            paraphrases.IDENTIFIER_QUERIES,
        ),
        "lexical corpus": (corpus.DOCUMENTS, corpus.QUERIES),
    }
    indexer = Indexer(pool, encoder)
    for name, (docs, queries) in sets.items():
        tenant = await new_tenant(admin, f"quality-{uuid.uuid4().hex[:8]}")
        keys = {}
        async with autonomous_transaction(pool, request_id="bench", tenant_id=tenant) as db:
            for doc in docs:
                row = await create_document(
                    db,
                    tenant_id=tenant,
                    project_id=None,
                    title=doc.title,
                    content=doc.content,
                    source="TEXT",
                    created_by=None,
                )
                keys[row["id"]] = doc.key
        while await indexer.step(only=tenant) is not None:
            pass
        line = []
        for mode in MODES:
            at_1 = at_3 = 0
            for query in queries:
                ranked = [keys[row["id"]] for row in await search(pool, encoder, tenant, query.text, mode)]
                at_1 += ranked[:1] == [query.expected]
                at_3 += query.expected in ranked[:3]
            line.append(f"{mode} {at_1 / len(queries):.3f}/{at_3 / len(queries):.3f}")
        print(f"  {name:15s} ({len(queries)} queries) hit@1/hit@3:  " + "   ".join(line))
    indexer.close()


def paragraphs(count: int, seed: int) -> list[tuple[str, str]]:
    """(title, text) passages of 200-600 characters made of the corpora's sentences."""
    sentences = [
        s.strip() + "."
        for d in paraphrases.DOCUMENTS + corpus.DOCUMENTS
        for s in d.content.split(".")
        if s.strip()
    ]
    rng = random.Random(seed)
    out = []
    for n in range(count):
        text = ""
        while len(text) < rng.randint(200, 600):
            text += " " + rng.choice(sentences)
        out.append((f"Note {n}", text.strip()))
    return out


async def throughput(pool: asyncpg.Pool, admin: asyncpg.Connection, count: int) -> None:
    for threads in (1, 2):
        encoder = Encoder(threads=threads)
        encoder.load()
        tenant = await new_tenant(admin, f"index-{threads}-{uuid.uuid4().hex[:6]}")
        async with autonomous_transaction(pool, request_id="bench", tenant_id=tenant) as db:
            for title, text in paragraphs(count, seed=threads):
                await create_document(
                    db,
                    tenant_id=tenant,
                    project_id=None,
                    title=title,
                    content=text,
                    source="TEXT",
                    created_by=None,
                )
        indexer = Indexer(pool, encoder)
        started, passages = time.perf_counter(), 0
        while (batch := await indexer.step(only=tenant)) is not None:
            passages += batch.passages
        elapsed = time.perf_counter() - started
        indexer.close()
        print(
            f"  {threads} thread(s): {passages} passages in {elapsed:.1f} s"
            f" = {passages / elapsed:.0f} passages/s"
        )


async def fill(
    admin: asyncpg.Connection,
    tenants: list[uuid.UUID],
    total: int,
    pool_texts: list[str],
    pool_vectors: np.ndarray,
    seed: int,
) -> None:
    """`total` one-passage documents spread over `tenants`, with vectors, as the indexer leaves them."""
    rng = np.random.default_rng(seed)
    per = total // len(tenants)
    for tenant in tenants:
        for start in range(0, per, 5000):
            n = min(5000, per - start)
            pairs = rng.integers(0, len(pool_texts), size=(n, 2))
            mixed = pool_vectors[pairs[:, 0]] + pool_vectors[pairs[:, 1]]
            mixed /= np.linalg.norm(mixed, axis=1, keepdims=True)
            texts = [pool_texts[a] + " " + pool_texts[b] for a, b in pairs]
            ids = await admin.fetch(
                "WITH d AS (INSERT INTO documents"
                "   (tenant_id, title, content, source, indexed_at, embedding_bytes)"
                " SELECT $1, 'Passage ' || t.n, t.text, 'TEXT', now(), $3"
                " FROM unnest($2::text[]) WITH ORDINALITY AS t (text, n)"
                " RETURNING tenant_id, id, title, content)"
                " INSERT INTO document_chunks"
                "   (tenant_id, document_id, position, start_offset, title, content)"
                " SELECT tenant_id, id, 0, 0, title, content FROM d RETURNING id",
                tenant,
                texts,
                VECTOR_BYTES,
            )
            await admin.execute(
                "INSERT INTO chunk_embeddings (tenant_id, chunk_id, model, embedding)"
                " SELECT $1, c, $3, v::public.vector FROM unnest($2::uuid[], $4::text[]) AS x (c, v)",
                tenant,
                [r["id"] for r in ids],
                MODEL,
                [to_sql(v) for v in mixed],
            )
    await admin.execute("DELETE FROM embedding_jobs WHERE tenant_id = ANY($1::uuid[])", tenants)


async def latency(
    pool: asyncpg.Pool, encoder: Encoder, admin: asyncpg.Connection, chunks: int, queries: int
) -> None:
    pool_passages = paragraphs(2000, seed=7)
    pool_vectors = await asyncio.to_thread(encode_passages, encoder, pool_passages)
    pool_texts = [text for _, text in pool_passages]
    texts = [q.text for q in paraphrases.QUERIES + corpus.QUERIES]
    await admin.execute("SET ROLE iafactory_owner")  # bulk loads bypass the quota triggers, as an import does
    for label, count in (("1 tenant", 1), ("10 tenants", 10)):
        await admin.execute("TRUNCATE chunk_embeddings, document_chunks, documents, embedding_jobs CASCADE")
        await admin.execute("DROP INDEX IF EXISTS chunk_embeddings_hnsw")
        tenants = [await new_tenant(admin, f"load-{uuid.uuid4().hex[:8]}") for _ in range(count)]
        started = time.perf_counter()
        await fill(admin, tenants, chunks, pool_texts, pool_vectors, seed=count)
        loaded = time.perf_counter() - started
        started = time.perf_counter()
        await admin.execute("SET maintenance_work_mem = '512MB'")
        await admin.execute(
            "CREATE INDEX chunk_embeddings_hnsw ON chunk_embeddings"
            " USING hnsw (embedding public.vector_ip_ops)"
        )
        await admin.execute("ANALYZE documents, document_chunks, chunk_embeddings")
        built = time.perf_counter() - started
        print(f"  {label}: {chunks} passages loaded in {loaded:.0f} s, HNSW built in {built:.0f} s")
        for mode in ("HYBRID", "SEMANTIC"):
            timings = []
            for n in range(queries + 10):
                started = time.perf_counter()
                await search(pool, encoder, tenants[0], texts[n % len(texts)], mode)
                if n >= 10:  # warm-up
                    timings.append((time.perf_counter() - started) * 1000)
            timings.sort()
            p99 = timings[min(len(timings) - 1, int(len(timings) * 0.99))]
            print(
                f"    {mode:8s} p50 {statistics.median(timings):6.1f} ms   p99 {p99:6.1f} ms"
                f"   ({len(timings)} searches)"
            )
    await admin.execute("RESET ROLE")


async def run(url: str, args: argparse.Namespace) -> None:
    pool = await asyncpg.create_pool(url, min_size=1, max_size=4)
    admin = await asyncpg.connect(url)
    try:
        if not await admin.fetchval("SELECT to_regclass('public.chunk_embeddings') IS NOT NULL"):
            raise SystemExit("pgvector is not installed on this PostgreSQL server (.ci/build-pgvector)")
        encoder = Encoder(threads=args.threads)
        encoder.load()
        print(f"model {MODEL}, {args.threads} encoder thread(s) for searches")
        print("quality (the server's SQL):")
        await quality(pool, encoder, admin)
        print(f"indexing throughput ({args.index} documents):")
        await throughput(pool, admin, args.index)
        print("search latency:")
        await latency(pool, encoder, admin, args.chunks, args.queries)
    finally:
        await admin.close()
        await pool.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chunks", type=int, default=100_000)
    parser.add_argument("--index", type=int, default=1000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--threads", type=int, default=1)
    arguments = parser.parse_args()
    with (
        tempfile.TemporaryDirectory() as work,
        scratch_database(cluster_url(Path(work)), prefix="bench_sem") as url,
    ):
        asyncio.run(run(url, arguments))
