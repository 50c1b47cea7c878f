"""Schema-driven fuzzing (issue 9, "also prove"): operations generated from the served schema
by hypothesis-graphql, valid and invalid, sent by one tenant with the other tenant's ids
slipped into their arguments. Whatever the operation: no INTERNAL error, no 5xx, and nothing
of the other tenant, neither read (its ids, names, email in an answer) nor written (its rows
unchanged). Bounded: 480 operations, about a minute (marked slow)."""

from __future__ import annotations

import uuid
from collections import Counter
from typing import Any

import graphql
import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis_graphql import Mode, mutations, queries

from iafactory.schema.build import build_schema
from iafactory.settings import Settings
from tests.support.database import lift_rate_limit
from tests.support.graphql import GraphQLClient, register

EXAMPLES = 120  # per strategy; ~0.05 s a request
pytestmark = pytest.mark.slow
# Upload needs a multipart request; DateTime values are drawn as ISO timestamps.
SCALARS = {
    "DateTime": st.datetimes().map(lambda d: graphql.StringValueNode(value=d.isoformat() + "Z")),
    "Upload": st.just(graphql.NullValueNode()),
}
NO_UPLOADS = {"transcribeAudio"}
CREATE = "mutation($n: String!) { createProject(input: {name: $n}) { id } }"
ADD = "mutation($t: String!, $p: ID!) { addDocument(input: {title: $t, content: $t, projectId: $p}) { id } }"


class Tenants:
    """Alice, who fuzzes, and Bob, whose data must never show up nor change."""

    def __init__(self, client: GraphQLClient, database_url: str) -> None:
        self.alice = register(client, name="fuzzer")
        self.bob = register(client, name="victim")
        lift_rate_limit(database_url, self.alice.tenant_id)
        marker = f"BOB-{uuid.uuid4().hex[:12]}"
        project = client.data(CREATE, {"n": marker}, token=self.bob.access_token)["createProject"]["id"]
        document = client.data(ADD, {"t": marker, "p": project}, token=self.bob.access_token)["addDocument"][
            "id"
        ]
        self.ids = [project, document, self.bob.user_id, self.bob.tenant_id]
        self.secrets = [marker, self.bob.email, *self.ids]
        # Alice's own ids too, so that generated operations also reach real rows.
        own = client.data(CREATE, {"n": "alice's"}, token=self.alice.access_token)["createProject"]["id"]
        own_document = client.data(ADD, {"t": "alice's", "p": own}, token=self.alice.access_token)
        self.ids += [own, own_document["addDocument"]["id"], self.alice.user_id, self.alice.tenant_id]
        self.database_url = database_url
        self.rows = self.bob_rows()

    def bob_rows(self) -> tuple[int, ...]:
        with psycopg.connect(self.database_url, autocommit=True) as connection:
            return tuple(
                connection.execute(
                    f"SELECT count(*) FROM {table} WHERE tenant_id = %s", (self.bob.tenant_id,)
                ).fetchone()[0]  # type: ignore[index]
                for table in ("projects", "documents", "tenant_memberships")
            )


@pytest.fixture(scope="module")
def tenants(client: GraphQLClient, database_url: str) -> Tenants:
    return Tenants(client, database_url)


@pytest.fixture(scope="module")
def schema() -> graphql.GraphQLSchema:
    return build_schema(Settings())._schema


def realistic(document: graphql.DocumentNode, ids: list[str], sizes: list[int]) -> str:
    """The document with its `...id` arguments and strings replaced, in turn, by the ids given,
    and its integers by the sizes given (random ids and huge `first` values would all stop at
    the input checks)."""
    strings, integers = iter(ids * 100), iter(sizes * 100)

    class Swap(graphql.Visitor):
        def enter_argument(self, node: graphql.ArgumentNode, *_: Any) -> graphql.ArgumentNode | None:
            if node.name.value.lower().endswith("id") and (value := next(strings, None)):
                return graphql.ArgumentNode(name=node.name, value=graphql.StringValueNode(value=value))
            return None

        def enter_string_value(self, node: graphql.StringValueNode, *_: Any) -> graphql.StringValueNode:
            return graphql.StringValueNode(value=next(strings, node.value))

        def enter_int_value(self, node: graphql.IntValueNode, *_: Any) -> graphql.IntValueNode:
            return graphql.IntValueNode(value=str(next(integers, node.value)))

    return graphql.print_ast(graphql.visit(document, Swap()))


SEEN: Counter[str] = Counter()  # answers with data, and errors by code (`pytest -s` prints them)


def send(client: GraphQLClient, tenants: Tenants, operation: str) -> None:
    response = client.post(operation, token=tenants.alice.access_token)
    assert response.status_code < 500, (operation, response.text[:500])
    body = response.json()
    codes = [e.get("extensions", {}).get("code") for e in body.get("errors") or []]
    assert "INTERNAL" not in codes, (operation, body)
    assert all(codes), ("every error has a contract code", operation, body)
    SEEN.update(["operations", *(["with data"] if body.get("data") else []), *codes])
    for secret in tenants.secrets:
        if secret not in operation:  # an error may quote the client's own arguments back
            assert secret not in response.text, (f"the other tenant's {secret!r} leaked", operation)


def operations(schema: graphql.GraphQLSchema, kind: Any, mode: Mode) -> st.SearchStrategy[Any]:
    root = schema.query_type if kind is queries else schema.mutation_type
    assert root is not None
    fields = [name for name in root.fields if name not in NO_UPLOADS]
    return kind(schema, fields=fields, custom_scalars=SCALARS, print_ast=lambda d: d, mode=mode)


SIZES = st.lists(st.integers(min_value=0, max_value=30), max_size=3)


def IDS(tenants: Tenants) -> st.SearchStrategy[list[str]]:  # noqa: N802 - a strategy, like SIZES
    return st.lists(st.sampled_from(tenants.ids), min_size=1, max_size=4)


FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@pytest.mark.parametrize("mode", [Mode.POSITIVE, Mode.NEGATIVE])
def test_generated_queries_leak_nothing_and_never_fail_internally(
    client: GraphQLClient, tenants: Tenants, schema: graphql.GraphQLSchema, mode: Mode
) -> None:
    @FUZZ
    @given(data=st.data())
    def fuzz(data: st.DataObject) -> None:
        document = data.draw(operations(schema, queries, mode))
        send(client, tenants, realistic(document, data.draw(IDS(tenants)), data.draw(SIZES)))

    fuzz()


@pytest.mark.parametrize("mode", [Mode.POSITIVE, Mode.NEGATIVE])
def test_generated_mutations_touch_nothing_of_the_other_tenant(
    client: GraphQLClient, tenants: Tenants, schema: graphql.GraphQLSchema, mode: Mode
) -> None:
    @FUZZ
    @given(data=st.data())
    def fuzz(data: st.DataObject) -> None:
        document = data.draw(operations(schema, mutations, mode))
        send(client, tenants, realistic(document, data.draw(IDS(tenants)), data.draw(SIZES)))

    fuzz()
    assert tenants.bob_rows() == tenants.rows, "the other tenant's rows are all there, unchanged in number"
    print(f"fuzzed so far: {dict(SEEN)}")
