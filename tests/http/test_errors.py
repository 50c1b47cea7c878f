"""Errors as clients see them: every error carries a contract code and the request id (the
X-Request-ID header), nothing internal leaks, limits answer QUERY_TOO_COMPLEX, and a failed
mutation leaves no partial write."""

from __future__ import annotations

import base64
import json
import subprocess
import sys
import uuid
from typing import Any

import httpx
import pytest

from tests.helpers import only_code
from tests.support.graphql import Account, GraphQLClient, register
from tests.support.server import REPO_ROOT

CONTRACT_CODES = {
    "UNAUTHENTICATED",
    "TENANT_REQUIRED",
    "TENANT_SUSPENDED",
    "FORBIDDEN",
    "NOT_FOUND",
    "BAD_USER_INPUT",
    "CONFLICT",
    "RATE_LIMITED",
    "QUOTA_EXCEEDED",
    "PAYLOAD_TOO_LARGE",
    "UNSUPPORTED_MEDIA_TYPE",
    "QUERY_TOO_COMPLEX",
    "PERSISTED_QUERY_NOT_FOUND",
    "PERSISTED_QUERY_NOT_ALLOWED",
    "INTERNAL",
}
LEAKS = ("Traceback", 'File "', "asyncpg", "psycopg", "iafactory/", "site-packages", "SELECT ", "pg_")
PAGE = "query($first: Int, $after: String) { projects(first: $first, after: $after) { totalCount } }"


def cursor(created_at: str, row_id: object) -> str:
    return base64.urlsafe_b64encode(json.dumps([created_at, row_id]).encode()).decode().rstrip("=")


@pytest.fixture(scope="module")
def alice(client: GraphQLClient) -> Account:
    return register(client, name="errors")


def failing_requests(alice: Account) -> dict[str, dict[str, Any]]:
    """httpx.request keyword arguments, each answered with at least one error."""
    bearer = {"Authorization": f"Bearer {alice.access_token}"}
    nested = "documents { nodes { project { " * 6 + "id" + " } } }" * 6

    def gql(query: str, variables: dict[str, Any] | None = None, auth: bool = True) -> dict[str, Any]:
        return {
            "method": "POST",
            "json": {"query": query, "variables": variables or {}},
            "headers": bearer if auth else {},
        }

    return {
        "no token": gql("{ me { user { id } } }", auth=False),
        "bad token": {**gql("{ me { user { id } } }"), "headers": {"Authorization": "Bearer x.y.z"}},
        "syntax error": gql("{ me { "),
        "unknown field": gql("{ nope }"),
        "variable of the wrong type": gql(PAGE, {"first": "ten"}),
        "Int out of range": gql("{ projects(first: 99999999999) { totalCount } }"),
        "bad uuid": gql('{ project(id: "not-a-uuid") { id } }'),
        "first over 100": gql(PAGE, {"first": 101}),
        "malformed cursor": gql(PAGE, {"after": "%%%"}),
        "cursor with a date PostgreSQL cannot hold": gql(
            PAGE, {"after": cursor("9999-12-31T23:59:59-05:00", str(uuid.uuid4()))}
        ),
        "cursor with a number for an id": gql(PAGE, {"after": cursor("2026-01-01T00:00:00+00:00", 5)}),
        "NUL byte in a name": gql(
            "mutation($n: String!) { createProject(input: {name: $n}) { id } }", {"n": "a\x00b"}
        ),
        "NUL byte in a login email": gql(
            'mutation($e: String!) { login(input: {email: $e, password: "whatever-long"}) { accessToken } }',
            {"e": "a\x00@b.test"},
            auth=False,
        ),
        "not found": gql("mutation($id: ID!) { deleteProject(id: $id) }", {"id": str(uuid.uuid4())}),
        "forbidden": gql("{ tenants { totalCount } }"),
        "too deep": gql("{ projects { nodes { " + nested + " } } }"),
        "too many aliases": gql("{ " + " ".join(f"a{i}: health {{ status }}" for i in range(31)) + " }"),
        "too many tokens": gql("{ " + "health { status } " * 700 + "}"),
        "malformed JSON body": {
            "method": "POST",
            "content": b"{not json",
            "headers": {"Content-Type": "application/json"},
        },
        "JSON that is not an operation": {"method": "POST", "json": {"variables": {}}},
        "batched body": {"method": "POST", "json": [{"query": "{ health { status } }"}]},
        "unsupported content type": {
            "method": "POST",
            "content": b"{ health { status } }",
            "headers": {"Content-Type": "text/plain"},
        },
        "mutation over GET": {"method": "GET", "params": {"query": 'mutation { logout(refreshToken: "x") }'}},
    }


