"""CORS on /graphql and /api/*, and the WebSocket origin check, against a real server (the
development default: any http://localhost:PORT or http://127.0.0.1:PORT)."""

from __future__ import annotations

import json

import httpx
import pytest
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from tests.support.server import Server

ALLOWED = "http://localhost:5173"
DISALLOWED = "https://evil.example"
PREFLIGHT = {
    "Access-Control-Request-Method": "POST",
    "Access-Control-Request-Headers": "authorization, content-type, apollo-require-preflight",
}
QUERY = {"query": "{ health { status } }"}


def cors_headers(response: httpx.Response) -> dict[str, str]:
    return {k: v for k, v in response.headers.items() if k.lower().startswith("access-control-")}


def test_a_preflight_from_an_allowed_origin_is_answered(web_server: Server) -> None:
    response = httpx.options(web_server.graphql_url, headers={"Origin": ALLOWED, **PREFLIGHT})
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == ALLOWED
    allowed_headers = response.headers["access-control-allow-headers"].lower()
    for name in ("authorization", "content-type", "apollo-require-preflight"):
        assert name in allowed_headers
    assert "POST" in response.headers["access-control-allow-methods"]


def test_an_allowed_origin_is_echoed_without_credentials_and_reads_the_request_id(web_server: Server) -> None:
    response = httpx.post(web_server.graphql_url, json=QUERY, headers={"Origin": ALLOWED})
    assert response.json()["data"]["health"]["status"] == "ok"
    assert response.headers["access-control-allow-origin"] == ALLOWED
    assert "access-control-allow-credentials" not in response.headers, "tokens never ride on cookies"
    assert "Origin" in response.headers["vary"]
    exposed = response.headers["access-control-expose-headers"].lower()
    assert {"x-request-id", "retry-after"} <= {name.strip() for name in exposed.split(",")}


def test_a_disallowed_origin_gets_no_cors_header_at_all(web_server: Server) -> None:
    preflight = httpx.options(web_server.graphql_url, headers={"Origin": DISALLOWED, **PREFLIGHT})
    answer = httpx.post(web_server.graphql_url, json=QUERY, headers={"Origin": DISALLOWED})
    assert cors_headers(preflight) == {}
    assert cors_headers(answer) == {}


def test_rest_paths_share_the_policy(web_server: Server) -> None:
    response = httpx.options(f"{web_server.url}/api/projects", headers={"Origin": ALLOWED, **PREFLIGHT})
    assert response.headers["access-control-allow-origin"] == ALLOWED
    refused = httpx.options(f"{web_server.url}/api/projects", headers={"Origin": DISALLOWED, **PREFLIGHT})
    assert cors_headers(refused) == {}


def test_other_paths_carry_no_cors_headers(web_server: Server) -> None:
    response = httpx.get(f"{web_server.url}/health", headers={"Origin": ALLOWED})
    assert cors_headers(response) == {}


def open_socket(server: Server, origin: str) -> str:
    """The server's answer to connection_init from a page on `origin`."""
    with connect(
        server.ws_url, origin=origin, subprotocols=["graphql-transport-ws"], open_timeout=10
    ) as socket:
        socket.send(json.dumps({"type": "connection_init", "payload": {}}))
        return str(json.loads(socket.recv(timeout=10))["type"])


def test_a_websocket_from_an_allowed_origin_is_accepted(web_server: Server) -> None:
    assert open_socket(web_server, ALLOWED) == "connection_ack"


def test_a_websocket_from_a_disallowed_origin_is_refused(web_server: Server) -> None:
    with pytest.raises(InvalidStatus) as refused:
        open_socket(web_server, DISALLOWED)
    assert refused.value.response.status_code == 403
