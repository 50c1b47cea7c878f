"""Automatic persisted queries (Apollo's protocol) over real HTTP: a hash runs only once its
text was registered, by POST or GET; registrations belong to the caller's tenant; each run is
in the caller's own tenant; the store keeps a bounded number of documents."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from tests.support.graphql import Account
from tests.support.server import Server, start_server

PROJECTS = "{ projects(first: 10) { nodes { name } } }"
CREATE = "mutation($n: String!) { createProject(input: {name: $n}) { id } }"


def persisted(text: str) -> dict[str, Any]:
    return {"persistedQuery": {"version": 1, "sha256Hash": hashlib.sha256(text.encode()).hexdigest()}}


class APQClient:
    """Sends a text's hash alone (POST or GET) or registers the text with its hash."""

    def __init__(self, server: Server, account: Account | None = None) -> None:
        self.url = server.graphql_url
        self.headers = {"Authorization": f"Bearer {account.access_token}"} if account else {}

    def register(self, text: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        body = {"query": text, "variables": variables or {}, "extensions": persisted(text)}
        return dict(httpx.post(self.url, json=body, headers=self.headers).json())

    def by_hash(self, text: str, *, method: str = "GET") -> dict[str, Any]:
        if method == "GET":
            params = {"extensions": json.dumps(persisted(text))}
            return dict(httpx.get(self.url, params=params, headers=self.headers).json())
        return dict(httpx.post(self.url, json={"extensions": persisted(text)}, headers=self.headers).json())

    def by_document_id(self, text: str) -> dict[str, Any]:
        document_id = "sha256:" + hashlib.sha256(text.encode()).hexdigest()
        return dict(httpx.post(self.url, json={"documentId": document_id}, headers=self.headers).json())


def code(body: dict[str, Any]) -> str | None:
    errors = body.get("errors") or []
    return errors[0]["extensions"]["code"] if errors else None


def names(body: dict[str, Any]) -> list[str]:
    assert not body.get("errors"), body
    return [node["name"] for node in body["data"]["projects"]["nodes"]]


def test_a_hash_is_unknown_until_its_text_is_registered(
    server: Server, new_tenant: Callable[..., Account]
) -> None:
    apq = APQClient(server, new_tenant("apq-unknown"))
    assert code(apq.by_hash(PROJECTS)) == "PERSISTED_QUERY_NOT_FOUND"
    assert names(apq.register(PROJECTS)) == []
    assert names(apq.by_hash(PROJECTS)) == []


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_a_registered_hash_runs_alone_by_get_and_post(
    server: Server, new_tenant: Callable[..., Account], method: str
) -> None:
    apq = APQClient(server, new_tenant("apq-method"))
    apq.register(PROJECTS)
    assert names(apq.by_hash(PROJECTS, method=method)) == []


def test_a_registered_hash_runs_as_a_document_id(server: Server, new_tenant: Callable[..., Account]) -> None:
    apq = APQClient(server, new_tenant("apq-document-id"))
    apq.register(PROJECTS)
    assert names(apq.by_document_id(PROJECTS)) == []


def test_a_hash_that_is_not_its_texts_is_refused_and_registers_nothing(
    server: Server, new_tenant: Callable[..., Account]
) -> None:
    apq = APQClient(server, new_tenant("apq-mismatch"))
    other = "{ health { status } }"
    body = {"query": other, "extensions": persisted(PROJECTS)}
    assert code(httpx.post(apq.url, json=body, headers=apq.headers).json()) == "BAD_USER_INPUT"
    assert code(apq.by_hash(PROJECTS)) == "PERSISTED_QUERY_NOT_FOUND"


def test_a_text_that_fails_validation_is_not_registered(server: Server) -> None:
    apq, invalid = APQClient(server), "{ notAField }"
    assert code(apq.register(invalid)) == "BAD_USER_INPUT"
    assert code(apq.by_hash(invalid)) == "PERSISTED_QUERY_NOT_FOUND"


def test_a_hash_registered_in_one_tenant_is_unknown_in_another_and_to_anonymous_callers(
    server: Server, new_tenant: Callable[..., Account]
) -> None:
    text = '{ projects(first: 1) { nodes { name } } }  # carries a literal: "acme-secret"'
    APQClient(server, new_tenant("apq-owner")).register(text)
    assert code(APQClient(server, new_tenant("apq-prober")).by_hash(text)) == "PERSISTED_QUERY_NOT_FOUND"
    assert code(APQClient(server).by_hash(text)) == "PERSISTED_QUERY_NOT_FOUND"


def test_each_run_of_a_persisted_query_is_in_the_callers_own_tenant(
    server: Server, new_tenant: Callable[..., Account]
) -> None:
    alice, bob = APQClient(server, new_tenant("apq-alice")), APQClient(server, new_tenant("apq-bob"))
    alice.register(CREATE, {"n": "alice's"})
    bob.register(CREATE, {"n": "bob's"})
    alice.register(PROJECTS)
    bob.register(PROJECTS)
    assert names(alice.by_hash(PROJECTS)) == ["alice's"]
    assert names(bob.by_hash(PROJECTS)) == ["bob's"]


@pytest.fixture(scope="module")
def two_document_server(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    running = start_server(database_url, tmp_path_factory.mktemp("apq"), IAFACTORY_APQ_CACHE_SIZE="2")
    yield running
    running.stop()


def test_the_store_keeps_its_bound_and_lets_the_least_recently_used_go(two_document_server: Server) -> None:
    apq = APQClient(two_document_server)
    first, second, third = (
        "{ health { status } }",
        "{ health { version } }",
        "{ health { status version } }",
    )
    apq.register(first)
    apq.register(second)
    assert not apq.by_hash(first).get("errors"), "using the first makes the second the least recent"
    apq.register(third)
    assert code(apq.by_hash(second)) == "PERSISTED_QUERY_NOT_FOUND", "the bound is 2 documents"
    assert not apq.by_hash(first).get("errors")
    assert not apq.by_hash(third).get("errors")
