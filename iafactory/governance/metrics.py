"""Prometheus metrics, labelled by tenant with bounded cardinality, and the /metrics endpoint.

Series (counters get _total in the exposition):
  iafactory_requests{tenant, operation_type}      GraphQL operations: query|mutation|subscription|invalid
  iafactory_errors{tenant, code}                  errors by contract code (early RATE_LIMITED included)
  iafactory_operation_duration_seconds{tenant, operation_type}   latency histogram
  iafactory_transcription_audio_seconds{tenant}   audio transcribed, seconds (Metrics.transcription)
  iafactory_transcription_processing_seconds{tenant}   time spent transcribing (Metrics.transcription)
  iafactory_transcription_jobs{tenant, status}    QUEUED / RUNNING jobs, from the database at scrape time

The tenant label is the tenant id (never the slug: it may name a person). The first
IAFACTORY_METRICS_MAX_TENANTS tenants a process sees get their own label; later ones are
counted under "other", so a flood of tenants cannot blow up the series count. Requests
without a tenant are labelled "none".

Each server process keeps its own registry: with `serve --workers N`, scrape each process
(or run one worker per container), as counters are not shared between processes.
"""

from __future__ import annotations

import asyncio
import hmac
import ipaddress
from collections.abc import Callable, Iterable
from typing import Any
from uuid import UUID

import asyncpg
import structlog
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from iafactory.db.queries import governance as governance_queries
from iafactory.db.scope import DbRole, transaction
from iafactory.settings import Settings

log = structlog.get_logger("iafactory.metrics")

OTHER = "other"
NONE = "none"
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
LOOPBACK = "127.0.0.0/8,::1/128"
ANYWHERE = "0.0.0.0/0,::/0"
SCRAPE_QUERY_SECONDS = 2.0  # a slow database must not hang the scraper


class TenantLabels:
    """Maps a tenant id to its label value: itself for the first `cap` distinct tenants of this
    process, "other" after that."""

    def __init__(self, cap: int) -> None:
        self._cap = cap
        self._known: set[str] = set()

    def __call__(self, tenant_id: UUID | str | None) -> str:
        if tenant_id is None:
            return NONE
        key = str(tenant_id)
        if key in self._known:
            return key
        if len(self._known) < self._cap:
            self._known.add(key)
            return key
        return OTHER


class Metrics:
    def __init__(self, settings: Settings) -> None:
        self.registry = CollectorRegistry()
        self.tenant_label = TenantLabels(settings.metrics_max_tenants)
        r = self.registry
        self.requests = Counter(
            "iafactory_requests", "GraphQL operations.", ["tenant", "operation_type"], registry=r
        )
        self.errors = Counter("iafactory_errors", "Errors by contract code.", ["tenant", "code"], registry=r)
        self.latency = Histogram(
            "iafactory_operation_duration_seconds",
            "Time to answer a GraphQL operation (a subscription: its whole life).",
            ["tenant", "operation_type"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        # (tenant, operation_type) -> its requests and latency series: `labels()` looked up
        # and validated them anew for every request.
        self._operation_series: dict[tuple[str, str], tuple[Any, Any]] = {}
        self.audio_seconds = Counter(
            "iafactory_transcription_audio_seconds", "Seconds of audio transcribed.", ["tenant"], registry=r
        )
        self.processing_seconds = Counter(
            "iafactory_transcription_processing_seconds",
            "Seconds spent transcribing.",
            ["tenant"],
            registry=r,
        )
        self.queue = Gauge(
            "iafactory_transcription_jobs",
            "Transcription jobs waiting or running, from the database at scrape time.",
            ["tenant", "status"],
            registry=r,
        )

    def operation(
        self, *, tenant_id: UUID | None, operation_type: str, seconds: float, codes: Iterable[str]
    ) -> None:
        tenant = self.tenant_label(tenant_id)
        series = self._operation_series.get((tenant, operation_type))
        if series is None:
            # Bounded: tenant labels are (TenantLabels), operation types are a handful.
            labels = (tenant, operation_type)
            series = (self.requests.labels(*labels), self.latency.labels(*labels))
            self._operation_series[labels] = series
        series[0].inc()
        series[1].observe(seconds)
        for code in codes:
            self.errors.labels(tenant, code).inc()

    def rejected(self, *, tenant_id: UUID | None, code: str) -> None:
        """A request answered before GraphQL ran (rate limit)."""
        self.errors.labels(self.tenant_label(tenant_id), code).inc()

    def transcription(self, tenant_id: UUID, audio_seconds: float, processing_seconds: float) -> None:
        """The voice workers' completion callback (VoiceRuntime's `on_completed`)."""
        tenant = self.tenant_label(tenant_id)
        self.audio_seconds.labels(tenant).inc(max(0.0, audio_seconds))
        self.processing_seconds.labels(tenant).inc(max(0.0, processing_seconds))

    async def refresh_queue(self, pool: asyncpg.Pool) -> None:
        """Sets the queue gauge from the database (every worker's jobs, in any process)."""
        async with (
            asyncio.timeout(SCRAPE_QUERY_SECONDS),
            transaction(pool, role=DbRole.APP, request_id="metrics") as db,
        ):
            rows = await governance_queries.transcription_queue(db)
        totals: dict[tuple[str, str], int] = {}
        for row in rows:
            key = (self.tenant_label(row["tenant_id"]), row["status"])
            totals[key] = totals.get(key, 0) + int(row["jobs"])
        self.queue.clear()
        for (tenant, status), jobs in totals.items():
            self.queue.labels(tenant, status).set(jobs)

    def exposition(self) -> bytes:
        return generate_latest(self.registry)


class MetricsAccess:
    """Who may scrape: a bearer token (IAFACTORY_METRICS_TOKEN) or an allowed client network
    (IAFACTORY_METRICS_NETWORKS). By default anyone in development without a token, only
    loopback otherwise: behind a reverse proxy every client looks local, so set a token there."""

    def __init__(self, settings: Settings) -> None:
        self._token = settings.metrics_token
        default = LOOPBACK if (settings.is_production or settings.metrics_token) else ANYWHERE
        spec = settings.metrics_networks if settings.metrics_networks is not None else default
        self._networks = [ipaddress.ip_network(p.strip(), strict=False) for p in spec.split(",") if p.strip()]

    def allows(self, request: Request) -> bool:
        if self._token:
            scheme, _, given = (request.headers.get("authorization") or "").partition(" ")
            if scheme.lower() == "bearer" and hmac.compare_digest(
                given.strip().encode(), self._token.encode()
            ):
                return True
        host = request.client.host if request.client else ""
        try:
            address = ipaddress.ip_address(host)
        except ValueError:
            return False
        return any(address in network for network in self._networks)


def metrics_endpoint(
    metrics: Metrics, access: MetricsAccess, pool: Callable[[], asyncpg.Pool]
) -> Callable[[Request], object]:
    async def endpoint(request: Request) -> Response:
        if not access.allows(request):
            return PlainTextResponse("Forbidden.\n", status_code=403)
        try:
            await metrics.refresh_queue(pool())
        except (OSError, TimeoutError, RuntimeError, asyncpg.PostgresError) as error:
            log.warning("transcription queue depth unavailable", error=str(error))
        return Response(metrics.exposition(), media_type=CONTENT_TYPE_LATEST)

    return endpoint
