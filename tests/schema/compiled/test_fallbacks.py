"""Whatever a plan cannot answer exactly goes to the general path, so every error is the
general path's own, byte for byte: bad input, refused callers, rate limits."""

from __future__ import annotations

import time
import uuid
from typing import Any

import psycopg
import pytest

from tests.helpers import claims_of, sign
from tests.schema.compiled.conftest import Twins
from tests.support.graphql import Account, GraphQLClient, register

PAGE = (
    "query($first: Int, $after: String) { projects(first: $first, after: $after)"
    " { totalCount nodes { id } } }"
)
NESTED = "query($first: Int) { projects { nodes { documents(first: $first) { totalCount } } } }"
GET = "query($id: ID!) { project(id: $id) { id } }"
FILTERED = "query($p: ID, $s: TranscriptionStatus) { documents(projectId: $p) { totalCount }"
FILTERED += " transcriptions(status: $s) { totalCount } }"

# base64url of ["yesterday","00000000-0000-0000-0000-000000000000"]
BAD_DATE = "WyJ5ZXN0ZXJkYXkiLCIwMDAwMDAwMC0wMDAwLTAwMDAtMDAwMC0wMDAwMDAwMDAwMDAiXQ"
BAD_INPUT: dict[str, tuple[str, dict[str, Any]]] = {
    "first below zero": (PAGE, {"first": -1}),
    "first above the maximum": (PAGE, {"first": 101}),
    "first as a string": (PAGE, {"first": "5"}),
    "first beyond Int": (PAGE, {"first": 2**31}),
    "a cursor that is not base64": (PAGE, {"after": "!!!"}),
    "a cursor of garbage": (PAGE, {"after": "bm90IGpzb24"}),
    "a cursor with a bad date": (PAGE, {"after": BAD_DATE}),
    "a nested first out of range": (NESTED, {"first": 1000}),
    "an id that is not a uuid": (GET, {"id": "not-a-uuid"}),
    "an id as a number": (GET, {"id": 12}),
    "a required id missing": (GET, {}),
    "a required id null": (GET, {"id": None}),
    "a filter id that is not a uuid": (FILTERED, {"p": "nope"}),
    "a status that does not exist": (FILTERED, {"s": "DONE"}),
}


@pytest.fixture(scope="module")
def carol(twin_client: GraphQLClient, database_url: str) -> Account:
    account = register(twin_client, name="carol")
    with psycopg.connect(database_url, autocommit=True) as sql:
        sql.execute("UPDATE tenants SET plan = 'ENTERPRISE' WHERE id = %s", (account.tenant_id,))
        sql.execute("INSERT INTO projects (tenant_id, name) VALUES (%s, 'only')", (account.tenant_id,))
    return account


@pytest.mark.parametrize(("query", "variables"), BAD_INPUT.values(), ids=BAD_INPUT.keys())
def test_bad_input_gets_the_general_paths_error(
    twins: Twins, carol: Account, query: str, variables: dict[str, Any]
) -> None:
    answer = twins.same(query, variables, token=carol.access_token, compiled=False)
    assert answer.json.get("errors"), "each of these is an error"


def test_a_value_graphql_coerces_takes_the_general_path_and_gets_its_answer(
    twins: Twins, carol: Account
) -> None:
    answer = twins.same(PAGE, {"first": 5.0}, token=carol.access_token, compiled=False)
    assert answer.json["data"]["projects"]["totalCount"] == 1


