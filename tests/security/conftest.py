"""Security regression fixtures: a server of its own with limits low enough to reach in a
test, the database's view of its connections, and a client that can claim any address.

Tenants are registered through the shared server; their tokens work here too (one database,
one signing key).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest

from tests.support.graphql import GraphQLClient
from tests.support.server import Server, start_server

# The guarded server's limits (this package spends them alone), per hour: the sliding window
# floors its estimate, so a test crossing a window's boundary would get one more attempt.
LOGIN_LIMIT = 3  # per address and email
LOGIN_IP_LIMIT = 5  # per address, all emails
RESPONSE_LIMIT = 2_000_000  # characters of resolved text per operation

IDLE_IN_TRANSACTION = """
SELECT pid, application_name, state, left(query, 200) AS query
  FROM pg_stat_activity
 WHERE datname = current_database() AND state LIKE 'idle in transaction%'
   AND application_name LIKE 'iafactory%'
"""


@pytest.fixture(scope="package")
def guarded(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """Production-like answers (introspection off), tight sign-in limits, X-Forwarded-For
    believed from loopback (so a test can play many client addresses), a small response cap,
    a small pool (a leak shows within a few requests) and usage flushed every 0.2 s."""
    running = start_server(
        database_url,
        tmp_path_factory.mktemp("guarded"),
        IAFACTORY_INTROSPECTION="false",
        IAFACTORY_TRUSTED_PROXIES="127.0.0.1",
        IAFACTORY_LOGIN_RATE_LIMIT=f"{LOGIN_LIMIT}/hour",
        IAFACTORY_LOGIN_IP_RATE_LIMIT=f"{LOGIN_IP_LIMIT}/hour",
        IAFACTORY_MAX_RESPONSE_BYTES=str(RESPONSE_LIMIT),
        IAFACTORY_MAX_DOCUMENT_BYTES="1048576",  # documents of 600 kB (test_query_cost.py)
        IAFACTORY_POOL_MAX_SIZE="4",
        IAFACTORY_PLAN_CACHE_SECONDS="0",
        IAFACTORY_USAGE_FLUSH_SECONDS="0.2",
    )
    yield running
    running.stop()


@pytest.fixture(scope="package")
def guarded_client(guarded: Server) -> GraphQLClient:
    return GraphQLClient(guarded.graphql_url)


def from_address(address: str) -> dict[str, str]:
    """Headers of a request relayed by the (trusted, loopback) proxy for `address`."""
    return {"X-Forwarded-For": address}


def new_address() -> str:
    """A client address no other test uses (its own rate-limit counters)."""
    return f"10.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250 + 1}"


def idle_in_transaction(database_url: str) -> list[dict[str, Any]]:
    """The server's connections left inside a transaction that nothing is running."""
    with psycopg.connect(database_url, autocommit=True) as connection:
        cursor = connection.execute(IDLE_IN_TRANSACTION)
        names = [column.name for column in cursor.description or ()]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def assert_no_idle_in_transaction(database_url: str, *, within: float = 2.0) -> None:
    """No connection of the server's stays idle in a transaction (a moment's grace for one
    that is committing right now; a leaked one stays until the 60 s backstop)."""
    deadline = time.monotonic() + within
    while (left := idle_in_transaction(database_url)) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not left, f"connections left idle in transaction: {left}"


LOGIN = """mutation Login($input: LoginInput!) {
  login(input: $input) { accessToken viewer { role isSuperadmin user { email } } }
}"""


def login_from(
    client: GraphQLClient,
    email: str,
    password: str,
    *,
    address: str,
    tenant_slug: str | None = None,
) -> dict[str, Any]:
    """The answer to a sign-in relayed by the trusted proxy for `address` (guarded server)."""
    variables = {"input": {"email": email, "password": password, "tenantSlug": tenant_slug}}
    body: dict[str, Any] = client.post(LOGIN, variables, headers=from_address(address)).json()
    return body
