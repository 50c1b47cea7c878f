"""Media types and statuses on /graphql, as the GraphQL-over-HTTP specification has them.

A client that accepts application/graphql-response+json gets each request error's own 4xx
status and no `data` key; an application/json client (or `*/*`, or no Accept) gets 200 for
every well-formed request, with the same error in the body. A request that is not
well-formed gets its status whatever it accepts. Every error has its code and request id.
"""

from __future__ import annotations

import hashlib
import http.client
import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from tests.http.conftest import SPEC
from tests.support.database import throttle
from tests.support.graphql import Account
from tests.support.server import Server

JSON = "application/json"
ACCEPTS = {SPEC: SPEC, JSON: JSON, "*/*": JSON, None: JSON}  # Accept -> the media type answered
NESTED = "documents { nodes { project { " * 6 + "id" + " } } }" * 6
UNKNOWN_HASH = hashlib.sha256(b"{ never sent }").hexdigest()


def post(body: Any) -> dict[str, Any]:
    return {"method": "POST", "json": body}


# name: (request, code, status under application/graphql-response+json)
REQUEST_ERRORS: dict[str, tuple[dict[str, Any], str, int]] = {
    "parse": (post({"query": "{ me { "}), "BAD_USER_INPUT", 400),
    "validation": (post({"query": "{ nope }"}), "BAD_USER_INPUT", 400),
    "variable coercion": (
        post({"query": "query($n: Int) { projects(first: $n) { totalCount } }", "variables": {"n": "ten"}}),
        "BAD_USER_INPUT",
        400,
    ),
    "depth limit": (post({"query": "{ projects { nodes { " + NESTED + " } } }"}), "QUERY_TOO_COMPLEX", 400),
    "alias limit": (
        post({"query": "{ " + " ".join(f"a{i}: health {{ status }}" for i in range(31)) + " }"}),
        "QUERY_TOO_COMPLEX",
        400,
    ),
    "unknown persisted query": (
        {
            "method": "GET",
            "params": {
                "extensions": json.dumps({"persistedQuery": {"version": 1, "sha256Hash": UNKNOWN_HASH}})
            },
        },
        "PERSISTED_QUERY_NOT_FOUND",
        404,
    ),
}
# name: (request, status whatever the media type)
MALFORMED: dict[str, tuple[dict[str, Any], int]] = {
    "a body that is not JSON": (
        {"method": "POST", "content": b"{ not json", "headers": {"Content-Type": JSON}},
        400,
    ),
    "no query": (post({"variables": {}}), 400),
    "a query that is not a string": (post({"query": {"obj": "ect"}}), 400),
    "a mutation by GET": (
        {"method": "GET", "params": {"query": 'mutation { logout(refreshToken: "x") }'}},
        405,
    ),
    "an upload over the limit": (
        {
            "method": "POST",
            # Refused on its declared length, before a byte of the body is read.
            "declared_length": 30 * 1024 * 1024,
            "headers": {
                "Content-Type": "multipart/form-data; boundary=x",
                "Apollo-Require-Preflight": "true",
            },
        },
        413,
    ),
}


def send(
    server: Server, request: dict[str, Any], accept: str | None, token: str | None = None
) -> httpx.Response:
    headers = dict(request.get("headers", {}))
    if accept is not None:
        headers["Accept"] = accept
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    if "declared_length" in request:
        return declared_only(server, request["declared_length"], headers)
    with httpx.Client(timeout=30) as http:
        return http.request(url=server.graphql_url, **{**request, "headers": headers})


def declared_only(server: Server, length: int, headers: dict[str, str]) -> httpx.Response:
    """A POST that declares `length` bytes and sends none (httpx would refuse to)."""
    url = httpx.URL(server.graphql_url)
    connection = http.client.HTTPConnection(url.host, url.port, timeout=30)
    try:
        connection.request("POST", url.path, headers={**headers, "Content-Length": str(length)})
        answer = connection.getresponse()
        return httpx.Response(answer.status, headers=answer.getheaders(), content=answer.read())
    finally:
        connection.close()


def only_error(response: httpx.Response) -> dict[str, Any]:
    body = response.json()
    assert "data" not in body, f"a request error has no data key: {body}"
    [error] = body["errors"]
    assert error["extensions"]["requestId"] == response.headers["x-request-id"], error
    return dict(error)


def media_of(response: httpx.Response) -> str:
    return response.headers["content-type"].split(";")[0]


@pytest.mark.parametrize("accept", list(ACCEPTS))
@pytest.mark.parametrize("case", list(REQUEST_ERRORS))
def test_a_request_error_has_its_status_only_under_the_specs_media_type(
    server: Server, case: str, accept: str | None
) -> None:
    request, code, spec_status = REQUEST_ERRORS[case]
    response = send(server, request, accept)
    assert media_of(response) == ACCEPTS[accept]
    expected = spec_status if ACCEPTS[accept] == SPEC else 200
    assert response.status_code == expected, response.text
    assert only_error(response)["extensions"]["code"] == code


@pytest.mark.parametrize("accept", list(ACCEPTS))
@pytest.mark.parametrize("case", list(MALFORMED))
def test_a_request_that_is_not_well_formed_has_its_status_whatever_the_media_type(
    server: Server, case: str, accept: str | None
) -> None:
    request, status = MALFORMED[case]
    response = send(server, request, accept)
    assert (response.status_code, media_of(response)) == (status, ACCEPTS[accept]), response.text
    assert only_error(response)["extensions"]["code"] in {"BAD_USER_INPUT", "PAYLOAD_TOO_LARGE"}


@pytest.mark.parametrize("accept", [SPEC, None])
def test_a_mutation_by_get_names_post_in_allow(server: Server, accept: str | None) -> None:
    assert send(server, MALFORMED["a mutation by GET"][0], accept).headers["allow"] == "POST"


@pytest.mark.parametrize("accept", [SPEC, JSON])
def test_a_rate_limited_operation_carries_retry_after_under_both_media_types(
    server: Server, new_tenant: Callable[..., Account], database_url: str, accept: str
) -> None:
    alice = new_tenant("negotiated-limit")
    throttle(database_url, alice.tenant_id, 1)
    me = post({"query": "{ me { role } }"})
    assert send(server, me, accept, alice.access_token).status_code == 200, "the first is within budget"
    refused = send(server, me, accept, alice.access_token)
    assert refused.status_code == (429 if accept == SPEC else 200), refused.text
    error = only_error(refused)
    assert error["extensions"]["code"] == "RATE_LIMITED"
    assert refused.headers["retry-after"] == str(error["extensions"]["retryAfter"])


@pytest.mark.parametrize("accept", list(ACCEPTS))
def test_an_operation_that_ran_answers_200_with_its_data_even_when_a_field_failed(
    server: Server, accept: str | None
) -> None:
    response = send(server, post({"query": "{ me { role } }"}), accept)
    assert (response.status_code, media_of(response)) == (200, ACCEPTS[accept])
    body = response.json()
    assert "data" in body, "an executed operation keeps its data entry (null here)"
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert body["errors"][0]["path"] == ["me"]


@pytest.mark.parametrize(
    ("accept", "answered"),
    [
        ("application/graphql-response+json, application/json;q=0.9", SPEC),
        ("application/json, application/graphql-response+json;q=0.5", JSON),
        ("application/graphql-response+json;q=0", JSON),
        ("text/html", JSON),
    ],
)
def test_the_accept_header_is_read_with_its_preferences(server: Server, accept: str, answered: str) -> None:
    response = send(server, post({"query": "{ health { status } }"}), accept)
    assert (response.status_code, media_of(response)) == (200, answered)
