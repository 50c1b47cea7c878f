"""One server under one load: check its answers, count its SQL round trips, time it."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import psycopg

from bench.graphql import cpu, wrk
from bench.graphql.queries import Body, Compared
from bench.graphql.scratch import database_name
from bench.graphql.seed import Tenant
from bench.graphql.servers import Server
from bench.graphql.wirecount import RoundTripCounter


@dataclass(frozen=True)
class Variant:
    label: str
    server: Server
    database_url: str  # PostgreSQL CPU is summed over this database's backends
    postgraphile: bool = False
    counted: bool = True  # its SQL round trips are those counted for ours (or v5)

    def body(self, compared: Compared, tenant: Tenant) -> Body:
        return compared.v5(tenant) if self.postgraphile else compared.ours(tenant)

    def view(self, compared: Compared, data: Any) -> Any:
        return compared.v5_view(data) if self.postgraphile else compared.ours_view(data)


@dataclass(frozen=True)
class Sample:
    run: wrk.Run
    server_cpu_s: float
    postgres_cpu_s: float


def post(url: str, body: Body, tenant: Tenant, http: httpx.Client) -> Any:
    response = http.post(url, json=body, headers={"Authorization": f"Bearer {tenant.token}"})
    payload = response.json()
    if response.status_code != 200 or payload.get("errors"):
        raise AssertionError(f"{url}: {response.status_code} {str(payload)[:500]}")
    return payload["data"]


def verify(variants: list[Variant], compared: Compared, tenants: list[Tenant]) -> list[str]:
    """What is wrong with any variant's answers for these tenants: each must be the tenant's
    correct answer (checked in the variant's database), and all must be equal."""
    problems = []
    with httpx.Client(timeout=30) as http, ExitStack() as stack:
        sql = {
            url: stack.enter_context(psycopg.connect(url, autocommit=True))
            for url in {v.database_url for v in variants}
        }
        for tenant in tenants:
            views = {}
            for variant in variants:
                data = post(variant.server.graphql_url, variant.body(compared, tenant), tenant, http)
                views[variant.label] = variant.view(compared, data)
                wrong = compared.check(views[variant.label], tenant, sql[variant.database_url])
                if wrong:
                    problems.append(f"{compared.name} / {variant.label} / {tenant.slug}: {wrong}")
            if not compared.mutation and len({repr(v) for v in views.values()}) > 1:
                problems.append(f"{compared.name} / {tenant.slug}: the servers' answers differ")
    return problems


def round_trips(
    url: str,
    counter: RoundTripCounter,
    body: Callable[[Tenant], Body],
    tenants: list[Tenant],
    requests: int = 60,
) -> float:
    """SQL round trips per request, after a warm-up (statement and plan caches filled)."""
    with httpx.Client(timeout=30) as http:
        for n in range(20):
            post(url, body(tenants[n % len(tenants)]), tenants[n % len(tenants)], http)
        before = counter.round_trips
        for n in range(requests):
            post(url, body(tenants[n % len(tenants)]), tenants[n % len(tenants)], http)
        return (counter.round_trips - before) / requests


def requests_file(directory: Path, variant: Variant, compared: Compared, tenants: list[Tenant]) -> Path:
    path = directory / f"{compared.name}-{'v5' if variant.postgraphile else 'ours'}.lua"
    path.write_text(wrk.lua_requests([(t.token, variant.body(compared, t)) for t in tenants]))
    return path


def load(
    variant: Variant,
    requests: Path,
    *,
    seconds: int,
    monitor: psycopg.Connection | None,
    threads: int,
    connections: int,
) -> Sample:
    """A timed wrk run, with the server's and PostgreSQL's CPU read around it."""
    meter = cpu.Meter(variant.server.process.pid, monitor, [database_name(variant.database_url)])
    meter.start()
    run = wrk.run(
        variant.server.graphql_url, requests, seconds=seconds, threads=threads, connections=connections
    )
    server_s, postgres_s = meter.stop()
    return Sample(run, server_s, postgres_s)
