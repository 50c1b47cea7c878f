"""Server CPU per nested GraphQL request, measured side by side in one run.

Each variant is a real `iafactory serve` process on the same database; the load generator
sends the same nested query at fixed concurrency; the server's own CPU time (user + system,
read from /proc through psutil) is divided by the number of requests.

    python -m bench request_path [--requests 2000] [--concurrency 8] [--variants compiled,general]

Variants: `compiled`, the default server (hot reads answered by one compiled statement,
asyncpg's per-release session reset skipped because identity lives only in
transaction-local settings); `general`, the same with IAFACTORY_COMPILED_READS=false (every
field through its resolver); `reset`, the default with asyncpg's reset on.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import psutil

from tests.support.database import cluster, lift_rate_limit, scratch_database
from tests.support.graphql import GraphQLClient, register
from tests.support.server import start_server

NESTED = """
{ projects(first: 10) { totalCount nodes { name createdBy { email }
    documents(first: 3) { totalCount nodes { title project { name } } } } } }
"""


VARIANTS: dict[str, tuple[str, dict[str, str]]] = {
    "compiled": ("iafactory (compiled reads)", {}),
    "general": ("iafactory (general path)", {"IAFACTORY_COMPILED_READS": "false"}),
    "reset": ("iafactory + asyncpg reset", {"IAFACTORY_POOL_RESET": "true"}),
}


@dataclass
class Result:
    name: str
    cpu_ms_per_request: float
    requests_per_second: float
    p50_ms: float
    p99_ms: float


def seed(client: GraphQLClient, token: str) -> None:
    for p in range(10):
        project = client.data(
            "mutation($n: String!) { createProject(input: {name: $n}) { id } }", {"n": f"P{p}"}, token=token
        )["createProject"]["id"]
        for d in range(3):
            client.data(
                "mutation($i: AddDocumentInput!) { addDocument(input: $i) { id } }",
                {
                    "i": {
                        "title": f"D{p}.{d}",
                        "content": "Les réseaux de neurones. " * 20,
                        "projectId": project,
                    }
                },
                token=token,
            )


async def load(url: str, token: str, *, requests: int, concurrency: int) -> list[float]:
    latencies: list[float] = []
    queue = iter(range(requests))
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(timeout=30, limits=httpx.Limits(max_connections=concurrency)) as http:

        async def worker() -> None:
            for _ in queue:
                started = time.perf_counter()
                response = await http.post(url, json={"query": NESTED}, headers=headers)
                latencies.append(time.perf_counter() - started)
                body = response.json()
                assert not body.get("errors"), body

        await asyncio.gather(*(worker() for _ in range(concurrency)))
    return latencies


def measure(name: str, database_url: str, data_dir: Path, args: argparse.Namespace, **env: str) -> Result:
    server = start_server(database_url, data_dir, IAFACTORY_LOG_LEVEL="WARNING", **env)
    try:
        client = GraphQLClient(server.graphql_url)
        account = register(client, name="bench")
        lift_rate_limit(database_url, account.tenant_id)  # 2,000 requests is far over FREE's 120/min
        seed(client, account.access_token)
        asyncio.run(
            load(server.graphql_url, account.access_token, requests=200, concurrency=args.concurrency)
        )
        process = psutil.Process(server.process.pid)
        before = process.cpu_times()
        started = time.perf_counter()
        latencies = asyncio.run(
            load(
                server.graphql_url, account.access_token, requests=args.requests, concurrency=args.concurrency
            )
        )
        elapsed = time.perf_counter() - started
        after = process.cpu_times()
    finally:
        server.stop()
    cpu = (after.user - before.user) + (after.system - before.system)
    latencies.sort()
    return Result(
        name=name,
        cpu_ms_per_request=1000 * cpu / args.requests,
        requests_per_second=args.requests / elapsed,
        p50_ms=1000 * statistics.median(latencies),
        p99_ms=1000 * latencies[int(0.99 * (len(latencies) - 1))],
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--variants", default="compiled,general")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="iafactory-bench-"))
    with (
        cluster(work / "embedded") as admin_url,
        scratch_database(admin_url, prefix="iafactory_bench") as database_url,
    ):
        results = [
            measure(VARIANTS[name][0], database_url, work / name, args, **VARIANTS[name][1])
            for name in args.variants.split(",")
        ]
    base = results[0]
    print(f"{args.requests} nested requests, concurrency {args.concurrency}")
    print(f"{'variant':32} {'CPU ms/req':>10} {'req/s':>8} {'p50 ms':>7} {'p99 ms':>7} {'CPU ratio':>9}")
    for r in results:
        print(
            f"{r.name:32} {r.cpu_ms_per_request:10.2f} {r.requests_per_second:8.0f} {r.p50_ms:7.1f}"
            f" {r.p99_ms:7.1f} {r.cpu_ms_per_request / base.cpu_ms_per_request:9.2f}"
        )


if __name__ == "__main__":
    main()
