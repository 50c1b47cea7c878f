"""Governance test fixtures: a server of its own with tight limits, SQL helpers for operator
actions (quota overrides), and a GraphQL multipart upload."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import asyncpg
import httpx
import pytest

from tests.conftest import GraphQLClient, Server, start_server

T = TypeVar("T")
AUDIO = Path(__file__).resolve().parents[1] / "fixtures" / "audio"
SPEECH = AUDIO / "speech_en.wav"  # about 23 s of English
TRANSCRIBE = "mutation($file: Upload!) { transcribeAudio(file: $file) { id status duration } }"

OVERRIDE = (
    "INSERT INTO tenant_quota_overrides (tenant_id, quota, value) VALUES ($1, $2, $3)"
    " ON CONFLICT (tenant_id, quota) DO UPDATE SET value = EXCLUDED.value"
)

# The governed server's sign-in limits, low enough to reach in a test.
LOGIN_LIMIT = 3
REGISTER_LIMIT = 2


@pytest.fixture(scope="package")
def governed(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A server of its own, on the session's database: tight sign-in limits (only these tests
    spend them), plan limits never cached (an override applies at once), usage flushed every
    0.2 s. Tenants are registered through the shared server; their tokens work here too."""
    running = start_server(
        database_url,
        tmp_path_factory.mktemp("governed"),
        IAFACTORY_LOGIN_RATE_LIMIT=f"{LOGIN_LIMIT}/minute",
        IAFACTORY_REGISTER_RATE_LIMIT=f"{REGISTER_LIMIT}/hour",
        IAFACTORY_PLAN_CACHE_SECONDS="0",
        IAFACTORY_USAGE_FLUSH_SECONDS="0.2",
        IAFACTORY_METRICS_MAX_TENANTS="10000",
    )
    yield running
    running.stop()


@pytest.fixture(scope="package")
def gov_client(governed: Server) -> GraphQLClient:
    return GraphQLClient(governed.graphql_url)


def on_database(database_url: str, action: Callable[[asyncpg.Connection], Awaitable[T]]) -> T:
    """Runs `action` on one superuser connection (an operator at the psql prompt)."""

    async def run() -> T:
        connection = await asyncpg.connect(database_url)
        try:
            return await action(connection)
        finally:
            await connection.close()

    return asyncio.run(run())


def sql(database_url: str, query: str, *args: Any) -> list[asyncpg.Record]:
    """One statement as the superuser."""

    async def fetch(connection: asyncpg.Connection) -> list[asyncpg.Record]:
        return list(await connection.fetch(query, *args))

    return on_database(database_url, fetch)


def override(database_url: str, tenant_id: str, quota: str, value: float | None) -> None:
    """An operator's per-tenant override of one plan limit (None: unlimited)."""
    sql(database_url, OVERRIDE, uuid.UUID(tenant_id), quota, value)


async def override_async(database_url: str, tenant_id: str, quota: str, value: float | None) -> None:
    """`override`, from an async test."""
    connection = await asyncpg.connect(database_url)
    try:
        await connection.execute(OVERRIDE, uuid.UUID(tenant_id), quota, value)
    finally:
        await connection.close()


def upload(
    client: GraphQLClient, token: str, path: Path = SPEECH, *, request_id: str | None = None
) -> httpx.Response:
    """transcribeAudio through the GraphQL multipart request spec."""
    headers = {"Authorization": f"Bearer {token}", "Apollo-Require-Preflight": "true"}
    if request_id:
        headers["X-Request-ID"] = request_id
    return client.http.post(
        client.url,
        data={
            "operations": json.dumps({"query": TRANSCRIBE, "variables": {"file": None}}),
            "map": json.dumps({"0": ["variables.file"]}),
        },
        files={"0": (path.name, path.read_bytes(), "audio/wav")},
        headers=headers,
    )
