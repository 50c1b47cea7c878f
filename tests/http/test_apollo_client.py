"""Apollo Client 4 (pinned in clients/package-lock.json) against a real server: what a
frontend sees of a rate limit, of automatic persisted queries and of trusted documents."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.http.conftest import SPEC, NodeClients
from tests.support.database import throttle
from tests.support.graphql import Account, GraphQLClient
from tests.support.server import Server, start_server

pytestmark = pytest.mark.slow
PROJECT_NAMES = "{ projects(first: 50) { nodes { name } } }"


def test_a_rate_limited_query_surfaces_as_a_graphql_error_with_its_code_and_retry_after(
    node_clients: NodeClients, server: Server, new_tenant: Callable[..., Account], database_url: str
) -> None:
    alice = new_tenant("apollo-limited")
    throttle(database_url, alice.tenant_id, 1)
    seen = node_clients.run("apollo.mjs", "rate-limited", server.graphql_url, alice.access_token)
    assert seen["first"]["data"]["me"]["role"] == "OWNER", seen
    error = seen["second"]["error"]
    assert error["graphQLError"], f"Apollo Client reads the error from the body: {error}"
    assert error["code"] == "RATE_LIMITED", error
    assert error["retryAfter"] >= 1, error
    refused = seen["sent"][1]
    assert (refused["status"], refused["contentType"]) == (429, f"{SPEC}; charset=utf-8"), refused


def test_the_persisted_query_link_sends_the_text_once_and_only_hashes_after(
    node_clients: NodeClients, server: Server, new_tenant: Callable[..., Account]
) -> None:
    alice = new_tenant("apollo-apq")
    seen = node_clients.run("apollo.mjs", "persisted", server.graphql_url, alice.access_token)
    assert all("data" in run for run in seen["runs"]), seen["runs"]
    wire = [(r["method"], r["query"], r["hash"], r["status"]) for r in seen["sent"]]
    assert wire == [
        ("GET", False, True, 404),  # unknown hash: PERSISTED_QUERY_NOT_FOUND
        ("POST", True, True, 200),  # the text with its hash, once
        ("GET", False, True, 200),
        ("GET", False, True, 200),
    ], wire


def test_a_hash_another_tenants_client_registered_is_unknown_to_this_one(
    node_clients: NodeClients, server: Server, new_tenant: Callable[..., Account]
) -> None:
    first, second = new_tenant("apollo-first"), new_tenant("apollo-second")
    node_clients.run("apollo.mjs", "persisted", server.graphql_url, first.access_token)
    seen = node_clients.run("apollo.mjs", "persisted", server.graphql_url, second.access_token)
    assert seen["sent"][0]["status"] == 404, "the other tenant's registration is invisible here"
    assert sum(r["query"] for r in seen["sent"]) == 1, "this tenant registers its own copy"


@pytest.fixture(scope="module")
def apollo_manifest(node_clients: NodeClients, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Apollo's generate-persisted-query-manifest over the client's shipped operations."""
    work = tmp_path_factory.mktemp("manifest")
    config = {"documents": [str(node_clients.root / "trusted" / "*.graphql")], "output": "manifest.json"}
    (work / "persisted-query-manifest.config.json").write_text(json.dumps(config))
    node_clients.run_bin(
        "generate-persisted-query-manifest", "--config", "persisted-query-manifest.config.json", cwd=work
    )
    return work / "manifest.json"


@pytest.fixture(scope="module")
def trusted_server(
    apollo_manifest: Path, database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    running = start_server(
        database_url, tmp_path_factory.mktemp("trusted"), IAFACTORY_TRUSTED_DOCUMENTS=str(apollo_manifest)
    )
    yield running
    running.stop()


def test_a_trusted_documents_server_runs_the_listed_operations_and_refuses_others(
    node_clients: NodeClients,
    trusted_server: Server,
    apollo_manifest: Path,
    client: GraphQLClient,
    new_tenant: Callable[..., Account],
) -> None:
    alice = new_tenant("apollo-trusted")
    seen = node_clients.run(
        "apollo.mjs", "trusted", trusted_server.graphql_url, alice.access_token, str(apollo_manifest)
    )
    assert seen["listedQuery"]["data"]["projects"]["totalCount"] == 0, seen
    assert seen["listedMutation"]["data"]["createProject"]["name"] == "listed", seen
    assert "data" in seen["listedText"], "the exact text of a listed operation runs too"
    for attempt in ("unlistedText", "unlistedHash"):
        assert seen[attempt]["error"]["code"] == "PERSISTED_QUERY_NOT_ALLOWED", (attempt, seen[attempt])
    names = [
        node["name"] for node in client.data(PROJECT_NAMES, token=alice.access_token)["projects"]["nodes"]
    ]
    assert names == ["listed"], "the refused mutations created nothing"
