"""Automatic persisted queries: request size and server CPU per request of a hash-only GET
against the full POST of the same nested query, side by side on one server in one run.

    python -m bench apq [--requests 2000] [--concurrency 8] [--rounds 4]

The two variants alternate in rounds on the same `iafactory serve` process (so drift in the
machine's load falls on both); the server's own CPU time (user + system, from /proc through
psutil) is divided by the number of requests. Sizes are what the client puts on the wire:
the URL and the body, then the whole request with httpx's headers and the bearer token.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import statistics
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psutil

from bench.request_path import seed
from tests.support.database import cluster, lift_rate_limit, scratch_database
from tests.support.graphql import GraphQLClient, register
from tests.support.server import start_server

# request_path's nested query as Apollo Client sends it: printed, with the __typename fields
# its cache adds.
NESTED = """query ProjectsWithDocuments {
  projects(first: 10) {
    totalCount
    nodes {
      name
      createdBy {
        email
        __typename
      }
      documents(first: 3) {
        totalCount
        nodes {
          title
          project {
            name
            __typename
          }
          __typename
        }
        __typename
      }
      __typename
    }
    __typename
  }
}"""
EXTENSIONS = {"persistedQuery": {"version": 1, "sha256Hash": hashlib.sha256(NESTED.encode()).hexdigest()}}


@dataclass
class Variant:
    name: str
    request: dict[str, Any]  # httpx.request keyword arguments, less the URL and the token
    cpu_seconds: float = 0.0
    wall_seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)


def wire_sizes(url: str, token: str, variant: Variant) -> tuple[int, int]:
    """(URL + body, the whole HTTP/1.1 request) in bytes."""
    with httpx.Client() as http:
        built = http.build_request(url=url, headers={"Authorization": f"Bearer {token}"}, **variant.request)
    target = built.url.raw_path
    head = f"{built.method} {target.decode()} HTTP/1.1\r\n".encode() + b"".join(
        name + b": " + value + b"\r\n" for name, value in built.headers.raw
    )
    body = built.read()
    return len(str(built.url)) + len(body), len(head) + 2 + len(body)


async def load(url: str, token: str, variant: Variant, *, requests: int, concurrency: int) -> None:
    queue = iter(range(requests))
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(timeout=30, limits=httpx.Limits(max_connections=concurrency)) as http:

        async def worker() -> None:
            for _ in queue:
                started = time.perf_counter()
                response = await http.request(url=url, headers=headers, **variant.request)
                variant.latencies.append(time.perf_counter() - started)
                body = response.json()
                assert not body.get("errors"), body

        await asyncio.gather(*(worker() for _ in range(concurrency)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=2000, help="per variant")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=4)
    args = parser.parse_args()
    full = Variant("full POST (query text)", {"method": "POST", "json": {"query": NESTED}})
    hashed = Variant(
        "APQ hash-only GET",
        {"method": "GET", "params": {"extensions": json.dumps(EXTENSIONS, separators=(",", ":"))}},
    )
    variants = [full, hashed]
    work = Path(tempfile.mkdtemp(prefix="iafactory-bench-"))
    with (
        cluster(work / "embedded") as admin_url,
        scratch_database(admin_url, prefix="iafactory_bench") as database_url,
    ):
        server = start_server(database_url, work / "server", IAFACTORY_LOG_LEVEL="WARNING")
        try:
            client = GraphQLClient(server.graphql_url)
            account = register(client, name="bench")
            lift_rate_limit(database_url, account.tenant_id)
            seed(client, account.access_token)
            token, url = account.access_token, server.graphql_url
            registered = client.http.post(
                url,
                json={"query": NESTED, "extensions": EXTENSIONS},
                headers={"Authorization": f"Bearer {token}"},
            )
            assert not registered.json().get("errors"), registered.text
            sizes = {variant.name: wire_sizes(url, token, variant) for variant in variants}
            for variant in variants:  # warm-up: caches, connections, the pool
                asyncio.run(load(url, token, variant, requests=200, concurrency=args.concurrency))
                variant.latencies.clear()
            process = psutil.Process(server.process.pid)
            per_round = args.requests // args.rounds
            for _ in range(args.rounds):
                for variant in variants:
                    before, started = process.cpu_times(), time.perf_counter()
                    asyncio.run(load(url, token, variant, requests=per_round, concurrency=args.concurrency))
                    variant.wall_seconds += time.perf_counter() - started
                    after = process.cpu_times()
                    variant.cpu_seconds += (after.user - before.user) + (after.system - before.system)
        finally:
            server.stop()
    total = per_round * args.rounds
    print(f"{total} requests per variant in {args.rounds} alternating rounds, concurrency {args.concurrency}")
    print(
        f"{'variant':26} {'URL+body B':>10} {'request B':>9} {'CPU ms/req':>10} {'req/s':>7}"
        f" {'p50 ms':>7} {'CPU ratio':>9}"
    )
    for variant in variants:
        payload, whole = sizes[variant.name]
        cpu, ratio = 1000 * variant.cpu_seconds / total, variant.cpu_seconds / full.cpu_seconds
        print(
            f"{variant.name:26} {payload:10} {whole:9} {cpu:10.2f} {total / variant.wall_seconds:7.0f}"
            f" {1000 * statistics.median(variant.latencies):7.1f} {ratio:9.2f}"
        )


if __name__ == "__main__":
    main()
