"""Soak: minutes of mixed load from several tenants against one real server, on loopback.

    python -m bench soak [--seconds 300] [--tenants 4] [--clients 3]

Each tenant runs `--clients` request loops (nested reads, search, writes and deletes) and one
voice loop (upload a short clip, follow its progress over a WebSocket to the end). The server
runs one in-process transcription worker with the bundled `tiny.en` model. Measured: the
server's resident memory after a warm-up and at the end (growth must stay under 10 %), every
error (there must be none), latency percentiles per kind of operation, and the connections
left idle in a transaction at the end (there must be none). Exits 1 when a bound is broken.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import psutil
import psycopg

from tests.support.database import cluster, lift_rate_limit, scratch_database
from tests.support.graphql import GraphQLClient, register
from tests.support.server import start_server
from tests.support.subscriptions import Subscriber, events
from tests.support.upload import clip

WARM_UP_SECONDS = 30
RSS_GROWTH_LIMIT = 0.10
READ = """{ projects(first: 10) { totalCount nodes { name documents(first: 3) { totalCount nodes { title } } } }
  me { role user { email } } }"""  # noqa: E501 - one query, as a client writes it
SEARCH = '{ searchKnowledge(query: "réseaux neurones", first: 5) { score snippet document { title } } }'
CREATE = "mutation($n: String!) { createProject(input: {name: $n}) { id } }"
ADD = "mutation($i: AddDocumentInput!) { addDocument(input: $i) { id } }"
DELETE = "mutation($id: ID!) { deleteProject(id: $id) }"
UPLOAD = "mutation($file: Upload!) { transcribeAudio(file: $file) { id } }"
PROGRESS = (
    "subscription($id: ID!) { transcriptionProgress(id: $id) { transcription { status } segment { text } } }"
)


@dataclass
class Tally:
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: list[str] = field(default_factory=list)

    def record(self, kind: str, seconds: float, error: str | None = None) -> None:
        self.latencies[kind].append(seconds)
        if error:
            self.errors.append(f"{kind}: {error[:300]}")


async def call(
    http: httpx.AsyncClient,
    url: str,
    token: str,
    tally: Tally,
    kind: str,
    query: str,
    variables: dict | None = None,
) -> dict:
    started = time.perf_counter()
    try:
        response = await http.post(
            url,
            json={"query": query, "variables": variables or {}},
            headers={"Authorization": f"Bearer {token}"},
        )
        body = response.json()
    except (httpx.HTTPError, ValueError) as error:
        tally.record(kind, time.perf_counter() - started, repr(error))
        return {}
    errors = body.get("errors")
    tally.record(kind, time.perf_counter() - started, json.dumps(errors) if errors else None)
    return body.get("data") or {}


async def requests_loop(url: str, token: str, tally: Tally, until: float, seed: int) -> None:
    rng = random.Random(seed)
    mine: list[str] = []
    async with httpx.AsyncClient(timeout=60) as http:
        while time.monotonic() < until:
            roll = rng.random()
            if roll < 0.55:
                await call(http, url, token, tally, "read", READ)
            elif roll < 0.7:
                await call(http, url, token, tally, "search", SEARCH)
            elif roll < 0.85 or not mine:
                data = await call(
                    http, url, token, tally, "create", CREATE, {"n": f"soak {rng.random():.6f}"}
                )
                if data:
                    mine.append(data["createProject"]["id"])
                    await call(
                        http,
                        url,
                        token,
                        tally,
                        "add",
                        ADD,
                        {
                            "i": {
                                "title": "Réseaux",
                                "content": "Les réseaux de neurones apprennent. " * 30,
                                "projectId": mine[-1],
                            }
                        },
                    )
            else:
                await call(http, url, token, tally, "delete", DELETE, {"id": mine.pop(0)})
            await asyncio.sleep(rng.uniform(0.02, 0.1))


async def voice_loop(url: str, ws_url: str, token: str, tally: Tally, until: float, audio: bytes) -> None:
    async with httpx.AsyncClient(timeout=60) as http:
        while time.monotonic() < until:
            started = time.perf_counter()
            response = await http.post(
                url,
                data={
                    "operations": json.dumps({"query": UPLOAD, "variables": {"file": None}}),
                    "map": json.dumps({"0": ["variables.file"]}),
                },
                files={"0": ("clip.wav", audio, "audio/wav")},
                headers={"Authorization": f"Bearer {token}", "Apollo-Require-Preflight": "true"},
            )
            body = response.json()
            if body.get("errors"):
                tally.record("upload", time.perf_counter() - started, json.dumps(body["errors"]))
                continue
            tally.record("upload", time.perf_counter() - started)
            await follow(ws_url, token, body["data"]["transcribeAudio"]["id"], tally)
            await asyncio.sleep(5)


async def follow(ws_url: str, token: str, job: str, tally: Tally) -> None:
    started = time.perf_counter()
    messages = await Subscriber(ws_url, token).follow(job, query=PROGRESS, within=300)
    for message in messages:
        if message.type == "next" and message.payload.get("errors"):
            tally.record("subscription", 0, json.dumps(message.payload["errors"]))
            return
    progress = events(messages)
    status = progress[-1]["transcription"]["status"] if progress else None
    tally.record(
        "transcription", time.perf_counter() - started, None if status == "COMPLETED" else f"ended {status}"
    )


async def soak(args: argparse.Namespace, server_url: str, tokens: list[str]) -> Tally:
    tally = Tally()
    until = time.monotonic() + args.seconds
    url, ws_url = f"{server_url}/graphql", f"{server_url.replace('http', 'ws')}/graphql"
    audio = clip(3.0)
    loops = [
        requests_loop(url, token, tally, until, seed=100 * t + c)
        for t, token in enumerate(tokens)
        for c in range(args.clients)
    ]
    loops += [voice_loop(url, ws_url, token, tally, until, audio) for token in tokens]
    await asyncio.gather(*loops)
    return tally


def rss_sampler(pid: int, samples: list[tuple[float, int]], stop: asyncio.Event) -> asyncio.Task[None]:
    async def sample() -> None:
        process = psutil.Process(pid)
        started = time.monotonic()
        while not stop.is_set():
            samples.append((time.monotonic() - started, process.memory_info().rss))
            await asyncio.sleep(5)

    return asyncio.get_running_loop().create_task(sample())


async def run(
    args: argparse.Namespace, server_pid: int, server_url: str, tokens: list[str]
) -> tuple[Tally, list]:
    samples: list[tuple[float, int]] = []
    stop = asyncio.Event()
    sampler = rss_sampler(server_pid, samples, stop)
    tally = await soak(args, server_url, tokens)
    stop.set()
    await sampler
    return tally, samples


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=int, default=300)
    parser.add_argument("--tenants", type=int, default=4)
    parser.add_argument("--clients", type=int, default=3, help="request loops per tenant")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="iafactory-soak-"))
    with (
        cluster(work / "embedded") as admin_url,
        scratch_database(admin_url, prefix="iafactory_soak") as database_url,
    ):
        server = start_server(
            database_url,
            work / "server",
            IAFACTORY_LOG_LEVEL="WARNING",
            IAFACTORY_TRANSCRIBE_WORKERS="1",
            IAFACTORY_POOL_MAX_SIZE="10",
        )
        try:
            client = GraphQLClient(server.graphql_url)
            accounts = [register(client, name=f"soak{t}") for t in range(args.tenants)]
            for account in accounts:
                lift_rate_limit(database_url, account.tenant_id)
            tally, samples = asyncio.run(
                run(args, server.process.pid, server.url, [a.access_token for a in accounts])
            )
            with psycopg.connect(database_url, autocommit=True) as connection:
                idle = connection.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                    " AND state LIKE 'idle in transaction%' AND application_name LIKE 'iafactory%'"
                ).fetchone()[0]  # type: ignore[index]
        finally:
            server.stop()
    warm = [rss for at, rss in samples if at >= WARM_UP_SECONDS] or [rss for _, rss in samples]
    growth = (warm[-1] - warm[0]) / warm[0]
    total = sum(len(v) for v in tally.latencies.values())
    print(f"soak: {args.seconds} s, {args.tenants} tenants x ({args.clients} request loops + 1 voice loop)")
    print(f"{'operation':14} {'count':>6} {'p50 ms':>8} {'p99 ms':>8}")
    for kind, values in sorted(tally.latencies.items()):
        p50, p99 = 1000 * statistics.median(values), 1000 * percentile(values, 0.99)
        print(f"{kind:14} {len(values):6} {p50:8.1f} {p99:8.1f}")
    every = [v for values in tally.latencies.values() for v in values if v]
    print(f"all: {total} operations, p99 {1000 * percentile(every, 0.99):.1f} ms, errors {len(tally.errors)}")
    print(
        f"server RSS after warm-up {warm[0] / 2**20:.1f} MiB, at the end {warm[-1] / 2**20:.1f} MiB"
        f" ({100 * growth:+.1f} %), peak {max(r for _, r in samples) / 2**20:.1f} MiB"
    )
    print(f"connections idle in transaction at the end: {idle}")
    for error in tally.errors[:10]:
        print("  error:", error)
    if tally.errors or growth >= RSS_GROWTH_LIMIT or idle:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
