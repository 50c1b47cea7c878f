"""Governance fixtures: a server of its own with tight limits, and a client on it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.governance.helpers import LOGIN_LIMIT, REGISTER_LIMIT
from tests.support.graphql import GraphQLClient
from tests.support.server import Server, start_server


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
