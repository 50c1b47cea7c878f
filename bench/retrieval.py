"""Retrieval quality and search latency, measured side by side in one run.

The corpus of tests/knowledge/corpus.py (36 French and English documents, 38 queries with
the document each should find first) is loaded into a fresh tenant through the API; then the
same queries run again after `--noise` filler documents (made of the corpus's own words)
are added to that tenant, and after as many again are added to another tenant (which must
change nothing: search never reads another tenant's postings).

    python -m bench.retrieval [--noise 5000] [--repeat 5]

Against TEST_DATABASE_URL or DATABASE_URL (a superuser URL) when set, else an embedded
PostgreSQL. Prints hit@1, hit@3, MRR and the p50 / p95 latency of searchKnowledge.
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

from iafactory.db.queries import documents
from tests.knowledge import corpus
from tests.support.database import cluster, lift_rate_limit, run_sql, scratch_database, superuser
from tests.support.graphql import GraphQLClient, register
from tests.support.server import start_server

SEARCH = "query($q: String!) { searchKnowledge(query: $q, first: 10) { score } }"


async def add_noise(database_url: str, tenant_id: str, count: int, seed: int) -> None:
    """Filler documents built from the corpus's words, so that they compete for every query."""
    words = [w for doc in corpus.DOCUMENTS for w in doc.content.replace(",", " ").split()]
    rng = random.Random(seed)
    async with superuser(database_url) as connection, connection.transaction():
        for n in range(count):
            text = " ".join(rng.choice(words) for _ in range(rng.randint(30, 120)))
            await documents.create(
                connection,
                tenant_id=uuid.UUID(tenant_id),
                project_id=None,
                title=f"Filler {n}",
                content=text,
                source="TEXT",
                created_by=None,
            )


def latencies(client: GraphQLClient, token: str, repeat: int) -> tuple[float, float]:
    timings = []
    for _ in range(repeat):
        for query in corpus.QUERIES:
            start = time.perf_counter()
            client.data(SEARCH, {"q": query.text}, token=token)
            timings.append((time.perf_counter() - start) * 1000)
    timings.sort()
    return statistics.median(timings), timings[int(len(timings) * 0.95)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--noise", type=int, default=5000, help="filler documents per tenant")
    parser.add_argument("--repeat", type=int, default=5, help="runs of the query set for latency")
    args = parser.parse_args()

    scratch = Path(tempfile.mkdtemp(prefix="bench-retrieval-"))
    with cluster(scratch / "embedded") as admin, scratch_database(admin, prefix="iafactory_bench") as url:
        measure(url, admin, scratch, args)


def measure(url: str, admin: str, scratch: Path, args: argparse.Namespace) -> None:
    server = None
    try:
        server = start_server(url, scratch / "server")
        client = GraphQLClient(server.graphql_url)
        owner, other = register(client, name="bench"), register(client, name="neighbour")
        for account in (owner, other):
            lift_rate_limit(url, account.tenant_id)
        keys = corpus.load(client, owner.access_token)

        rows = []
        for label, prepare in [
            (f"corpus alone ({len(corpus.DOCUMENTS)} documents)", None),
            (f"+ {args.noise} filler documents", lambda: add_noise(url, owner.tenant_id, args.noise, 1)),
            (f"+ {args.noise} in another tenant", lambda: add_noise(url, other.tenant_id, args.noise, 2)),
        ]:
            if prepare is not None:
                asyncio.run(prepare())
                run_sql(url, "VACUUM ANALYZE document_chunks", "VACUUM ANALYZE knowledge_words")
            report = corpus.evaluate(client, owner.access_token, keys)
            p50, p95 = latencies(client, owner.access_token, args.repeat)
            rows.append((label, report, p50, p95))

        print(f"\n{len(corpus.QUERIES)} queries, PostgreSQL at {admin.rsplit('@', 1)[-1]}")
        for label, report, p50, p95 in rows:
            print(f"{label:<40} {report.line()}  latency p50 {p50:.1f} ms  p95 {p95:.1f} ms")
        for miss in rows[-1][1].misses:
            print("  not first:", miss)
    finally:
        if server is not None:
            server.stop()


if __name__ == "__main__":
    main()
