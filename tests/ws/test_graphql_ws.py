"""GraphQL over WebSocket (graphql-transport-ws) against the real server: the token travels in
connection_init, is checked again at each subscribe, and each operation runs in its own
tenant transaction (so a membership removed mid-connection takes effect at once)."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from tests.helpers import add_member, claims_of, sign, token_in
from tests.support.graphql import Account, GraphQLClient, register
from tests.support.server import Server

PROTOCOL = "graphql-transport-ws"
ME = "{ me { role user { email } tenant { id } } }"


@asynccontextmanager
async def socket(
    server: Server, init: dict[str, Any] | None = None, *, ack: bool = True
) -> AsyncIterator[ClientConnection]:
    """A graphql-transport-ws connection; sends connection_init with `init` unless None."""
    async with connect(server.ws_url, subprotocols=[PROTOCOL], open_timeout=10) as ws:  # type: ignore[list-item]
        assert ws.subprotocol == PROTOCOL
        if init is not None:
            await ws.send(json.dumps({"type": "connection_init", "payload": init}))
            if ack:
                acknowledged = json.loads(await asyncio.wait_for(ws.recv(), 10))
                assert acknowledged["type"] == "connection_ack", acknowledged
        yield ws


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def run(ws: ClientConnection, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
    """Subscribe with a single-result operation; its payload (next), then the complete."""
    operation_id = uuid.uuid4().hex
    await ws.send(
        json.dumps(
            {
                "id": operation_id,
                "type": "subscribe",
                "payload": {"query": query, "variables": variables or {}},
            }
        )
    )
    message = json.loads(await asyncio.wait_for(ws.recv(), 10))
    assert message["id"] == operation_id, message
    if message["type"] == "error":  # pre-execution errors come as a list, without `next`
        return {"data": None, "errors": message["payload"]}
    assert message["type"] == "next", message
    done = json.loads(await asyncio.wait_for(ws.recv(), 10))
    assert done == {"id": operation_id, "type": "complete"}, done
    payload: dict[str, Any] = message["payload"]
    return payload


async def closed_with(ws: ClientConnection) -> int | None:
    with pytest.raises(ConnectionClosed) as closed:
        await asyncio.wait_for(ws.recv(), 10)
    return closed.value.rcvd.code if closed.value.rcvd else None


def codes(payload: dict[str, Any]) -> list[str]:
    return [error["extensions"]["code"] for error in payload.get("errors") or []]


@pytest.fixture(scope="module")
def alice(client: GraphQLClient) -> Account:
    return register(client, name="ws-alice")


async def test_a_query_over_websocket_answers_as_the_token_in_connection_init(
    server: Server, alice: Account
) -> None:
    async with socket(server, bearer(alice.access_token)) as ws:
        payload = await run(ws, ME)
        again = await run(ws, ME)
    assert payload == {
        "data": {"me": {"role": "OWNER", "user": {"email": alice.email}, "tenant": {"id": alice.tenant_id}}}
    }
    assert again == payload, "several operations on one connection"


async def test_the_lowercase_authorization_key_works_too(server: Server, alice: Account) -> None:
    async with socket(server, {"authorization": f"Bearer {alice.access_token}"}) as ws:
        assert (await run(ws, ME))["data"]["me"]["user"]["email"] == alice.email


async def test_a_mutation_over_websocket_is_committed(
    server: Server, client: GraphQLClient, alice: Account
) -> None:
    name = f"via websocket {uuid.uuid4().hex[:6]}"
    async with socket(server, bearer(alice.access_token)) as ws:
        created = await run(
            ws, "mutation($n: String!) { createProject(input: {name: $n}) { id } }", {"n": name}
        )
    project_id = created["data"]["createProject"]["id"]
    seen = client.data(
        "query($id: ID!) { project(id: $id) { name } }", {"id": project_id}, token=alice.access_token
    )
    assert seen["project"] == {"name": name}


async def test_a_subscribe_before_connection_ack_closes_with_4401(server: Server) -> None:
    async with socket(server) as ws:
        await ws.send(
            json.dumps({"id": "1", "type": "subscribe", "payload": {"query": "{ health { status } }"}})
        )
        assert await closed_with(ws) == 4401


@pytest.mark.parametrize(
    "init",
    [
        {"Authorization": "Bearer not.a.token"},
        {"Authorization": "Basic dXNlcjpwYXNz"},
        {"Authorization": "Bearer " + sign({"sub": str(uuid.uuid4())}, secret="wrong-" + "k" * 40)},
    ],
)
async def test_a_bad_token_in_connection_init_is_rejected_without_ack(
    server: Server, init: dict[str, str]
) -> None:
    async with socket(server, init, ack=False) as ws:
        assert await closed_with(ws) == 4403, "rejected at connection_init (Forbidden), never acknowledged"


async def test_without_a_token_fields_needing_a_caller_are_unauthenticated(server: Server) -> None:
    async with socket(server, {}) as ws:
        assert (await run(ws, "{ health { status } }"))["data"] == {"health": {"status": "ok"}}
        payload = await run(ws, ME)
    assert codes(payload) == ["UNAUTHENTICATED"]
    assert payload["errors"][0]["extensions"]["requestId"], "errors over WebSocket carry a request id too"


async def test_a_token_that_expires_while_connected_is_refused_at_the_next_subscribe(
    server: Server, alice: Account
) -> None:
    expires = int(time.time()) + 2
    token = sign(claims_of(alice, exp=expires))
    async with socket(server, bearer(token)) as ws:
        assert (await run(ws, ME))["data"]["me"]["tenant"]["id"] == alice.tenant_id
        await asyncio.sleep(max(0.0, expires - time.time()) + 0.2)
        assert codes(await run(ws, ME)) == ["UNAUTHENTICATED"], (
            "expiry is checked per operation, not once per socket"
        )


async def test_a_member_removed_while_connected_is_refused_at_the_next_subscribe(
    server: Server, client: GraphQLClient, alice: Account
) -> None:
    leaver = register(client, name="ws-leaver")
    add_member(client, alice, leaver)
    token = token_in(client, leaver, alice)
    async with socket(server, bearer(token)) as ws:
        assert (await run(ws, ME))["data"]["me"]["tenant"]["id"] == alice.tenant_id
        client.data(
            "mutation($id: ID!) { removeMember(userId: $id) }",
            {"id": leaver.user_id},
            token=alice.access_token,
        )
        assert codes(await run(ws, ME)) == ["UNAUTHENTICATED"]


async def test_another_tenant_over_websocket_reads_null_for_a_foreign_project(
    server: Server, client: GraphQLClient, alice: Account
) -> None:
    project = client.data(
        'mutation { createProject(input: {name: "ws secret"}) { id } }', token=alice.access_token
    )
    mallory = register(client, name="ws-mallory")
    async with socket(server, bearer(mallory.access_token)) as ws:
        payload = await run(
            ws, "query($id: ID!) { project(id: $id) { id } }", {"id": project["createProject"]["id"]}
        )
    assert payload == {"data": {"project": None}}


async def test_a_syntax_error_over_websocket_has_a_code(server: Server, alice: Account) -> None:
    async with socket(server, bearer(alice.access_token)) as ws:
        payload = await run(ws, "{ me { ")
    assert codes(payload) == ["BAD_USER_INPUT"], payload
