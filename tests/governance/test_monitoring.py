"""Structured request logs and /metrics: every log line of a request names its request, tenant
and user; per-tenant counters move when that tenant calls; tenant labels are bounded."""

from __future__ import annotations

import json
import secrets
import time
import uuid
from collections.abc import Callable
from typing import Any

import httpx
import websockets
from prometheus_client.parser import text_string_to_metric_families
from starlette.requests import Request

from iafactory.governance.metrics import Metrics, MetricsAccess
from iafactory.settings import Settings
from tests.governance.helpers import upload
from tests.support.graphql import Account, GraphQLClient
from tests.support.server import Server

ME = "query Whoami { me { role } }"
DELETE = "mutation Gone($id: ID!) { deleteProject(id: $id) }"


def log_lines(server: Server, request_id: str, *, wait: float = 5.0) -> list[dict[str, Any]]:
    """The server's JSON log lines of one request (polled: the log is another process's)."""
    deadline = time.monotonic() + wait
    while True:
        lines = []
        for raw in server.log.read_text().splitlines():
            if raw.startswith("{"):
                record = json.loads(raw)
                if record.get("request_id") == request_id:
                    lines.append(record)
        if (
            lines and any(r.get("event") == "graphql operation" for r in lines)
        ) or time.monotonic() > deadline:
            return lines
        time.sleep(0.05)


def test_every_log_line_of_a_request_carries_request_id_tenant_id_and_user_id(
    governed: Server, gov_client: GraphQLClient, new_tenant: Callable[..., Account]
) -> None:
    alice = new_tenant("logged")
    request_id = f"logged-{uuid.uuid4().hex[:12]}"
    gov_client.http.post(
        gov_client.url,
        json={"query": DELETE, "variables": {"id": str(uuid.uuid4())}},
        headers={"Authorization": f"Bearer {alice.access_token}", "X-Request-ID": request_id},
    )
    lines = log_lines(governed, request_id)
    assert lines, "the request was logged"
    for line in lines:
        assert (line.get("tenant_id"), line.get("user_id")) == (alice.tenant_id, alice.user_id), line
    [operation] = [line for line in lines if line["event"] == "graphql operation"]
    assert operation["operation_type"] == "mutation"
    assert operation["operation_name"] == "Gone"
    assert operation["error_codes"] == ["NOT_FOUND"]
    assert operation["duration_ms"] >= 0
    assert operation["level"] == "info"


async def test_log_lines_of_a_websocket_operation_name_its_tenant_and_user(
    governed: Server, new_tenant: Callable[..., Account]
) -> None:
    alice = new_tenant("wslog")
    request_id = f"wslog-{uuid.uuid4().hex[:12]}"
    async with websockets.connect(
        governed.ws_url,
        subprotocols=["graphql-transport-ws"],
        additional_headers={"X-Request-ID": request_id},
    ) as ws:
        await ws.send(
            json.dumps(
                {"type": "connection_init", "payload": {"Authorization": f"Bearer {alice.access_token}"}}
            )
        )
        await ws.recv()
        watch = f'subscription Watch {{ transcriptionProgress(id: "{uuid.uuid4()}") {{ progress }} }}'
        await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": watch}}))
        await ws.recv()
    lines = log_lines(governed, request_id)
    [operation] = [line for line in lines if line["event"] == "graphql operation"]
    assert operation["operation_type"] == "subscription"
    assert (operation["tenant_id"], operation["user_id"]) == (alice.tenant_id, alice.user_id), (
        "the token of connection_init, not of any HTTP header, identifies a WebSocket operation"
    )