@pytest.fixture(scope="module")
def responses(server: Any, alice: Account) -> dict[str, httpx.Response]:
    with httpx.Client(timeout=30) as http:
        return {
            name: http.request(url=server.graphql_url, **kwargs)
            for name, kwargs in failing_requests(alice).items()
        }


CASES = list(failing_requests(Account("", "", "", "", "", "", "")))


@pytest.mark.parametrize("case", CASES)
def test_every_error_carries_a_contract_code_and_the_request_id_of_the_header(
    responses: dict[str, httpx.Response], case: str
) -> None:
    response = responses[case]
    assert response.headers["content-type"].startswith("application/json"), response.text
    errors = response.json()["errors"]
    assert errors, response.text
    for error in errors:
        assert error["extensions"]["code"] in CONTRACT_CODES, f"{case}: {error}"
        assert error["extensions"]["requestId"] == response.headers["x-request-id"], f"{case}: {error}"


@pytest.mark.parametrize("case", CASES)
def test_no_error_response_leaks_internals(responses: dict[str, httpx.Response], case: str) -> None:
    for leak in LEAKS:
        assert leak not in responses[case].text, f"{case} leaks {leak!r}: {responses[case].text}"


@pytest.mark.parametrize(
    ("case", "code"),
    [
        ("no token", "UNAUTHENTICATED"),
        ("bad token", "UNAUTHENTICATED"),
        ("syntax error", "BAD_USER_INPUT"),
        ("unknown field", "BAD_USER_INPUT"),
        ("variable of the wrong type", "BAD_USER_INPUT"),
        ("Int out of range", "BAD_USER_INPUT"),
        ("bad uuid", "BAD_USER_INPUT"),
        ("first over 100", "BAD_USER_INPUT"),
        ("malformed cursor", "BAD_USER_INPUT"),
        ("cursor with a date PostgreSQL cannot hold", "BAD_USER_INPUT"),
        ("cursor with a number for an id", "BAD_USER_INPUT"),
        ("NUL byte in a name", "BAD_USER_INPUT"),
        ("NUL byte in a login email", "BAD_USER_INPUT"),
        ("not found", "NOT_FOUND"),
        ("forbidden", "FORBIDDEN"),
        ("too deep", "QUERY_TOO_COMPLEX"),
        ("too many aliases", "QUERY_TOO_COMPLEX"),
        ("too many tokens", "QUERY_TOO_COMPLEX"),
        ("malformed JSON body", "BAD_USER_INPUT"),
        ("JSON that is not an operation", "BAD_USER_INPUT"),
        ("batched body", "BAD_USER_INPUT"),
        ("unsupported content type", "BAD_USER_INPUT"),
        ("mutation over GET", "BAD_USER_INPUT"),
    ],
)
def test_each_failure_gets_its_code(responses: dict[str, httpx.Response], case: str, code: str) -> None:
    assert only_code(responses[case].json()) == code, responses[case].text


def test_the_code_table_above_covers_every_case() -> None:
    assert len(CASES) == 23


def test_a_malformed_json_body_is_a_400(responses: dict[str, httpx.Response]) -> None:
    assert responses["malformed JSON body"].status_code == 400


# --- request ids -----------------------------------------------------------------------------


def test_a_valid_incoming_request_id_is_echoed_in_header_and_error(client: GraphQLClient) -> None:
    response = client.post("{ me { user { id } } }", headers={"X-Request-ID": "trace-42.a_b"})
    assert response.headers["x-request-id"] == "trace-42.a_b"
    assert response.json()["errors"][0]["extensions"]["requestId"] == "trace-42.a_b"


