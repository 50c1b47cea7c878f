"""The fixtures every test may ask for: the cluster, this run's database, a real
`iafactory serve`, a GraphQL client on it, and fresh tenants. They are built from
`tests/support/` (import helpers from there, never from a conftest)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from tests.support.database import cluster, scratch_database
from tests.support.graphql import Account, GraphQLClient, register
from tests.support.server import Server, start_server


@pytest.fixture(scope="session")
def admin_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A superuser URL to the cluster the tests use."""
    with cluster(tmp_path_factory.mktemp("embedded")) as url:
        yield url


@pytest.fixture(scope="session")
def database_url(admin_url: str) -> Iterator[str]:
    """A fresh, migrated database for this run (dropped afterwards)."""
    with scratch_database(admin_url) as url:
        yield url


@pytest.fixture(scope="session")
def server(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    running = start_server(database_url, tmp_path_factory.mktemp("server"))
    yield running
    running.stop()


@pytest.fixture(scope="session")
def client(server: Server) -> GraphQLClient:
    return GraphQLClient(server.graphql_url)


@pytest.fixture
def new_tenant(client: GraphQLClient) -> Callable[..., Account]:
    """Registers a fresh user and tenant: `alice = new_tenant("alice")`."""
    return lambda name="tenant": register(client, name=name)
