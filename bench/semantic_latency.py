"""Search latency at scale (part 3 of bench/semantic.py): `chunks` passages in one tenant, then
spread over ten, p50 / p99 by mode and kind of query."""

from __future__ import annotations

import asyncio
import random
import statistics
import time
import uuid
from pathlib import Path

import asyncpg
import numpy as np

from bench.semantic_common import MODES, load_average, new_tenant, paragraphs, search
from iafactory.db.queries import search as search_queries
from iafactory.db.scope import DbRole, transaction
from iafactory.knowledge import query as search_query
from iafactory.knowledge.embedding import MODEL, VECTOR_BYTES, Encoder, to_sql
from iafactory.knowledge.snippets import MATCH_END, MATCH_START
from tests.knowledge import corpus, paraphrases


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
    async with transaction(pool, role=DbRole.APP, request_id="bench", tenant_id=tenant) as db:
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
