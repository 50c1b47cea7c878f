"""The compiled path keeps tenants apart exactly as the general path does: explicit
tenant_id predicates, and row-level security behind them (shown with the predicates
removed); forged cursors and concurrency change nothing. A request costs at most three
round trips, whatever the page sizes."""

from __future__ import annotations

import base64
import json
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

import asyncpg
import pytest
from graphql import parse

from iafactory.auth.principal import Principal, Role
from iafactory.db.scope import DbRole, transaction
from iafactory.schema.build import build_schema
from iafactory.schema.compiled.plans import compile_plan
from iafactory.settings import Settings
from tests.schema.compiled.conftest import Twins
from tests.schema.compiled.seed import Seeded, seed
from tests.support.graphql import GraphQLClient, register

EVERYTHING = (
    "{ projects(first: 100) { totalCount nodes { id"
    " documents(first: 100) { totalCount nodes { id project { id } } } } }"
    " documents(first: 100) { totalCount nodes { id } }"
    " transcriptions(first: 100) { totalCount nodes { id } } }"
)


@pytest.fixture(scope="module")
def tenants(twin_client: GraphQLClient, database_url: str) -> tuple[Seeded, Seeded]:
    alice, bob = register(twin_client, name="alice"), register(twin_client, name="bob")
    return seed(database_url, alice, outsider=bob), seed(database_url, bob, outsider=alice)


def ids_in(data: Any) -> set[str]:
    if isinstance(data, dict):
        return {v for k, v in data.items() if k == "id"} | {i for v in data.values() for i in ids_in(v)}
    if isinstance(data, list):
        return {i for item in data for i in ids_in(item)}
    return set()


def own_ids(seeded: Seeded) -> set[str]:
    return {*seeded.projects, *seeded.documents, *seeded.transcriptions}


def test_each_tenant_reads_only_its_own_rows(twins: Twins, tenants: tuple[Seeded, Seeded]) -> None:
    for me, other in (tenants, tenants[::-1]):
        answer = twins.same(EVERYTHING, token=me.account.access_token)
        seen = ids_in(answer.json["data"])
        assert seen == own_ids(me), "all of its own rows, nothing else"
        assert not seen & own_ids(other)


def test_another_tenants_ids_look_like_unknown_ids(twins: Twins, tenants: tuple[Seeded, Seeded]) -> None:
    alice, bob = tenants
    for query, ids in [
        ("query($id: ID!) { project(id: $id) { id } }", bob.projects),
        ("query($id: ID!) { document(id: $id) { id } }", bob.documents),
        ("query($p: ID) { documents(projectId: $p) { totalCount nodes { id } } }", bob.projects),
    ]:
        for other_id in ids[:3]:
            variables = {"id": other_id, "p": other_id}
            answer = twins.same(query, variables, token=alice.account.access_token)
            assert not ids_in(answer.json["data"]), f"{query} showed another tenant's row"


def forged_cursor(created_at: str, row_id: str) -> str:
    raw = json.dumps([created_at, row_id], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def test_a_cursor_forged_from_another_tenants_row_only_skips_through_ones_own(
    twins: Twins, tenants: tuple[Seeded, Seeded]
) -> None:
    alice, bob = tenants
    query = (
        "query($a: String) { projects(first: 100, after: $a) { nodes { id } }"
        " documents(after: $a) { nodes { id } } }"
    )
    for created_at in ["2999-01-01T00:00:00+00:00", "2025-03-30T04:00:00.000000+00:00"]:
        cursor = forged_cursor(created_at, bob.projects[0])
        answer = twins.same(query, {"a": cursor}, token=alice.account.access_token)
        assert ids_in(answer.json["data"]) <= own_ids(alice)


def test_concurrent_requests_of_two_tenants_never_mix(twins: Twins, tenants: tuple[Seeded, Seeded]) -> None:
    twins.same(EVERYTHING, token=tenants[0].account.access_token)  # the plan exists

    def read(index: int) -> tuple[int, set[str], bool]:
        me = tenants[index % 2]
        compiled, _ = twins.answers(EVERYTHING, token=me.account.access_token)
        return index, ids_in(json.loads(compiled.body)["data"]), compiled.compiled

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(read, range(40)))
    for index, seen, compiled in results:
        assert compiled, "the compiled path answered"
        assert seen == own_ids(tenants[index % 2]), f"request {index} saw rows that are not its tenant's"


@pytest.mark.parametrize("first", [1, 20, 100])
def test_a_request_takes_one_round_trip_whatever_the_page_sizes(
    twins: Twins, tenants: tuple[Seeded, Seeded], first: int
) -> None:
    query = (
        "query($n: Int) { projects(first: $n) { totalCount nodes { createdBy { email }"
        " documents(first: $n) { totalCount nodes { project { name } createdBy { email } } }"
        " transcriptions(first: $n) { nodes { document { project { name } } } } } }"
        " me { user { email } memberships { tenant { name } } } }"
    )
    answer = twins.same(query, {"n": first}, token=tenants[0].account.access_token)
    # The opening, the caller's check and the statement, pipelined (iafactory/db/pipeline.py).
    # The first request of the tenant cached its plan limits (three round trips, then).
    assert answer.statements == 1, f"{answer.statements} round trips"


async def test_row_level_security_alone_keeps_other_tenants_out(
    database_url: str, tenants: tuple[Seeded, Seeded]
) -> None:
    """The compiled SQL with its explicit tenant predicates removed: under the request's
    transaction (app role, tenant setting) it still returns only the tenant's rows, while the
    very same SQL run as a superuser (no RLS) returns both tenants' rows."""
    alice, bob = tenants
    schema = build_schema(Settings())._schema
    plan = compile_plan(schema, parse(EVERYTHING), None, tenant_predicate=False)
    principal = Principal(
        user_id=uuid.UUID(alice.account.user_id),
        tenant_id=uuid.UUID(alice.account.tenant_id),
        role=Role.OWNER,
        superadmin=False,
        expires_at=datetime(2999, 1, 1, tzinfo=UTC),
        token_id="test",
    )
    sql, arguments = plan.statement(plan.bind({}, principal, max_page_size=100))
    assert "tenant_id" not in sql, "the explicit predicates are gone"
    connection = await asyncpg.connect(database_url)
    try:
        async with transaction(
            connection,
            role=DbRole.APP,
            request_id="rls-test",
            tenant_id=principal.tenant_id,
            user_id=principal.user_id,
        ) as db:
            under_rls = ids_in(json.loads(await db.fetchval(sql, *arguments)))
        without_rls = ids_in(json.loads(await connection.fetchval(sql, *arguments)))
    finally:
        await connection.close()
    assert under_rls == own_ids(alice), "row-level security alone kept every other tenant's row out"
    assert without_rls & own_ids(bob), "without RLS the same SQL reads the other tenant: the wall is real"
