"""Issue 9, finding 6: a request body is bounded while it streams in (IAFACTORY_MAX_BODY_BYTES,
413 PAYLOAD_TOO_LARGE), chunked or not, and JSON nested deeper than a parser's stack is a
client's error (400 BAD_USER_INPUT), never a plain-text 500 with a traceback."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx

from tests.support.server import Server

TWENTY_MEGABYTES = 20 * 1024 * 1024
HEALTH = "{ health { status } }"


def json_body_of(size: int) -> bytes:
    return json.dumps({"query": HEALTH, "variables": {"padding": "x" * size}}).encode()


def test_a_twenty_megabyte_json_body_is_refused_with_413(server: Server) -> None:
    response = httpx.post(
        server.graphql_url,
        content=json_body_of(TWENTY_MEGABYTES),
        headers={"Content-Type": "application/json"},
        timeout=30,
    )
    assert response.status_code == 413
    assert response.json()["errors"][0]["extensions"]["code"] == "PAYLOAD_TOO_LARGE"
    assert response.json()["errors"][0]["extensions"]["requestId"] == response.headers["x-request-id"]


def test_a_twenty_megabyte_chunked_body_is_refused_with_413_while_it_streams(server: Server) -> None:
    sent = 0

    def chunks() -> Iterator[bytes]:
        nonlocal sent
        yield b'{"query": "{ health { status } }", "variables": {"padding": "'
        while sent < TWENTY_MEGABYTES:
            sent += 64 * 1024
            yield b"x" * 64 * 1024
        yield b'"}}'

    try:
        response = httpx.post(
            server.graphql_url, content=chunks(), headers={"Content-Type": "application/json"}, timeout=30
        )
    except httpx.HTTPError:
        assert sent < TWENTY_MEGABYTES, "the server cut the upload short"
        return
    assert response.status_code == 413, "no Content-Length: the limit counts streamed bytes"
    assert response.json()["errors"][0]["extensions"]["code"] == "PAYLOAD_TOO_LARGE"


def test_a_body_just_under_the_limit_is_served(server: Server) -> None:
    response = httpx.post(
        server.graphql_url,
        content=json_body_of(1_000_000),
        headers={"Content-Type": "application/json"},
        timeout=30,
    )
    assert response.status_code == 200, response.text[:300]


def test_json_nested_two_thousand_deep_is_bad_user_input_not_a_plain_text_500(server: Server) -> None:
    deep = "[" * 2000 + "]" * 2000
    response = httpx.post(
        server.graphql_url,
        content=f'{{"query": "{{ health {{ status }} }}", "variables": {{"x": {deep}}}}}',
        headers={"Content-Type": "application/json"},
        timeout=30,
    )
    assert response.status_code == 400, response.text[:300]
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert "Traceback" not in response.text


def test_variables_nested_deep_in_a_get_request_are_bad_user_input(server: Server) -> None:
    deep = "[" * 5000 + "]" * 5000
    response = httpx.get(
        server.graphql_url, params={"query": HEALTH, "variables": f'{{"x": {deep}}}'}, timeout=30
    )
    assert response.status_code == 400, response.text[:300]
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


def test_a_document_nested_two_thousand_deep_is_bad_user_input(server: Server) -> None:
    nested = "{ health(x: " + "[" * 2000 + "]" * 2000 + ") { status } }"
    response = httpx.post(server.graphql_url, json={"query": nested}, timeout=30)
    assert response.json()["errors"][0]["extensions"]["code"] in {"BAD_USER_INPUT", "QUERY_TOO_COMPLEX"}
    assert response.status_code in {200, 400}


def test_the_server_log_holds_no_traceback_after_deep_nesting(server: Server) -> None:
    httpx.post(
        server.graphql_url,
        content='{"query": "{ health { status } }", "variables": ' + "[" * 3000 + "]" * 3000 + "}",
        headers={"Content-Type": "application/json"},
        timeout=30,
    )
    assert "RecursionError" not in server.log.read_text()
