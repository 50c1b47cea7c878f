"""Trusted documents (IAFACTORY_TRUSTED_DOCUMENTS) over real HTTP and WebSocket: only the
manifests' documents run, named by documentId, by APQ hash or sent verbatim; anything else is
PERSISTED_QUERY_NOT_ALLOWED before it is parsed, and creates nothing. `console` names the web
console's own manifest (GraphQL Code Generator's format); the other file here is Apollo's."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import websockets

from tests.http.conftest import SPEC
from tests.support.graphql import Account, GraphQLClient, register
from tests.support.server import REPO_ROOT, Server, start_server

LISTED = "query ListedProjects { projects(first: 10) { totalCount nodes { name } } }"
UNLISTED_MUTATION = 'mutation { createProject(input: {name: "not trusted"}) { id } }'
CONSOLE_ME = next(
    text
    for text in json.loads((REPO_ROOT / "iafactory" / "web" / "trusted-documents.json").read_text()).values()
    if "query ConsoleMe " in text
)


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


@pytest.fixture(scope="module")
def trusted(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    work = tmp_path_factory.mktemp("trusted")
    manifest = {
        "format": "apollo-persisted-query-manifest",
        "version": 1,
        "operations": [{"id": "listed-projects", "name": "ListedProjects", "type": "query", "body": LISTED}],
    }
    (work / "manifest.json").write_text(json.dumps(manifest))
    running = start_server(
        database_url, work, IAFACTORY_TRUSTED_DOCUMENTS=f"console,{work / 'manifest.json'}"
    )
    yield running
    running.stop()


@pytest.fixture(scope="module")
def alice(client: GraphQLClient) -> Account:
    return register(client, name="trusted")


def ask(server: Server, alice: Account, body: dict[str, Any], **headers: str) -> httpx.Response:
    return httpx.post(
        server.graphql_url, json=body, headers={"Authorization": f"Bearer {alice.access_token}", **headers}
    )


def code(response: httpx.Response) -> str | None:
    errors = response.json().get("errors") or []
    return errors[0]["extensions"]["code"] if errors else None


def total(response: httpx.Response) -> int:
    body = response.json()
    assert not body.get("errors"), body
    return int(body["data"]["projects"]["totalCount"])


@pytest.mark.parametrize(
    "body",
    [
        {"query": LISTED},
        {"documentId": "listed-projects"},
        {"documentId": f"sha256:{sha256(LISTED)}"},
        {"documentId": sha256(LISTED)},
        {"extensions": {"persistedQuery": {"version": 1, "sha256Hash": sha256(LISTED)}}},
    ],
    ids=["exact text", "manifest id", "prefixed hash", "bare hash", "APQ hash"],
)
def test_a_listed_document_runs_however_it_is_named(
    trusted: Server, alice: Account, body: dict[str, Any]
) -> None:
    assert total(ask(trusted, alice, body)) == 0


def test_the_consoles_own_operations_run_when_the_setting_names_console(
    trusted: Server, alice: Account
) -> None:
    body = ask(trusted, alice, {"query": CONSOLE_ME}).json()
    assert body["data"]["me"]["user"]["id"] == alice.user_id, body


@pytest.mark.parametrize(
    "body",
    [
        {"query": UNLISTED_MUTATION},
        {"query": LISTED + " "},  # one byte off is another document
        {"documentId": "no-such-document"},
        {"extensions": {"persistedQuery": {"version": 1, "sha256Hash": sha256(UNLISTED_MUTATION)}}},
        {
            "query": UNLISTED_MUTATION,
            "extensions": {"persistedQuery": {"version": 1, "sha256Hash": sha256(UNLISTED_MUTATION)}},
        },
    ],
    ids=["unlisted text", "almost the text", "unknown id", "unknown hash", "APQ registration"],
)
def test_anything_else_is_not_allowed_and_creates_nothing(
    trusted: Server, alice: Account, client: GraphQLClient, body: dict[str, Any]
) -> None:
    assert code(ask(trusted, alice, body)) == "PERSISTED_QUERY_NOT_ALLOWED"
    assert total(ask(trusted, alice, {"query": LISTED})) == 0, "the refused mutation created no project"


def test_an_unlisted_text_is_refused_before_it_is_parsed(trusted: Server, alice: Account) -> None:
    assert code(ask(trusted, alice, {"query": "{ this is not GraphQL"})) == "PERSISTED_QUERY_NOT_ALLOWED"


def test_a_refusal_is_a_400_under_the_specs_media_type(trusted: Server, alice: Account) -> None:
    response = ask(trusted, alice, {"query": UNLISTED_MUTATION}, Accept=SPEC)
    assert response.status_code == 400
    assert "data" not in response.json()


async def subscribe_once(server: Server, alice: Account, payload: dict[str, Any]) -> dict[str, Any]:
    """One operation over graphql-transport-ws: its first answer (`next` or `error`)."""
    async with websockets.connect(server.ws_url, subprotocols=["graphql-transport-ws"]) as ws:
        await ws.send(
            json.dumps(
                {"type": "connection_init", "payload": {"Authorization": f"Bearer {alice.access_token}"}}
            )
        )
        assert json.loads(await ws.recv())["type"] == "connection_ack"
        await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": payload}))
        return dict(json.loads(await ws.recv()))


async def test_a_websocket_runs_listed_documents_only(trusted: Server, alice: Account) -> None:
    listed = await subscribe_once(trusted, alice, {"query": LISTED})
    assert listed["type"] == "next", listed
    assert listed["payload"]["data"]["projects"]["totalCount"] == 0
    refused = await subscribe_once(trusted, alice, {"query": UNLISTED_MUTATION})
    assert refused["type"] == "error", refused
    assert refused["payload"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_ALLOWED"


async def test_a_websocket_may_name_a_listed_document_by_id(trusted: Server, alice: Account) -> None:
    answer = await subscribe_once(trusted, alice, {"documentId": "listed-projects"})
    assert answer["type"] == "next", answer
    assert answer["payload"]["data"]["projects"]["totalCount"] == 0


def test_an_unreadable_manifest_stops_the_server_at_start(tmp_path: Path, database_url: str) -> None:
    (tmp_path / "broken.json").write_text('["not", "a", "manifest"]')
    with pytest.raises(RuntimeError, match=r"broken\.json"):
        start_server(database_url, tmp_path, IAFACTORY_TRUSTED_DOCUMENTS=str(tmp_path / "broken.json")).stop()
