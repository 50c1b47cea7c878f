"""`python -m bench graphql`: see the package docstring."""

from __future__ import annotations

import argparse
import os
import secrets
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path
from urllib.parse import urlsplit

import psycopg

from bench.graphql import profile, wrk
from bench.graphql.measure import Variant, load, requests_file, round_trips, verify
from bench.graphql.queries import COMPARED, Compared
from bench.graphql.report import Labels, Row, goals, table
from bench.graphql.scratch import cluster, copy_without_rls, scratch_database
from bench.graphql.seed import Tenant, seed
from bench.graphql.servers import install_postgraphile, postgraphile_version, start_ours, start_postgraphile
from bench.graphql.wirecount import RoundTripCounter, proxied

# Production refuses placeholder and low-entropy secrets: a fresh random one per run.
SECRET = secrets.token_urlsafe(48)
ROTATING = 8  # tenants whose tokens rotate in a load: readers, then as many writers
TenantsFor = Callable[[Compared], list[Tenant]]


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench graphql", description=__doc__)
    parser.add_argument("--tenants", type=int, default=50)
    parser.add_argument("--projects", type=int, default=200, help="per tenant")
    parser.add_argument("--documents", type=int, default=5, help="per project")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--duration", type=int, default=10, help="seconds per timed run")
    parser.add_argument("--warmup", type=int, default=3, help="seconds per server and query, untimed")
    parser.add_argument("--threads", type=int, default=2, help="wrk -t")
    parser.add_argument("--connections", type=int, default=16, help="wrk -c")
    parser.add_argument("--workers", type=int, default=2, help="the multi-process variant's --workers")
    parser.add_argument("--queries", default=",".join(c.name for c in COMPARED))
    parser.add_argument("--profile", type=int, default=20, help="seconds of py-spy on ours (0: none)")
    parser.add_argument(
        "--three-trips",
        action="store_true",
        help="also ours with compiled reads in three round trips (IAFACTORY_PIPELINED_READS_POOL_SIZE=0)",
    )
    args = parser.parse_args()
    if args.tenants < 2 * ROTATING:
        parser.error(f"--tenants must be at least {2 * ROTATING} (readers and writers)")
    return args


def main() -> None:
    args = arguments()
    selected = [c for c in COMPARED if c.name in args.queries.split(",")]
    work = Path(tempfile.mkdtemp(prefix="iafactory-bench-graphql-"))
    install_postgraphile()
    with cluster(work / "embedded") as admin, scratch_database(admin, prefix="iafactory_bench") as url:
        started = time.monotonic()
        tenants = seed(
            url, tenants=args.tenants, projects=args.projects, documents=args.documents, secret=SECRET
        )
        print(f"seeded {args.tenants} tenants x {args.projects} projects x {args.documents} documents in"
              f" {time.monotonic() - started:.0f} s; logs and files in {work}", flush=True)  # fmt: skip

        def tenants_for(compared: Compared) -> list[Tenant]:
            return tenants[ROTATING : 2 * ROTATING] if compared.mutation else tenants[:ROTATING]

        with copy_without_rls(url) as no_rls_url, ExitStack() as running:
            # PostgreSQL's CPU is read from /proc: only when it runs on this machine.
            local = urlsplit(admin).hostname in (None, "", "127.0.0.1", "localhost", "::1")
            monitor = running.enter_context(psycopg.connect(admin, autocommit=True)) if local else None
            trips = count_round_trips(url, work, selected, tenants_for)
            labels = Labels(
                ours="iafactory serve (1 process)",
                workers=f"iafactory serve --workers {args.workers}",
                no_rls="iafactory serve (1 process), RLS off",
                v5=f"PostGraphile {postgraphile_version()} (Node 22)",
            )
            variants = start_variants(labels, url, no_rls_url, work, args.workers, args.three_trips)
            for variant in variants:
                running.callback(variant.server.stop)
            for compared in selected:
                check_tenants = tenants_for(compared)[:1] if compared.mutation else tenants_for(compared)
                if problems := verify(variants, compared, check_tenants):
                    sys.exit("wrong answers, nothing timed:\n" + "\n".join(problems))
            print("every server gave every tenant its own correct answer, the same on all", flush=True)

            load_before = _load()
            results = {
                c.name: run_rounds(variants, c, tenants_for(c), work, args, monitor, trips) for c in selected
            }
            print(
                f"\nload average before / after the rounds: {load_before} / {_load()}."
                f" wrk -t{args.threads} -c{args.connections}, {args.rounds} alternating rounds of"
                f" {args.duration} s, the tokens of {ROTATING} tenants rotating. Medians of rounds; CPU"
                " per request over all rounds (PG: PostgreSQL backends); SQL trips counted on the wire.\n"
            )
            for compared in selected:
                query = compared.ours(tenants[0])["query"]
                print(table(compared.name, query, list(results[compared.name].values()), labels.v5), "\n")
            print(goals(results, labels), flush=True)
            if args.profile:
                profile_ours(variants[0], work, tenants[:ROTATING], args)