@pytest.mark.parametrize("bad", ["has space", "x" * 129, "semi;colon", "quote'"])
def test_an_invalid_incoming_request_id_is_replaced(client: GraphQLClient, bad: str) -> None:
    response = client.post("{ health { status } }", headers={"X-Request-ID": bad})
    assert response.headers["x-request-id"] != bad
    assert len(response.headers["x-request-id"]) >= 16


def test_every_response_gets_a_fresh_request_id(client: GraphQLClient) -> None:
    ids = {client.post("{ health { status } }").headers["x-request-id"] for _ in range(3)}
    assert len(ids) == 3


def test_an_authenticated_response_names_its_tenant(client: GraphQLClient, alice: Account) -> None:
    response = client.post("{ me { user { id } } }", token=alice.access_token)
    assert response.headers["x-tenant-context"] == alice.tenant_id
    assert "x-tenant-context" not in client.post("{ health { status } }").headers


# --- atomicity -------------------------------------------------------------------------------


def test_a_failed_mutation_rolls_back_the_earlier_fields_of_the_same_operation(
    client: GraphQLClient, alice: Account
) -> None:
    marker = f"must-not-survive-{uuid.uuid4().hex[:8]}"
    body = client.execute(
        f"""mutation {{
              first: createProject(input: {{name: "{marker}"}}) {{ id }}
              second: createProject(input: {{name: "   "}}) {{ id }}
            }}""",
        token=alice.access_token,
    )
    assert only_code(body) == "BAD_USER_INPUT"
    names = client.data("{ projects(first: 100) { nodes { name } } }", token=alice.access_token)["projects"][
        "nodes"
    ]
    assert marker not in {n["name"] for n in names}, "the first createProject was rolled back with the second"


def test_a_failed_mutation_leaves_no_audit_row_either(client: GraphQLClient, alice: Account) -> None:
    before = client.data("{ projects { totalCount } }", token=alice.access_token)["projects"]["totalCount"]
    body = client.execute(
        'mutation($id: ID!) { a: createProject(input: {name: "x"}) { id } b: deleteProject(id: $id) }',
        {"id": str(uuid.uuid4())},
        token=alice.access_token,
    )
    assert only_code(body) == "NOT_FOUND"
    assert (
        client.data("{ projects { totalCount } }", token=alice.access_token)["projects"]["totalCount"]
        == before
    )


def test_a_successful_multi_field_mutation_commits_every_field(client: GraphQLClient, alice: Account) -> None:
    before = client.data("{ projects { totalCount } }", token=alice.access_token)["projects"]["totalCount"]
    client.data(
        'mutation { a: createProject(input: {name: "a"}) { id }'
        ' b: createProject(input: {name: "b"}) { id } }',
        token=alice.access_token,
    )
    assert (
        client.data("{ projects { totalCount } }", token=alice.access_token)["projects"]["totalCount"]
        == before + 2
    )


# --- logs --------------------------------------------------------------------------------------

LOG_AN_EXCEPTION = """
import structlog
from iafactory.logging import configure_logging
from iafactory.settings import Settings
configure_logging(Settings(IAFACTORY_LOG_JSON=True))
def login(password):
    raise RuntimeError("boom")
try:
    login(password="hunter2-very-secret")
except RuntimeError:
    structlog.get_logger("t").exception("unexpected error", request_id="r1")
"""


def test_an_unexpected_errors_log_line_never_carries_local_variables() -> None:
    # Frame locals would put a login's password into the log of any unexpected error.
    done = subprocess.run(
        [sys.executable, "-c", LOG_AN_EXCEPTION],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    output = done.stdout + done.stderr
    assert "boom" in output, output
    assert "r1" in output, output
    assert "hunter2-very-secret" not in output, f"a password reached the log: {output}"


def test_a_validation_error_served_from_the_cache_carries_this_requests_id(client: GraphQLClient) -> None:
    # ValidationCache returns the same error objects for the same document every time.
    for request_id in ("first-request", "second-request"):
        response = client.post("{ nope }", headers={"X-Request-ID": request_id})
        assert response.json()["errors"][0]["extensions"]["requestId"] == request_id