def scrape(server: Server, **headers: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    response = httpx.get(f"{server.url}/metrics", headers=headers)
    assert response.status_code == 200, response.text
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def value(samples: dict[tuple[str, tuple[tuple[str, str], ...]], float], name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def test_per_tenant_counters_move_when_that_tenant_calls(
    governed: Server, gov_client: GraphQLClient, new_tenant: Callable[..., Account]
) -> None:
    alice, bob = new_tenant("counted"), new_tenant("idle")
    before = scrape(governed)
    for _ in range(3):
        gov_client.data(ME, token=alice.access_token)
    gov_client.execute(DELETE, {"id": str(uuid.uuid4())}, token=alice.access_token)
    after = scrape(governed)
    tenant = alice.tenant_id

    def moved(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert moved("iafactory_requests_total", tenant=tenant, operation_type="query") == 3
    assert moved("iafactory_requests_total", tenant=tenant, operation_type="mutation") == 1
    assert moved("iafactory_errors_total", tenant=tenant, code="NOT_FOUND") == 1
    assert moved("iafactory_operation_duration_seconds_count", tenant=tenant, operation_type="query") == 3
    assert (
        moved("iafactory_operation_duration_seconds_bucket", tenant=tenant, operation_type="query", le="+Inf")
        == 3
    )
    assert not [key for key in after if ("tenant", bob.tenant_id) in key[1]], (
        "a tenant that made no call has no series"
    )


def test_the_transcription_queue_depth_is_read_from_the_database_per_tenant(
    governed: Server, gov_client: GraphQLClient, new_tenant: Callable[..., Account]
) -> None:
    alice = new_tenant("queued")
    for _ in range(2):
        assert not upload(gov_client, alice.access_token).json().get("errors")  # no worker runs here
    samples = scrape(governed)
    assert value(samples, "iafactory_transcription_jobs", tenant=alice.tenant_id, status="QUEUED") == 2


def test_tenants_beyond_the_label_cap_are_counted_under_other() -> None:
    metrics = Metrics(Settings(IAFACTORY_METRICS_MAX_TENANTS=2))
    tenants = [uuid.uuid4() for _ in range(4)]
    for tenant in tenants:
        metrics.operation(tenant_id=tenant, operation_type="query", seconds=0.01, codes=[])
    metrics.operation(tenant_id=tenants[0], operation_type="query", seconds=0.01, codes=["NOT_FOUND"])
    exposition = metrics.exposition().decode()
    labels = {
        s.labels["tenant"]: s.value
        for f in text_string_to_metric_families(exposition)
        for s in f.samples
        if s.name == "iafactory_requests_total"
    }
    assert labels == {str(tenants[0]): 2, str(tenants[1]): 1, "other": 2}, (
        "two tenants by name, the rest folded"
    )


def test_a_completed_transcription_counts_audio_and_processing_seconds_per_tenant() -> None:
    metrics = Metrics(Settings())
    tenant = uuid.uuid4()
    metrics.transcription(tenant, 23.5, 4.0)  # the workers' on_completed callback
    samples = {
        (s.name, s.labels.get("tenant")): s.value
        for f in text_string_to_metric_families(metrics.exposition().decode())
        for s in f.samples
    }
    assert samples[("iafactory_transcription_audio_seconds_total", str(tenant))] == 23.5
    assert samples[("iafactory_transcription_processing_seconds_total", str(tenant))] == 4.0


def request_from(host: str, authorization: str | None = None) -> Request:
    headers = [(b"authorization", authorization.encode())] if authorization else []
    return Request(
        {"type": "http", "method": "GET", "path": "/metrics", "headers": headers, "client": (host, 5555)}
    )


def production(**settings: Any) -> Settings:
    return Settings(
        IAFACTORY_ENV="production",
        IAFACTORY_JWT_SECRET=secrets.token_urlsafe(48),
        DATABASE_URL="postgresql://db/iafactory",
        **settings,
    )


def test_metrics_are_open_in_development_and_loopback_only_in_production_by_default() -> None:
    assert MetricsAccess(Settings()).allows(request_from("203.0.113.9"))
    assert MetricsAccess(production()).allows(request_from("127.0.0.1"))
    assert not MetricsAccess(production()).allows(request_from("203.0.113.9"))


def test_a_metrics_token_admits_a_scraper_from_anywhere_and_only_with_the_token() -> None:
    access = MetricsAccess(production(IAFACTORY_METRICS_TOKEN="scrape-me"))
    assert access.allows(request_from("203.0.113.9", "Bearer scrape-me"))
    assert not access.allows(request_from("203.0.113.9", "Bearer wrong"))
    assert not access.allows(request_from("203.0.113.9"))


def test_allowed_scraper_networks_are_a_setting() -> None:
    access = MetricsAccess(production(IAFACTORY_METRICS_NETWORKS="10.0.0.0/8"))
    assert access.allows(request_from("10.1.2.3"))
    assert not access.allows(request_from("127.0.0.1")), "the setting replaces the loopback default"