def test_without_a_token_the_general_path_answers(twins: Twins, carol: Account) -> None:
    twins.same("{ projects { totalCount } }", token=carol.access_token)  # the plan exists
    answer = twins.same("{ projects { totalCount } }", token=None, compiled=False)
    assert answer.json["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


@pytest.mark.parametrize(
    "forged",
    [
        pytest.param({"exp": int(time.time()) - 60}, id="expired"),
        pytest.param({"role": "ADMIN"}, id="a role the database does not give"),
        pytest.param({"sub": str(uuid.uuid4())}, id="a user that does not exist"),
        pytest.param({"superadmin": True}, id="a super-admin claim the database denies"),
    ],
)
def test_a_refused_token_gets_the_general_paths_error(
    twins: Twins, carol: Account, forged: dict[str, Any]
) -> None:
    twins.same("{ projects { totalCount } }", token=carol.access_token)
    token = sign(claims_of(carol, **forged))
    answer = twins.same("{ projects { totalCount } }", token=token, compiled=False)
    assert answer.json["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


def test_a_suspended_tenant_gets_the_general_paths_error(
    twins: Twins, twin_client: GraphQLClient, database_url: str
) -> None:
    dave = register(twin_client, name="dave")
    twins.same("{ projects { totalCount } }", token=dave.access_token)
    with psycopg.connect(database_url, autocommit=True) as sql:
        sql.execute("UPDATE tenants SET status = 'SUSPENDED' WHERE id = %s", (dave.tenant_id,))
    answer = twins.same("{ projects { totalCount } }", token=dave.access_token, compiled=False)
    assert answer.json["errors"][0]["extensions"]["code"] == "TENANT_SUSPENDED"


def test_a_rate_limited_tenant_gets_the_general_paths_refusal(
    twins: Twins, twin_client: GraphQLClient, database_url: str
) -> None:
    erin = register(twin_client, name="erin")
    with psycopg.connect(database_url, autocommit=True) as sql:
        sql.execute(
            "INSERT INTO tenant_quota_overrides (tenant_id, quota, value)"
            " VALUES (%s, 'requests_per_minute', 2)",
            (erin.tenant_id,),
        )
    query = {"query": "{ projects { totalCount } }"}
    # Two requests each (the compiled server's first records the plan, its second is compiled),
    # then the third of each server is over the budget.
    for server in (twins.compiled_server, twins.general_server):
        for _ in range(2):
            assert twins.post(server, query, erin.access_token, uuid.uuid4().hex).status_code == 200
    request_id = uuid.uuid4().hex
    servers = (twins.compiled_server, twins.general_server)
    refused = [twins.post(server, query, erin.access_token, request_id) for server in servers]
    assert [r.status_code for r in refused] == [429, 429]
    bodies = [r.json() for r in refused]
    for body in bodies:
        body["errors"][0]["extensions"].pop("retryAfter")  # seconds left in the window: the clock's
    assert bodies[0] == bodies[1]
    assert all(response.headers["retry-after"] for response in refused)


# Validated once, but the cost depends on each request's variables (schema/cost.py).
DEEP = (
    "query($first: Int) { projects(first: $first) { nodes { documents(first: $first)"
    " { nodes { project { documents(first: $first) { totalCount nodes { id } } } } } } } }"
)


def test_variables_that_raise_the_cost_over_the_limit_get_the_general_paths_refusal(
    twins: Twins, carol: Account
) -> None:
    twins.same(DEEP, {"first": 1}, token=carol.access_token, compiled=True)
    answer = twins.same(DEEP, {"first": 100}, token=carol.access_token, compiled=False)
    assert [e["extensions"]["code"] for e in answer.json["errors"]] == ["QUERY_TOO_COMPLEX"]


def test_the_answer_has_the_media_type_the_client_asked_for(twins: Twins, carol: Account) -> None:
    query = "{ projects { totalCount } }"
    twins.same(query, token=carol.access_token, compiled=None)  # records the plan
    for accept, media in [
        ("application/json", "application/json"),
        ("*/*", "application/json"),
        ("application/graphql-response+json", "application/graphql-response+json"),
    ]:
        response = twins.http.post(
            twins.compiled_server.graphql_url,
            json={"query": query},
            headers={"Authorization": f"Bearer {carol.access_token}", "Accept": accept},
        )
        assert response.status_code == 200
        assert response.headers["content-type"] == f"{media}; charset=utf-8"