def start_variants(
    labels: Labels, url: str, no_rls_url: str, work: Path, workers: int, three_trips: bool
) -> list[Variant]:
    unpipelined = []
    if three_trips:
        label = "iafactory serve (1 process), 3 trips"
        settings = {"IAFACTORY_PIPELINED_READS_POOL_SIZE": "0"}
        server = start_ours(label, url, work, secret=SECRET, settings=settings)
        unpipelined = [Variant(label, server, url, counted=False)]
    return [
        Variant(labels.ours, start_ours(labels.ours, url, work, secret=SECRET), url),
        *unpipelined,
        Variant(labels.workers, start_ours(labels.workers, url, work, secret=SECRET, workers=workers), url),
        Variant(labels.no_rls, start_ours(labels.no_rls, no_rls_url, work, secret=SECRET), no_rls_url),
        Variant(labels.v5, start_postgraphile(labels.v5, url, work, secret=SECRET), url, postgraphile=True),
    ]


def run_rounds(
    variants: list[Variant],
    compared: Compared,
    tenants: list[Tenant],
    work: Path,
    args: argparse.Namespace,
    monitor: psycopg.Connection | None,
    trips: dict[tuple[str, bool], float],
) -> dict[str, Row]:
    """A warm-up per server, then rounds in which the servers take turns (each round starts
    with the next server, so none is always first or last)."""
    files = {v.label: requests_file(work, v, compared, tenants) for v in variants}
    options = {"monitor": monitor, "threads": args.threads, "connections": args.connections}
    for variant in variants:
        load(variant, files[variant.label], seconds=args.warmup, **options)
    samples: dict[str, list] = {v.label: [] for v in variants}
    for round_ in range(args.rounds):
        shift = round_ % len(variants)
        for variant in variants[shift:] + variants[:shift]:
            sample = load(variant, files[variant.label], seconds=args.duration, **options)
            samples[variant.label].append(sample)
            print(f"  {compared.name:14} round {round_ + 1}  {variant.label:38}"
                  f" {sample.run.per_second:7.0f} req/s", flush=True)  # fmt: skip
    counted = {v.label: trips.get((compared.name, v.postgraphile)) if v.counted else None for v in variants}
    return {v.label: Row(v.label, samples[v.label], counted[v.label]) for v in variants}


def count_round_trips(
    url: str, work: Path, selected: list[Compared], tenants_for: TenantsFor
) -> dict[tuple[str, bool], float]:
    """SQL round trips per request of ours and of v5, each server started behind its own
    counting proxy (untimed: the proxy costs CPU)."""
    parts = urlsplit(url)
    counts: dict[tuple[str, bool], float] = {}
    for postgraphile in (False, True):
        counter = RoundTripCounter(parts.hostname or "127.0.0.1", parts.port or 5432)
        through = proxied(url, counter.start())
        start = start_postgraphile if postgraphile else start_ours
        server = start("counted", through, work / "counted", secret=SECRET)
        try:
            for compared in selected:
                body = compared.v5 if postgraphile else compared.ours
                counts[compared.name, postgraphile] = round_trips(
                    server.graphql_url, counter, body, tenants_for(compared)
                )
        finally:
            server.stop()
            counter.stop()
    return counts


def profile_ours(variant: Variant, work: Path, readers: list[Tenant], args: argparse.Namespace) -> None:
    """py-spy on our 1-process server while wrk sends the nested query."""
    nested = next(c for c in COMPARED if c.name == "nested")
    requests = requests_file(work, variant, nested, readers)
    command = [
        "wrk", f"-t{args.threads}", f"-c{args.connections}", f"-d{args.profile + 4}s",
        "-s", str(wrk.SCRIPT), variant.server.graphql_url, "--", str(requests),
    ]  # fmt: skip
    raw = work / "profile-nested.txt"
    with subprocess.Popen(command, stdout=subprocess.DEVNULL) as load_process:
        time.sleep(2)
        recorded = profile.record(variant.server.process.pid, args.profile, raw)
        load_process.wait()
    if recorded:
        print(f"\nProfile of {variant.label} under the nested load (raw stacks: {raw}):")
        print(profile.report(raw.read_text()))


def _load() -> str:
    return " ".join(f"{n:.1f}" for n in os.getloadavg())


if __name__ == "__main__":
    main()
