"""Shared test infrastructure: a fresh database per run, a real `iafactory serve` process,
and a small GraphQL client.

Which PostgreSQL: TEST_DATABASE_URL, else DATABASE_URL (a superuser URL to any database of
the cluster), else an embedded server under the run's temporary directory. Each run creates
its own database `iafactory_test_<random>`, migrates it and drops it at the end.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import httpx
import psycopg
import pytest

from iafactory.db import migrate

REPO_ROOT = Path(__file__).resolve().parents[1]
JWT_SECRET = "test-secret-" + "x" * 40
PASSWORD = "correct horse battery staple"


def with_database(url: str, database: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{database}"))


def run_sql(url: str, *statements: str) -> None:
    async def run() -> None:
        connection = await asyncpg.connect(url)
        try:
            for statement in statements:
                await connection.execute(statement)
        finally:
            await connection.close()

    asyncio.run(run())


def cluster_url(work: Path) -> str:
    """A superuser URL: TEST_DATABASE_URL, else DATABASE_URL, else an embedded server in `work`."""
    configured = os.environ.get("TEST_DATABASE_URL") or os.environ.get("DATABASE_URL")
    if configured:
        return configured
    from iafactory.db.embedded import start_embedded

    return start_embedded(work).dsn


@contextmanager
def scratch_database(admin_url: str, *, prefix: str = "iafactory_test") -> Iterator[str]:
    """A fresh database of the cluster, migrated to head, dropped on exit (tests, benchmarks)."""
    name = f"{prefix}_{secrets.token_hex(4)}"
    run_sql(admin_url, f'CREATE DATABASE "{name}"')
    try:
        url = with_database(admin_url, name)
        migrate.upgrade(url)
        yield url
    finally:
        run_sql(admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def admin_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A superuser URL to the cluster the tests use."""
    return cluster_url(tmp_path_factory.mktemp("embedded"))


@pytest.fixture(scope="session")
def database_url(admin_url: str) -> Iterator[str]:
    """A fresh, migrated database for this run (dropped afterwards)."""
    with scratch_database(admin_url) as url:
        yield url


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Server:
    url: str
    process: subprocess.Popen[bytes]
    log: Path

    @property
    def graphql_url(self) -> str:
        return f"{self.url}/graphql"

    @property
    def ws_url(self) -> str:
        return self.graphql_url.replace("http://", "ws://")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def start_server(database_url: str, data_dir: Path, **settings: str) -> Server:
    """`iafactory serve` in its own process (real uvicorn), ready when /health/ready is 200."""
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "IAFACTORY_DATA_DIR": str(data_dir),
        "IAFACTORY_JWT_SECRET": JWT_SECRET,
        "IAFACTORY_TRANSCRIBE_WORKERS": "0",
        "IAFACTORY_WHISPER_MODEL": "tiny.en",
        "IAFACTORY_POOL_MAX_SIZE": "4",
        "IAFACTORY_LOGIN_RATE_LIMIT": "1000/minute",
        "IAFACTORY_LOGIN_IP_RATE_LIMIT": "1000/minute",
        "IAFACTORY_REGISTER_RATE_LIMIT": "1000/minute",
        **settings,
    }
    log = data_dir / f"server-{port}.log"
    data_dir.mkdir(parents=True, exist_ok=True)
    process = subprocess.Popen(
        [sys.executable, "-m", "iafactory.cli", "serve", "--port", str(port)],
        env=env,
        cwd=REPO_ROOT,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )
    server = Server(url=f"http://127.0.0.1:{port}", process=process, log=log)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited early:\n{log.read_text()}")
        try:
            if httpx.get(f"{server.url}/health/ready", timeout=1).status_code == 200:
                return server
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    server.stop()
    raise RuntimeError(f"server not ready after 60 s:\n{log.read_text()}")


@pytest.fixture(scope="session")
def server(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    running = start_server(database_url, tmp_path_factory.mktemp("server"))
    yield running
    running.stop()


@dataclass
class GraphQLClient:
    """Posts GraphQL over real HTTP. `execute` returns the JSON body; `post` the response."""

    url: str
    http: httpx.Client = field(default_factory=lambda: httpx.Client(timeout=30))

    def post(
        self,
        query: str,
        variables: dict[str, Any] | None = None,
        *,
        token: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        all_headers = dict(headers or {})
        if token is not None:
            all_headers["Authorization"] = f"Bearer {token}"
        body = {"query": query, "variables": variables or {}}
        return self.http.post(self.url, json=body, headers=all_headers)

    def execute(
        self, query: str, variables: dict[str, Any] | None = None, *, token: str | None = None
    ) -> dict[str, Any]:
        body: dict[str, Any] = self.post(query, variables, token=token).json()
        return body

    def data(self, query: str, variables: dict[str, Any] | None = None, *, token: str | None = None) -> Any:
        """The data of a request that must succeed (fails the test with the errors otherwise)."""
        body = self.execute(query, variables, token=token)
        assert not body.get("errors"), body["errors"]
        return body["data"]


def error_codes(body: dict[str, Any]) -> list[str]:
    return [error["extensions"]["code"] for error in body.get("errors") or []]


@pytest.fixture(scope="session")
def client(server: Server) -> GraphQLClient:
    return GraphQLClient(server.graphql_url)


@dataclass
class Account:
    """A user signed in to the tenant it just registered (as OWNER)."""

    email: str
    password: str
    user_id: str
    tenant_id: str
    tenant_slug: str
    access_token: str
    refresh_token: str


REGISTER = """
mutation Register($input: RegisterInput!) {
  register(input: $input) {
    accessToken refreshToken
    viewer { user { id } tenant { id slug } }
  }
}
"""


def register(client: GraphQLClient, *, name: str = "tenant") -> Account:
    suffix = uuid.uuid4().hex[:10]
    email = f"{name}-{suffix}@example.test"
    data = client.data(
        REGISTER,
        {
            "input": {
                "email": email,
                "password": PASSWORD,
                "tenantName": f"{name} {suffix}",
                "tenantSlug": f"{name}-{suffix}",
            }
        },
    )["register"]
    return Account(
        email=email,
        password=PASSWORD,
        user_id=data["viewer"]["user"]["id"],
        tenant_id=data["viewer"]["tenant"]["id"],
        tenant_slug=data["viewer"]["tenant"]["slug"],
        access_token=data["accessToken"],
        refresh_token=data["refreshToken"],
    )


def lift_rate_limit(database_url: str, tenant_id: str) -> None:
    """ENTERPRISE plan for a tenant that must send many requests quickly (a load, not a test of
    limits). Do it before the tenant's first authenticated request: servers cache plans."""
    # psycopg (synchronous): callable from async tests, where asyncio.run is not.
    with psycopg.connect(database_url, autocommit=True) as connection:
        connection.execute("UPDATE tenants SET plan = 'ENTERPRISE' WHERE id = %s", (tenant_id,))


@pytest.fixture
def new_tenant(client: GraphQLClient) -> Callable[..., Account]:
    """Registers a fresh user and tenant: `alice = new_tenant("alice")`."""
    return lambda name="tenant": register(client, name=name)
