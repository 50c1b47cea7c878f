"""Semantic search: quality by mode, indexing throughput, and search latency at 100,000 passages.

1. Quality: the paraphrase corpus (tests/knowledge/paraphrases.py) and the lexical corpus
   (tests/knowledge/corpus.py), each in a fresh tenant, searched in HYBRID, SEMANTIC and
   LEXICAL mode with the server's own SQL (db/queries/search.py): hit@1 / hit@3.
2. Indexing: `--index` real passages (bench/filler.py: real English and French prose, 250-800
   characters) embedded by the real indexer (claim, encode, store, finish) with 1 and then 2
   encoder threads: passages/s.
3. Latency: `--chunks` passages in ONE tenant, then the same number spread over TEN tenants
   (searching as one of them, in the HNSW graph all ten share), index built: p50 / p99 of a
   search (query encoding included) in each mode, for two kinds of query: the tests' questions
   and phrases of 3-5 words taken from the filler (their words are common there, the lexical
   half's worst case). Passages are pairs of 4,000 filler paragraphs (text joined, vectors
   summed: encoding 100,000 would take the 2-core machine ~20 minutes).

    python -m bench semantic [--chunks 100000] [--index 1000] [--queries 100]

Against TEST_DATABASE_URL or DATABASE_URL (a superuser URL), else an embedded PostgreSQL.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
import uuid
from pathlib import Path

import asyncpg

from bench.semantic_common import MODES, load_average, new_tenant, paragraphs, search
from bench.semantic_latency import latency
from iafactory.db.queries.documents import create as create_document
from iafactory.db.scope import DbRole, transaction
from iafactory.knowledge.embedding import MODEL, Encoder
from iafactory.knowledge.indexer import Indexer
from tests.knowledge import corpus, paraphrases
from tests.support.database import cluster, scratch_database


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
        async with transaction(pool, role=DbRole.APP, request_id="bench", tenant_id=tenant) as db:
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


async def throughput(pool: asyncpg.Pool, admin: asyncpg.Connection, count: int) -> None:
    for threads in (1, 2):
        encoder = Encoder(threads=threads)
        encoder.load()
        tenant = await new_tenant(admin, f"index-{threads}-{uuid.uuid4().hex[:6]}")
        async with transaction(pool, role=DbRole.APP, request_id="bench", tenant_id=tenant) as db:
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
            f" = {passages / elapsed:.0f} passages/s (load average {load_average()})"
        )


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
        if not args.skip_quality:
            await quality(pool, encoder, admin)
        print(f"indexing throughput ({args.index} documents):")
        if args.index:
            await throughput(pool, admin, args.index)
        print("search latency:")
        await latency(pool, encoder, admin, args.chunks, args.queries, args.explain, tuple(args.modes))
    finally:
        await admin.close()
        await pool.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chunks", type=int, default=100_000)
    parser.add_argument("--index", type=int, default=1000)
    parser.add_argument("--queries", type=int, default=100)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--skip-quality", action="store_true")
    parser.add_argument("--explain", help="a folder for EXPLAIN ANALYZE of a hybrid search")
    parser.add_argument("--modes", nargs="+", choices=MODES, default=list(MODES), help="modes timed")
    arguments = parser.parse_args()
    with (
        tempfile.TemporaryDirectory() as work,
        cluster(Path(work) / "embedded") as admin_url,
        scratch_database(admin_url, prefix="bench_sem") as url,
    ):
        asyncio.run(run(url, arguments))
