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
import random
import statistics
import tempfile
import time
import uuid
from pathlib import Path

import asyncpg
import numpy as np

from bench import filler
from iafactory.db.queries import search as search_queries
from iafactory.db.queries.documents import create as create_document
from iafactory.db.scope import autonomous_transaction
from iafactory.knowledge import query as search_query
from iafactory.knowledge.embedding import MODEL, VECTOR_BYTES, Encoder, to_sql
from iafactory.knowledge.indexer import Indexer
from iafactory.knowledge.snippets import MATCH_END, MATCH_START
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
    """(title, text) passages of real prose (bench/filler.py): two paragraphs each, titled
    with the first words of the first."""
    english, french = filler.paragraphs(limit=max(count, 2000) // 2 + 1, seed=seed)
    pool = english + french
    rng = random.Random(seed)
    out = []
    for _ in range(count):
        first, second = rng.sample(pool, 2)
        out.append((" ".join(first.split()[:6]).rstrip(".,:;"), f"{first} {second}"))
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
            f" = {passages / elapsed:.0f} passages/s (load average {load_average()})"
        )


async def fill(
    admin: asyncpg.Connection,
    tenants: list[uuid.UUID],
    total: int,
    pool: list[tuple[str, str]],
    pool_vectors: np.ndarray,
    seed: int,
) -> None:
    """`total` one-passage documents spread over `tenants`, with vectors, as the indexer leaves
    them: each joins two pool passages (title of the first, both texts, summed vectors)."""
    rng = np.random.default_rng(seed)
    per = total // len(tenants)
    for tenant in tenants:
        for start in range(0, per, 5000):
            n = min(5000, per - start)
            pairs = rng.integers(0, len(pool), size=(n, 2))
            mixed = pool_vectors[pairs[:, 0]] + pool_vectors[pairs[:, 1]]
            mixed /= np.linalg.norm(mixed, axis=1, keepdims=True)
            ids = await admin.fetch(
                "WITH d AS (INSERT INTO documents"
                "   (tenant_id, title, content, source, indexed_at, embedding_bytes)"
                " SELECT $1, t.title, t.text, 'TEXT', now(), $4"
                " FROM unnest($2::text[], $3::text[]) AS t (title, text)"
                " RETURNING tenant_id, id, title, content)"
                " INSERT INTO document_chunks"
                "   (tenant_id, document_id, position, start_offset, title, content)"
                " SELECT tenant_id, id, 0, 0, title, content FROM d RETURNING id",
                tenant,
                [pool[a][0] for a, _ in pairs],
                [pool[a][1] + " " + pool[b][1] for a, b in pairs],
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


def phrases(pool: list[tuple[str, str]], count: int, seed: int) -> list[str]:
    """Runs of 3-5 words from the filler: what a user remembers of a passage."""
    rng = random.Random(seed)
    out = []
    while len(out) < count:
        words = rng.choice(pool)[1].split()
        length = rng.randint(3, 5)
        start = rng.randrange(max(1, len(words) - length))
        out.append(" ".join(words[start : start + length]))
    return out


async def timings(
    pool: asyncpg.Pool, encoder: Encoder, tenant: uuid.UUID, texts: list[str], mode: str
) -> str:
    measured, timed_out = [], 0
    for n, text in enumerate([*texts[:5], *texts]):
        started = time.perf_counter()
        try:
            await search(pool, encoder, tenant, text, mode)
        except asyncpg.QueryCanceledError:
            timed_out += 1
        if n >= 5:  # the first five warm the caches up
            measured.append((time.perf_counter() - started) * 1000)
    measured.sort()
    p99 = measured[min(len(measured) - 1, int(len(measured) * 0.99))]
    late = f", {timed_out} hit the 5 s statement timeout" if timed_out else ""
    return f"p50 {statistics.median(measured):7.1f} ms  p99 {p99:7.1f} ms ({len(measured)}{late})"


async def explained(pool: asyncpg.Pool, encoder: Encoder, tenant: uuid.UUID, text: str) -> str:
    """EXPLAIN ANALYZE of one hybrid search (which indexes the plan uses, at this size)."""
    terms = search_query.parse(text)
    vector = to_sql((await asyncio.to_thread(encoder.encode, [text]))[0])
    nearest = max(search_queries.MIN_NEAREST, search_queries.NEAREST_PER_HIT * 10)
    async with autonomous_transaction(pool, request_id="bench", tenant_id=tenant) as db:
        rows = await db.fetch(
            "EXPLAIN (ANALYZE, BUFFERS) " + search_queries.HYBRID,
            *(tenant, terms.words, terms.fuzzy, None, 10, MATCH_START + MATCH_END),
            *(search_queries.HEADLINE_OPTIONS, vector, MODEL, nearest, search_queries.LEXICAL_WEIGHT),
        )
    return f"{text!r}\n" + "\n".join(row[0] for row in rows)


async def latency(
    pool: asyncpg.Pool,
    encoder: Encoder,
    admin: asyncpg.Connection,
    chunks: int,
    queries: int,
    explain: str | None = None,
    modes: tuple[str, ...] = MODES,
) -> None:
    base = paragraphs(4000, seed=7)
    started = time.perf_counter()
    base_vectors = await asyncio.to_thread(encoder.encode, [text for _, text in base])
    print(f"  {len(base)} filler passages encoded in {time.perf_counter() - started:.0f} s")
    questions = [q.text for q in paraphrases.QUERIES + corpus.QUERIES]
    kinds = {
        "questions": (questions * (queries // len(questions) + 1))[:queries],
        "phrases": phrases(base, queries, seed=3),
    }
    await admin.execute("SET ROLE iafactory_owner")  # bulk loads bypass the quota triggers, as an import does
    for label, count in (("1 tenant", 1), ("10 tenants", 10)):
        await admin.execute("TRUNCATE chunk_embeddings, document_chunks, documents, embedding_jobs CASCADE")
        await admin.execute("DROP INDEX IF EXISTS chunk_embeddings_hnsw")
        tenants = [await new_tenant(admin, f"load-{uuid.uuid4().hex[:8]}") for _ in range(count)]
        started = time.perf_counter()
        await fill(admin, tenants, chunks, base, base_vectors, seed=count)
        loaded = time.perf_counter() - started
        started = time.perf_counter()
        await admin.execute("SET maintenance_work_mem = '512MB'")
        await admin.execute(
            "CREATE INDEX chunk_embeddings_hnsw ON chunk_embeddings"
            " USING hnsw (embedding public.vector_ip_ops)"
        )
        await admin.execute("VACUUM ANALYZE documents, document_chunks, chunk_embeddings")
        built = time.perf_counter() - started
        print(
            f"  {label} ({chunks // count} passages each): loaded in {loaded:.0f} s,"
            f" HNSW built in {built:.0f} s; load average {load_average()}"
        )
        if explain:
            plan = await explained(pool, encoder, tenants[0], kinds["phrases"][0])
            await asyncio.to_thread(Path(explain, f"hybrid-{count}.txt").write_text, plan)
        for mode in modes:
            for kind, texts in kinds.items():
                print(f"    {mode:8s} {kind:9s} {await timings(pool, encoder, tenants[0], texts, mode)}")
        print(f"    load average after: {load_average()}")
    await admin.execute("RESET ROLE")


def load_average() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


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
        scratch_database(cluster_url(Path(work)), prefix="bench_sem") as url,
    ):
        asyncio.run(run(url, arguments))
